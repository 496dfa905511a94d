// SHA-1 and HMAC-SHA1 (RFC 3174, RFC 2104), for Pyro4's HMAC annotation (PYRO4-WIRE.md §3.2).
// Written here so the kit needs no crypto library; SHA-1 is what Pyro4 4.82 uses on the wire.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pyro::detail {

class Sha1 {
public:
    static constexpr std::size_t digest_size = 20;
    static constexpr std::size_t block_size = 64;

    void update(std::string_view data);
    // Finishes and returns the digest; the object must not be used afterwards.
    [[nodiscard]] std::array<std::uint8_t, digest_size> finish();

private:
    void process_block(const std::uint8_t* block);

    std::array<std::uint32_t, 5> state_{0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u,
                                        0xC3D2E1F0u};
    std::array<std::uint8_t, block_size> buffer_{};
    std::size_t buffered_ = 0;
    std::uint64_t total_bytes_ = 0;
};

// Incremental HMAC-SHA1: the message is fed in pieces (payload, then annotation values).
class HmacSha1 {
public:
    explicit HmacSha1(std::string_view key);
    void update(std::string_view data) { inner_.update(data); }
    // The 20 raw digest bytes.
    [[nodiscard]] std::string finish();

private:
    Sha1 inner_;
    std::array<std::uint8_t, Sha1::block_size> outer_key_{};
};

} // namespace pyro::detail
