#include "base64.hpp"

#include <cstdint>

namespace pyro::detail {

namespace {
constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
} // namespace

std::string base64_encode(const Bytes& data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        const std::uint32_t chunk = (std::uint32_t{data[i]} << 16) |
                                    (std::uint32_t{data[i + 1]} << 8) | std::uint32_t{data[i + 2]};
        out += alphabet[(chunk >> 18) & 0x3F];
        out += alphabet[(chunk >> 12) & 0x3F];
        out += alphabet[(chunk >> 6) & 0x3F];
        out += alphabet[chunk & 0x3F];
    }
    if (const std::size_t rest = data.size() - i; rest > 0) {
        std::uint32_t chunk = std::uint32_t{data[i]} << 16;
        if (rest == 2) {
            chunk |= std::uint32_t{data[i + 1]} << 8;
        }
        out += alphabet[(chunk >> 18) & 0x3F];
        out += alphabet[(chunk >> 12) & 0x3F];
        out += rest == 2 ? alphabet[(chunk >> 6) & 0x3F] : '=';
        out += '=';
    }
    return out;
}

std::optional<Bytes> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    Bytes out;
    out.reserve(text.size() / 4 * 3);
    std::uint32_t buffer = 0;
    int bits = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] != '='; ++i) {
        const auto position = alphabet.find(text[i]);
        if (position == std::string_view::npos) {
            return std::nullopt;
        }
        buffer = (buffer << 6) | static_cast<std::uint32_t>(position);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xFF));
        }
    }
    // Only canonical text: at most two '=' at the very end and no stray bits.
    if (text.size() - i > 2 || text.find_first_not_of('=', i) != std::string_view::npos ||
        base64_encode(out) != text) {
        return std::nullopt;
    }
    return out;
}

} // namespace pyro::detail
