// The serpent reader (PYRO4-WIRE.md §6.4–§6.5): the Python literal subset that ast.literal_eval
// accepts, read as untrusted input (bounded nesting, sizes and memory).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "base64.hpp"
#include "byte_scan.hpp"
#include "pyro/serializer.hpp"
#include "serpent.hpp"
#include "utf8.hpp"

namespace pyro {
namespace {

using detail::serpent_error;

bool is_digit_in_base(char c, int base) {
    switch (base) {
    case 2:
        return c == '0' || c == '1';
    case 8:
        return c >= '0' && c <= '7';
    case 10:
        return c >= '0' && c <= '9';
    default:
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}

int digit_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return c - 'A' + 10;
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

struct StringPrefix {
    bool raw = false;
    bool bytes = false;
};

// The prefixes ast.literal_eval accepts (f-strings are expressions, "ur" is gone since Python 3).
std::optional<StringPrefix> parse_string_prefix(std::string_view word) {
    std::string lower;
    for (const char c : word) {
        lower += ascii_lower(c);
    }
    if (lower.empty() || lower == "u") {
        return StringPrefix{};
    }
    if (lower == "r") {
        return StringPrefix{true, false};
    }
    if (lower == "b") {
        return StringPrefix{false, true};
    }
    if (lower == "br" || lower == "rb") {
        return StringPrefix{true, true};
    }
    return std::nullopt;
}

// Python refuses int <-> str conversions beyond 4300 digits; a non-decimal literal of that size
// is also where converting it to decimal text would start to cost quadratic time.
constexpr std::size_t max_converted_bits = 14'300;

// The decimal text of an unsigned number given as digits in base 2, 8 or 16 (no leading zeros).
std::string to_decimal(std::string_view digits, int base) {
    constexpr std::uint32_t limb_base = 1'000'000'000;
    std::vector<std::uint32_t> limbs{0}; // little-endian, base 10^9
    for (const char c : digits) {
        std::uint64_t carry = static_cast<std::uint64_t>(digit_value(c));
        for (auto& limb : limbs) {
            const std::uint64_t current =
                std::uint64_t{limb} * static_cast<std::uint64_t>(base) + carry;
            limb = static_cast<std::uint32_t>(current % limb_base);
            carry = current / limb_base;
        }
        if (carry > 0) {
            limbs.push_back(static_cast<std::uint32_t>(carry));
        }
    }
    std::string out = std::to_string(limbs.back());
    for (auto it = limbs.rbegin() + 1; it != limbs.rend(); ++it) {
        const std::string part = std::to_string(*it);
        out.append(9 - part.size(), '0');
        out += part;
    }
    return out;
}

// A decimal number int_digits.frac_digits * 10^exponent as the nearest double; inf when it
// overflows and 0 when it underflows, as Python reads 1e30000 and 1e-30000.
double decimal_to_double(std::string_view int_digits, std::string_view frac_digits,
                         std::int64_t exponent) {
    std::string digits;
    digits.reserve(int_digits.size() + frac_digits.size());
    digits.append(int_digits);
    digits.append(frac_digits);
    const std::size_t first = digits.find_first_not_of('0');
    if (first == std::string::npos) {
        return 0.0;
    }
    const std::size_t last = digits.find_last_not_of('0');
    const std::int64_t trailing_zeros = static_cast<std::int64_t>(digits.size() - 1 - last);
    std::string significant = digits.substr(first, last - first + 1);
    const std::int64_t scale =
        exponent - static_cast<std::int64_t>(frac_digits.size()) + trailing_zeros;
    // Decimal exponent of the leading digit; doubles live within 10^-324 .. 10^308.
    const std::int64_t magnitude = static_cast<std::int64_t>(significant.size()) - 1 + scale;
    if (magnitude > 400) {
        return std::numeric_limits<double>::infinity();
    }
    if (magnitude < -400) {
        return 0.0;
    }
    significant += 'e';
    significant += std::to_string(scale);
    double result = 0.0;
    const char* begin = significant.data();
    const char* end = begin + significant.size();
    const auto [ptr, ec] = std::from_chars(begin, end, result, std::chars_format::scientific);
    if (ec == std::errc::result_out_of_range) {
        return magnitude > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    }
    if (ec != std::errc{} || ptr != end) {
        serpent_error("internal error converting a float literal");
    }
    return result;
}

// float(text) for the 'value' of a float class dict, which Pyro4 feeds to Python's float().
std::optional<double> python_float_from_text(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    bool negative = false;
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    std::string lower;
    for (const char c : text) {
        lower += ascii_lower(c);
    }
    double result = 0.0;
    if (lower == "nan") {
        result = std::numeric_limits<double>::quiet_NaN();
    } else if (lower == "inf" || lower == "infinity") {
        result = std::numeric_limits<double>::infinity();
    } else {
        const char* begin = lower.data();
        const char* end = begin + lower.size();
        const auto [ptr, ec] = std::from_chars(begin, end, result, std::chars_format::general);
        if (lower.empty() || ec != std::errc{} || ptr != end || !std::isfinite(result)) {
            return std::nullopt;
        }
    }
    return negative ? -result : result;
}

// How many bytes at the start of text are ASCII other than NUL, eight at a time: the fast path of
// the encoding check, which reads every byte of a payload (issue 12).
std::size_t plain_ascii_prefix(std::string_view text) {
    return detail::plain_prefix_length(
        text,
        [](std::uint64_t word) {
            return (word & detail::high_bits) == 0 && !detail::has_zero_byte(word);
        },
        [](unsigned char c) { return c != 0 && c < 0x80; });
}

class Reader {
public:
    explicit Reader(std::string_view text) : text_(text) {}

    Value read_document() {
        check_encoding();
        Value value = parse_value(0);
        skip_space();
        if (pos_ < text_.size()) {
            unexpected("the end of the input");
        }
        return value;
    }

private:
    struct Number {
        enum class Kind { Int, Float, Imaginary };
        Kind kind = Kind::Int;
        std::string decimal; // Int: canonical unsigned decimal text
        double magnitude = 0.0;
    };

    // "serpent: <what> at offset N (<note>)": the offset is a byte offset into the whole text.
    [[noreturn]] static void fail_at(const std::string& what, std::size_t offset,
                                     const std::string& note = {}) {
        serpent_error(what + " at offset " + std::to_string(offset) +
                      (note.empty() ? "" : " (" + note + ")"));
    }

    // "character 'x'", "character U+00A0" or "end of input" for what is at offset.
    std::string describe(std::size_t offset) const {
        if (offset >= text_.size()) {
            return "end of input";
        }
        const char c = text_[offset];
        if (c > 0x20 && c < 0x7F) {
            return std::string("character '") + c + "'";
        }
        std::size_t pos = offset;
        const char32_t code_point = detail::next_code_point(text_, pos).value_or(U'\uFFFD');
        constexpr std::string_view upper_hex = "0123456789ABCDEF";
        std::string digits;
        for (char32_t rest = code_point; rest != 0 || digits.size() < 4; rest >>= 4) {
            digits.insert(digits.begin(), upper_hex[rest & 0xF]);
        }
        return "character U+" + digits;
    }

    [[noreturn]] void unexpected(const std::string& expected) const {
        fail_at("unexpected " + describe(pos_), pos_, "expected " + expected);
    }

    // Python refuses text with NUL bytes outright, and serpent text is UTF-8; checking both first
    // lets the parser copy string contents byte by byte.
    void check_encoding() const {
        std::size_t pos = 0;
        while (pos < text_.size()) {
            pos += plain_ascii_prefix(text_.substr(pos));
            if (pos == text_.size()) {
                break;
            }
            const auto byte = static_cast<unsigned char>(text_[pos]);
            if (byte == 0) {
                fail_at("NUL byte", pos, "Python refuses serpent text containing 0-bytes");
            }
            if (byte < 0x80) {
                ++pos;
            } else if (!detail::next_code_point(text_, pos)) {
                fail_at("invalid UTF-8", pos);
            }
        }
    }

    // The byte at pos_ + ahead, or '\0' past the end: the text holds no NUL (check_encoding).
    [[nodiscard]] char peek(std::size_t ahead = 0) const {
        return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
    }

    // Whitespace, comments (the header line among them) and backslash line continuations.
    void skip_space() {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
                ++pos_;
            } else if (c == '#') {
                while (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r') {
                    ++pos_;
                }
            } else if (c == '\\' && (peek(1) == '\n' || peek(1) == '\r')) {
                pos_ += 2;
            } else {
                return;
            }
        }
    }

    void enter(std::size_t depth) const {
        if (depth + 1 > max_nesting_depth) {
            fail_at("nesting deeper than " + std::to_string(max_nesting_depth) + " levels", pos_);
        }
    }

    Value parse_value(std::size_t depth) {
        skip_space();
        const char c = peek();
        if (pos_ >= text_.size()) {
            unexpected("a value");
        }
        switch (c) {
        case '(':
            return parse_parenthesised(depth);
        case '[':
            return parse_list(depth);
        case '{':
            return parse_braces(depth);
        case '\'':
        case '"':
            return parse_strings();
        case '+':
        case '-':
            return parse_signed_number();
        default:
            break;
        }
        if ((c >= '0' && c <= '9') || (c == '.' && is_digit_in_base(peek(1), 10))) {
            return parse_signed_number();
        }
        if (is_name_char(c)) {
            return parse_name_or_prefixed_string();
        }
        unexpected("a value");
    }

    Value parse_name_or_prefixed_string() {
        const std::size_t start = pos_;
        std::size_t end = pos_;
        while (end < text_.size() && is_name_char(text_[end])) {
            ++end;
        }
        const std::string_view word = text_.substr(start, end - start);
        if (end < text_.size() && (text_[end] == '\'' || text_[end] == '"') &&
            parse_string_prefix(word)) {
            return parse_strings();
        }
        pos_ = end;
        if (word == "None") {
            return Value();
        }
        if (word == "True") {
            return Value(true);
        }
        if (word == "False") {
            return Value(false);
        }
        // ast.literal_eval's spelling of the empty set (serpent itself writes an empty tuple).
        if (word == "set") {
            skip_space();
            if (peek() == '(') {
                ++pos_;
                skip_space();
                if (peek() == ')') {
                    ++pos_;
                    return Value::set();
                }
            }
        }
        fail_at("unexpected " + describe(start), start,
                "'" + std::string(word) + "' is not a literal; Python writes None, True, False");
    }

    // -------------------------------------------------------------------------------- numbers

    // Reads digit ('_'? digit)* into out, without the underscores; false when no digit is at
    // pos_. An underscore must sit between two digits, as in Python.
    bool read_digit_run(std::string& out, int base, std::size_t literal_start) {
        if (!is_digit_in_base(peek(), base)) {
            return false;
        }
        for (;;) {
            out += text_[pos_++];
            if (peek() == '_') {
                if (!is_digit_in_base(peek(1), base)) {
                    fail_at("invalid number literal", literal_start);
                }
                ++pos_;
            } else if (!is_digit_in_base(peek(), base)) {
                return true;
            }
        }
    }

    // Exponent digits as a number; saturating is exact enough, as anything beyond 10^400 is
    // already out of a double's range.
    static std::int64_t saturated_exponent(std::string_view digits) {
        std::int64_t value = 0;
        for (const char c : digits) {
            value = std::min<std::int64_t>(value * 10 + (c - '0'), 1'000'000'000'000);
        }
        return value;
    }

    // An unsigned int, float or imaginary literal at pos_ (a digit, or '.' and a digit).
    Number lex_number() {
        const std::size_t start = pos_;
        Number number;
        const char base_char = ascii_lower(peek(1));
        if (peek() == '0' && (base_char == 'x' || base_char == 'o' || base_char == 'b')) {
            const int base = base_char == 'x' ? 16 : base_char == 'o' ? 8 : 2;
            pos_ += 2;
            if (peek() == '_') {
                ++pos_;
            }
            std::string digits;
            if (!read_digit_run(digits, base, start)) {
                fail_at("invalid number literal", start);
            }
            check_number_end(start);
            const std::size_t first = digits.find_first_not_of('0');
            digits = first == std::string::npos ? "0" : digits.substr(first);
            const std::size_t bits_per_digit = base == 16 ? 4 : base == 8 ? 3 : 1;
            if (digits.size() * bits_per_digit > max_converted_bits) {
                fail_at("integer literal too large", start, "Python refuses over 4300 digits");
            }
            number.decimal = to_decimal(digits, base);
            return number;
        }

        std::string int_digits;
        std::string frac_digits;
        const bool has_int = read_digit_run(int_digits, 10, start);
        bool is_float = false;
        if (peek() == '.') {
            ++pos_;
            is_float = true;
            if (!read_digit_run(frac_digits, 10, start) && !has_int) {
                fail_at("invalid number literal", start);
            }
        }
        std::int64_t exponent = 0;
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            bool negative = false;
            if (peek() == '+' || peek() == '-') {
                negative = peek() == '-';
                ++pos_;
            }
            std::string exponent_digits;
            if (!read_digit_run(exponent_digits, 10, start)) {
                fail_at("invalid number literal", start);
            }
            exponent = saturated_exponent(exponent_digits);
            if (negative) {
                exponent = -exponent;
            }
            is_float = true;
        }
        bool imaginary = false;
        if (peek() == 'j' || peek() == 'J') {
            ++pos_;
            imaginary = true;
        }
        check_number_end(start);
        if (!is_float && !imaginary) {
            const std::size_t first = int_digits.find_first_not_of('0');
            if (first == std::string::npos) {
                number.decimal = "0";
            } else if (first > 0) {
                fail_at("leading zeros in a decimal integer", start,
                        "Python 3 writes 0o for octal");
            } else {
                number.decimal = std::move(int_digits);
            }
            return number;
        }
        number.kind = imaginary ? Number::Kind::Imaginary : Number::Kind::Float;
        number.magnitude = decimal_to_double(int_digits, frac_digits, exponent);
        return number;
    }

    // A literal must not run into a name or another dot: "1x", "0b12", "1.5.2".
    void check_number_end(std::size_t start) const {
        if (is_name_char(peek()) || peek() == '.') {
            fail_at("invalid number literal", start);
        }
    }

    [[nodiscard]] bool at_number_start() const {
        return is_digit_in_base(peek(), 10) || (peek() == '.' && is_digit_in_base(peek(1), 10));
    }

    static double int_to_double(const std::string& decimal, std::size_t offset) {
        const double value = decimal_to_double(decimal, {}, 0);
        if (std::isinf(value)) {
            fail_at("integer too large to convert to float", offset);
        }
        return value;
    }

    // [sign] number, with an optional complex tail: -1, 2.5, 3j, -1.5+2j, (1.0-0.0j).
    Value parse_signed_number() {
        bool negative = false;
        if (peek() == '+' || peek() == '-') {
            const std::size_t sign_at = pos_;
            negative = peek() == '-';
            ++pos_;
            skip_space();
            if (!at_number_start()) {
                fail_at("sign '" + std::string(1, text_[sign_at]) + "' without a number", sign_at);
            }
        }
        const std::size_t start = pos_;
        Number number = lex_number();
        if (number.kind == Number::Kind::Imaginary) {
            // Python negates both parts of 0+bj: -2j is complex(-0.0, -2.0).
            return negative ? Value(Complex{-0.0, -number.magnitude})
                            : Value(Complex{0.0, number.magnitude});
        }

        const std::size_t after_real = pos_;
        skip_space();
        if (peek() == '+' || peek() == '-') {
            const bool subtract = peek() == '-';
            const std::size_t operator_at = pos_;
            ++pos_;
            skip_space();
            if (!at_number_start()) {
                fail_at("missing imaginary number after '" + std::string(1, text_[operator_at]) +
                            "'",
                        operator_at);
            }
            const std::size_t imag_at = pos_;
            const Number imag = lex_number();
            if (imag.kind != Number::Kind::Imaginary) {
                fail_at("real number where an imaginary one (like 2.0j) must follow", imag_at);
            }
            double real = number.kind == Number::Kind::Int ? int_to_double(number.decimal, start)
                                                           : number.magnitude;
            if (negative) {
                real = -real;
            }
            // The parts are taken as written, so (-0.0+1.0j) keeps the sign Python's complex
            // addition would drop; it is what the writer meant.
            return Value(Complex{real, subtract ? -imag.magnitude : imag.magnitude});
        }
        pos_ = after_real;

        if (number.kind == Number::Kind::Float) {
            return Value(negative ? -number.magnitude : number.magnitude);
        }
        if (negative && number.decimal != "0") {
            number.decimal.insert(0, 1, '-');
        }
        return Value::big_int(number.decimal);
    }

    // -------------------------------------------------------------------------------- strings

    [[nodiscard]] bool at_string_start() const {
        std::size_t end = pos_;
        while (end < text_.size() && end - pos_ < 3 && is_name_char(text_[end])) {
            ++end;
        }
        return end < text_.size() && (text_[end] == '\'' || text_[end] == '"') &&
               parse_string_prefix(text_.substr(pos_, end - pos_));
    }

    // One or more adjacent literals, concatenated as Python does: 'a' "b" -> 'ab'.
    Value parse_strings() {
        std::string content;
        std::optional<bool> is_bytes;
        do {
            const std::size_t literal_start = pos_;
            std::size_t quote_at = pos_;
            while (quote_at < text_.size() && is_name_char(text_[quote_at])) {
                ++quote_at;
            }
            const StringPrefix prefix = *parse_string_prefix(text_.substr(pos_, quote_at - pos_));
            if (is_bytes && *is_bytes != prefix.bytes) {
                fail_at("cannot concatenate bytes and str literals", literal_start);
            }
            is_bytes = prefix.bytes;
            pos_ = quote_at;
            read_string_body(content, prefix, literal_start);
            skip_space();
        } while (at_string_start());

        if (*is_bytes) {
            return Value(Bytes(content.begin(), content.end()));
        }
        return Value(std::move(content));
    }

    void read_string_body(std::string& out, StringPrefix prefix, std::size_t literal_start) {
        const char quote = text_[pos_];
        const bool triple = peek(1) == quote && peek(2) == quote;
        pos_ += triple ? 3 : 1;
        for (;;) {
            if (pos_ >= text_.size()) {
                fail_at("unterminated string", literal_start);
            }
            const char c = text_[pos_];
            if (c == quote) {
                if (!triple) {
                    ++pos_;
                    return;
                }
                if (peek(1) == quote && peek(2) == quote) {
                    pos_ += 3;
                    return;
                }
                out += c;
                ++pos_;
            } else if (c == '\n' || c == '\r') {
                if (!triple) {
                    fail_at("unterminated string", literal_start,
                            "line break inside a single-quoted string");
                }
                // Python reads source text with universal newlines.
                out += '\n';
                pos_ += c == '\r' && peek(1) == '\n' ? 2 : 1;
            } else if (c == '\\') {
                read_escape(out, prefix, quote, literal_start);
            } else {
                if (prefix.bytes && static_cast<unsigned char>(c) >= 0x80) {
                    fail_at("non-ASCII character in a bytes literal", pos_);
                }
                // The rest of the run of ordinary characters goes in one piece (issue 12).
                const bool bytes = prefix.bytes;
                const auto q = static_cast<unsigned char>(quote);
                const std::size_t end =
                    pos_ + 1 +
                    detail::plain_prefix_length(
                        text_.substr(pos_ + 1),
                        [q, bytes](std::uint64_t word) {
                            return !detail::has_byte(word, q) && !detail::has_byte(word, '\\') &&
                                   !detail::has_byte(word, '\n') && !detail::has_byte(word, '\r') &&
                                   (!bytes || (word & detail::high_bits) == 0);
                        },
                        [quote, bytes](unsigned char c) {
                            return is_ordinary(static_cast<char>(c), quote, bytes);
                        });
                out.append(text_.substr(pos_, end - pos_));
                pos_ = end;
            }
        }
    }

    // A character inside a string literal that stands for itself.
    static bool is_ordinary(char c, char quote, bool bytes) {
        return c != quote && c != '\\' && c != '\n' && c != '\r' &&
               (!bytes || static_cast<unsigned char>(c) < 0x80);
    }

    void read_escape(std::string& out, StringPrefix prefix, char quote, std::size_t literal_start) {
        const std::size_t at = pos_;
        if (pos_ + 1 >= text_.size()) {
            fail_at("unterminated string", literal_start);
        }
        const char next = text_[pos_ + 1];
        if (prefix.raw) {
            // A raw string keeps the backslash, which still stops the next quote or line break
            // from ending the literal.
            out += '\\';
            ++pos_;
            if (next == quote || next == '\\') {
                out += next;
                ++pos_;
            } else if (next == '\n' || next == '\r') {
                out += '\n';
                pos_ += next == '\r' && peek(1) == '\n' ? 2 : 1;
            }
            return;
        }
        pos_ += 2;
        switch (next) {
        case '\n':
            return; // line continuation
        case '\r':
            if (peek() == '\n') {
                ++pos_;
            }
            return;
        case '\\':
        case '\'':
        case '"':
            out += next;
            return;
        case 'a':
            out += '\a';
            return;
        case 'b':
            out += '\b';
            return;
        case 'f':
            out += '\f';
            return;
        case 'n':
            out += '\n';
            return;
        case 'r':
            out += '\r';
            return;
        case 't':
            out += '\t';
            return;
        case 'v':
            out += '\v';
            return;
        case 'x':
            append_code_point(out, read_hex_escape(2, at), prefix);
            return;
        default:
            break;
        }
        if (next >= '0' && next <= '7') {
            char32_t value = static_cast<char32_t>(next - '0');
            for (int i = 0; i < 2 && peek() >= '0' && peek() <= '7'; ++i) {
                value = value * 8 + static_cast<char32_t>(peek() - '0');
                ++pos_;
            }
            // Python 3.11 keeps the low byte of \400..\777 in bytes (with a warning).
            append_code_point(out, prefix.bytes ? value & 0xFF : value, prefix);
            return;
        }
        if (!prefix.bytes && (next == 'u' || next == 'U')) {
            const char32_t value = read_hex_escape(next == 'u' ? 4 : 8, at);
            if (value > 0x10FFFF) {
                fail_at("\\U escape beyond U+10FFFF", at);
            }
            if (value >= 0xD800 && value <= 0xDFFF) {
                fail_at("surrogate escape", at, "a lone surrogate has no UTF-8 form");
            }
            detail::append_utf8(out, value);
            return;
        }
        if (!prefix.bytes && next == 'N') {
            fail_at("unsupported \\N{...} escape", at, "write \\u or \\U instead of a name");
        }
        // Unknown escapes stay as written, backslash included, as in Python.
        out += '\\';
        pos_ = at + 1;
    }

    char32_t read_hex_escape(int digits, std::size_t at) {
        char32_t value = 0;
        for (int i = 0; i < digits; ++i) {
            if (!is_digit_in_base(peek(), 16)) {
                fail_at(std::string("truncated \\") + text_[at + 1] + " escape", at,
                        "expected " + std::to_string(digits) + " hex digits");
            }
            value = value * 16 + static_cast<char32_t>(digit_value(peek()));
            ++pos_;
        }
        return value;
    }

    static void append_code_point(std::string& out, char32_t value, StringPrefix prefix) {
        if (prefix.bytes) {
            out += static_cast<char>(value);
        } else {
            detail::append_utf8(out, value);
        }
    }

    // -------------------------------------------------------------------------------- containers

    // Consumes the separator after an item: true when the container closes. A trailing comma
    // before the closing bracket is allowed.
    bool after_item(char close, const char* expected) {
        skip_space();
        if (peek() == close) {
            ++pos_;
            return true;
        }
        if (peek() != ',') {
            unexpected(expected);
        }
        ++pos_;
        skip_space();
        if (peek() == close) {
            ++pos_;
            return true;
        }
        return false;
    }

    // (), (x,), (x, y), or a parenthesised value (x), which is not a tuple.
    Value parse_parenthesised(std::size_t depth) {
        enter(depth);
        ++pos_;
        skip_space();
        if (peek() == ')') {
            ++pos_;
            return Value::tuple();
        }
        Value first = parse_value(depth + 1);
        skip_space();
        if (peek() == ')') {
            ++pos_;
            return first;
        }
        Value::Items items;
        items.push_back(std::move(first));
        while (!after_item(')', "',' or ')'")) {
            items.push_back(parse_value(depth + 1));
        }
        return Value::tuple(std::move(items));
    }

    Value parse_list(std::size_t depth) {
        enter(depth);
        ++pos_;
        skip_space();
        Value::Items items;
        if (peek() == ']') {
            ++pos_;
            return Value::list();
        }
        do {
            items.push_back(parse_value(depth + 1));
        } while (!after_item(']', "',' or ']'"));
        return Value::list(std::move(items));
    }

    // A dict or a set; {} is a dict.
    Value parse_braces(std::size_t depth) {
        enter(depth);
        const std::size_t start = pos_;
        ++pos_;
        skip_space();
        if (peek() == '}') {
            ++pos_;
            return Value::dict();
        }
        Value first = parse_value(depth + 1);
        skip_space();
        if (peek() != ':') {
            Value::Items items;
            items.push_back(std::move(first));
            while (!after_item('}', "',' or '}'")) {
                items.push_back(parse_value(depth + 1));
            }
            return Value::set(std::move(items));
        }
        Value::Entries entries;
        for (;;) {
            skip_space();
            if (peek() != ':') {
                unexpected("':'");
            }
            ++pos_;
            Value value = parse_value(depth + 1);
            entries.emplace_back(std::move(first), std::move(value));
            if (after_item('}', "',' or '}'")) {
                break;
            }
            first = parse_value(depth + 1);
        }
        if (auto bytes = bytes_from_dict(entries, start)) {
            return Value(std::move(*bytes));
        }
        return finish_dict(std::move(entries), start);
    }

    // Serpent writes Python bytes as exactly this text, the repr of a dict with its spaces
    // (§6.2); a plain dict of the same shape is written without spaces. So that spelling, and only
    // it, is read back as bytes: bytes survive a C++ round trip, and written again they give the
    // same text. A Python reader gets the dict either way.
    std::optional<Bytes> bytes_from_dict(const Value::Entries& entries, std::size_t start) const {
        if (entries.size() != 2 || entries[0].first != Value("data") ||
            !entries[0].second.is_string() || entries[1].first != Value("encoding") ||
            entries[1].second != Value("base64")) {
            return std::nullopt;
        }
        const std::string& data = entries[0].second.as_string();
        // Compared piece by piece: the data may be megabytes, not worth a copy.
        constexpr std::string_view head = "{'data': '";
        constexpr std::string_view tail = "', 'encoding': 'base64'}";
        const std::string_view written = text_.substr(start, pos_ - start);
        if (written.size() != head.size() + data.size() + tail.size() ||
            !written.starts_with(head) || !written.ends_with(tail) ||
            written.substr(head.size(), data.size()) != data) {
            return std::nullopt;
        }
        return detail::base64_decode(data);
    }

    // Pyro4 turns a dict whose __class__ is 'float' into float(value) (§6.2, §6.4): that is how a
    // NaN travels. Every other dict, class dicts included, stays a dict for the layers above.
    static Value finish_dict(Value::Entries entries, std::size_t start) {
        const Value* class_name = nullptr;
        const Value* float_text = nullptr;
        for (const auto& [key, value] : entries) {
            if (!key.is_string()) {
                continue;
            }
            if (key.as_string() == "__class__") {
                class_name = &value;
            } else if (key.as_string() == "value") {
                float_text = &value;
            }
        }
        if (class_name == nullptr || !class_name->is_string() ||
            class_name->as_string() != "float") {
            return Value::dict(std::move(entries));
        }
        if (float_text == nullptr || !float_text->is_string()) {
            fail_at("float class dict without a 'value' string", start);
        }
        const auto number = python_float_from_text(float_text->as_string());
        if (!number) {
            fail_at("float class dict with an invalid 'value'", start, float_text->repr());
        }
        return Value(*number);
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

} // namespace

Value from_serpent(std::string_view text) {
    return Reader(text).read_document();
}

} // namespace pyro
