// Serializer names and ids, dispatch to the two codecs, and marshal strings (PYRO4-WIRE.md §4.1).
#include "pyro/serializer.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pyro/errors.hpp"
#include "utf8.hpp"

namespace pyro {
namespace {

[[noreturn]] void throw_unsupported_id(std::uint16_t id) {
    throw SerializeError("unsupported serializer id " + std::to_string(id));
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

std::string hex_byte(std::uint8_t byte) {
    static constexpr char hex_digits[] = "0123456789abcdef";
    return {'0', 'x', hex_digits[byte >> 4], hex_digits[byte & 0xF]};
}

} // namespace

std::string_view serializer_name(SerializerKind kind) {
    switch (kind) {
    case SerializerKind::Serpent:
        return "serpent";
    case SerializerKind::Json:
        return "json";
    }
    // Only a value cast from an unchecked integer gets here.
    throw_unsupported_id(static_cast<std::uint16_t>(kind));
}

SerializerKind serializer_from_name(std::string_view name) {
    if (equals_ignoring_case(name, "serpent")) {
        return SerializerKind::Serpent;
    }
    if (equals_ignoring_case(name, "json")) {
        return SerializerKind::Json;
    }
    throw SerializeError("unsupported serializer '" + std::string(name) +
                         "': libpyro speaks serpent and json");
}

SerializerKind serializer_from_id(std::uint16_t id) {
    switch (id) {
    case static_cast<std::uint16_t>(SerializerKind::Serpent):
        return SerializerKind::Serpent;
    case static_cast<std::uint16_t>(SerializerKind::Json):
        return SerializerKind::Json;
    default:
        throw_unsupported_id(id);
    }
}

std::string serialize(SerializerKind kind, const Value& value) {
    switch (kind) {
    case SerializerKind::Serpent:
        return to_serpent(value);
    case SerializerKind::Json:
        return to_json(value);
    }
    throw_unsupported_id(static_cast<std::uint16_t>(kind));
}

Value deserialize(SerializerKind kind, std::string_view payload) {
    switch (kind) {
    case SerializerKind::Serpent:
        return from_serpent(payload);
    case SerializerKind::Json:
        return from_json(payload);
    }
    throw_unsupported_id(static_cast<std::uint16_t>(kind));
}

std::string marshal_string(std::string_view payload) {
    if (payload.empty()) {
        throw SerializeError("marshal: empty payload");
    }
    const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(payload[i]); };
    // The high bit is marshal's "remember this object" flag; it does not change the encoding.
    const std::uint8_t type = byte(0) & 0x7F;
    std::size_t header = 0;
    std::uint32_t length = 0;
    bool ascii = true;
    switch (type) {
    case 'z': // short ASCII
    case 'Z': // short ASCII, interned
        header = 2;
        if (payload.size() >= header) {
            length = byte(1);
        }
        break;
    case 'a': // ASCII
    case 'A': // ASCII, interned
    case 'u': // UTF-8
        header = 5;
        ascii = type != 'u';
        if (payload.size() >= header) {
            length = static_cast<std::uint32_t>(byte(1)) |
                     static_cast<std::uint32_t>(byte(2)) << 8 |
                     static_cast<std::uint32_t>(byte(3)) << 16 |
                     static_cast<std::uint32_t>(byte(4)) << 24;
        }
        break;
    default:
        throw SerializeError("marshal: type byte " + hex_byte(byte(0)) +
                             " is not a string; libpyro reads marshal strings only");
    }
    if (payload.size() < header || payload.size() - header < length) {
        throw SerializeError("marshal: truncated string (payload of " +
                             std::to_string(payload.size()) + " bytes)");
    }
    if (payload.size() - header > length) {
        throw SerializeError("marshal: " + std::to_string(payload.size() - header - length) +
                             " bytes of extra data after the string");
    }
    std::string text(payload.substr(header));
    if (ascii) {
        for (const char c : text) {
            if (static_cast<std::uint8_t>(c) >= 0x80) {
                throw SerializeError("marshal: non-ASCII byte in an ASCII string");
            }
        }
    } else if (!detail::is_valid_utf8(text)) {
        throw SerializeError("marshal: string is not valid UTF-8");
    }
    return text;
}

} // namespace pyro
