// UTF-8 helpers shared by the codecs. Payload text is untrusted: every function validates.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pyro::detail {

// Decodes the code point starting at text[pos] and advances pos past it. Returns nullopt (pos
// unchanged) for an invalid sequence: bad lead or continuation byte, overlong form, surrogate,
// value beyond U+10FFFF, or truncation.
[[nodiscard]] std::optional<char32_t> next_code_point(std::string_view text, std::size_t& pos);

[[nodiscard]] bool is_valid_utf8(std::string_view text);

// How many bytes at the start of text are ASCII (< 0x80); checks a word at a time.
[[nodiscard]] std::size_t ascii_prefix_length(std::string_view text);

// Appends the UTF-8 form of a Unicode scalar value (not a surrogate, at most U+10FFFF).
void append_utf8(std::string& out, char32_t code_point);

} // namespace pyro::detail
