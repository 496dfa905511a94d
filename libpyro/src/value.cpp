#include "pyro/value.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include <boost/multiprecision/cpp_int.hpp>

#include "float_repr.hpp"
#include "pyro/errors.hpp"
#include "str_repr.hpp"

namespace pyro {

namespace {

bool is_decimal_integer(std::string_view text) {
    if (!text.empty() && text.front() == '-') {
        text.remove_prefix(1);
    }
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

using BigInteger = boost::multiprecision::cpp_int;

// Python's limit for int <-> str conversions; beyond it converting text costs quadratic time,
// which a peer could use to stall a server.
constexpr std::size_t max_int_digits = 4300;

BigInteger to_big(const Value& integer) {
    if (integer.kind() == Value::Kind::Int) {
        return BigInteger(integer.as_int());
    }
    const std::string decimal = integer.as_decimal();
    const std::size_t digits = decimal.size() - (decimal.front() == '-' ? 1 : 0);
    if (digits > max_int_digits) {
        throw RemoteError("builtins.ValueError",
                          "Exceeds the limit (4300 digits) for integer string conversion: value "
                          "has " +
                              std::to_string(digits) + " digits");
    }
    return BigInteger(decimal);
}

Value from_big(const BigInteger& number) {
    if (number >= std::numeric_limits<std::int64_t>::min() &&
        number <= std::numeric_limits<std::int64_t>::max()) {
        return Value(number.convert_to<std::int64_t>());
    }
    return Value::big_int(number.str());
}

// Python's float(int): the nearest double, or OverflowError beyond the largest finite one.
double big_to_double(const std::string& decimal) {
    const double d = std::strtod(decimal.c_str(), nullptr);
    if (std::isinf(d)) {
        throw RemoteError("builtins.OverflowError", "int too large to convert to float");
    }
    return d;
}

[[noreturn]] void unsupported_operands(const Value& a, const Value& b) {
    throw TypeError("unsupported operand type(s) for +: '" + std::string(a.type_name()) +
                    "' and '" + std::string(b.type_name()) + "'");
}

// bool, int: what Python's int arithmetic takes.
bool is_int_like(const Value& v) {
    return v.is_integer() || v.is_bool();
}

Value as_int_value(const Value& v) {
    return v.is_bool() ? Value(v.as_bool() ? 1 : 0) : v;
}

// Python's float(x) for an operand of float arithmetic.
double float_operand(const Value& v) {
    return v.is_bool() ? (v.as_bool() ? 1.0 : 0.0) : v.as_float();
}

Complex complex_operand(const Value& v) {
    return v.kind() == Value::Kind::Complex ? v.as_complex() : Complex{float_operand(v), 0.0};
}

[[noreturn]] void wrong_kind(std::string_view expected, const Value& actual) {
    throw TypeError("expected " + std::string(expected) + ", got " +
                    std::string(actual.type_name()));
}

bool same_float(double a, double b) {
    if (std::isnan(a) || std::isnan(b)) {
        return std::isnan(a) && std::isnan(b);
    }
    return a == b && std::signbit(a) == std::signbit(b);
}

// Sets are unordered: each element of one must pair with a distinct equal element of the other.
bool same_elements(const Value::Items& a, const Value::Items& b) {
    if (a.size() != b.size()) {
        return false;
    }
    std::vector<bool> used(b.size(), false);
    for (const Value& item : a) {
        bool found = false;
        for (std::size_t i = 0; i < b.size(); ++i) {
            if (!used[i] && item == b[i]) {
                used[i] = true;
                found = true;
                break;
            }
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

void append_repr(std::string& out, const Value& value);

void append_items(std::string& out, const Value::Items& items, const char* open,
                  const char* close) {
    out += open;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += ", ";
        }
        append_repr(out, items[i]);
    }
    out += close;
}

void append_repr(std::string& out, const Value& value) {
    switch (value.kind()) {
    case Value::Kind::None:
        out += "None";
        break;
    case Value::Kind::Bool:
        out += value.as_bool() ? "True" : "False";
        break;
    case Value::Kind::Int:
    case Value::Kind::BigInt:
        out += value.as_decimal();
        break;
    case Value::Kind::Float:
        out += detail::python_float_repr(value.as_float());
        break;
    case Value::Kind::Complex: {
        const Complex c = value.as_complex();
        out += '(' + detail::python_float_repr(c.real);
        const std::string imag = detail::python_float_repr(c.imag);
        out += (imag.front() == '-' ? "" : "+") + imag + "j)";
        break;
    }
    case Value::Kind::String:
        detail::append_str_repr(out, value.as_string());
        break;
    case Value::Kind::Bytes: {
        out += "b'";
        for (std::uint8_t byte : value.as_bytes()) {
            if (byte >= 0x20 && byte < 0x7F && byte != '\'' && byte != '\\') {
                out += static_cast<char>(byte);
            } else {
                char escape[5];
                std::snprintf(escape, sizeof escape, "\\x%02x", byte);
                out += escape;
            }
        }
        out += '\'';
        break;
    }
    case Value::Kind::List:
        append_items(out, value.items(), "[", "]");
        break;
    case Value::Kind::Tuple:
        append_items(out, value.items(), "(", value.items().size() == 1 ? ",)" : ")");
        break;
    case Value::Kind::Set:
        if (value.items().empty()) {
            out += "set()";
        } else {
            append_items(out, value.items(), "{", "}");
        }
        break;
    case Value::Kind::Dict: {
        out += '{';
        bool first = true;
        for (const auto& [key, item] : value.entries()) {
            if (!first) {
                out += ", ";
            }
            first = false;
            append_repr(out, key);
            out += ": ";
            append_repr(out, item);
        }
        out += '}';
        break;
    }
    }
}

} // namespace

Value Value::list(Items items) {
    Value v;
    v.kind_ = Kind::List;
    v.data_ = std::move(items);
    return v;
}

Value Value::tuple(Items items) {
    Value v = list(std::move(items));
    v.kind_ = Kind::Tuple;
    return v;
}

Value Value::set(Items items) {
    Value v = list(std::move(items));
    v.kind_ = Kind::Set;
    return v;
}

Value Value::dict(Entries entries) {
    Value v;
    v.kind_ = Kind::Dict;
    v.data_ = std::move(entries);
    return v;
}

Value Value::big_int(std::string_view decimal) {
    if (!is_decimal_integer(decimal)) {
        throw TypeError("not a decimal integer: '" + std::string(decimal) + "'");
    }
    // Canonical text: no leading zeros, no "-0", so equal numbers compare equal.
    const bool negative = decimal.front() == '-';
    std::string_view digits = negative ? decimal.substr(1) : decimal;
    const auto first_nonzero = digits.find_first_not_of('0');
    digits = first_nonzero == std::string_view::npos ? std::string_view("0")
                                                     : digits.substr(first_nonzero);
    std::string canonical = (negative && digits != "0" ? "-" : "") + std::string(digits);
    // Fits in 64 bits? Compare as text against the limits to avoid overflow.
    const std::string_view limit = negative ? "9223372036854775808" : "9223372036854775807";
    if (digits.size() < limit.size() || (digits.size() == limit.size() && digits <= limit)) {
        std::int64_t result = 0;
        for (char c : digits) {
            // Accumulate negatively so INT64_MIN is reachable.
            result = result * 10 - (c - '0');
        }
        return Value(negative ? result : -result);
    }
    Value v;
    v.kind_ = Kind::BigInt;
    v.data_ = std::move(canonical);
    return v;
}

std::string_view Value::type_name() const {
    switch (kind_) {
    case Kind::None:
        return "NoneType";
    case Kind::Bool:
        return "bool";
    case Kind::Int:
    case Kind::BigInt:
        return "int";
    case Kind::Float:
        return "float";
    case Kind::Complex:
        return "complex";
    case Kind::String:
        return "str";
    case Kind::Bytes:
        return "bytes";
    case Kind::List:
        return "list";
    case Kind::Tuple:
        return "tuple";
    case Kind::Set:
        return "set";
    case Kind::Dict:
        return "dict";
    }
    return "?";
}

bool Value::as_bool() const {
    if (kind_ != Kind::Bool) {
        wrong_kind("bool", *this);
    }
    return std::get<bool>(data_);
}

std::int64_t Value::as_int() const {
    if (kind_ == Kind::BigInt) {
        throw RemoteError("builtins.OverflowError",
                          "Python int too large to convert to C++ int64_t (" +
                              std::get<std::string>(data_) + ")");
    }
    if (kind_ != Kind::Int) {
        wrong_kind("int", *this);
    }
    return std::get<std::int64_t>(data_);
}

double Value::as_float() const {
    switch (kind_) {
    case Kind::Float:
        return std::get<double>(data_);
    case Kind::Int:
        return static_cast<double>(std::get<std::int64_t>(data_));
    case Kind::BigInt:
        return big_to_double(std::get<std::string>(data_));
    default:
        wrong_kind("float", *this);
    }
}

Complex Value::as_complex() const {
    if (kind_ != Kind::Complex) {
        wrong_kind("complex", *this);
    }
    return std::get<Complex>(data_);
}

const std::string& Value::as_string() const {
    if (kind_ != Kind::String) {
        wrong_kind("str", *this);
    }
    return std::get<std::string>(data_);
}

std::string Value::as_decimal() const {
    if (kind_ == Kind::Int) {
        return std::to_string(std::get<std::int64_t>(data_));
    }
    if (kind_ == Kind::BigInt) {
        return std::get<std::string>(data_);
    }
    wrong_kind("int", *this);
}

const Bytes& Value::as_bytes() const {
    if (kind_ != Kind::Bytes) {
        wrong_kind("bytes", *this);
    }
    return std::get<Bytes>(data_);
}

const Value::Items& Value::items() const {
    if (!is_sequence()) {
        wrong_kind("list, tuple or set", *this);
    }
    return std::get<Items>(data_);
}

Value::Items& Value::items() {
    if (!is_sequence()) {
        wrong_kind("list, tuple or set", *this);
    }
    return std::get<Items>(data_);
}

const Value::Entries& Value::entries() const {
    if (kind_ != Kind::Dict) {
        wrong_kind("dict", *this);
    }
    return std::get<Entries>(data_);
}

Value::Entries& Value::entries() {
    if (kind_ != Kind::Dict) {
        wrong_kind("dict", *this);
    }
    return std::get<Entries>(data_);
}

const Value* Value::find(std::string_view key) const {
    if (kind_ != Kind::Dict) {
        return nullptr;
    }
    for (const auto& [k, v] : std::get<Entries>(data_)) {
        if (k.kind_ == Kind::String && std::get<std::string>(k.data_) == key) {
            return &v;
        }
    }
    return nullptr;
}

const Value& Value::at(std::string_view key) const {
    if (kind_ != Kind::Dict) {
        wrong_kind("dict", *this);
    }
    if (const Value* found = find(key)) {
        return *found;
    }
    throw TypeError("missing key '" + std::string(key) + "'");
}

void Value::set_item(std::string_view key, Value value) {
    for (auto& [k, v] : entries()) {
        if (k.kind_ == Kind::String && std::get<std::string>(k.data_) == key) {
            v = std::move(value);
            return;
        }
    }
    entries().emplace_back(Value(key), std::move(value));
}

std::string Value::repr() const {
    std::string out;
    append_repr(out, *this);
    return out;
}

Value operator+(const Value& a, const Value& b) {
    const auto numeric = [](const Value& v) {
        return is_int_like(v) || v.is_float() || v.kind() == Value::Kind::Complex;
    };
    if (is_int_like(a) && is_int_like(b)) {
        const Value x = as_int_value(a);
        const Value y = as_int_value(b);
        if (x.is_int() && y.is_int()) {
            std::int64_t sum = 0;
            if (!__builtin_add_overflow(x.as_int(), y.as_int(), &sum)) {
                return Value(sum);
            }
        }
        // Beyond 64 bits (or on the way there): exact, as Python's int is.
        return from_big(to_big(x) + to_big(y));
    }
    if (numeric(a) && numeric(b)) {
        if (a.kind() == Value::Kind::Complex || b.kind() == Value::Kind::Complex) {
            const Complex x = complex_operand(a);
            const Complex y = complex_operand(b);
            return Value(Complex{x.real + y.real, x.imag + y.imag});
        }
        return Value(float_operand(a) + float_operand(b));
    }
    if (a.kind() == b.kind()) {
        switch (a.kind()) {
        case Value::Kind::String:
            return Value(a.as_string() + b.as_string());
        case Value::Kind::Bytes: {
            Bytes joined = a.as_bytes();
            joined.insert(joined.end(), b.as_bytes().begin(), b.as_bytes().end());
            return Value(std::move(joined));
        }
        case Value::Kind::List:
        case Value::Kind::Tuple: {
            Value::Items joined = a.items();
            joined.insert(joined.end(), b.items().begin(), b.items().end());
            return a.kind() == Value::Kind::List ? Value::list(std::move(joined))
                                                 : Value::tuple(std::move(joined));
        }
        default:
            break;
        }
    }
    // Python words the errors of the sequence types its own way.
    if (a.is_string() || a.kind() == Value::Kind::List || a.kind() == Value::Kind::Tuple) {
        const std::string name(a.type_name());
        throw TypeError("can only concatenate " + name + " (not \"" + std::string(b.type_name()) +
                        "\") to " + name);
    }
    if (a.is_bytes()) {
        throw TypeError("can't concat " + std::string(b.type_name()) + " to bytes");
    }
    unsupported_operands(a, b);
}

bool operator==(const Value& a, const Value& b) {
    if (a.kind_ != b.kind_) {
        return false;
    }
    switch (a.kind_) {
    case Value::Kind::Float:
        return same_float(std::get<double>(a.data_), std::get<double>(b.data_));
    case Value::Kind::Complex: {
        const auto& x = std::get<Complex>(a.data_);
        const auto& y = std::get<Complex>(b.data_);
        return same_float(x.real, y.real) && same_float(x.imag, y.imag);
    }
    case Value::Kind::Set:
        return same_elements(std::get<Value::Items>(a.data_), std::get<Value::Items>(b.data_));
    default:
        return a.data_ == b.data_;
    }
}

} // namespace pyro
