// Conversions between C++ types and pyro::Value, used for the arguments and results of remote
// calls. Supported out of the box: Value, bool, integers, floating point, std::string, Bytes,
// std::vector, std::set, std::map<std::string, …>, std::optional (None ↔ nullopt) and Uri
// (proxy.hpp adds Proxy).
//
// For a type of your own, specialise pyro::convert:
//
//   template <> struct pyro::convert<Point> {
//       static constexpr std::string_view python_name = "dict";
//       static Value to(const Point& p) { return Value::dict({{"x", p.x}, {"y", p.y}}); }
//       static Point from(const Value& v) { return {v.at("x").as_float(), v.at("y").as_float()}; }
//   };
//
// from() throws pyro::TypeError when the value has another type; the message names both types.
#pragma once

#include <cerrno>
#include <cmath>
#include <concepts>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "pyro/errors.hpp"
#include "pyro/uri.hpp"
#include "pyro/value.hpp"

namespace pyro {

template <class T, class Enable = void>
struct convert; // no conversion for this type: specialise pyro::convert<T> (see above)

template <class T>
[[nodiscard]] Value to_value(const T& value) {
    if constexpr (requires { convert<T>::to(value); }) {
        return convert<T>::to(value);
    } else {
        // String literals and the like: whatever Value itself can be made from.
        static_assert(std::is_constructible_v<Value, const T&>,
                      "no conversion to pyro::Value: specialise pyro::convert<T> (see above)");
        return Value(value);
    }
}

template <class T>
[[nodiscard]] T from_value(const Value& value) {
    return convert<T>::from(value);
}

template <class T>
concept Convertible = requires(const T& t, const Value& v) {
    { convert<T>::to(t) } -> std::convertible_to<Value>;
    { convert<T>::from(v) } -> std::convertible_to<T>;
};

namespace detail {
[[noreturn]] inline void wrong_type(std::string_view expected, const Value& actual) {
    throw TypeError("expected " + std::string(expected) + ", got " +
                    std::string(actual.type_name()));
}
} // namespace detail

template <>
struct convert<Value> {
    static constexpr std::string_view python_name = "object";
    static Value to(const Value& v) { return v; }
    static Value from(const Value& v) { return v; }
};

template <>
struct convert<bool> {
    static constexpr std::string_view python_name = "bool";
    static Value to(bool b) { return Value(b); }
    static bool from(const Value& v) { return v.as_bool(); }
};

namespace detail {
// "int32_t", "uint64_t": how messages name a C++ integer type.
template <std::integral T>
std::string integer_type_name() {
    return std::string(std::is_signed_v<T> ? "int" : "uint") + std::to_string(sizeof(T) * 8) + "_t";
}

// Python's OverflowError for an int the C++ type cannot hold (never a wrapped value).
template <std::integral T>
[[noreturn]] void int_overflow(const std::string& decimal) {
    if (std::is_unsigned_v<T> && decimal.front() == '-') {
        throw RemoteError("builtins.OverflowError", "can't convert negative int to unsigned (" +
                                                        decimal + " to C++ " +
                                                        integer_type_name<T>() + ")");
    }
    throw RemoteError("builtins.OverflowError",
                      "Python int too large to convert to C++ " + integer_type_name<T>() + " (" +
                          decimal + " is outside " + std::to_string(std::numeric_limits<T>::min()) +
                          " to " + std::to_string(std::numeric_limits<T>::max()) + ")");
}
} // namespace detail

// An int the type cannot hold throws RemoteError("builtins.OverflowError"), which a Python
// caller receives as OverflowError.
template <std::integral T>
requires(!std::same_as<T, bool>) struct convert<T> {
    static constexpr std::string_view python_name = "int";
    static Value to(T i) { return Value(i); }
    static T from(const Value& v) {
        if (!v.is_integer()) {
            detail::wrong_type("int", v);
        }
        if (v.kind() == Value::Kind::Int) {
            const std::int64_t i = v.as_int();
            if (std::in_range<T>(i)) {
                return static_cast<T>(i);
            }
        } else if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
            // Only an unsigned 64-bit target can hold some big ints.
            const std::string digits = v.as_decimal();
            if (digits.front() != '-' && digits.size() <= 20) {
                errno = 0;
                const unsigned long long u = std::strtoull(digits.c_str(), nullptr, 10);
                if (errno == 0) {
                    return static_cast<T>(u);
                }
            }
        }
        detail::int_overflow<T>(v.as_decimal());
    }
};

// A float beyond the target's range throws RemoteError("builtins.OverflowError"); an int too
// large for a double does too (Value::as_float), as in Python.
template <std::floating_point T>
struct convert<T> {
    static constexpr std::string_view python_name = "float";
    static Value to(T d) { return Value(static_cast<double>(d)); }
    static T from(const Value& v) {
        if (!v.is_float() && !v.is_integer()) {
            detail::wrong_type("float", v);
        }
        const double d = v.as_float();
        if constexpr (sizeof(T) < sizeof(double)) {
            if (std::isfinite(d) &&
                std::abs(d) > static_cast<double>(std::numeric_limits<T>::max())) {
                throw RemoteError("builtins.OverflowError",
                                  "float too large to convert to C++ float (" + v.repr() + ")");
            }
        }
        return static_cast<T>(d);
    }
};

template <>
struct convert<std::string> {
    static constexpr std::string_view python_name = "str";
    static Value to(const std::string& s) { return Value(s); }
    static std::string from(const Value& v) { return v.as_string(); }
};

template <>
struct convert<Bytes> {
    static constexpr std::string_view python_name = "bytes";
    static Value to(const Bytes& b) { return Value(b); }
    // Also accepts the {'data': <base64>, 'encoding': 'base64'} dict serpent sends for bytes.
    static Bytes from(const Value& v);
};

template <Convertible T>
struct convert<std::optional<T>> {
    static constexpr std::string_view python_name = convert<T>::python_name;
    static Value to(const std::optional<T>& o) { return o ? to_value(*o) : Value(); }
    static std::optional<T> from(const Value& v) {
        if (v.is_none()) {
            return std::nullopt;
        }
        return from_value<T>(v);
    }
};

template <Convertible T>
struct convert<std::vector<T>> {
    static constexpr std::string_view python_name = "list";
    static Value to(const std::vector<T>& items) {
        Value::Items out;
        out.reserve(items.size());
        for (const auto& item : items) {
            out.push_back(to_value(item));
        }
        return Value::list(std::move(out));
    }
    // Any sequence: Pyro4 peers send tuples and sets where C++ thinks of a vector.
    static std::vector<T> from(const Value& v) {
        if (!v.is_sequence()) {
            detail::wrong_type("list", v);
        }
        std::vector<T> out;
        out.reserve(v.items().size());
        for (const auto& item : v.items()) {
            out.push_back(from_value<T>(item));
        }
        return out;
    }
};

template <Convertible T>
struct convert<std::set<T>> {
    static constexpr std::string_view python_name = "set";
    static Value to(const std::set<T>& items) {
        Value::Items out;
        for (const auto& item : items) {
            out.push_back(to_value(item));
        }
        return Value::set(std::move(out));
    }
    static std::set<T> from(const Value& v) {
        if (!v.is_sequence()) {
            detail::wrong_type("set", v);
        }
        std::set<T> out;
        for (const auto& item : v.items()) {
            out.insert(from_value<T>(item));
        }
        return out;
    }
};

template <Convertible T>
struct convert<std::map<std::string, T>> {
    static constexpr std::string_view python_name = "dict";
    static Value to(const std::map<std::string, T>& map) {
        Value::Entries out;
        for (const auto& [key, item] : map) {
            out.emplace_back(Value(key), to_value(item));
        }
        return Value::dict(std::move(out));
    }
    static std::map<std::string, T> from(const Value& v) {
        if (!v.is_dict()) {
            detail::wrong_type("dict", v);
        }
        std::map<std::string, T> out;
        for (const auto& [key, item] : v.entries()) {
            if (!key.is_string()) {
                throw TypeError("expected str dict keys, got " + std::string(key.type_name()));
            }
            out.insert_or_assign(key.as_string(), from_value<T>(item));
        }
        return out;
    }
};

template <>
struct convert<Uri> {
    static constexpr std::string_view python_name = "URI";
    static Value to(const Uri& uri) { return pyro::to_value(uri); }
    static Uri from(const Value& v) { return uri_from_value(v); }
};

namespace detail {
// Throws the error a caller gets when a reply does not convert (see reply_from_value).
[[noreturn]] void bad_reply(std::string_view method, const Value& reply, std::string_view expected,
                            const RemoteError& error);
} // namespace detail

// The result of a remote call as a T, for a caller that expected one (Proxy::call<T>): a reply of
// another type throws TypeError saying so, "the server's reply to echo() was an int (42),
// expected a str" (an int too large for T: OverflowError, worded the same way).
template <class T>
[[nodiscard]] T reply_from_value(std::string_view method, const Value& reply) {
    try {
        return from_value<T>(reply);
    } catch (const RemoteError& error) {
        if constexpr (requires { convert<T>::python_name; }) {
            detail::bad_reply(method, reply, convert<T>::python_name, error);
        } else {
            detail::bad_reply(method, reply, {}, error);
        }
    }
}

} // namespace pyro
