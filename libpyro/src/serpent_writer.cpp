// The serpent writer (PYRO4-WIRE.md §6.2–§6.3): produces the bytes Pyro4's serpent 1.41 writes,
// so golden frames re-encode byte for byte.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>

#include "base64.hpp"
#include "float_repr.hpp"
#include "pyro/serializer.hpp"
#include "serpent.hpp"
#include "str_repr.hpp"
#include "utf8.hpp"

namespace pyro {
namespace {

using detail::serpent_error;

// What serpent writes for values that have no Python literal (§6.2).
constexpr std::string_view nan_literal = "{'__class__':'float','value':'nan'}";
constexpr std::string_view inf_literal = "1e30000";

// True when Python can read the written key back into a dict or set: serpent itself refuses
// None (and everything but bool, bytes, str, tuple and numbers), and a NaN, a bytes value, a
// list, dict or set would arrive as an unhashable list or dict.
bool is_hashable_key(const Value& value, bool inside_tuple) {
    switch (value.kind()) {
    case Value::Kind::None:
        return inside_tuple;
    case Value::Kind::Bool:
    case Value::Kind::Int:
    case Value::Kind::BigInt:
    case Value::Kind::Complex:
    case Value::Kind::String:
        return true;
    case Value::Kind::Float:
        return !std::isnan(value.as_float());
    case Value::Kind::Tuple:
        return std::all_of(value.items().begin(), value.items().end(),
                           [](const Value& item) { return is_hashable_key(item, true); });
    case Value::Kind::Bytes:
    case Value::Kind::List:
    case Value::Kind::Set:
    case Value::Kind::Dict:
        return false;
    }
    return false;
}

class Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}

    // depth counts the brackets already open around value.
    void write(const Value& value, std::size_t depth) {
        switch (value.kind()) {
        case Value::Kind::None:
            out_ += "None";
            break;
        case Value::Kind::Bool:
            out_ += value.as_bool() ? "True" : "False";
            break;
        case Value::Kind::Int:
            out_ += std::to_string(value.as_int());
            break;
        case Value::Kind::BigInt:
            out_ += value.as_decimal();
            break;
        case Value::Kind::Float:
            write_float(value.as_float(), depth);
            break;
        case Value::Kind::Complex:
            write_complex(value.as_complex(), depth);
            break;
        case Value::Kind::String:
            write_string(value.as_string());
            break;
        case Value::Kind::Bytes:
            // Not a literal of its own: Python's repr of the dict serpent builds, spaces included.
            open_bracket(depth);
            out_ += "{'data': '";
            detail::base64_append(out_, value.as_bytes());
            out_ += "', 'encoding': 'base64'}";
            break;
        case Value::Kind::List:
            write_items(value.items(), '[', ']', depth, false);
            break;
        case Value::Kind::Tuple:
            write_items(value.items(), '(', ')', depth, false);
            break;
        case Value::Kind::Set:
            // Python has no literal for an empty set; serpent sends an empty tuple.
            write_items(value.items(), value.items().empty() ? '(' : '{',
                        value.items().empty() ? ')' : '}', depth, true);
            break;
        case Value::Kind::Dict:
            write_dict(value.entries(), depth);
            break;
        }
    }

private:
    // Keeps every written text readable by from_serpent and by Python, whose tokenizer refuses
    // more than 200 nested brackets.
    static void open_bracket(std::size_t depth) {
        if (depth + 1 > max_nesting_depth) {
            serpent_error("cannot write a value nested deeper than " +
                          std::to_string(max_nesting_depth) + " levels");
        }
    }

    void write_float(double value, std::size_t depth) {
        if (std::isnan(value)) {
            open_bracket(depth);
            out_ += nan_literal;
        } else if (std::isinf(value)) {
            if (value < 0) {
                out_ += '-';
            }
            out_ += inf_literal;
        } else {
            out_ += detail::python_float_repr(value);
        }
    }

    void write_complex(Complex value, std::size_t depth) {
        // serpent would write the nan dict inside the parentheses, which no reader accepts.
        if (std::isnan(value.real) || std::isnan(value.imag)) {
            serpent_error("cannot write a complex number with a NaN part");
        }
        open_bracket(depth);
        out_ += '(';
        write_float(value.real, depth + 1);
        // serpent writes "+" then repr(imag), so -0.0 gives "+-0.0j", which Python refuses to
        // read; "-0.0j" is the same number in a form both readers take.
        if (std::signbit(value.imag)) {
            out_ += '-';
            write_float(-value.imag, depth + 1);
        } else {
            out_ += '+';
            write_float(value.imag, depth + 1);
        }
        out_ += "j)";
    }

    void write_string(std::string_view text) {
        if (!detail::is_valid_utf8(text)) {
            serpent_error("cannot write a str that is not valid UTF-8");
        }
        detail::append_str_repr(out_, text);
    }

    void check_key(const Value& key, const char* where) {
        if (!is_hashable_key(key, false)) {
            serpent_error(
                std::string("a ") + where +
                " must be a str, int, float, complex, bool or tuple that Python can hash, not " +
                std::string(key.type_name()));
        }
    }

    void write_items(const Value::Items& items, char open, char close, std::size_t depth,
                     bool is_set) {
        open_bracket(depth);
        out_ += open;
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i > 0) {
                out_ += ',';
            }
            if (is_set) {
                check_key(items[i], "set element");
            }
            write(items[i], depth + 1);
        }
        if (open == '(' && items.size() == 1) {
            out_ += ',';
        }
        out_ += close;
    }

    void write_dict(const Value::Entries& entries, std::size_t depth) {
        open_bracket(depth);
        out_ += '{';
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (i > 0) {
                out_ += ',';
            }
            check_key(entries[i].first, "dict key");
            write(entries[i].first, depth + 1);
            out_ += ':';
            write(entries[i].second, depth + 1);
        }
        out_ += '}';
    }

    std::string& out_;
};

} // namespace

std::string to_serpent(const Value& value) {
    std::string out(detail::serpent_header);
    Writer(out).write(value, 0);
    return out;
}

} // namespace pyro
