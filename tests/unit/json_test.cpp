#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "json_reader.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"
#include "pyro/value.hpp"
#include "support/hex.hpp"
#include "support/vectors.hpp"

namespace pyro {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
const double nan = std::numeric_limits<double>::quiet_NaN();

Value list(std::initializer_list<Value> items) {
    return Value::list(Value::Items(items));
}
Value tuple(std::initializer_list<Value> items) {
    return Value::tuple(Value::Items(items));
}
Value set(std::initializer_list<Value> items) {
    return Value::set(Value::Items(items));
}
Value dict(std::initializer_list<Value::Entry> entries) {
    return Value::dict(Value::Entries(entries));
}

Value nested_lists(std::size_t depth) {
    Value value = Value::list();
    for (std::size_t i = 1; i < depth; ++i) {
        value = Value::list({std::move(value)});
    }
    return value;
}

std::string nested_json(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

// The SerializeError message from_json gives, or a marker when it throws nothing.
std::string json_error(std::string_view text) {
    try {
        (void)from_json(text);
    } catch (const SerializeError& e) {
        return e.what();
    }
    return "<no error>";
}

std::string to_json_error(const Value& value) {
    try {
        (void)to_json(value);
    } catch (const SerializeError& e) {
        return e.what();
    }
    return "<no error>";
}

std::string marshal_error(std::string_view payload) {
    try {
        (void)marshal_string(payload);
    } catch (const SerializeError& e) {
        return e.what();
    }
    return "<no error>";
}

// --- writer ----------------------------------------------------------------------------------

TEST(JsonWriter, Scalars) {
    EXPECT_EQ(to_json(Value()), "null");
    EXPECT_EQ(to_json(Value(true)), "true");
    EXPECT_EQ(to_json(Value(false)), "false");
    EXPECT_EQ(to_json(Value(0)), "0");
    EXPECT_EQ(to_json(Value(-1)), "-1");
    EXPECT_EQ(to_json(Value(std::numeric_limits<std::int64_t>::min())), "-9223372036854775808");
    EXPECT_EQ(to_json(Value(std::numeric_limits<std::uint64_t>::max())), "18446744073709551615");
    EXPECT_EQ(to_json(Value::big_int("-1267650600228229401496703205376")),
              "-1267650600228229401496703205376");
}

// Long payloads (issue 12): the bulk copy of plain runs must escape exactly as the
// per-character rules do, wherever an escape falls.
TEST(JsonWriter, LongStringsEscapeAsPerCharacter) {
    const std::vector<std::string> pool = {"x",    "\"", "\\",         "\n", "\x01",
                                           "\x1f", "é",  "\U0001F600", "/",  "'"};
    std::mt19937 random(7);
    for (int round = 0; round < 20; ++round) {
        std::string text;
        std::string inner;
        for (int i = 0; i < 300; ++i) {
            const std::string& piece = random() % 4 == 0 ? pool[random() % pool.size()] : pool[0];
            const std::size_t repeat = piece == pool[0] ? random() % 20 : 1;
            for (std::size_t r = 0; r < repeat; ++r) {
                text += piece;
                const std::string one = to_json(Value(piece));
                inner += one.substr(1, one.size() - 2);
            }
        }
        EXPECT_EQ(to_json(Value(text)), "\"" + inner + "\"") << "round " << round;
        EXPECT_EQ(from_json(to_json(Value(text))), Value(text)) << "round " << round;
    }
    const std::string megabyte(1 << 20, 'x');
    EXPECT_EQ(to_json(Value(megabyte)), "\"" + megabyte + "\"");
    EXPECT_EQ(from_json("\"" + megabyte + "\""), Value(megabyte));
}

TEST(JsonWriter, FloatsAsPythonRepr) {
    EXPECT_EQ(to_json(Value(0.0)), "0.0");
    EXPECT_EQ(to_json(Value(-0.0)), "-0.0");
    EXPECT_EQ(to_json(Value(0.1)), "0.1");
    EXPECT_EQ(to_json(Value(1.5)), "1.5");
    EXPECT_EQ(to_json(Value(1e16)), "1e+16");
    EXPECT_EQ(to_json(Value(1e-05)), "1e-05");
    EXPECT_EQ(to_json(Value(123456789.123)), "123456789.123");
    EXPECT_EQ(to_json(Value(1e300)), "1e+300");
    EXPECT_EQ(to_json(Value(std::sqrt(2.0))), "1.4142135623730951");
}

TEST(JsonWriter, NonFiniteFloatsAsBareWords) {
    EXPECT_EQ(to_json(Value(nan)), "NaN");
    EXPECT_EQ(to_json(Value(inf)), "Infinity");
    EXPECT_EQ(to_json(Value(-inf)), "-Infinity");
    EXPECT_EQ(to_json(list({nan, inf, -inf})), "[NaN, Infinity, -Infinity]");
}

TEST(JsonWriter, StringEscapes) {
    EXPECT_EQ(to_json(Value("hello")), R"("hello")");
    EXPECT_EQ(to_json(Value("")), R"("")");
    EXPECT_EQ(to_json(Value("it's")), R"("it's")");
    EXPECT_EQ(to_json(Value("say \"hi\", it's")), R"("say \"hi\", it's")");
    EXPECT_EQ(to_json(Value("a\\b")), R"("a\\b")");
    EXPECT_EQ(to_json(Value("l1\nl2\tx\ry")), R"("l1\nl2\tx\ry")");
    EXPECT_EQ(to_json(Value("\b\f/")), R"("\b\f/")");
}

TEST(JsonWriter, OtherControlCharactersAsLowercaseUnicodeEscapes) {
    EXPECT_EQ(to_json(Value(std::string("\0", 1))), R"("\u0000")");
    EXPECT_EQ(to_json(Value("\x01\x1f\x0b\x1b")), R"("\u0001\u001f\u000b\u001b")");
    for (int c = 0; c < 0x20; ++c) {
        const std::string json = to_json(Value(std::string(1, static_cast<char>(c))));
        if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
            EXPECT_EQ(json.size(), 4U) << c;
        } else {
            EXPECT_EQ(json.size(), 8U) << c;
            EXPECT_EQ(json.substr(0, 5), "\"\\u00") << c;
        }
    }
}

TEST(JsonWriter, DelC1AndNonAsciiStayRaw) {
    EXPECT_EQ(to_json(Value(std::string("\0\x7f", 2))), "\"\\u0000\x7f\""); // golden hex
    EXPECT_EQ(to_json(Value("\xC2\x85")), "\"\xC2\x85\"");                  // U+0085
    EXPECT_EQ(to_json(Value("\xC2\xA0")), "\"\xC2\xA0\"");                  // U+00A0
    EXPECT_EQ(to_json(Value("\xE2\x80\xA8")), "\"\xE2\x80\xA8\"");          // U+2028
    EXPECT_EQ(to_json(Value("ñandú €")), "\"ñandú €\"");
    EXPECT_EQ(to_json(Value("\xF0\x9F\x98\x80")), "\"\xF0\x9F\x98\x80\""); // U+1F600
}

TEST(JsonWriter, InvalidUtf8IsRefused) {
    EXPECT_THROW((void)to_json(Value("\xff")), SerializeError);
    EXPECT_THROW((void)to_json(Value("a\xC3")), SerializeError);
    EXPECT_THROW((void)to_json(Value("\xED\xA0\x80")), SerializeError); // encoded surrogate
    EXPECT_THROW((void)to_json(list({"ok", "\xC0\xAF"})), SerializeError);
    EXPECT_THROW((void)to_json(dict({{"\xff", 1}})), SerializeError);
}

TEST(JsonWriter, SequencesWithPythonSeparators) {
    EXPECT_EQ(to_json(Value::list()), "[]");
    EXPECT_EQ(to_json(list({1, "a", Value()})), R"([1, "a", null])");
    EXPECT_EQ(to_json(Value::tuple()), "[]");
    EXPECT_EQ(to_json(tuple({1})), "[1]");
    EXPECT_EQ(to_json(tuple({1, 2})), "[1, 2]");
    EXPECT_EQ(to_json(Value::set()), "[]");
    EXPECT_EQ(to_json(set({1})), "[1]");
}

TEST(JsonWriter, DictsInInsertionOrder) {
    EXPECT_EQ(to_json(Value::dict()), "{}");
    EXPECT_EQ(to_json(dict({{"a", 1}, {"b", list({1, 2})}})), R"({"a": 1, "b": [1, 2]})");
    EXPECT_EQ(to_json(dict({{"z", 1}, {"a", 2}})), R"({"z": 1, "a": 2})");
    EXPECT_EQ(
        to_json(dict({{"l", list({tuple({1, set({"s"})})})}, {"d", dict({{"x", Value::dict()}})}})),
        R"({"l": [[1, ["s"]]], "d": {"x": {}}})");
    EXPECT_EQ(to_json(dict({{"object", "obj"},
                            {"method", "m"},
                            {"params", tuple({"hello"})},
                            {"kwargs", Value::dict()}})),
              R"({"object": "obj", "method": "m", "params": ["hello"], "kwargs": {}})");
}

TEST(JsonWriter, ScalarKeysConvertedAsPythonDoes) {
    EXPECT_EQ(to_json(dict({{1, "i"}, {2.5, "f"}, {false, "b"}})),
              R"({"1": "i", "2.5": "f", "false": "b"})");
    EXPECT_EQ(to_json(dict({{Value(), 1}})), R"({"null": 1})");
    EXPECT_EQ(to_json(dict({{true, 1}, {-7, 2}})), R"({"true": 1, "-7": 2})");
    EXPECT_EQ(to_json(dict({{Value::big_int("1180591620717411303424"), 4}})),
              R"({"1180591620717411303424": 4})");
    EXPECT_EQ(to_json(dict({{1.0, 1}, {-0.0, 2}, {1e16, 3}})),
              R"({"1.0": 1, "-0.0": 2, "1e+16": 3})");
    EXPECT_EQ(to_json(dict({{nan, 1}, {inf, 2}, {-inf, 3}})),
              R"({"NaN": 1, "Infinity": 2, "-Infinity": 3})");
    EXPECT_EQ(to_json(dict({{"a\"", 1}})), R"({"a\"": 1})");
}

TEST(JsonWriter, OtherKeyKindsAreRefused) {
    EXPECT_EQ(to_json_error(dict({{tuple({1, 2}), "t"}})),
              "json: dict keys must be str, int, float, bool or None, not tuple");
    EXPECT_THROW((void)to_json(dict({{Value::list(), 1}})), SerializeError);
    EXPECT_THROW((void)to_json(dict({{Value::set(), 1}})), SerializeError);
    EXPECT_THROW((void)to_json(dict({{Value::dict(), 1}})), SerializeError);
    EXPECT_THROW((void)to_json(dict({{Value(Bytes{1}), 1}})), SerializeError);
    EXPECT_THROW((void)to_json(dict({{Value(Complex{1, 2}), 1}})), SerializeError);
}

TEST(JsonWriter, BytesAndComplexPointToSerpent) {
    const std::string bytes_error = to_json_error(Value(Bytes{0, 0xff}));
    EXPECT_NE(bytes_error.find("bytes"), std::string::npos) << bytes_error;
    EXPECT_NE(bytes_error.find("serpent"), std::string::npos) << bytes_error;
    const std::string complex_error = to_json_error(Value(Complex{1.0, 2.0}));
    EXPECT_NE(complex_error.find("complex"), std::string::npos) << complex_error;
    EXPECT_NE(complex_error.find("serpent"), std::string::npos) << complex_error;
    EXPECT_THROW((void)to_json(list({1, dict({{"b", Value(Bytes{})}})})), SerializeError);
}

TEST(JsonWriter, NestingLimit) {
    EXPECT_NO_THROW((void)to_json(nested_lists(max_nesting_depth)));
    EXPECT_EQ(to_json(nested_lists(3)), "[[[]]]");
    EXPECT_THROW((void)to_json(nested_lists(max_nesting_depth + 1)), SerializeError);
}

// --- reader ----------------------------------------------------------------------------------

TEST(JsonReader, Scalars) {
    EXPECT_EQ(from_json("null"), Value());
    EXPECT_EQ(from_json("true"), Value(true));
    EXPECT_EQ(from_json("false"), Value(false));
    EXPECT_EQ(from_json("\"hello\""), Value("hello"));
    EXPECT_EQ(from_json(" \t\r\n 1 \n"), Value(1));
}

TEST(JsonReader, IntegersOfAnySize) {
    EXPECT_EQ(from_json("0"), Value(0));
    EXPECT_EQ(from_json("-0"), Value(0));
    EXPECT_EQ(from_json("-1"), Value(-1));
    EXPECT_EQ(from_json("9223372036854775807"), Value(std::numeric_limits<std::int64_t>::max()));
    EXPECT_EQ(from_json("-9223372036854775808"), Value(std::numeric_limits<std::int64_t>::min()));
    EXPECT_EQ(from_json("9223372036854775808"), Value::big_int("9223372036854775808"));
    EXPECT_EQ(from_json("18446744073709551615"), Value::big_int("18446744073709551615"));
    EXPECT_EQ(from_json("18446744073709551616"), Value::big_int("18446744073709551616"));
    EXPECT_EQ(from_json("-9223372036854775809"), Value::big_int("-9223372036854775809"));
    const std::string huge = "-" + std::string(120, '7');
    EXPECT_EQ(from_json(huge), Value::big_int(huge));
    EXPECT_EQ(from_json(huge).kind(), Value::Kind::BigInt);
    EXPECT_EQ(from_json("[1267650600228229401496703205376, 2]"),
              list({Value::big_int("1267650600228229401496703205376"), 2}));
}

TEST(JsonReader, BigIntsRoundTrip) {
    for (const char* text : {"9223372036854775808", "-1267650600228229401496703205376",
                             "123456789012345678901234567890123456789"}) {
        EXPECT_EQ(to_json(from_json(text)), text);
        EXPECT_EQ(from_json(to_json(Value::big_int(text))), Value::big_int(text));
    }
}

TEST(JsonReader, FloatsAreCorrectlyRounded) {
    EXPECT_EQ(from_json("0.0"), Value(0.0));
    EXPECT_EQ(from_json("-0.0"), Value(-0.0));
    EXPECT_EQ(from_json("0.1"), Value(0.1));
    EXPECT_EQ(from_json("1.4142135623730951"), Value(std::sqrt(2.0)));
    EXPECT_EQ(from_json("1e+16"), Value(1e16));
    EXPECT_EQ(from_json("1E2"), Value(100.0));
    EXPECT_EQ(from_json("1e-05"), Value(1e-05));
    EXPECT_EQ(from_json("2.2250738585072014e-308"), Value(2.2250738585072014e-308));
    EXPECT_EQ(from_json("5e-324"), Value(std::numeric_limits<double>::denorm_min()));
    EXPECT_EQ(from_json("1.7976931348623157e308"), Value(std::numeric_limits<double>::max()));
    EXPECT_EQ(from_json("9007199254740993.0"), Value(9007199254740992.0));
    EXPECT_EQ(from_json("0.30000000000000004"), Value(0.1 + 0.2));
}

TEST(JsonReader, OutOfRangeFloatsSaturateAsPythonDoes) {
    EXPECT_EQ(from_json("1e400"), Value(inf));
    EXPECT_EQ(from_json("-1E400"), Value(-inf));
    EXPECT_EQ(from_json("1e-400"), Value(0.0));
    EXPECT_EQ(from_json("-1e-400"), Value(-0.0));
}

TEST(JsonReader, NanAndInfinityBareWords) {
    EXPECT_EQ(from_json("NaN"), Value(nan));
    EXPECT_EQ(from_json("Infinity"), Value(inf));
    EXPECT_EQ(from_json("-Infinity"), Value(-inf));
    EXPECT_EQ(from_json("[NaN,Infinity,-Infinity]"), list({nan, inf, -inf}));
    EXPECT_EQ(from_json("{\"a\": NaN, \"b\": [ -Infinity ]}"),
              dict({{"a", nan}, {"b", list({-inf})}}));
}

TEST(JsonReader, NanInsideStringsStaysText) {
    EXPECT_EQ(from_json(R"("NaN")"), Value("NaN"));
    EXPECT_EQ(from_json(R"(["NaN", NaN, "-Infinity", Infinity])"),
              list({"NaN", nan, "-Infinity", inf}));
    EXPECT_EQ(from_json(R"({"NaN": "Infinity"})"), dict({{"NaN", "Infinity"}}));
    EXPECT_EQ(from_json(R"(["a\" NaN \\", NaN])"), list({"a\" NaN \\", nan}));
    EXPECT_EQ(from_json(R"(["\\", "NaN"])"), list({"\\", "NaN"}));
}

TEST(JsonReader, SentinelLookalikeLiteralsKeepTheirValue) {
    // The reader stands these literals in for the bare words internally; real ones must survive.
    EXPECT_EQ(from_json("0e0"), Value(0.0));
    EXPECT_EQ(from_json("[0e0, NaN, 0e000000, -Infinity, -0e000000, Infinity, 0e0]"),
              list({0.0, nan, 0.0, -inf, -0.0, inf, 0.0}));
    EXPECT_EQ(from_json(R"({"0e0": 0e0, "x": NaN})"), dict({{"0e0", 0.0}, {"x", nan}}));
}

TEST(JsonReader, BareWordsMustBeExact) {
    for (const char* text :
         {"nan", "NAN", "-NaN", "+NaN", "infinity", "+Infinity", "- Infinity", "Infinit", "NaN1",
          "NaNNaN", "[NaN0]", "[-NaN]", "Infinityx", "[1, NaN x]", "--Infinity"}) {
        EXPECT_THROW((void)from_json(text), SerializeError) << text;
    }
}

TEST(JsonReader, StringEscapes) {
    EXPECT_EQ(from_json(R"("a\"b\\c\/d\b\f\n\r\t")"), Value("a\"b\\c/d\b\f\n\r\t"));
    EXPECT_EQ(from_json(R"("\u00f1\u00E9")"), Value("ñé"));
    EXPECT_EQ(from_json(R"("\u0000")"), Value(std::string("\0", 1)));
    EXPECT_EQ(from_json(R"("\ud83d\ude00")"), Value("\xF0\x9F\x98\x80"));
    EXPECT_EQ(from_json("\"ñandú € \xF0\x9F\x98\x80 \x7f\xC2\x85\""),
              Value("ñandú € \xF0\x9F\x98\x80 \x7f\xC2\x85"));
}

TEST(JsonReader, ContainersAreLists) {
    EXPECT_EQ(from_json("[]"), Value::list());
    EXPECT_EQ(from_json("{}"), Value::dict());
    EXPECT_EQ(from_json(R"([1, "a", null, [true], {}])"),
              list({1, "a", Value(), list({true}), Value::dict()}));
    EXPECT_EQ(from_json(R"({"a":[1,2],"b":null})"), dict({{"a", list({1, 2})}, {"b", Value()}}));
}

TEST(JsonReader, DictsKeepWireOrder) {
    EXPECT_EQ(from_json(R"({"z": 1, "a": 2, "m": 3})"), dict({{"z", 1}, {"a", 2}, {"m", 3}}));
    EXPECT_NE(from_json(R"({"z": 1, "a": 2})"), dict({{"a", 2}, {"z", 1}}));
}

TEST(JsonReader, DuplicateKeysLastValueFirstPosition) {
    // Python: json.loads('{"a":1,"b":2,"a":3}') == {'a': 3, 'b': 2}
    EXPECT_EQ(from_json(R"({"a":1,"b":2,"a":3})"), dict({{"a", 3}, {"b", 2}}));
    EXPECT_EQ(from_json(R"({"a":{"x":1},"a":{"y":2,"y":3}})"), dict({{"a", dict({{"y", 3}})}}));
}

TEST(JsonReader, NestingLimit) {
    EXPECT_EQ(from_json(nested_json(max_nesting_depth)), nested_lists(max_nesting_depth));
    EXPECT_EQ(json_error(nested_json(max_nesting_depth + 1)),
              "json: too deep at offset " + std::to_string(max_nesting_depth));
    EXPECT_THROW((void)from_json(std::string(100000, '[')), SerializeError);
    std::string objects;
    for (std::size_t i = 0; i <= max_nesting_depth; ++i) {
        objects += "{\"a\":";
    }
    EXPECT_THROW((void)from_json(objects + "1" + std::string(max_nesting_depth + 1, '}')),
                 SerializeError);
}

TEST(JsonReader, ErrorsNameTheReasonAndOffset) {
    EXPECT_EQ(json_error("[1, 2, 3, 4, x]"), "json: syntax error at offset 13");
    EXPECT_EQ(json_error("[1] x"), "json: extra data at offset 4");
    EXPECT_EQ(json_error("[1, "), "json: incomplete JSON at offset 4");
    EXPECT_EQ(json_error("[NaN, x]"), "json: syntax error at offset 6");
}

TEST(JsonReader, LoneSurrogatesAreRefusedClearly) {
    // Python accepts them, but a UTF-8 std::string cannot hold one.
    EXPECT_EQ(json_error(R"("\ud800")"),
              R"(json: lone surrogate \ud800 at offset 1 cannot be represented in UTF-8)");
    EXPECT_EQ(json_error(R"(["ok", "x\uDC00"])"),
              R"(json: lone surrogate \udc00 at offset 9 cannot be represented in UTF-8)");
    EXPECT_THROW((void)from_json(R"("\ud800\u0041")"), SerializeError);
    EXPECT_THROW((void)from_json(R"("\ud800\ud800")"), SerializeError);
    EXPECT_THROW((void)from_json(R"("\ude00\ud83d")"), SerializeError);
    EXPECT_THROW((void)from_json(R"("\ud83d)"), SerializeError);
    EXPECT_THROW((void)from_json(R"({"\ud800": 1})"), SerializeError);
}

TEST(JsonReader, MalformedInputIsSerializeError) {
    const std::string malformed[] = {
        "",
        "   ",
        "[",
        "[1,",
        "[1,]",
        "[1 2]",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{1: 2}",
        "{'a': 1}",
        "\"abc",
        "\"abc\\",
        "\"\\x41\"",
        "\"\\u12\"",
        "\"\\u12g4\"",
        "\"a\tb\"",
        std::string("\"a\0b\"", 5),
        std::string("\0", 1),
        "tru",
        "nul",
        "True",
        "None",
        "01",
        "1.",
        ".5",
        "+1",
        "1e",
        "1e+",
        "-",
        "0x10",
        "1 2",
        "[1] x",
        "\xff",
        "\"\xff\"",
        "\"\xC3\"",
        "\"\xED\xA0\x80\"",
        "\"\xC0\xAF\"",
        "\xEF\xBB\xBF[1]",
        "// comment\n1",
        "[1] // comment",
        "1e99999999999",
    };
    for (const std::string& text : malformed) {
        EXPECT_THROW((void)from_json(text), SerializeError) << testing::PrintToString(text);
    }
}

TEST(JsonReader, WriterOutputReadsBack) {
    const Value value = dict({{"s", "ñ\"\\\n\x01"},
                              {"i", list({0, -5, Value::big_int("99999999999999999999")})},
                              {"f", list({0.1, -0.0, 1e300, nan, inf, -inf})},
                              {"n", list({Value(), true, false})},
                              {"d", dict({{"x", Value::dict()}, {"y", Value::list()}})}});
    EXPECT_EQ(from_json(to_json(value)), value);
}

TEST(JsonReader, GoldenTextsFromPyro4) {
    EXPECT_EQ(from_json("{\"handshake\": \"hello\", \"object\": \"Pyro.NameServer\"}"),
              dict({{"handshake", "hello"}, {"object", "Pyro.NameServer"}}));
    EXPECT_EQ(from_json(R"({"__class__": "Pyro4.core.URI", "state": ["PYRO", "obj", null, )"
                        R"("127.0.0.1", 4444]})"),
              dict({{"__class__", "Pyro4.core.URI"},
                    {"state", list({"PYRO", "obj", Value(), "127.0.0.1", 4444})}}));
    EXPECT_EQ(from_json("\"\\u0000\x7f\""), Value(std::string("\0\x7f", 2)));
}

// Whatever bytes arrive, the reader answers with a value or a SerializeError, nothing else.
TEST(JsonReader, RandomGarbageOnlyThrowsSerializeError) {
    std::mt19937 random(20240517);
    const std::string alphabet = "[]{},:\"\\ -+.0123456789eEnulltruefalseNaNInfinity\tu\xff\xC3";
    const std::string seeds[] = {
        R"({"a": [1, 2.5, "x\u00e9", null, true], "b": {"c": NaN, "d": -Infinity}})",
        R"([0e0, "NaN", -1267650600228229401496703205376, 1e400, "\ud83d\ude00"])",
    };
    const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
    int parsed = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string text;
        if (round % 2 == 0) {
            const std::size_t length = pick(40);
            for (std::size_t i = 0; i < length; ++i) {
                text += alphabet[pick(alphabet.size())];
            }
        } else {
            text = seeds[pick(2)];
            for (std::size_t edits = pick(4) + 1; edits > 0; --edits) {
                const std::size_t at = pick(text.size() + 1);
                switch (pick(3)) {
                case 0:
                    text.insert(at, 1, alphabet[pick(alphabet.size())]);
                    break;
                case 1:
                    if (at < text.size()) {
                        text.erase(at, 1);
                    }
                    break;
                default:
                    if (at < text.size()) {
                        text[at] = static_cast<char>(random() & 0xFF);
                    }
                }
            }
        }
        try {
            (void)from_json(text);
            ++parsed;
        } catch (const SerializeError&) {
        } catch (const std::exception& e) {
            ADD_FAILURE() << "unexpected " << e.what() << " for " << testing::PrintToString(text);
        }
    }
    EXPECT_GT(parsed, 0);
}

// from_json reads plain texts (every call's request) with a shortcut and leaves the rest to
// Boost's parser: on every text the shortcut takes, both must read the same value.
TEST(JsonReader, ShortcutAndFullReaderAgree) {
    std::mt19937 random(20261203);
    const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
    const std::string spaces[] = {"", "", "", " ", "\n", "\t", "\r\n  "};
    const auto space = [&] { return spaces[pick(std::size(spaces))]; };
    const std::string numbers[] = {"0",
                                   "-0",
                                   "7",
                                   "-42",
                                   "123456789012345678",
                                   "-999999999999999999",
                                   "1234567890123456789",
                                   "99999999999999999999999",
                                   "-9223372036854775808",
                                   "1.5",
                                   "-0.0",
                                   "0.1",
                                   "1e5",
                                   "1E-7",
                                   "2.5e+300",
                                   "1e400",
                                   "-1e400",
                                   "1e-400",
                                   "4.9e-324",
                                   "1.7976931348623157e308",
                                   "3.141592653589793238462643383279",
                                   "1e0999",
                                   "0e0",
                                   "0e000000",
                                   "-0e000000",
                                   "00",
                                   "1.",
                                   ".5",
                                   "1e",
                                   "+1",
                                   "-"};
    const std::string strings[] = {
        "\"\"", "\"echo\"", "\"hello world\"", "\"a\\nb\"", "\"\\u00e9\"", "\"caf\xC3\xA9\"",
        "\"NaN\"", "\"\x7f\"", "\"tab\there\"", "\"\\ud83d\\ude00\"", "\"Infinity\"", "\"a\\\"b\"",
        // Longer than a word, so the shortcut's eight-byte steps meet what it must refuse.
        "\"a plain run of thirty-two bytes.\"", "\"0123456789abcdef\\n0123\"",
        "\"0123456789abcdef\x01tail\"", "\"0123456789abcdef caf\xC3\xA9\"",
        "\"0123456789abcdef\xff\xfe"
        "0123456789\""};
    const std::string words[] = {"true", "false", "null", "NaN", "Infinity", "-Infinity", "True"};
    const std::function<std::string(int)> value = [&](int depth) -> std::string {
        switch (depth > 3 ? pick(3) : pick(5)) {
        case 0:
            return numbers[pick(std::size(numbers))];
        case 1:
            return strings[pick(std::size(strings))];
        case 2:
            return words[pick(std::size(words))];
        case 3: {
            std::string text = "[" + space();
            for (std::size_t n = pick(5); n > 0; --n) {
                text += value(depth + 1) + space() + (n > 1 ? "," + space() : "");
            }
            return text + "]";
        }
        default: {
            std::string text = "{" + space();
            for (std::size_t n = pick(4) == 0 ? 14 + pick(6) : pick(5); n > 0; --n) {
                // Few key names, so keys repeat; some objects pass 16 entries.
                text += "\"k" + std::to_string(pick(n > 6 ? 24 : 4)) + "\"" + space() + ":" +
                        space() + value(depth + 1) + (n > 1 ? "," + space() : "");
            }
            return text + "}";
        }
        }
    };
    int shortcut = 0;
    int full_only = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string text = space() + value(0) + space();
        if (round % 4 == 3 && !text.empty()) {
            text[pick(text.size())] = "[]{},:\" 0e.-\\x"[pick(15)];
        }
        const std::optional<Value> quick = detail::from_plain_json(text);
        if (!quick) {
            ++full_only;
            continue;
        }
        ++shortcut;
        try {
            const Value full = detail::from_any_json(text);
            EXPECT_EQ(quick->repr(), full.repr()) << testing::PrintToString(text);
        } catch (const SerializeError& e) {
            ADD_FAILURE() << "the shortcut read " << quick->repr() << " where the full reader says "
                          << e.what() << ": " << testing::PrintToString(text);
        }
    }
    // Both ways are exercised, not one.
    EXPECT_GT(shortcut, 4000);
    EXPECT_GT(full_only, 4000);
}

TEST(JsonReader, ShortcutTakesWhatCallsCarry) {
    const std::string request =
        R"({"object":"echo","method":"echo","params":["hello",42,-3.5e-3,true,null],"kwargs":{}})";
    const std::optional<Value> quick = detail::from_plain_json(request);
    ASSERT_TRUE(quick.has_value());
    EXPECT_EQ(*quick, from_json(request));
    // Escapes, non-ASCII text and bare NaN go the full way.
    EXPECT_FALSE(detail::from_plain_json(R"(["a\nb"])").has_value());
    EXPECT_FALSE(detail::from_plain_json("[\"caf\xC3\xA9\"]").has_value());
    EXPECT_FALSE(detail::from_plain_json("[NaN]").has_value());
}

// --- serializer names and dispatch -----------------------------------------------------------

TEST(SerializerKind, Names) {
    EXPECT_EQ(serializer_name(SerializerKind::Serpent), "serpent");
    EXPECT_EQ(serializer_name(SerializerKind::Json), "json");
    EXPECT_EQ(serializer_from_name("serpent"), SerializerKind::Serpent);
    EXPECT_EQ(serializer_from_name("JSON"), SerializerKind::Json);
    EXPECT_EQ(serializer_from_name("Serpent"), SerializerKind::Serpent);
    try {
        (void)serializer_from_name("marshal");
        FAIL() << "no exception";
    } catch (const SerializeError& e) {
        EXPECT_STREQ(e.what(), "unsupported serializer 'marshal': libpyro speaks serpent and json");
    }
    EXPECT_THROW((void)serializer_from_name(""), SerializeError);
    EXPECT_THROW((void)serializer_from_name("jsonx"), SerializeError);
    EXPECT_THROW((void)serializer_from_name("pickle"), SerializeError);
}

TEST(SerializerKind, Ids) {
    EXPECT_EQ(serializer_from_id(1), SerializerKind::Serpent);
    EXPECT_EQ(serializer_from_id(2), SerializerKind::Json);
    for (const std::uint16_t id : std::initializer_list<std::uint16_t>{0, 3, 4, 5, 42, 65535}) {
        try {
            (void)serializer_from_id(id);
            ADD_FAILURE() << "no exception for " << id;
        } catch (const SerializeError& e) {
            EXPECT_EQ(std::string(e.what()), "unsupported serializer id " + std::to_string(id));
        }
    }
}

TEST(SerializerKind, DispatchToJson) {
    EXPECT_EQ(serialize(SerializerKind::Json, list({1, "a"})), R"([1, "a"])");
    EXPECT_EQ(deserialize(SerializerKind::Json, R"([1, "a"])"), list({1, "a"}));
    EXPECT_THROW((void)deserialize(SerializerKind::Json, "[1,"), SerializeError);
    EXPECT_THROW((void)serialize(static_cast<SerializerKind>(9), Value()), SerializeError);
    EXPECT_THROW((void)deserialize(static_cast<SerializerKind>(9), "1"), SerializeError);
    EXPECT_THROW((void)serializer_name(static_cast<SerializerKind>(9)), SerializeError);
}

TEST(SerializerKind, DispatchToSerpent) {
    const std::string text = serialize(SerializerKind::Serpent, tuple({1, "a"}));
    EXPECT_EQ(text, "# serpent utf-8 python3.2\n(1,'a')");
    EXPECT_EQ(deserialize(SerializerKind::Serpent, text), tuple({1, "a"}));
}

// --- marshal strings (§4.1) ------------------------------------------------------------------

TEST(MarshalString, GoldenConnectFailPayloads) {
    int seen = 0;
    for (const char* name :
         {"hmac_client_without_key_json.json", "hmac_server_without_key_json.json",
          "hmac_client_without_key_serpent.json", "hmac_server_without_key_serpent.json"}) {
        const auto vector = test::load_vector(std::string(name));
        for (const auto& frame : vector.at("frames").as_array()) {
            const auto& decoded = frame.at("decoded").as_object();
            if (!decoded.contains("payload_hex")) {
                continue;
            }
            const std::string payload =
                test::from_hex(std::string(decoded.at("payload_hex").as_string()));
            const auto& tagged = decoded.at("payload_value").as_array();
            ASSERT_EQ(tagged.at(0).as_string(), "str");
            EXPECT_EQ(marshal_string(payload), std::string(tagged.at(1).as_string())) << name;
            ++seen;
        }
    }
    EXPECT_EQ(seen, 4);
    EXPECT_EQ(marshal_string(
                  test::from_hex("fa1d686d6163206b657920636f6e666967206e6f742073796d6d6574726963")),
              "hmac key config not symmetric");
}

TEST(MarshalString, EveryStringTypeWithAndWithoutReferenceFlag) {
    // Bytes as Python 3.11's marshal.dumps writes them (versions 4 and 2).
    EXPECT_EQ(marshal_string(test::from_hex("da03616263")), "abc");
    EXPECT_EQ(marshal_string(test::from_hex("5a03616263")), "abc");
    EXPECT_EQ(marshal_string(test::from_hex("fa03616263")), "abc");
    EXPECT_EQ(marshal_string(test::from_hex("7a03616263")), "abc");
    EXPECT_EQ(marshal_string(test::from_hex("da00")), "");
    EXPECT_EQ(marshal_string(test::from_hex("e103000000616263")), "abc");
    EXPECT_EQ(marshal_string(test::from_hex("6103000000616263")), "abc");
    EXPECT_EQ(marshal_string(test::from_hex("c103000000616263")), "abc");
    EXPECT_EQ(marshal_string(test::from_hex("4103000000616263")), "abc");
    EXPECT_EQ(marshal_string(test::from_hex("7506000000c3a9c3a9c3a9")), "ééé");
    EXPECT_EQ(marshal_string(test::from_hex("f506000000c3a9c3a9c3a9")), "ééé");
    EXPECT_EQ(marshal_string(test::from_hex("7500000000")), "");
    EXPECT_EQ(marshal_string(test::from_hex("c12c010000") + std::string(300, 'x')),
              std::string(300, 'x'));
    EXPECT_EQ(marshal_string(test::from_hex("752c010000") + std::string(300, 'x')),
              std::string(300, 'x'));
}

TEST(MarshalString, MalformedPayloads) {
    EXPECT_EQ(marshal_error(""), "marshal: empty payload");
    EXPECT_EQ(marshal_error(test::from_hex("e901000000")),
              "marshal: type byte 0xe9 is not a string; libpyro reads marshal strings only");
    EXPECT_THROW((void)marshal_string(test::from_hex("4e")), SerializeError); // None
    EXPECT_THROW((void)marshal_string(test::from_hex("73")), SerializeError); // bytes type
    EXPECT_THROW((void)marshal_string(test::from_hex("da")), SerializeError);
    EXPECT_THROW((void)marshal_string(test::from_hex("da0461")), SerializeError);
    EXPECT_THROW((void)marshal_string(test::from_hex("e1")), SerializeError);
    EXPECT_THROW((void)marshal_string(test::from_hex("e1030000")), SerializeError);
    EXPECT_THROW((void)marshal_string(test::from_hex("e10300000061")), SerializeError);
    EXPECT_THROW((void)marshal_string(test::from_hex("75ffffffff61")), SerializeError);
    EXPECT_EQ(marshal_error(test::from_hex("da0161ff")),
              "marshal: 1 bytes of extra data after the string");
    EXPECT_EQ(marshal_error(test::from_hex("da02c3a9")),
              "marshal: non-ASCII byte in an ASCII string");
    EXPECT_EQ(marshal_error(test::from_hex("7501000000ff")), "marshal: string is not valid UTF-8");
    EXPECT_THROW((void)marshal_string(test::from_hex("7503000000eda080")), SerializeError);
}

} // namespace
} // namespace pyro
