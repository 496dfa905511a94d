// Every entry of vectors/uri_parsing.json: what Pyro4 4.82's URI class made of an input text,
// checked field by field, or its exact error text.
#include <set>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "pyro/errors.hpp"
#include "pyro/uri.hpp"
#include "pyro/value.hpp"
#include "support/vectors.hpp"

namespace pyro {
namespace {

namespace json = boost::json;

std::string text(const json::value& value) {
    return std::string(value.as_string());
}

// Pyro4 writes a missing host/location as null; libpyro uses "".
std::string text_or_empty(const json::value& value) {
    return value.is_null() ? std::string() : text(value);
}

// Returns whether libpyro parsed the input (each field is checked here).
bool check_parsed(const json::object& entry) {
    const std::string input = text(entry.at("input"));
    Uri uri;
    try {
        uri = Uri::parse(input);
    } catch (const PyroError& error) {
        ADD_FAILURE() << "refused (" << error.what() << "), but Pyro4 parsed it";
        return false;
    }
    EXPECT_EQ(uri.protocol_name(), text(entry.at("protocol")));
    if (uri.protocol() == Uri::Protocol::PyroMeta) {
        // A Python set: compare as sets; the order of our tags is the input's.
        std::set<std::string> expected;
        for (const json::value& tag : entry.at("object").as_array()) {
            expected.insert(text(tag));
        }
        EXPECT_EQ(std::set<std::string>(uri.tags().begin(), uri.tags().end()), expected);
    } else {
        EXPECT_EQ(uri.object(), text(entry.at("object")));
    }
    EXPECT_EQ(uri.socket_path(), text_or_empty(entry.at("sockname")));
    EXPECT_EQ(uri.host(), text_or_empty(entry.at("host")));
    const json::value& port = entry.at("port");
    if (port.is_null()) {
        EXPECT_EQ(uri.port(), std::nullopt);
    } else {
        EXPECT_EQ(uri.port(), port.to_number<int>());
    }
    EXPECT_EQ(uri.location(), text_or_empty(entry.at("location")));
    EXPECT_EQ(uri.str(), text(entry.at("asString")));
    // The canonical form parses back to the same URI.
    EXPECT_EQ(Uri::parse(uri.str()), uri);
    return true;
}

// Returns whether libpyro refused the input (with Pyro4's error text, checked here).
bool check_error(const json::object& entry) {
    const std::string input = text(entry.at("input"));
    const std::string error = text(entry.at("error"));
    constexpr std::string_view prefix = "Pyro4.errors.PyroError: ";
    if (!error.starts_with(prefix)) {
        ADD_FAILURE() << "not a PyroError in the corpus: " << error;
        return false;
    }
    const std::string expected = error.substr(prefix.size()) + ": " + Value(input).repr();
    try {
        (void)Uri::parse(input);
        ADD_FAILURE() << "parsed, but Pyro4 refused it with: " << error;
        return false;
    } catch (const PyroError& caught) {
        EXPECT_EQ(std::string(caught.what()), expected);
        EXPECT_EQ(caught.python_class(), "Pyro4.errors.PyroError");
        return true;
    }
}

TEST(UriVectors, EveryEntryAsPyro4) {
    const json::value file = test::load_vector(std::string("uri_parsing.json"));
    const json::array& uris = file.at("uris").as_array();
    ASSERT_EQ(uris.size(), 31u) << "uri_parsing.json should hold Pyro4's 31 inputs";
    // Counted from what libpyro did, not from the file: Pyro4 parsed 15 inputs and refused 16.
    std::size_t parsed_as_pyro4 = 0;
    std::size_t refused_as_pyro4 = 0;
    for (const json::value& item : uris) {
        const json::object& entry = item.as_object();
        SCOPED_TRACE("input: " + Value(text(entry.at("input"))).repr());
        if (entry.contains("error")) {
            refused_as_pyro4 += check_error(entry) ? 1 : 0;
        } else {
            parsed_as_pyro4 += check_parsed(entry) ? 1 : 0;
        }
    }
    EXPECT_EQ(parsed_as_pyro4, 15u) << "inputs libpyro parsed as Pyro4 did";
    EXPECT_EQ(refused_as_pyro4, 16u) << "inputs libpyro refused as Pyro4 did";
}

} // namespace
} // namespace pyro
