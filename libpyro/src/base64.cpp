#include "base64.hpp"

#include <array>
#include <cstdint>

namespace pyro::detail {

namespace {
constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
} // namespace

std::string base64_encode(const Bytes& data) {
    std::string out;
    base64_append(out, data);
    return out;
}

void base64_append(std::string& out, const Bytes& data) {
    // Written into a sized buffer: appending char by char made megabyte payloads slow (issue 12).
    // Room for what a message writes after the payload, so it never copies the text again.
    const std::size_t start = out.size();
    out.reserve(start + (data.size() + 2) / 3 * 4 + 1024);
    out.resize(start + (data.size() + 2) / 3 * 4, '=');
    char* dest = out.data() + start;
    std::size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        const std::uint32_t chunk = (std::uint32_t{data[i]} << 16) |
                                    (std::uint32_t{data[i + 1]} << 8) | std::uint32_t{data[i + 2]};
        *dest++ = alphabet[(chunk >> 18) & 0x3F];
        *dest++ = alphabet[(chunk >> 12) & 0x3F];
        *dest++ = alphabet[(chunk >> 6) & 0x3F];
        *dest++ = alphabet[chunk & 0x3F];
    }
    if (const std::size_t rest = data.size() - i; rest > 0) {
        std::uint32_t chunk = std::uint32_t{data[i]} << 16;
        if (rest == 2) {
            chunk |= std::uint32_t{data[i + 1]} << 8;
        }
        *dest++ = alphabet[(chunk >> 18) & 0x3F];
        *dest++ = alphabet[(chunk >> 12) & 0x3F];
        if (rest == 2) {
            *dest = alphabet[(chunk >> 6) & 0x3F];
        }
    }
}

std::optional<Bytes> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    static constexpr std::array<std::int8_t, 256> sextet = [] {
        std::array<std::int8_t, 256> table{};
        table.fill(-1);
        for (std::size_t i = 0; i < alphabet.size(); ++i) {
            table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
        }
        return table;
    }();
    // Only canonical text: at most two '=' at the very end, and no stray bits before them
    // (what base64_encode would write).
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') {
        padding = text[text.size() - 2] == '=' ? 2 : 1;
    }
    const std::size_t data_chars = text.size() - padding;
    Bytes out(text.size() / 4 * 3 - padding);
    std::uint8_t* dest = out.data();
    // Whole groups of four characters first, three bytes each: the bulk of a large payload.
    const std::size_t whole_groups = data_chars / 4;
    for (std::size_t g = 0; g < whole_groups; ++g) {
        const auto* group = reinterpret_cast<const unsigned char*>(text.data()) + g * 4;
        const int a = sextet[group[0]];
        const int b = sextet[group[1]];
        const int c = sextet[group[2]];
        const int d = sextet[group[3]];
        if ((a | b | c | d) < 0) {
            return std::nullopt;
        }
        const auto chunk = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
        *dest++ = static_cast<std::uint8_t>(chunk >> 16);
        *dest++ = static_cast<std::uint8_t>((chunk >> 8) & 0xFF);
        *dest++ = static_cast<std::uint8_t>(chunk & 0xFF);
    }
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::size_t i = whole_groups * 4; i < data_chars; ++i) {
        const std::int8_t value = sextet[static_cast<unsigned char>(text[i])];
        if (value < 0) {
            return std::nullopt;
        }
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *dest++ = static_cast<std::uint8_t>((buffer >> bits) & 0xFF);
        }
    }
    if ((buffer & ((1U << bits) - 1)) != 0) {
        return std::nullopt;
    }
    return out;
}

} // namespace pyro::detail
