#include "float_repr.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <system_error>

namespace pyro::detail {

std::string python_float_repr(double value) {
    if (std::isnan(value)) {
        return "nan";
    }
    if (std::isinf(value)) {
        return value > 0 ? "inf" : "-inf";
    }

    // to_chars without a precision gives the shortest digits that round-trip, which is what
    // Python's repr picks too (David Gay's mode 0); only the layout differs.
    char buffer[64];
    const auto [end, ec] =
        std::to_chars(std::begin(buffer), std::end(buffer), value, std::chars_format::scientific);
    if (ec != std::errc{}) {
        return "nan"; // cannot happen: 64 bytes hold any double in scientific form
    }
    std::string_view text(buffer, static_cast<std::size_t>(end - buffer));

    std::string result;
    if (text.front() == '-') {
        result += '-';
        text.remove_prefix(1);
    }
    const std::size_t e_pos = text.find('e');
    const std::string_view mantissa = text.substr(0, e_pos);
    const int exponent = std::atoi(std::string(text.substr(e_pos + 1)).c_str());
    std::string digits;
    for (const char c : mantissa) {
        if (c != '.') {
            digits += c;
        }
    }

    // float_repr_style 'r': positional notation for decimal exponents -4..15, as repr(1e16)
    // switches to "1e+16" and repr(0.0001) stays positional.
    if (exponent < -4 || exponent >= 16) {
        result += digits.front();
        if (digits.size() > 1) {
            result += '.';
            result.append(digits, 1);
        }
        result += exponent < 0 ? "e-" : "e+";
        const int magnitude = std::abs(exponent);
        if (magnitude < 10) {
            result += '0';
        }
        result += std::to_string(magnitude);
        return result;
    }
    if (exponent < 0) {
        result += "0.";
        result.append(static_cast<std::size_t>(-exponent - 1), '0');
        result += digits;
        return result;
    }
    const auto integer_digits = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= integer_digits) {
        result += digits;
        result.append(integer_digits - digits.size(), '0');
        result += ".0";
    } else {
        result.append(digits, 0, integer_digits);
        result += '.';
        result.append(digits, integer_digits);
    }
    return result;
}

} // namespace pyro::detail
