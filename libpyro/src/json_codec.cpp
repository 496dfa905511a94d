// The json serializer (PYRO4-WIRE.md §6.1): a writer byte-identical to Python's
// json.dumps(value, ensure_ascii=False), and a reader built on Boost.JSON's SAX parser.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>

#include "byte_scan.hpp"
#include "float_repr.hpp"
#include "json_reader.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"
#include "pyro/value.hpp"
#include "utf8.hpp"

namespace pyro {
namespace {

// ---------------------------------------------------------------------------------------------
// Writer

// Python's json module spells the non-finite floats as JavaScript does, for values and keys.
std::string float_text(double d) {
    if (std::isnan(d)) {
        return "NaN";
    }
    if (std::isinf(d)) {
        return d > 0 ? "Infinity" : "-Infinity";
    }
    return detail::python_float_repr(d);
}

bool needs_json_escape(char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

void write_string(std::string& out, std::string_view text) {
    // Byte-wise escaping is safe once the text is valid UTF-8: every byte of a multi-byte
    // sequence is >= 0x80 and goes out raw, as ensure_ascii=False does.
    if (!detail::is_valid_utf8(text)) {
        throw SerializeError("json: str is not valid UTF-8");
    }
    static constexpr char hex_digits[] = "0123456789abcdef";
    // Room for the quotes, a few escapes and what a message writes after the text (closing
    // brackets, other entries), so a large text is not copied again by a later append.
    out.reserve(out.size() + text.size() + (text.size() >= 4096 ? 1024 : 2));
    out += '"';
    std::size_t pos = 0;
    while (pos < text.size()) {
        // Runs that need no escape go out in one piece (issue 12: large payloads).
        const std::size_t run_end =
            pos + detail::plain_prefix_length(
                      text.substr(pos),
                      [](std::uint64_t word) {
                          return !detail::has_byte(word, '"') && !detail::has_byte(word, '\\') &&
                                 !detail::has_byte_below(word, 0x20);
                      },
                      [](unsigned char c) { return !needs_json_escape(static_cast<char>(c)); });
        out.append(text.substr(pos, run_end - pos));
        if (run_end == text.size()) {
            break;
        }
        const char c = text[run_end];
        pos = run_end + 1;
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                out += "\\u00";
                out += hex_digits[static_cast<unsigned char>(c) >> 4];
                out += hex_digits[static_cast<unsigned char>(c) & 0xF];
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

// json object keys are strings; Python's encoder converts the other scalar key types itself.
void write_key(std::string& out, const Value& key) {
    switch (key.kind()) {
    case Value::Kind::String:
        write_string(out, key.as_string());
        return;
    case Value::Kind::Int:
    case Value::Kind::BigInt:
        write_string(out, key.as_decimal());
        return;
    case Value::Kind::Float:
        write_string(out, float_text(key.as_float()));
        return;
    case Value::Kind::Bool:
        write_string(out, key.as_bool() ? "true" : "false");
        return;
    case Value::Kind::None:
        write_string(out, "null");
        return;
    default:
        throw SerializeError("json: dict keys must be str, int, float, bool or None, not " +
                             std::string(key.type_name()));
    }
}

void write_value(std::string& out, const Value& value, std::size_t depth) {
    switch (value.kind()) {
    case Value::Kind::None:
        out += "null";
        return;
    case Value::Kind::Bool:
        out += value.as_bool() ? "true" : "false";
        return;
    case Value::Kind::Int:
    case Value::Kind::BigInt:
        out += value.as_decimal();
        return;
    case Value::Kind::Float:
        out += float_text(value.as_float());
        return;
    case Value::Kind::String:
        write_string(out, value.as_string());
        return;
    case Value::Kind::Bytes:
    case Value::Kind::Complex:
        // Pyro4's json serializer refuses these too, before anything is sent (§6.1).
        throw SerializeError("json cannot carry " + std::string(value.type_name()) +
                             " values; use the serpent serializer");
    case Value::Kind::List:
    case Value::Kind::Tuple:
    case Value::Kind::Set:
    case Value::Kind::Dict:
        break;
    }
    // The reader refuses deeper nesting, so writing it would only produce an unreadable payload;
    // the limit also bounds this recursion.
    if (depth >= max_nesting_depth) {
        throw SerializeError("json: value nested deeper than " + std::to_string(max_nesting_depth) +
                             " levels");
    }
    if (value.is_dict()) {
        out += '{';
        bool first = true;
        for (const auto& [key, item] : value.entries()) {
            if (!first) {
                out += ", ";
            }
            first = false;
            write_key(out, key);
            out += ": ";
            write_value(out, item, depth + 1);
        }
        out += '}';
        return;
    }
    out += '[';
    bool first = true;
    for (const Value& item : value.items()) {
        if (!first) {
            out += ", ";
        }
        first = false;
        write_value(out, item, depth + 1);
    }
    out += ']';
}

// ---------------------------------------------------------------------------------------------
// Reader
//
// Pyro4's json sends NaN, Infinity and -Infinity as bare words, which Boost.JSON 1.81 cannot
// parse. A pre-scan (tracking string state, so "NaN" inside a string stays text) replaces each
// such bare word by a number literal of the same length, so Boost's error offsets stay those of
// the original text. Every bare token that spells one of those sentinel literals, replaced or
// genuine, is queued in order with what it stands for; the handler pops the queue when Boost
// reports a sentinel literal, so a genuine "0e0" in the input still reads as 0.0.

enum class Special : std::uint8_t { Literal, NaN, PosInf, NegInf };

constexpr std::string_view nan_sentinel = "0e0";           // length of "NaN"
constexpr std::string_view inf_sentinel = "0e000000";      // length of "Infinity"
constexpr std::string_view neg_inf_sentinel = "-0e000000"; // length of "-Infinity"

bool is_sentinel(std::string_view token) {
    return token == nan_sentinel || token == inf_sentinel || token == neg_inf_sentinel;
}

bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The UTF-16 code unit of the \uXXXX escape at text[pos], if there is one.
std::optional<unsigned> unicode_escape(std::string_view text, std::size_t pos) {
    if (pos + 6 > text.size() || text[pos] != '\\' || text[pos + 1] != 'u') {
        return std::nullopt;
    }
    unsigned unit = 0;
    for (const char c : text.substr(pos + 2, 4)) {
        if (!is_hex_digit(c)) {
            return std::nullopt;
        }
        const int digit = c <= '9' ? c - '0' : c <= 'F' ? c - 'A' + 10 : c - 'a' + 10;
        unit = unit * 16 + static_cast<unsigned>(digit);
    }
    return unit;
}

[[noreturn]] void throw_lone_surrogate(unsigned unit, std::size_t offset) {
    static constexpr char hex_digits[] = "0123456789abcdef";
    std::string escape = "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) {
        escape += hex_digits[(unit >> shift) & 0xF];
    }
    // Python would accept it, but a UTF-8 std::string cannot hold a lone surrogate; Boost would
    // only say "syntax error" or "illegal leading surrogate".
    throw SerializeError("json: lone surrogate " + escape + " at offset " + std::to_string(offset) +
                         " cannot be represented in UTF-8");
}

// The index just past the string literal that opens at text[start]. Escapes matter only to find
// the closing quote and to report lone surrogates; Boost validates everything else.
std::size_t skip_string(std::string_view text, std::size_t start) {
    std::size_t i = start + 1;
    while (i < text.size() && text[i] != '"') {
        if (text[i] != '\\') {
            // Long string contents: eight bytes per step up to the next quote or backslash.
            i += detail::plain_prefix_length(
                text.substr(i),
                [](std::uint64_t word) {
                    return !detail::has_byte(word, '"') && !detail::has_byte(word, '\\');
                },
                [](unsigned char c) { return c != '"' && c != '\\'; });
            continue;
        }
        const auto unit = unicode_escape(text, i);
        if (!unit || *unit < 0xD800 || *unit > 0xDFFF) {
            i += 2;
            continue;
        }
        const auto low = unicode_escape(text, i + 6);
        if (*unit > 0xDBFF || !low || *low < 0xDC00 || *low > 0xDFFF) {
            throw_lone_surrogate(*unit, i);
        }
        i += 12;
    }
    return i + 1;
}

struct PreScan {
    std::optional<std::string> patched; // set only when something was replaced
    // In input order; a vector, not a deque, so a call without such words allocates nothing.
    std::vector<Special> specials;
    std::size_t next_special = 0; // the first not yet met by the handler
};

PreScan pre_scan(std::string_view text) {
    PreScan result;
    const auto is_delimiter = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '[' || c == ']' ||
               c == '{' || c == '}' || c == ',' || c == ':' || c == '"';
    };
    const auto replace = [&](std::size_t pos, std::string_view sentinel, Special special) {
        if (!result.patched) {
            result.patched.emplace(text);
        }
        result.patched->replace(pos, sentinel.size(), sentinel);
        result.specials.push_back(special);
    };
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '"') {
            i = skip_string(text, i);
            continue;
        }
        if (is_delimiter(c)) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < text.size() && !is_delimiter(text[end])) {
            ++end;
        }
        const std::string_view token = text.substr(i, end - i);
        if (token == "NaN") {
            replace(i, nan_sentinel, Special::NaN);
        } else if (token == "Infinity") {
            replace(i, inf_sentinel, Special::PosInf);
        } else if (token == "-Infinity") {
            replace(i, neg_inf_sentinel, Special::NegInf);
        } else if (is_sentinel(token)) {
            result.specials.push_back(Special::Literal);
        }
        i = end;
    }
    return result;
}

// Python reads an out-of-range literal as ±inf or ±0.0; from_chars reports it instead.
double parse_double(std::string_view text) {
    double d = 0.0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec == std::errc::result_out_of_range) {
        const bool negative = !text.empty() && text.front() == '-';
        const auto e = text.find_first_of("eE");
        const bool tiny = e != std::string_view::npos && e + 1 < text.size() && text[e + 1] == '-';
        const double magnitude = tiny ? 0.0 : std::numeric_limits<double>::infinity();
        return negative ? -magnitude : magnitude;
    }
    return d;
}

class ValueBuilder {
public:
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

    explicit ValueBuilder(PreScan* scan) : scan_(scan) {}

    Value take_result() { return std::move(result_); }

    bool on_document_begin(boost::json::error_code&) { return true; }
    bool on_document_end(boost::json::error_code&) { return true; }

    bool on_array_begin(boost::json::error_code&) {
        open(false);
        return true;
    }
    bool on_array_end(std::size_t, boost::json::error_code&) {
        Value list = Value::list(std::move(stack_[--depth_].items));
        add(std::move(list));
        return true;
    }
    bool on_object_begin(boost::json::error_code&) {
        open(true);
        return true;
    }
    bool on_object_end(std::size_t, boost::json::error_code&) {
        Frame& frame = stack_[--depth_];
        frame.positions.clear();
        Value dict = Value::dict(std::move(frame.entries));
        add(std::move(dict));
        return true;
    }

    bool on_string_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        if (text_.empty()) {
            add(Value(std::string(s.data(), s.size())));
            return true;
        }
        text_.append(s.data(), s.size());
        add(Value(std::exchange(text_, {})));
        return true;
    }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        std::string& key = stack_[depth_ - 1].key;
        if (text_.empty()) {
            key.assign(s.data(), s.size());
            return true;
        }
        text_.append(s.data(), s.size());
        key = std::exchange(text_, {});
        return true;
    }

    bool on_number_part(boost::json::string_view s, boost::json::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, boost::json::string_view, boost::json::error_code&) {
        text_.clear();
        add(Value(i));
        return true;
    }
    bool on_uint64(std::uint64_t u, boost::json::string_view, boost::json::error_code&) {
        text_.clear();
        add(Value(u));
        return true;
    }
    // Boost also lands here for integers beyond 64 bits (as an inexact double), and its own
    // decimal conversion is not correctly rounded, so the number is re-read from its text.
    bool on_double(double, boost::json::string_view s, boost::json::error_code&) {
        text_.append(s.data(), s.size());
        const std::string number = std::exchange(text_, {});
        if (is_sentinel(number) && scan_->next_special < scan_->specials.size()) {
            const Special special = scan_->specials[scan_->next_special++];
            switch (special) {
            case Special::NaN:
                add(Value(std::numeric_limits<double>::quiet_NaN()));
                return true;
            case Special::PosInf:
                add(Value(std::numeric_limits<double>::infinity()));
                return true;
            case Special::NegInf:
                add(Value(-std::numeric_limits<double>::infinity()));
                return true;
            case Special::Literal:
                break;
            }
        }
        if (number.find_first_of(".eE") == std::string::npos) {
            add(Value::big_int(number));
        } else {
            add(Value(parse_double(number)));
        }
        return true;
    }
    bool on_bool(bool b, boost::json::error_code&) {
        add(Value(b));
        return true;
    }
    bool on_null(boost::json::error_code&) {
        add(Value());
        return true;
    }
    bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

private:
    // One per open array or object. Frames are kept when their container closes and reused by
    // the next one at that depth: a call's request opens a few, each parse would otherwise make
    // them anew.
    struct Frame {
        bool is_dict = false;
        Value::Items items;
        Value::Entries entries;
        // Position of each key in entries, made only for large objects: a repeated key
        // replaces the value in place (last wins, first position), as a Python dict does, and
        // the index keeps that linear. Small objects (every call's request) compare keys.
        std::unordered_map<std::string, std::size_t> positions;
        std::string key;
    };
    static constexpr std::size_t indexed_from = 16; // entries

    void open(bool is_dict) {
        if (depth_ == stack_.size()) {
            stack_.emplace_back();
        }
        Frame& frame = stack_[depth_++];
        frame.is_dict = is_dict;
        // Emptied by the close that moved them out; room for a call's few arguments or keys
        // at once instead of growing 1, 2, 4 (each growth moves every Value).
        constexpr std::size_t first_room = 4;
        if (is_dict) {
            frame.entries.reserve(first_room);
        } else {
            frame.items.reserve(first_room);
        }
    }

    // Where `key` already is in `frame`'s entries, or entries.size().
    static std::size_t position_of(Frame& frame, const std::string& key) {
        Value::Entries& entries = frame.entries;
        if (entries.size() < indexed_from) {
            for (std::size_t i = 0; i < entries.size(); ++i) {
                if (entries[i].first.as_string() == key) {
                    return i;
                }
            }
            return entries.size();
        }
        if (frame.positions.empty()) {
            for (std::size_t i = 0; i < entries.size(); ++i) {
                frame.positions.emplace(entries[i].first.as_string(), i);
            }
        }
        return frame.positions.try_emplace(key, entries.size()).first->second;
    }

    void add(Value value) {
        if (depth_ == 0) {
            result_ = std::move(value);
            return;
        }
        Frame& top = stack_[depth_ - 1];
        if (!top.is_dict) {
            top.items.push_back(std::move(value));
            return;
        }
        const std::size_t at = position_of(top, top.key);
        if (at == top.entries.size()) {
            top.entries.emplace_back(Value(std::move(top.key)), std::move(value));
        } else {
            top.entries[at].second = std::move(value);
        }
        top.key.clear();
    }

    std::vector<Frame> stack_;
    std::size_t depth_ = 0; // frames in use
    std::string text_;      // the string, key or number being assembled from parts
    Value result_;
    PreScan* scan_;
};

// The common case read directly: what every call carries (objects with a few keys, arrays,
// ASCII strings without escapes, numbers, true/false/null). Anything else (an escape, a
// non-ASCII byte, an integer of more than 18 digits, NaN, an error of any kind, deep or large
// objects) makes it give up, and the whole text goes through Boost's parser instead, which decides
// and words every error: both read the same values.
class PlainReader {
public:
    explicit PlainReader(std::string_view text)
        : p_(text.data()), end_(text.data() + text.size()) {}

    std::optional<Value> read() {
        Value value;
        if (!read_value(value, 0)) {
            return std::nullopt;
        }
        skip_space();
        if (p_ != end_) {
            return std::nullopt;
        }
        return value;
    }

private:
    static constexpr int depth_limit = 32;
    static constexpr std::size_t entries_limit = 16;          // keys compared one by one below this
    static constexpr int digits_limit = 18;                   // always within int64
    static constexpr std::ptrdiff_t number_length_limit = 24; // what the calls' floats need

    void skip_space() {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
            ++p_;
        }
    }

    bool take(char c) {
        skip_space();
        if (p_ != end_ && *p_ == c) {
            ++p_;
            return true;
        }
        return false;
    }

    // After the opening quote; false for anything but plain ASCII up to the closing quote.
    bool read_string(std::string_view& out) {
        // Eight bytes per step through long strings (a megabyte payload is one).
        const std::size_t length = detail::plain_prefix_length(
            std::string_view(p_, static_cast<std::size_t>(end_ - p_)),
            [](std::uint64_t word) {
                return (word & detail::high_bits) == 0 && !detail::has_byte(word, '"') &&
                       !detail::has_byte(word, '\\') && !detail::has_byte_below(word, 0x20);
            },
            [](unsigned char c) { return c != '"' && c != '\\' && c >= 0x20 && c < 0x80; });
        const char* close = p_ + length;
        if (close == end_ || *close != '"') {
            return false; // an escape, a control or non-ASCII byte, or no closing quote
        }
        out = std::string_view(p_, length);
        p_ = close + 1;
        return true;
    }

    // Each reads into `out` (a None) and says whether it could.
    bool read_value(Value& out, int depth) {
        skip_space();
        if (p_ == end_) {
            return false;
        }
        switch (*p_) {
        case '"': {
            ++p_;
            std::string_view text;
            if (!read_string(text)) {
                return false;
            }
            out = Value(std::string(text));
            return true;
        }
        case '{':
            return depth < depth_limit && read_object(out, depth + 1);
        case '[':
            return depth < depth_limit && read_array(out, depth + 1);
        case 't':
            return read_word("true", Value(true), out);
        case 'f':
            return read_word("false", Value(false), out);
        case 'n':
            return read_word("null", Value(), out);
        default:
            return read_number(out);
        }
    }

    bool read_word(std::string_view word, Value meaning, Value& out) {
        if (static_cast<std::size_t>(end_ - p_) < word.size() ||
            std::string_view(p_, word.size()) != word) {
            return false;
        }
        p_ += word.size();
        out = std::move(meaning);
        return true;
    }

    // A number as JSON writes it: an integer of up to 18 digits, or a float (read from its
    // text the way the full parser's handler reads it).
    bool read_number(Value& out) {
        const char* start = p_;
        const char* q = *p_ == '-' ? p_ + 1 : p_;
        const char* digits = q;
        std::uint64_t magnitude = 0; // meaningful up to digits_limit digits
        while (q != end_ && is_digit(*q)) {
            magnitude = magnitude * 10 + static_cast<std::uint64_t>(*q - '0');
            ++q;
        }
        const std::ptrdiff_t count = q - digits;
        if (count == 0 || (count > 1 && *digits == '0')) {
            return false; // not a number, or a leading zero (an error for Boost to word)
        }
        const bool fraction = q != end_ && *q == '.';
        if (fraction && !skip_digits(++q)) {
            return false;
        }
        const bool exponent = q != end_ && (*q == 'e' || *q == 'E');
        if (exponent) {
            ++q;
            if (q != end_ && (*q == '+' || *q == '-')) {
                ++q;
            }
            const char* exponent_digits = q;
            if (!skip_digits(q) || q - exponent_digits > 3) {
                return false; // Boost refuses some long exponents: its words, not a value
            }
        }
        if (q - start > number_length_limit) {
            return false; // long: left to Boost's reading and limits
        }
        p_ = q;
        if (fraction || exponent) {
            out = Value(parse_double(std::string_view(start, static_cast<std::size_t>(q - start))));
            return true;
        }
        if (count > digits_limit) {
            return false; // may not fit 64 bits: the full parser makes it an int of any size
        }
        const auto value = static_cast<std::int64_t>(magnitude);
        out = Value(*start == '-' ? -value : value);
        return true;
    }

    static bool is_digit(char c) { return c >= '0' && c <= '9'; }

    // One digit or more at q, which is moved past them.
    bool skip_digits(const char*& q) const {
        const char* first = q;
        while (q != end_ && is_digit(*q)) {
            ++q;
        }
        return q != first;
    }

    bool read_array(Value& out, int depth) {
        ++p_;
        Value::Items items;
        if (!take(']')) {
            do {
                items.emplace_back();
                if (!read_value(items.back(), depth)) {
                    return false;
                }
            } while (take(','));
            if (!take(']')) {
                return false;
            }
        }
        out = Value::list(std::move(items));
        return true;
    }

    bool read_object(Value& out, int depth) {
        ++p_;
        Value::Entries entries;
        if (!take('}')) {
            entries.reserve(4);
            do {
                std::string_view key;
                if (!take('"') || !read_string(key) || !take(':')) {
                    return false;
                }
                // A repeated key keeps its first position and takes the last value, as in
                // Python.
                const auto same = std::find_if(entries.begin(), entries.end(), [&](const auto& e) {
                    return e.first.as_string() == key;
                });
                if (same != entries.end()) {
                    Value value;
                    if (!read_value(value, depth)) {
                        return false;
                    }
                    same->second = std::move(value);
                    continue;
                }
                if (entries.size() == entries_limit) {
                    return false;
                }
                entries.emplace_back(Value(std::string(key)), Value());
                if (!read_value(entries.back().second, depth)) {
                    return false;
                }
            } while (take(','));
            if (!take('}')) {
                return false;
            }
        }
        out = Value::dict(std::move(entries));
        return true;
    }

    const char* p_;
    const char* end_;
};

} // namespace

std::string to_json(const Value& value) {
    std::string out;
    write_value(out, value, 0);
    return out;
}

namespace detail {

std::optional<Value> from_plain_json(std::string_view text) {
    return PlainReader(text).read();
}

Value from_any_json(std::string_view text) {
    PreScan scan = pre_scan(text);
    const std::string_view input = scan.patched ? std::string_view(*scan.patched) : text;

    boost::json::parse_options options;
    options.max_depth = max_nesting_depth;
    boost::json::basic_parser<ValueBuilder> parser(options, &scan);
    boost::json::error_code ec;
    const std::size_t used = parser.write_some(false, input.data(), input.size(), ec);
    // On failure write_some returns the offset where parsing stopped.
    if (ec) {
        throw SerializeError("json: " + ec.message() + " at offset " + std::to_string(used));
    }
    if (used != input.size()) {
        throw SerializeError("json: extra data at offset " + std::to_string(used));
    }
    return parser.handler().take_result();
}

} // namespace detail

Value from_json(std::string_view text) {
    if (std::optional<Value> plain = detail::from_plain_json(text)) {
        return std::move(*plain);
    }
    return detail::from_any_json(text);
}

} // namespace pyro
