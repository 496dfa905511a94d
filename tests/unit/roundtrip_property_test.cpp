// Random values through both codecs: what to_json / to_serpent write, from_json / from_serpent
// must read back as the same value (for json: the same value as json can carry it).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <unordered_map>

#include <gtest/gtest.h>

#include "float_repr.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"
#include "pyro/value.hpp"
#include "utf8.hpp"

namespace pyro {
namespace {

constexpr int value_count = 3000;
constexpr std::uint64_t seed = 0x5059524f34; // "PYRO4"

// Json: every kind json carries, keys of every scalar kind (None and NaN included), sets of
// anything (json writes them as arrays). Serpent: every kind, with keys and set elements limited
// to what Python can hash, as the serpent writer requires.
enum class Flavour : std::uint8_t { Json, Serpent };

// Draws from mt19937_64 with plain modulo arithmetic, so the sequence of values is the same on
// every standard library (the std:: distributions are not specified bit for bit).
class ValueGenerator {
public:
    ValueGenerator(std::uint64_t seed_value, Flavour flavour)
        : random_(seed_value), flavour_(flavour) {}

    Value value(int depth = 0) {
        const std::size_t kinds = depth < 4 ? 12 : 8; // containers only above a depth
        switch (below(kinds)) {
        case 0:
            return Value();
        case 1:
            return Value(below(2) == 1);
        case 2:
            return integer();
        case 3:
            return floating();
        case 4:
        case 5:
            return string();
        case 6:
            if (flavour_ == Flavour::Serpent) {
                return below(2) == 0 ? complex() : bytes();
            }
            return string();
        case 7:
            return big_integer();
        case 8:
            return Value::list(items(depth));
        case 9:
            return Value::tuple(items(depth));
        case 10:
            return set(depth);
        default:
            return dict(depth);
        }
    }

private:
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(random_() % n); }

    Value integer() {
        switch (below(3)) {
        case 0:
            return Value(static_cast<std::int64_t>(below(2001)) - 1000);
        case 1:
            return Value(static_cast<std::int64_t>(random_()));
        default:
            return Value(below(2) == 0 ? std::numeric_limits<std::int64_t>::min()
                                       : std::numeric_limits<std::int64_t>::max());
        }
    }

    Value big_integer() {
        std::string digits = below(2) == 0 ? "-" : "";
        digits += static_cast<char>('1' + below(9));
        for (std::size_t n = 19 + below(40); n > 0; --n) {
            digits += static_cast<char>('0' + below(10));
        }
        return Value::big_int(digits);
    }

    double any_double() {
        switch (below(4)) {
        case 0: {
            static constexpr double specials[] = {0.0,
                                                  -0.0,
                                                  0.1,
                                                  1e16,
                                                  1e-05,
                                                  1e300,
                                                  5e-324,
                                                  std::numeric_limits<double>::max(),
                                                  std::numeric_limits<double>::infinity(),
                                                  -std::numeric_limits<double>::infinity(),
                                                  std::numeric_limits<double>::quiet_NaN()};
            return specials[below(std::size(specials))];
        }
        case 1: {
            // Any bit pattern: subnormals, huge exponents, NaNs with payloads.
            const std::uint64_t bits = random_();
            double d = 0.0;
            std::memcpy(&d, &bits, sizeof d);
            return d;
        }
        case 2:
            return static_cast<double>(static_cast<std::int64_t>(below(2000001)) - 1000000) /
                   1000.0;
        default:
            return static_cast<double>(random_() >> 11) * 0x1p-53 *
                   std::pow(10.0, static_cast<double>(below(40)) - 20.0);
        }
    }

    double number_double() {
        double d = any_double();
        while (std::isnan(d)) {
            d = any_double();
        }
        return d;
    }

    Value floating() { return Value(any_double()); }

    // serpent cannot write a complex number with a NaN part.
    Value complex() { return Value(Complex{number_double(), number_double()}); }

    Value string() {
        std::string text;
        for (std::size_t n = below(8); n > 0; --n) {
            char32_t c = 0;
            switch (below(6)) {
            case 0:
                c = static_cast<char32_t>(below(0x20)); // C0 controls
                break;
            case 1: {
                static constexpr char32_t specials[] = {'"',    '\\',   '\'',   '/',     0x7F,
                                                        0x85,   0xA0,   0x2028, 0x2029,  0xFEFF,
                                                        0xFFFD, 0xFFFF, 0xE000, 0x10FFFF};
                c = specials[below(std::size(specials))];
                break;
            }
            case 2:
                c = static_cast<char32_t>(0x80 + below(0xD800 - 0x80));
                break;
            case 3:
                c = static_cast<char32_t>(0x10000 + below(0x100000));
                break;
            default:
                c = static_cast<char32_t>(0x20 + below(0x5F)); // printable ASCII
            }
            detail::append_utf8(text, c);
        }
        if (below(8) == 0) {
            // Words the codecs treat specially outside strings.
            static constexpr const char* words[] = {"NaN", "Infinity", "-Infinity",
                                                    "0e0", "None",     "1e30000"};
            text = words[below(std::size(words))];
        }
        return Value(text);
    }

    Value bytes() {
        Bytes data(below(10));
        for (auto& b : data) {
            b = static_cast<std::uint8_t>(below(256));
        }
        return Value(std::move(data));
    }

    Value::Items items(int depth) {
        Value::Items result;
        for (std::size_t n = below(5); n > 0; --n) {
            result.push_back(value(depth + 1));
        }
        return result;
    }

    // A dict key or set element Python can hash; None only inside a tuple, as serpent wants.
    Value hashable(bool inside_tuple) {
        switch (below(9)) {
        case 0:
            return integer();
        case 1:
            return Value(number_double());
        case 2:
            return Value(below(2) == 1);
        case 3:
            return complex();
        case 4:
            return big_integer();
        case 5: {
            Value::Items items;
            for (std::size_t n = below(3); n > 0; --n) {
                items.push_back(hashable(true));
            }
            return Value::tuple(std::move(items));
        }
        case 6:
            return inside_tuple ? Value() : string();
        default:
            return string();
        }
    }

    Value key() {
        if (flavour_ == Flavour::Serpent) {
            return hashable(false);
        }
        switch (below(8)) {
        case 0:
            return integer();
        case 1:
            return floating();
        case 2:
            return Value(below(2) == 1);
        case 3:
            return Value();
        case 4:
            return big_integer();
        default:
            return string();
        }
    }

    static bool contains(const Value::Items& items, const Value& candidate) {
        return std::find(items.begin(), items.end(), candidate) != items.end();
    }

    Value set(int depth) {
        if (flavour_ == Flavour::Json) {
            return Value::set(items(depth));
        }
        Value::Items elements;
        for (std::size_t n = below(5); n > 0; --n) {
            Value element = hashable(false);
            if (!contains(elements, element)) {
                elements.push_back(std::move(element));
            }
        }
        return Value::set(std::move(elements));
    }

    Value dict(int depth) {
        Value::Entries entries;
        Value::Items keys;
        for (std::size_t n = below(5); n > 0; --n) {
            Value k = key();
            if (!contains(keys, k)) {
                keys.push_back(k);
                entries.emplace_back(std::move(k), value(depth + 1));
            }
        }
        return Value::dict(std::move(entries));
    }

    std::mt19937_64 random_;
    Flavour flavour_;
};

// The key text Python's json.dumps writes for a scalar key.
std::string json_key(const Value& key) {
    switch (key.kind()) {
    case Value::Kind::String:
        return key.as_string();
    case Value::Kind::Int:
    case Value::Kind::BigInt:
        return key.as_decimal();
    case Value::Kind::Bool:
        return key.as_bool() ? "true" : "false";
    case Value::Kind::None:
        return "null";
    case Value::Kind::Float: {
        const double d = key.as_float();
        if (std::isnan(d)) {
            return "NaN";
        }
        if (std::isinf(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return detail::python_float_repr(d);
    }
    default:
        throw std::logic_error("no json key for " + std::string(key.type_name()));
    }
}

// The value as it comes back from json: every sequence a list, every key a string, and keys
// that became equal merged as a Python dict merges them (last value, first position).
// Sets *merged when that happened.
Value json_image(const Value& value, bool* merged = nullptr) {
    if (value.is_sequence()) {
        Value::Items items;
        for (const Value& item : value.items()) {
            items.push_back(json_image(item, merged));
        }
        return Value::list(std::move(items));
    }
    if (value.is_dict()) {
        Value::Entries entries;
        std::unordered_map<std::string, std::size_t> positions;
        for (const auto& [key, item] : value.entries()) {
            std::string text = json_key(key);
            const auto [it, inserted] = positions.try_emplace(text, entries.size());
            if (inserted) {
                entries.emplace_back(Value(std::move(text)), json_image(item, merged));
            } else {
                entries[it->second].second = json_image(item, merged);
                if (merged != nullptr) {
                    *merged = true;
                }
            }
        }
        return Value::dict(std::move(entries));
    }
    return value;
}

TEST(RoundTripProperty, JsonKeepsWhatJsonCanCarry) {
    ValueGenerator generator(seed, Flavour::Json);
    int merged_count = 0;
    for (int i = 0; i < value_count; ++i) {
        const Value value = generator.value();
        SCOPED_TRACE(testing::Message() << "value #" << i << ": " << value.repr());
        const std::string text = to_json(value);
        const Value back = from_json(text);
        bool merged = false;
        ASSERT_EQ(back, json_image(value, &merged)) << text;
        // Re-encoding what was read gives the same text, as a relay must (unless the text had
        // repeated keys, which the reader merged).
        const std::string again = to_json(back);
        ASSERT_EQ(from_json(again), back);
        if (!merged) {
            ASSERT_EQ(again, text);
        } else {
            ++merged_count;
        }
    }
    EXPECT_GT(merged_count, 0); // the generator does produce keys that collide in json
}

TEST(RoundTripProperty, JsonRefusesWhatItCannotCarry) {
    ValueGenerator generator(seed + 1, Flavour::Serpent);
    int refused = 0;
    for (int i = 0; i < value_count; ++i) {
        const Value value = generator.value();
        try {
            const Value back = from_json(to_json(value));
            ASSERT_EQ(back, json_image(value)) << value.repr();
        } catch (const SerializeError&) {
            ++refused; // bytes, complex or a tuple key somewhere inside
        }
    }
    EXPECT_GT(refused, 0);
}

// The value as it comes back from serpent: an empty set as the empty tuple serpent sends.
Value serpent_image(const Value& value) {
    switch (value.kind()) {
    case Value::Kind::List:
    case Value::Kind::Tuple:
    case Value::Kind::Set: {
        Value::Items items;
        for (const Value& item : value.items()) {
            items.push_back(serpent_image(item));
        }
        if (value.kind() == Value::Kind::List) {
            return Value::list(std::move(items));
        }
        if (value.kind() == Value::Kind::Set && !items.empty()) {
            return Value::set(std::move(items));
        }
        return Value::tuple(std::move(items));
    }
    case Value::Kind::Dict: {
        Value::Entries entries;
        for (const auto& [key, item] : value.entries()) {
            entries.emplace_back(serpent_image(key), serpent_image(item));
        }
        return Value::dict(std::move(entries));
    }
    default:
        return value;
    }
}

TEST(RoundTripProperty, SerpentKeepsEverything) {
    ValueGenerator generator(seed + 2, Flavour::Serpent);
    for (int i = 0; i < value_count; ++i) {
        const Value value = generator.value();
        SCOPED_TRACE(testing::Message() << "value #" << i << ": " << value.repr());
        const std::string text = to_serpent(value);
        const Value back = from_serpent(text);
        ASSERT_EQ(back, serpent_image(value)) << text;
        ASSERT_EQ(to_serpent(back), text);
    }
}

} // namespace
} // namespace pyro
