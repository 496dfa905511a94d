#include "sha1.hpp"

#include <algorithm>
#include <cstring>

namespace pyro::detail {

namespace {

constexpr std::uint32_t rotl(std::uint32_t value, int bits) {
    return (value << bits) | (value >> (32 - bits));
}

} // namespace

void Sha1::update(std::string_view data) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
    std::size_t size = data.size();
    total_bytes_ += size;

    if (buffered_ > 0) {
        const std::size_t take = std::min(size, block_size - buffered_);
        std::memcpy(buffer_.data() + buffered_, bytes, take);
        buffered_ += take;
        bytes += take;
        size -= take;
        if (buffered_ < block_size) {
            return;
        }
        process_block(buffer_.data());
        buffered_ = 0;
    }
    // Whole blocks straight from the input: no copy for the bulk of a long payload.
    for (; size >= block_size; bytes += block_size, size -= block_size) {
        process_block(bytes);
    }
    if (size > 0) {
        std::memcpy(buffer_.data(), bytes, size);
        buffered_ = size;
    }
}

std::array<std::uint8_t, Sha1::digest_size> Sha1::finish() {
    // RFC 3174 §4 padding: 0x80, zeros up to 56 mod 64, then the message length in bits as a
    // 64-bit big-endian number. Taken before the padding itself changes total_bytes_.
    const std::uint64_t total_bits = total_bytes_ * 8u;
    std::array<std::uint8_t, block_size + 8> padding{};
    padding[0] = 0x80;
    const std::size_t pad_length = (buffered_ < 56 ? 56 - buffered_ : block_size + 56 - buffered_);
    for (std::size_t i = 0; i < 8; ++i) {
        padding[pad_length + i] = static_cast<std::uint8_t>(total_bits >> (56 - 8 * i));
    }
    update({reinterpret_cast<const char*>(padding.data()), pad_length + 8});

    std::array<std::uint8_t, digest_size> digest{};
    for (std::size_t i = 0; i < state_.size(); ++i) {
        for (std::size_t j = 0; j < 4; ++j) {
            digest[4 * i + j] = static_cast<std::uint8_t>(state_[i] >> (24 - 8 * j));
        }
    }
    return digest;
}

void Sha1::process_block(const std::uint8_t* block) {
    std::array<std::uint32_t, 80> w{};
    for (std::size_t t = 0; t < 16; ++t) {
        w[t] = (std::uint32_t{block[4 * t]} << 24) | (std::uint32_t{block[4 * t + 1]} << 16) |
               (std::uint32_t{block[4 * t + 2]} << 8) | std::uint32_t{block[4 * t + 3]};
    }
    for (std::size_t t = 16; t < 80; ++t) {
        w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    }

    std::uint32_t a = state_[0];
    std::uint32_t b = state_[1];
    std::uint32_t c = state_[2];
    std::uint32_t d = state_[3];
    std::uint32_t e = state_[4];
    for (std::size_t t = 0; t < 80; ++t) {
        std::uint32_t f = 0;
        std::uint32_t k = 0;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        const std::uint32_t temp = rotl(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rotl(b, 30);
        b = a;
        a = temp;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
}

HmacSha1::HmacSha1(std::string_view key) {
    // RFC 2104 §2: a key longer than the block is replaced by its hash; shorter keys are padded
    // with zeros to the block size.
    std::array<std::uint8_t, Sha1::block_size> block_key{};
    if (key.size() > Sha1::block_size) {
        Sha1 key_hash;
        key_hash.update(key);
        const auto digest = key_hash.finish();
        std::copy(digest.begin(), digest.end(), block_key.begin());
    } else {
        std::memcpy(block_key.data(), key.data(), key.size());
    }

    std::array<std::uint8_t, Sha1::block_size> inner_key{};
    for (std::size_t i = 0; i < Sha1::block_size; ++i) {
        inner_key[i] = static_cast<std::uint8_t>(block_key[i] ^ 0x36u);
        outer_key_[i] = static_cast<std::uint8_t>(block_key[i] ^ 0x5Cu);
    }
    inner_.update({reinterpret_cast<const char*>(inner_key.data()), inner_key.size()});
}

std::string HmacSha1::finish() {
    const auto inner_digest = inner_.finish();
    Sha1 outer;
    outer.update({reinterpret_cast<const char*>(outer_key_.data()), outer_key_.size()});
    outer.update({reinterpret_cast<const char*>(inner_digest.data()), inner_digest.size()});
    const auto digest = outer.finish();
    return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

} // namespace pyro::detail
