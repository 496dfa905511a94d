// pyro::Value — the dynamic value that travels in Pyro payloads.
//
// It keeps every distinction the serpent format makes (tuple, list and set; bytes; complex; ints
// beyond 64 bits), so a payload decoded and encoded again gives the same bytes. The json codec
// maps it to json's smaller model (tuples and sets become arrays, as in Pyro4).
//
// Value is a regular type: copyable, comparable, no shared state. It is not thread-safe to mutate
// one Value from two threads.
#pragma once

#include <compare>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace pyro {

struct Complex {
    double real = 0.0;
    double imag = 0.0;
    friend bool operator==(const Complex&, const Complex&) = default;
};

using Bytes = std::vector<std::uint8_t>;

class Value {
public:
    // The Python type a Value stands for. Int holds a 64-bit integer; BigInt holds an integer
    // that does not fit, as canonical decimal text ("-1267650600228229401496703205376").
    enum class Kind : std::uint8_t {
        None,
        Bool,
        Int,
        BigInt,
        Float,
        Complex,
        String,
        Bytes,
        List,
        Tuple,
        Set,
        Dict
    };

    using Items = std::vector<Value>;
    using Entry = std::pair<Value, Value>;
    using Entries = std::vector<Entry>;

    Value() = default; // None
    Value(std::nullptr_t) {}
    Value(bool b) : kind_(Kind::Bool), data_(b) {}
    template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>) Value(T i) {
        if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
            if (i > static_cast<T>(INT64_MAX)) {
                *this = big_int(std::to_string(i));
                return;
            }
        }
        kind_ = Kind::Int;
        data_ = static_cast<std::int64_t>(i);
    }
    Value(double d) : kind_(Kind::Float), data_(d) {}
    Value(Complex c) : kind_(Kind::Complex), data_(c) {}
    Value(std::string s) : kind_(Kind::String), data_(std::move(s)) {}
    Value(std::string_view s) : Value(std::string(s)) {}
    Value(const char* s) : Value(std::string(s)) {}
    Value(Bytes b) : kind_(Kind::Bytes), data_(std::move(b)) {}

    static Value list(Items items = {});
    static Value tuple(Items items = {});
    static Value set(Items items = {});
    static Value dict(Entries entries = {});
    // An integer from decimal text of any length; it becomes Kind::Int when it fits in 64 bits.
    // Throws TypeError when the text is not an optional '-' followed by digits.
    static Value big_int(std::string_view decimal);

    [[nodiscard]] Kind kind() const { return kind_; }
    // The Python type name: "NoneType", "bool", "int", "float", "complex", "str", "bytes", "list",
    // "tuple", "set", "dict". Used in error messages.
    [[nodiscard]] std::string_view type_name() const;

    [[nodiscard]] bool is_none() const { return kind_ == Kind::None; }
    [[nodiscard]] bool is_bool() const { return kind_ == Kind::Bool; }
    [[nodiscard]] bool is_int() const { return kind_ == Kind::Int; }
    [[nodiscard]] bool is_integer() const { return kind_ == Kind::Int || kind_ == Kind::BigInt; }
    [[nodiscard]] bool is_float() const { return kind_ == Kind::Float; }
    [[nodiscard]] bool is_string() const { return kind_ == Kind::String; }
    [[nodiscard]] bool is_bytes() const { return kind_ == Kind::Bytes; }
    [[nodiscard]] bool is_dict() const { return kind_ == Kind::Dict; }
    // list, tuple or set: Pyro4 sends any of them where a sequence is meant.
    [[nodiscard]] bool is_sequence() const {
        return kind_ == Kind::List || kind_ == Kind::Tuple || kind_ == Kind::Set;
    }

    // Accessors throw pyro::TypeError naming the expected and the actual type.
    [[nodiscard]] bool as_bool() const;
    // An int that fits in 64 bits; a BigInt throws RemoteError("builtins.OverflowError"), never
    // a wrapped number.
    [[nodiscard]] std::int64_t as_int() const;
    // A float, or an int converted to double (as Python accepts an int where a float is meant);
    // an int beyond a double's range throws RemoteError("builtins.OverflowError") as Python does.
    [[nodiscard]] double as_float() const;
    [[nodiscard]] Complex as_complex() const;
    [[nodiscard]] const std::string& as_string() const;
    // The decimal text of an Int or a BigInt.
    [[nodiscard]] std::string as_decimal() const;
    [[nodiscard]] const Bytes& as_bytes() const;
    // The elements of a list, tuple or set.
    [[nodiscard]] const Items& items() const;
    [[nodiscard]] Items& items();
    // The key/value pairs of a dict, in insertion (wire) order.
    [[nodiscard]] const Entries& entries() const;
    [[nodiscard]] Entries& entries();

    // Dict lookup by string key: nullptr when this is not a dict or the key is absent.
    [[nodiscard]] const Value* find(std::string_view key) const;
    // Dict lookup by string key; throws TypeError when absent or not a dict.
    [[nodiscard]] const Value& at(std::string_view key) const;
    // Sets a string key in a dict: replaces the value if present, else appends (keeps order).
    void set_item(std::string_view key, Value value);

    // A Python-repr-like rendering, for messages and traces: "'text'", "[1, 'a', None]", "(1,)".
    [[nodiscard]] std::string repr() const;

    // Python's a + b for what a Value carries: ints of any size exactly (2**62 + 2**62 is 2**63,
    // a BigInt, never a wrapped int64), bool counting as int, int and float and complex mixed
    // as Python promotes them, str + str, bytes + bytes, list + list and tuple + tuple joined.
    // Anything else throws TypeError with Python's text ("unsupported operand type(s) for +:
    // 'int' and 'str'"); an int too large for a float throws RemoteError("builtins.OverflowError").
    friend Value operator+(const Value& a, const Value& b);

    // Structural identity, not Python's numeric equality: kinds must match (1 != 1.0 != True),
    // floats match when both are NaN or they are equal with the same sign (0.0 != -0.0), sets
    // compare as unordered collections, dicts compare in order.
    friend bool operator==(const Value& a, const Value& b);

private:
    Kind kind_ = Kind::None;
    std::variant<std::monostate, bool, std::int64_t, double, Complex, std::string, Bytes, Items,
                 Entries>
        data_;
};

} // namespace pyro
