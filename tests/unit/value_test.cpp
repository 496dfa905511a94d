#include "pyro/value.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "pyro/errors.hpp"

namespace pyro {
namespace {

TEST(Value, DefaultIsNone) {
    EXPECT_TRUE(Value().is_none());
    EXPECT_TRUE(Value(nullptr).is_none());
    EXPECT_EQ(Value().type_name(), "NoneType");
}

TEST(Value, ScalarsKeepTheirKind) {
    EXPECT_EQ(Value(true).kind(), Value::Kind::Bool);
    EXPECT_EQ(Value(42).kind(), Value::Kind::Int);
    EXPECT_EQ(Value(std::uint8_t{7}).as_int(), 7);
    EXPECT_EQ(Value(2.5).kind(), Value::Kind::Float);
    EXPECT_EQ(Value("text").kind(), Value::Kind::String);
    EXPECT_EQ(Value(std::string_view("sv")).as_string(), "sv");
    EXPECT_EQ(Value(Bytes{1, 2}).as_bytes(), (Bytes{1, 2}));
    EXPECT_EQ(Value(Complex{1.0, -2.0}).as_complex(), (Complex{1.0, -2.0}));
}

TEST(Value, UnsignedBeyondInt64BecomesBigInt) {
    const Value v(std::uint64_t{18446744073709551615u});
    EXPECT_EQ(v.kind(), Value::Kind::BigInt);
    EXPECT_EQ(v.as_decimal(), "18446744073709551615");
    EXPECT_TRUE(v.is_integer());
    EXPECT_THROW((void)v.as_int(), RemoteError); // OverflowError: never wrapped
}

TEST(Value, BigIntNormalisesAndShrinksToInt) {
    EXPECT_EQ(Value::big_int("42"), Value(42));
    EXPECT_EQ(Value::big_int("-0"), Value(0));
    EXPECT_EQ(Value::big_int("000123"), Value(123));
    EXPECT_EQ(Value::big_int("-9223372036854775808"),
              Value(std::numeric_limits<std::int64_t>::min()));
    EXPECT_EQ(Value::big_int("9223372036854775807"),
              Value(std::numeric_limits<std::int64_t>::max()));
    EXPECT_EQ(Value::big_int("9223372036854775808").kind(), Value::Kind::BigInt);
    EXPECT_EQ(Value::big_int("-1267650600228229401496703205376").as_decimal(),
              "-1267650600228229401496703205376");
    EXPECT_EQ(Value::big_int("-000012676506002282294014967032053760").as_decimal(),
              "-12676506002282294014967032053760");
    EXPECT_THROW((void)Value::big_int(""), TypeError);
    EXPECT_THROW((void)Value::big_int("-"), TypeError);
    EXPECT_THROW((void)Value::big_int("12a"), TypeError);
    EXPECT_THROW((void)Value::big_int("1.5"), TypeError);
}

TEST(Value, AccessorsNameExpectedAndActualType) {
    try {
        (void)Value("x").as_int();
        FAIL() << "no exception";
    } catch (const TypeError& e) {
        EXPECT_STREQ(e.what(), "expected int, got str");
        EXPECT_EQ(e.python_class(), "builtins.TypeError");
    }
    EXPECT_THROW((void)Value(1).as_string(), TypeError);
    EXPECT_THROW((void)Value(1).items(), TypeError);
    EXPECT_THROW((void)Value::list().entries(), TypeError);
    EXPECT_THROW((void)Value(true).as_int(), TypeError);
    EXPECT_THROW((void)Value(1).as_bool(), TypeError);
}

TEST(Value, IntConvertsToFloatAsPythonAllows) {
    EXPECT_DOUBLE_EQ(Value(3).as_float(), 3.0);
    EXPECT_THROW((void)Value("3").as_float(), TypeError);
}

TEST(Value, SequencesAreDistinctKinds) {
    const Value::Items items{1, 2};
    EXPECT_NE(Value::list(items), Value::tuple(items));
    EXPECT_NE(Value::tuple(items), Value::set(items));
    EXPECT_TRUE(Value::set(items).is_sequence());
    EXPECT_EQ(Value::tuple(items).items().size(), 2u);
}

TEST(Value, SetsCompareUnordered) {
    EXPECT_EQ(Value::set({"a", "b"}), Value::set({"b", "a"}));
    EXPECT_NE(Value::set({"a", "a"}), Value::set({"a", "b"}));
    EXPECT_NE(Value::list({"a", "b"}), Value::list({"b", "a"}));
}

TEST(Value, FloatIdentity) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(Value(nan), Value(nan));
    EXPECT_NE(Value(0.0), Value(-0.0));
    EXPECT_NE(Value(1), Value(1.0));
    EXPECT_NE(Value(true), Value(1));
    EXPECT_EQ(Value(Complex{nan, 1.0}), Value(Complex{nan, 1.0}));
}

TEST(Value, DictKeepsOrderAndFindsStringKeys) {
    Value d = Value::dict({{"b", 1}, {"a", 2}, {3, "int key"}});
    ASSERT_NE(d.find("a"), nullptr);
    EXPECT_EQ(*d.find("a"), Value(2));
    EXPECT_EQ(d.find("3"), nullptr);
    EXPECT_EQ(d.at("b"), Value(1));
    EXPECT_THROW((void)d.at("zzz"), TypeError);
    d.set_item("a", "replaced");
    d.set_item("c", Value());
    EXPECT_EQ(d.entries().size(), 4u);
    EXPECT_EQ(d.entries()[1].second, Value("replaced"));
    EXPECT_EQ(d.entries()[3].first, Value("c"));
    EXPECT_EQ(Value(1).find("x"), nullptr);
    EXPECT_NE(Value::dict({{"a", 1}, {"b", 2}}), Value::dict({{"b", 2}, {"a", 1}}));
}

TEST(Value, ReprLooksLikePython) {
    EXPECT_EQ(Value().repr(), "None");
    EXPECT_EQ(Value(true).repr(), "True");
    EXPECT_EQ(Value(-7).repr(), "-7");
    EXPECT_EQ(Value(1.0).repr(), "1.0");
    EXPECT_EQ(Value("it's").repr(), "\"it's\"");
    EXPECT_EQ(Value("a\nb").repr(), "'a\\nb'");
    EXPECT_EQ(Value::tuple({1}).repr(), "(1,)");
    EXPECT_EQ(Value::tuple({1, "a"}).repr(), "(1, 'a')");
    EXPECT_EQ(Value::list({1, Value(), "a"}).repr(), "[1, None, 'a']");
    EXPECT_EQ(Value::set({}).repr(), "set()");
    EXPECT_EQ(Value::dict({{"k", Value::list()}}).repr(), "{'k': []}");
    EXPECT_EQ(Value(Bytes{'a', 0}).repr(), "b'a\\x00'");
    EXPECT_EQ(Value(Complex{1.0, -2.0}).repr(), "(1.0-2.0j)");
}

// Strings exactly as Python's repr() writes them (§6.3): pyro-nsc prints metadata with it.
TEST(Value, StringReprIsPythons) {
    EXPECT_EQ(Value("plain").repr(), "'plain'");
    EXPECT_EQ(Value("both ' and \"").repr(), "'both \\' and \"'");
    EXPECT_EQ(Value("\x01\u00a0\u2028").repr(), "'\\x01\\xa0\\u2028'");
    EXPECT_EQ(Value::list({"a", 1, Value()}).repr(), "['a', 1, None]");
    EXPECT_EQ(Value::tuple({"a"}).repr(), "('a',)");
    EXPECT_EQ(Value(std::string("bad \xff byte")).repr(), "'bad \\xff byte'");
}

// --- Python's + (issue 13 item 4: add(2**62, 2**62) must not wrap) ---------------------------

TEST(ValuePlus, IntsBeyond64BitsAreExact) {
    const Value two_62 = Value(std::int64_t{1} << 62);
    EXPECT_EQ(two_62 + two_62, Value::big_int("9223372036854775808"));
    EXPECT_EQ((two_62 + two_62).kind(), Value::Kind::BigInt);
    EXPECT_EQ(Value::big_int("100000000000000000000") + Value(1),
              Value::big_int("100000000000000000001"));
    EXPECT_EQ(Value(INT64_MIN) + Value(-1), Value::big_int("-9223372036854775809"));
    // Back into 64 bits when the sum fits.
    EXPECT_EQ(Value::big_int("9223372036854775808") + Value(-1), Value(INT64_MAX));
    EXPECT_EQ((Value::big_int("9223372036854775808") + Value(-1)).kind(), Value::Kind::Int);
    EXPECT_EQ(Value(2) + Value(3), Value(5));
    EXPECT_EQ(Value(true) + Value(true), Value(2));
    const std::string nines(4300, '9');
    EXPECT_EQ(Value::big_int(nines) + Value(1), Value::big_int("1" + std::string(4300, '0')));
    // Beyond Python's 4300 digits: its ValueError, not seconds of quadratic work.
    try {
        (void)(Value::big_int(nines + "9") + Value(1));
        ADD_FAILURE() << "no ValueError";
    } catch (const RemoteError& e) {
        EXPECT_EQ(e.python_class(), "builtins.ValueError");
    }
}

TEST(ValuePlus, MixedNumbersPromoteAsPython) {
    EXPECT_EQ(Value(1) + Value(0.5), Value(1.5));
    EXPECT_EQ(Value(0.5) + Value(true), Value(1.5));
    EXPECT_EQ(Value(1) + Value(Complex{0.0, 2.0}), Value(Complex{1.0, 2.0}));
    EXPECT_EQ(Value::big_int("100000000000000000000") + Value(0.5), Value(1e20 + 0.5));
    const Value huge = Value::big_int("1" + std::string(400, '0'));
    try {
        (void)(huge + Value(1.0));
        FAIL() << "no OverflowError";
    } catch (const RemoteError& e) {
        EXPECT_EQ(e.python_class(), "builtins.OverflowError");
        EXPECT_STREQ(e.what(), "int too large to convert to float");
    }
}

TEST(ValuePlus, SequencesJoin) {
    EXPECT_EQ(Value("ab") + Value("c"), Value("abc"));
    EXPECT_EQ(Value(Bytes{1}) + Value(Bytes{2}), Value(Bytes{1, 2}));
    EXPECT_EQ(Value::list({1}) + Value::list({"a"}), Value::list({1, "a"}));
    EXPECT_EQ(Value::tuple({1}) + Value::tuple({2}), Value::tuple({1, 2}));
}

TEST(ValuePlus, OtherCombinationsRaisePythonsTypeError) {
    const auto message = [](const Value& a, const Value& b) {
        try {
            (void)(a + b);
        } catch (const TypeError& e) {
            return std::string(e.what());
        }
        return std::string("no TypeError");
    };
    EXPECT_EQ(message(Value(1), Value("a")), "unsupported operand type(s) for +: 'int' and 'str'");
    EXPECT_EQ(message(Value("a"), Value(1)), "can only concatenate str (not \"int\") to str");
    EXPECT_EQ(message(Value::list(), Value::tuple()),
              "can only concatenate list (not \"tuple\") to list");
    EXPECT_EQ(message(Value(Bytes{}), Value("a")), "can't concat str to bytes");
    EXPECT_EQ(message(Value(), Value()),
              "unsupported operand type(s) for +: 'NoneType' and 'NoneType'");
    EXPECT_EQ(message(Value::set({1}), Value::set({2})),
              "unsupported operand type(s) for +: 'set' and 'set'");
}

TEST(ValueOverflow, BigIntsNeverNarrowSilently) {
    try {
        (void)Value::big_int("100000000000000000000").as_int();
        FAIL() << "no OverflowError";
    } catch (const RemoteError& e) {
        EXPECT_EQ(e.python_class(), "builtins.OverflowError");
        EXPECT_STREQ(e.what(),
                     "Python int too large to convert to C++ int64_t (100000000000000000000)");
    }
    try {
        (void)Value::big_int("-1" + std::string(400, '0')).as_float();
        FAIL() << "no OverflowError";
    } catch (const RemoteError& e) {
        EXPECT_EQ(e.python_class(), "builtins.OverflowError");
    }
    EXPECT_EQ(Value::big_int("1" + std::string(300, '0')).as_float(), 1e300);
}

} // namespace
} // namespace pyro
