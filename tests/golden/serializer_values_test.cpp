// Single values as Pyro4 4.82's serpent and json serializers wrote them
// (vectors/serializer_values.json): libpyro reads each text to the same value and writes the
// value back to the same text; and it accepts or refuses the alternative encodings the way a
// Python peer does ("python_accepts").
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"
#include "support/tagged_value.hpp"
#include "support/vectors.hpp"

namespace pyro {
namespace {

namespace json = boost::json;

std::string text(const json::value& v) {
    return std::string(v.as_string());
}

// Order of a set's elements is Python's hash order, not kept by the capture (README: "sets:
// compare as sets"), so byte comparison is only meaningful without multi-element sets.
bool has_ordered_set(const Value& value) {
    if (value.kind() == Value::Kind::Set && value.items().size() > 1) {
        return true;
    }
    if (value.is_sequence()) {
        for (const auto& item : value.items()) {
            if (has_ordered_set(item)) {
                return true;
            }
        }
    }
    if (value.is_dict()) {
        for (const auto& [key, item] : value.entries()) {
            if (has_ordered_set(key) || has_ordered_set(item)) {
                return true;
            }
        }
    }
    return false;
}

// What a value becomes after a trip through json: tuples and sets turn into lists and dict keys
// into strings, as Python's json module does.
Value as_json_sees_it(const Value& value) {
    if (value.is_sequence()) {
        Value::Items items;
        for (const auto& item : value.items()) {
            items.push_back(as_json_sees_it(item));
        }
        return Value::list(std::move(items));
    }
    if (value.is_dict()) {
        Value::Entries entries;
        for (const auto& [key, item] : value.entries()) {
            Value json_key = key;
            switch (key.kind()) {
            case Value::Kind::String:
                break;
            case Value::Kind::None:
                json_key = Value("null");
                break;
            case Value::Kind::Bool:
                json_key = Value(key.as_bool() ? "true" : "false");
                break;
            default:
                json_key = Value(key.repr());
                break;
            }
            entries.emplace_back(std::move(json_key), as_json_sees_it(item));
        }
        return Value::dict(std::move(entries));
    }
    return value;
}

// What a serpent reader gets back for a value: serpent writes the empty set as an empty tuple.
// (Bytes travel as a base64 dict that libpyro reads back as bytes; Python gets the dict.)
Value as_serpent_reads_it(const Value& value) {
    if (value.kind() == Value::Kind::Set && value.items().empty()) {
        return Value::tuple();
    }
    if (value.is_sequence()) {
        Value copy = value;
        for (auto& item : copy.items()) {
            item = as_serpent_reads_it(item);
        }
        return copy;
    }
    if (value.is_dict()) {
        Value copy = value;
        for (auto& [key, item] : copy.entries()) {
            key = as_serpent_reads_it(key);
            item = as_serpent_reads_it(item);
        }
        return copy;
    }
    return value;
}

TEST(SerializerValues, EveryCapturedValue) {
    const json::value doc = test::load_vector("serializer_values.json");
    const auto& values = doc.at("values").as_array();
    ASSERT_GE(values.size(), 60u);
    int compared = 0;
    for (const auto& entry_value : values) {
        const auto& entry = entry_value.as_object();
        SCOPED_TRACE(text(entry.at("label")));
        const bool typed = test::is_convertible(entry.at("value"));

        if (const auto* serpent = entry.if_contains("serpent"); serpent && serpent->is_object()) {
            if (const auto* serpent_text = serpent->as_object().if_contains("text")) {
                const std::string wire = text(*serpent_text);
                const Value decoded = from_serpent(wire);
                if (typed) {
                    const Value expected = test::from_tagged(entry.at("value"));
                    EXPECT_EQ(decoded, as_serpent_reads_it(expected)) << decoded.repr();
                    if (!has_ordered_set(expected)) {
                        EXPECT_EQ(to_serpent(expected), wire);
                        ++compared;
                    }
                } else {
                    // Python objects (exceptions, URIs, dates): the text must survive a trip.
                    EXPECT_EQ(to_serpent(decoded), wire);
                }
            }
        }

        if (const auto* json_side = entry.if_contains("json");
            json_side && json_side->is_object()) {
            const auto& json_object = json_side->as_object();
            if (const auto* json_text = json_object.if_contains("text")) {
                const std::string wire = text(*json_text);
                const Value decoded = from_json(wire);
                if (typed) {
                    const Value expected = test::from_tagged(entry.at("value"));
                    EXPECT_EQ(decoded, as_json_sees_it(expected)) << decoded.repr();
                    if (!has_ordered_set(expected)) {
                        EXPECT_EQ(to_json(expected), wire);
                        ++compared;
                    }
                } else {
                    EXPECT_EQ(to_json(decoded), wire);
                }
            } else if (json_object.contains("error") && typed) {
                // Python refuses to write these in json (bytes, complex, tuple keys): so do we.
                const Value expected = test::from_tagged(entry.at("value"));
                if (text(entry.at("label")) != "frozenset") { // a C++ set is just a set
                    EXPECT_THROW((void)to_json(expected), SerializeError);
                }
            }
        }
    }
    EXPECT_GT(compared, 80);
}

TEST(SerializerValues, AcceptsWhatPythonAcceptsAndRefusesWhatItRefuses) {
    const json::value doc = test::load_vector("serializer_values.json");
    for (const auto& entry_value : doc.at("python_accepts").as_array()) {
        const auto& entry = entry_value.as_object();
        SCOPED_TRACE(text(entry.at("label")));
        const auto kind = serializer_from_name(text(entry.at("serializer")));
        const std::string wire = text(entry.at("text"));
        // Python's literal parser refuses some texts (ValueError); other refusals happen later,
        // when Pyro4 turns class dicts into objects, and are the receiving program's business.
        const auto* error = entry.if_contains("python_error");
        if (error && text(*error).starts_with("builtins.ValueError")) {
            EXPECT_THROW((void)deserialize(kind, wire), SerializeError);
        } else {
            EXPECT_NO_THROW((void)deserialize(kind, wire));
        }
    }
}

} // namespace
} // namespace pyro
