// pyro::convert: narrowing never wraps (OverflowError), and a reply of the wrong type names the
// call and what came back (issue 13 items 4 and 6).
#include "pyro/convert.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pyro/errors.hpp"

namespace pyro {
namespace {

// The Python class and text of the error a conversion raises.
template <class T>
std::pair<std::string, std::string> conversion_error(const Value& value) {
    try {
        (void)from_value<T>(value);
    } catch (const RemoteError& e) {
        return {e.python_class(), e.what()};
    }
    return {"none", "converted"};
}

template <class T>
std::pair<std::string, std::string> reply_error(const Value& value) {
    try {
        (void)reply_from_value<T>("echo", value);
    } catch (const RemoteError& e) {
        return {e.python_class(), e.what()};
    }
    return {"none", "converted"};
}

using Failure = std::pair<std::string, std::string>;

TEST(ConvertIntegers, InRangeValuesConvert) {
    EXPECT_EQ(from_value<std::int8_t>(Value(-128)), -128);
    EXPECT_EQ(from_value<std::uint64_t>(Value::big_int("18446744073709551615")),
              18446744073709551615u);
    EXPECT_EQ(from_value<std::int64_t>(Value(INT64_MIN)), INT64_MIN);
}

TEST(ConvertIntegers, OutOfRangeRaisesOverflowError) {
    EXPECT_EQ(conversion_error<std::int32_t>(Value(std::int64_t{3000000000})),
              Failure("builtins.OverflowError",
                      "Python int too large to convert to C++ int32_t (3000000000 is outside "
                      "-2147483648 to 2147483647)"));
    EXPECT_EQ(conversion_error<std::uint16_t>(Value(-5)),
              Failure("builtins.OverflowError",
                      "can't convert negative int to unsigned (-5 to C++ uint16_t)"));
    EXPECT_EQ(conversion_error<std::uint64_t>(Value::big_int("18446744073709551616")).first,
              "builtins.OverflowError");
    EXPECT_EQ(conversion_error<std::int64_t>(Value::big_int("-9223372036854775809")).first,
              "builtins.OverflowError");
    EXPECT_EQ(conversion_error<int>(Value("1")),
              Failure("builtins.TypeError", "expected int, got str"));
}

TEST(ConvertFloats, NarrowingBeyondRangeRaisesOverflowError) {
    EXPECT_EQ(from_value<float>(Value(1.5)), 1.5f);
    EXPECT_EQ(conversion_error<float>(Value(1e300)).first, "builtins.OverflowError");
    EXPECT_TRUE(std::isinf(from_value<float>(Value(HUGE_VAL)))); // inf stays inf, as in Python
    EXPECT_EQ(conversion_error<double>(Value::big_int("1" + std::string(400, '0'))),
              Failure("builtins.OverflowError", "int too large to convert to float"));
}

TEST(ReplyFromValue, AWrongTypeNamesTheCallAndTheReply) {
    EXPECT_EQ(reply_error<std::string>(Value(42)),
              Failure("builtins.TypeError",
                      "the server's reply to echo() was an int (42), expected a str"));
    EXPECT_EQ(reply_error<std::int64_t>(Value("42")),
              Failure("builtins.TypeError",
                      "the server's reply to echo() was a str ('42'), expected an int"));
    EXPECT_EQ(
        reply_error<std::string>(Value()),
        Failure("builtins.TypeError", "the server's reply to echo() was None, expected a str"));
    EXPECT_EQ(reply_error<std::vector<std::string>>(Value::list({"a", 1})),
              Failure("builtins.TypeError",
                      "the server's reply to echo() was a list (['a', 1]), which does not "
                      "convert: expected str, got int"));
    EXPECT_EQ(reply_error<std::int8_t>(Value(300)).first, "builtins.OverflowError");
    // A long reply is shortened in the message.
    const auto [cls, text] = reply_error<std::int64_t>(Value(std::string(100000, 'x')));
    EXPECT_LT(text.size(), 150u) << text;
    EXPECT_EQ(reply_from_value<std::string>("echo", Value("ok")), "ok");
}

} // namespace
} // namespace pyro
