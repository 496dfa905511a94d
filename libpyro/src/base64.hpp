// Base64 (RFC 4648, standard alphabet, padded): serpent carries Python bytes as a base64 text in
// a dict (PYRO4-WIRE.md §6.2).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pyro/value.hpp"

namespace pyro::detail {

[[nodiscard]] std::string base64_encode(const Bytes& data);
// Appends the encoding to out, without a temporary (a megabyte payload's text is written once).
void base64_append(std::string& out, const Bytes& data);
// nullopt unless the text is canonical padded base64 (what base64_encode would write).
[[nodiscard]] std::optional<Bytes> base64_decode(std::string_view text);

} // namespace pyro::detail
