#include "str_repr.hpp"

#include <array>

#include "byte_scan.hpp"
#include "unicode_printable.hpp"
#include "utf8.hpp"

namespace pyro::detail {

namespace {

void append_hex_escape(std::string& out, char marker, char32_t code_point, int digits) {
    static constexpr std::string_view hex_digits = "0123456789abcdef";
    out += '\\';
    out += marker;
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
        out += hex_digits[(code_point >> shift) & 0xF];
    }
}

// Bytes that repr() writes unchanged whatever the quote: printable ASCII except both quotes and
// the backslash.
constexpr std::array<bool, 256> plain_ascii = [] {
    std::array<bool, 256> table{};
    for (int c = 0x20; c < 0x7F; ++c) {
        table[static_cast<std::size_t>(c)] = c != '\'' && c != '"' && c != '\\';
    }
    return table;
}();

} // namespace

void append_str_repr(std::string& out, std::string_view text) {
    const bool has_single = text.find('\'') != std::string_view::npos;
    const bool has_double = text.find('"') != std::string_view::npos;
    const char quote = has_single && !has_double ? '"' : '\'';
    // Room for the quotes, a few escapes and what a message writes after the text (closing
    // brackets, other entries), so a large text is not copied again by a later append.
    out.reserve(out.size() + text.size() + (text.size() >= 4096 ? 1024 : 2));
    out += quote;
    std::size_t pos = 0;
    while (pos < text.size()) {
        // Runs of plain ASCII go out in one piece: the common case, and per-code-point work
        // on a megabyte of text was the cost of large payloads (issue 12).
        const std::size_t run_end =
            pos + plain_prefix_length(
                      text.substr(pos),
                      [](std::uint64_t word) {
                          return (word & high_bits) == 0 && !has_byte_below(word, 0x20) &&
                                 !has_byte(word, 0x7F) && !has_byte(word, '\'') &&
                                 !has_byte(word, '"') && !has_byte(word, '\\');
                      },
                      [](unsigned char c) { return plain_ascii[c]; });
        if (run_end > pos) {
            out.append(text.substr(pos, run_end - pos));
            pos = run_end;
            continue;
        }
        const std::size_t start = pos;
        const auto code_point = next_code_point(text, pos);
        if (!code_point) {
            // Not UTF-8 (only Value::repr() ever sees such bytes): show the byte, never stall.
            append_hex_escape(out, 'x', static_cast<unsigned char>(text[pos]), 2);
            ++pos;
            continue;
        }
        const char32_t c = *code_point;
        if (c == static_cast<char32_t>(quote) || c == U'\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == U'\t') {
            out += "\\t";
        } else if (c == U'\n') {
            out += "\\n";
        } else if (c == U'\r') {
            out += "\\r";
        } else if (c < 0x20 || c == 0x7F) {
            append_hex_escape(out, 'x', c, 2);
        } else if (c < 0x7F || is_python_printable(c)) {
            out.append(text.substr(start, pos - start));
        } else if (c <= 0xFF) {
            append_hex_escape(out, 'x', c, 2);
        } else if (c <= 0xFFFF) {
            append_hex_escape(out, 'u', c, 4);
        } else {
            append_hex_escape(out, 'U', c, 8);
        }
    }
    out += quote;
}

} // namespace pyro::detail
