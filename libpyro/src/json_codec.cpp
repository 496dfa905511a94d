// The json serializer (PYRO4-WIRE.md §6.1): a writer byte-identical to Python's
// json.dumps(value, ensure_ascii=False), and a reader built on Boost.JSON's SAX parser.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
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
    std::deque<Special> specials;
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

    explicit ValueBuilder(std::deque<Special>* specials) : specials_(specials) {}

    Value take_result() { return std::move(result_); }

    bool on_document_begin(boost::json::error_code&) { return true; }
    bool on_document_end(boost::json::error_code&) { return true; }

    bool on_array_begin(boost::json::error_code&) {
        stack_.emplace_back();
        return true;
    }
    bool on_array_end(std::size_t, boost::json::error_code&) {
        Value list = Value::list(std::move(stack_.back().items));
        stack_.pop_back();
        add(std::move(list));
        return true;
    }
    bool on_object_begin(boost::json::error_code&) {
        stack_.emplace_back();
        stack_.back().is_dict = true;
        return true;
    }
    bool on_object_end(std::size_t, boost::json::error_code&) {
        Value dict = Value::dict(std::move(stack_.back().entries));
        stack_.pop_back();
        add(std::move(dict));
        return true;
    }

    bool on_string_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        text_.append(s.data(), s.size());
        add(Value(std::exchange(text_, {})));
        return true;
    }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        text_.append(s.data(), s.size());
        stack_.back().key = std::exchange(text_, {});
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
        if (is_sentinel(number) && !specials_->empty()) {
            const Special special = specials_->front();
            specials_->pop_front();
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
    struct Frame {
        bool is_dict = false;
        Value::Items items;
        Value::Entries entries;
        // Position of each key in entries: a repeated key replaces the value in place (last
        // wins, first position), as a Python dict does; the index keeps that linear.
        std::unordered_map<std::string, std::size_t> positions;
        std::string key;
    };

    void add(Value value) {
        if (stack_.empty()) {
            result_ = std::move(value);
            return;
        }
        Frame& top = stack_.back();
        if (!top.is_dict) {
            top.items.push_back(std::move(value));
            return;
        }
        const auto [it, inserted] = top.positions.try_emplace(top.key, top.entries.size());
        if (inserted) {
            top.entries.emplace_back(Value(std::move(top.key)), std::move(value));
        } else {
            top.entries[it->second].second = std::move(value);
        }
        top.key.clear();
    }

    std::deque<Special>* specials_;
    std::vector<Frame> stack_;
    std::string text_; // the string, key or number being assembled from parts
    Value result_;
};

} // namespace

std::string to_json(const Value& value) {
    std::string out;
    write_value(out, value, 0);
    return out;
}

Value from_json(std::string_view text) {
    PreScan scan = pre_scan(text);
    const std::string_view input = scan.patched ? std::string_view(*scan.patched) : text;

    boost::json::parse_options options;
    options.max_depth = max_nesting_depth;
    boost::json::basic_parser<ValueBuilder> parser(options, &scan.specials);
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

} // namespace pyro
