#include "utf8.hpp"

#include <gtest/gtest.h>

namespace pyro::detail {
namespace {

TEST(Utf8, DecodesEveryLength) {
    const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"; // a é € 😀
    std::size_t pos = 0;
    EXPECT_EQ(next_code_point(text, pos), U'a');
    EXPECT_EQ(next_code_point(text, pos), U'\u00E9');
    EXPECT_EQ(next_code_point(text, pos), U'\u20AC');
    EXPECT_EQ(next_code_point(text, pos), U'\U0001F600');
    EXPECT_EQ(pos, text.size());
    EXPECT_EQ(next_code_point(text, pos), std::nullopt);
}

TEST(Utf8, RejectsMalformedSequences) {
    for (const std::string bad :
         {"\x80", "\xC3", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
          "\xF8\x88\x80\x80\x80", "\xC3\x28", "\xFF", "\xE2\x82"}) {
        std::size_t pos = 0;
        EXPECT_EQ(next_code_point(bad, pos), std::nullopt) << "input " << bad.size() << " bytes";
        EXPECT_EQ(pos, 0u);
        EXPECT_FALSE(is_valid_utf8("ok" + bad));
    }
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain \x7F ascii"));
}

TEST(Utf8, AppendRoundTrips) {
    for (char32_t cp :
         {U'\0', U'A', U'\u07FF', U'\u0800', U'\uFFFF', U'\U00010000', U'\U0010FFFF'}) {
        std::string out;
        append_utf8(out, cp);
        std::size_t pos = 0;
        EXPECT_EQ(next_code_point(out, pos), cp);
        EXPECT_EQ(pos, out.size());
    }
}

} // namespace
} // namespace pyro::detail
