// Word-at-a-time scanning for the codecs' fast paths: a megabyte str or bytes payload is mostly one
// long run of characters that need no work, and testing eight bytes per step instead of one is
// what makes large payloads cheap (issue 12).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace pyro::detail {

inline constexpr std::uint64_t low_bytes = 0x0101010101010101ULL;
inline constexpr std::uint64_t high_bits = 0x8080808080808080ULL;

// Nonzero exactly when some byte of word is 0.
constexpr std::uint64_t has_zero_byte(std::uint64_t word) {
    return (word - low_bytes) & ~word & high_bits;
}

// Nonzero exactly when some byte of word equals byte.
constexpr std::uint64_t has_byte(std::uint64_t word, unsigned char byte) {
    return has_zero_byte(word ^ (low_bytes * byte));
}

// Nonzero exactly when some byte of word is below limit (limit at most 0x80).
constexpr std::uint64_t has_byte_below(std::uint64_t word, unsigned char limit) {
    return (word - low_bytes * limit) & ~word & high_bits;
}

// The length of the longest prefix of text whose bytes all satisfy plain(byte). word_plain(word)
// must be true only when all eight bytes of word satisfy plain; it decides the fast steps.
template <class WordPlain, class Plain>
std::size_t plain_prefix_length(std::string_view text, WordPlain word_plain, Plain plain) {
    std::size_t pos = 0;
    while (text.size() - pos >= 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, text.data() + pos, sizeof word);
        if (!word_plain(word)) {
            break;
        }
        pos += 8;
    }
    while (pos < text.size() && plain(static_cast<unsigned char>(text[pos]))) {
        ++pos;
    }
    return pos;
}

} // namespace pyro::detail
