// SHA-1 against RFC 3174 / FIPS 180 vectors and HMAC-SHA1 against all seven RFC 2202 cases.
#include "sha1.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using pyro::detail::HmacSha1;
using pyro::detail::Sha1;

// Kept local so this test does not depend on the test-support library.
std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out += digits[byte >> 4];
        out += digits[byte & 0x0F];
    }
    return out;
}

std::string sha1_hex(std::string_view data) {
    Sha1 sha;
    sha.update(data);
    const auto digest = sha.finish();
    return hex({reinterpret_cast<const char*>(digest.data()), digest.size()});
}

std::string hmac_hex(std::string_view key, std::string_view data) {
    HmacSha1 mac{key};
    mac.update(data);
    return hex(mac.finish());
}

TEST(Sha1, Abc) {
    EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Sha1, Empty) {
    EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(Sha1, FourHundredFortyEightBits) {
    EXPECT_EQ(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(Sha1, OneMillionA) {
    EXPECT_EQ(sha1_hex(std::string(1'000'000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1, OneMillionAFedInOddPieces) {
    // Pieces of 1..127 bytes cross the 64-byte block boundary at every possible offset.
    Sha1 sha;
    const std::string piece(127, 'a');
    std::size_t fed = 0;
    for (std::size_t n = 1; fed < 1'000'000; n = n % 127 + 1) {
        const std::size_t take = std::min(n, 1'000'000 - fed);
        sha.update(std::string_view{piece}.substr(0, take));
        fed += take;
    }
    const auto digest = sha.finish();
    EXPECT_EQ(hex({reinterpret_cast<const char*>(digest.data()), digest.size()}),
              "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1, PaddingBoundaries) {
    // Lengths around 55/56/64 bytes take the one-block and two-block padding paths; expected
    // digests from Python's hashlib.
    EXPECT_EQ(sha1_hex(std::string(55, 'x')), "cef734ba81a024479e09eb5a75b6ddae62e6abf1");
    EXPECT_EQ(sha1_hex(std::string(56, 'x')), "901305367c259952f4e7af8323f480d59f81335b");
    EXPECT_EQ(sha1_hex(std::string(64, 'x')), "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163");
}

// RFC 2202 §3, test cases 1 to 7.
TEST(HmacSha1, Rfc2202Case1) {
    EXPECT_EQ(hmac_hex(std::string(20, '\x0b'), "Hi There"),
              "b617318655057264e28bc0b6fb378c8ef146be00");
}

TEST(HmacSha1, Rfc2202Case2) {
    EXPECT_EQ(hmac_hex("Jefe", "what do ya want for nothing?"),
              "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(HmacSha1, Rfc2202Case3) {
    EXPECT_EQ(hmac_hex(std::string(20, '\xaa'), std::string(50, '\xdd')),
              "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
}

TEST(HmacSha1, Rfc2202Case4) {
    std::string key;
    for (char c = 0x01; c <= 0x19; ++c) {
        key += c;
    }
    EXPECT_EQ(hmac_hex(key, std::string(50, '\xcd')), "4c9007f4026250c6bc8414f9bf50c86c2d7235da");
}

TEST(HmacSha1, Rfc2202Case5) {
    EXPECT_EQ(hmac_hex(std::string(20, '\x0c'), "Test With Truncation"),
              "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04");
}

TEST(HmacSha1, Rfc2202Case6) {
    EXPECT_EQ(
        hmac_hex(std::string(80, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
        "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

TEST(HmacSha1, Rfc2202Case7) {
    EXPECT_EQ(hmac_hex(std::string(80, '\xaa'),
                       "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
              "e8e99d0f45237d786d6bbaa7965c7808bbff1a91");
}

TEST(HmacSha1, PiecewiseEqualsWhole) {
    // The message HMAC is fed as payload, then annotation values: splitting must not matter.
    HmacSha1 mac{"labkit-secret"};
    mac.update("payload bytes");
    mac.update("");
    mac.update("annotation value");
    EXPECT_EQ(hex(mac.finish()), hmac_hex("labkit-secret", "payload bytesannotation value"));
}

TEST(HmacSha1, KeyOfExactlyOneBlockIsNotHashed) {
    // 64 bytes is the boundary of RFC 2104's "longer than B" rule; expected value from Python's
    // hmac module.
    EXPECT_EQ(hmac_hex(std::string(64, 'k'), "data"), "fd6ac0544a139c8a65af3b45cd347d1f8d6fc5c2");
}

} // namespace
