// Serializers: Value <-> payload bytes, in Pyro4's serpent (id 1) and json (id 2) formats, plus
// the one marshal shape Pyro4 daemons send (a string in a CONNECTFAIL, §4.1).
//
// Writers produce exactly what Pyro4 4.82 writes (PYRO4-WIRE.md §6), so frames re-encode byte for
// byte. Readers accept what Python peers send and more (§6.4), and treat their input as
// untrusted: nesting deeper than max_nesting_depth, malformed text and invalid UTF-8 give a
// SerializeError, never a crash, and memory use is bounded by the input's size.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pyro/value.hpp"

namespace pyro {

enum class SerializerKind : std::uint16_t { Serpent = 1, Json = 2 };

constexpr std::size_t max_nesting_depth = 200;

// "serpent", "json".
[[nodiscard]] std::string_view serializer_name(SerializerKind kind);
// From a name as PYRO_SERIALIZER gives it (case-insensitive). Throws SerializeError for other
// names, listing the two supported.
[[nodiscard]] SerializerKind serializer_from_name(std::string_view name);
// From a wire serializer id. Throws SerializeError("unsupported serializer id N") otherwise.
[[nodiscard]] SerializerKind serializer_from_id(std::uint16_t id);

// Serpent text, header line included: "# serpent utf-8 python3.2\n" + literal. Tuples, sets,
// bytes (as Pyro4's base64 dict), complex numbers and big ints keep their serpent forms.
[[nodiscard]] std::string to_serpent(const Value& value);
[[nodiscard]] Value from_serpent(std::string_view text);

// json text as Python's json.dumps(ensure_ascii=False) writes it. Tuples and sets become arrays;
// non-string dict keys become strings as Python converts them. Bytes and complex numbers cannot
// be written in json (as in Pyro4): SerializeError.
[[nodiscard]] std::string to_json(const Value& value);
// Accepts standard JSON plus NaN, Infinity and -Infinity, and integers of any size.
[[nodiscard]] Value from_json(std::string_view text);

[[nodiscard]] std::string serialize(SerializerKind kind, const Value& value);
[[nodiscard]] Value deserialize(SerializerKind kind, std::string_view payload);

// Decodes a marshal-serialized string (the CONNECTFAIL text Pyro4 daemons send with serializer
// id 3). Throws SerializeError for anything else.
[[nodiscard]] std::string marshal_string(std::string_view payload);

} // namespace pyro
