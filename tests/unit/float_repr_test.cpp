#include "float_repr.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

namespace pyro::detail {
namespace {

struct Case {
    double value;
    const char* python_repr;
};

// Expected texts are repr(value) printed by CPython 3.11.
constexpr Case python_cases[] = {
    {0.1, "0.1"},
    {1.0, "1.0"},
    {100000.0, "100000.0"},
    {1e+16, "1e+16"},
    {1.5e+16, "1.5e+16"},
    {1e-05, "1e-05"},
    {0.0001, "0.0001"},
    {123456789.123, "123456789.123"},
    {1e+300, "1e+300"},
    {5e-324, "5e-324"},
    {1.7976931348623157e+308, "1.7976931348623157e+308"},
    {-0.0, "-0.0"},
    {0.0, "0.0"},
    {1.4142135623730951, "1.4142135623730951"}, // 2 ** 0.5
    {9999999999999998.0, "9999999999999998.0"},
    {1000000000000000.0, "1000000000000000.0"},
    {1.2345678901234568e+17, "1.2345678901234568e+17"},
    {0.00012345, "0.00012345"},
    {1.2345e-05, "1.2345e-05"},
    {-1.5, "-1.5"},
    {3.14, "3.14"},
    {2.5e-07, "2.5e-07"},
    {1e+22, "1e+22"},
    {1e+23, "1e+23"},
    {2.2250738585072014e-308, "2.2250738585072014e-308"},
    {0.3, "0.3"},
    {0.6666666666666666, "0.6666666666666666"},
    {1e+100, "1e+100"},
    {1.5e+100, "1.5e+100"},
    {1e-100, "1e-100"},
    {12345.678, "12345.678"},
    {1234567890123456.8, "1234567890123456.8"},
    {-1e-05, "-1e-05"},
    {100.0, "100.0"},
    {0.00015000000000000001, "0.00015000000000000001"},
    {0.5, "0.5"},
    {6.02214076e+23, "6.02214076e+23"},
    {299792458.0, "299792458.0"},
    {-123.0, "-123.0"},
    {1e-07, "1e-07"},
};

TEST(FloatRepr, MatchesPythonRepr) {
    for (const auto& [value, expected] : python_cases) {
        EXPECT_EQ(python_float_repr(value), expected) << "value " << expected;
    }
}

TEST(FloatRepr, LayoutSwitchesAtSixteenDigits) {
    // Python keeps positional notation for decimal exponents -4..15.
    EXPECT_EQ(python_float_repr(999999999999999.9), "999999999999999.9");
    EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
    EXPECT_EQ(python_float_repr(1e16), "1e+16");
    EXPECT_EQ(python_float_repr(0.0001), "0.0001");
    EXPECT_EQ(python_float_repr(0.00009), "9e-05");
    EXPECT_EQ(python_float_repr(-0.00012), "-0.00012");
    EXPECT_EQ(python_float_repr(1.5e-10), "1.5e-10");
    EXPECT_EQ(python_float_repr(1.2345e+200), "1.2345e+200");
}

TEST(FloatRepr, NonFiniteValues) {
    EXPECT_EQ(python_float_repr(std::numeric_limits<double>::quiet_NaN()), "nan");
    EXPECT_EQ(python_float_repr(-std::numeric_limits<double>::quiet_NaN()), "nan");
    EXPECT_EQ(python_float_repr(std::numeric_limits<double>::infinity()), "inf");
    EXPECT_EQ(python_float_repr(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(FloatRepr, ExtremeValues) {
    EXPECT_EQ(python_float_repr(std::numeric_limits<double>::denorm_min()), "5e-324");
    EXPECT_EQ(python_float_repr(-std::numeric_limits<double>::max()), "-1.7976931348623157e+308");
    EXPECT_EQ(python_float_repr(std::numeric_limits<double>::min()), "2.2250738585072014e-308");
    EXPECT_EQ(python_float_repr(std::numeric_limits<double>::epsilon()), "2.220446049250313e-16");
}

// Random bit patterns: the text reads back to the same double and has Python's shape.
TEST(FloatRepr, RandomDoublesRoundTripWithPythonLayout) {
    std::mt19937_64 random(20240517);
    for (int i = 0; i < 20000; ++i) {
        const double value = std::bit_cast<double>(random());
        if (!std::isfinite(value)) {
            continue;
        }
        const std::string text = python_float_repr(value);
        double back = 0.0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), back);
        ASSERT_EQ(ec, std::errc{}) << text;
        ASSERT_EQ(end, text.data() + text.size()) << text;
        ASSERT_EQ(std::bit_cast<std::uint64_t>(back), std::bit_cast<std::uint64_t>(value)) << text;

        const auto e = text.find('e');
        if (e == std::string::npos) {
            ASSERT_NE(text.find('.'), std::string::npos) << text;
            ASSERT_NE(text.back(), '.') << text;
        } else {
            // "d[.ddd]e±XX": a sign and at least two exponent digits, no ".0" mantissa.
            ASSERT_TRUE(text[e + 1] == '+' || text[e + 1] == '-') << text;
            ASSERT_GE(text.size() - e - 2, 2u) << text;
            const std::string mantissa = text.substr(0, e);
            ASSERT_FALSE(mantissa.ends_with(".0")) << text;
            ASSERT_FALSE(mantissa.ends_with('.')) << text;
        }
    }
}

} // namespace
} // namespace pyro::detail
