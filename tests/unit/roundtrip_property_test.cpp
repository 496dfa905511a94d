// Random values through both codecs: what to_json / to_serpent write, from_json / from_serpent
// must read back as the same value (for json: the same value as json can carry it).
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include <gtest/gtest.h>

#include "float_repr.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"
#include "pyro/value.hpp"
#include "support/random_value.hpp"

namespace pyro {
namespace {

constexpr int value_count = 3000;
constexpr std::uint64_t seed = 0x5059524f34; // "PYRO4"

using test::Flavour;
using test::ValueGenerator;

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
