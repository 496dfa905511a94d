#include "pyro/value.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

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
        throw TypeError("integer " + std::get<std::string>(data_) + " does not fit in 64 bits");
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
        return std::strtod(std::get<std::string>(data_).c_str(), nullptr);
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
