#include "random_id.hpp"

#include <array>
#include <cstdint>
#include <random>

namespace pyro::detail {

std::string random_uuid_bytes() {
    // One engine per thread: ids are made on many worker threads at once.
    thread_local std::mt19937_64 engine{std::random_device{}()};
    std::string bytes(16, '\0');
    for (std::size_t i = 0; i < 16; i += 8) {
        std::uint64_t word = engine();
        for (std::size_t j = 0; j < 8; ++j) {
            bytes[i + j] = static_cast<char>(word & 0xFF);
            word >>= 8;
        }
    }
    bytes[6] = static_cast<char>((bytes[6] & 0x0F) | 0x40); // version 4
    bytes[8] = static_cast<char>((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
    return bytes;
}

std::string random_hex_id() {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (char c : random_uuid_bytes()) {
        const auto byte = static_cast<unsigned char>(c);
        hex += digits[byte >> 4];
        hex += digits[byte & 0x0F];
    }
    return hex;
}

} // namespace pyro::detail
