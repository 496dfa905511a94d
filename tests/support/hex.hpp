// Hex text <-> bytes, for golden frames.
#pragma once

#include <string>
#include <string_view>

namespace pyro::test {

// "5059" -> "PY". Throws std::invalid_argument on odd length or a non-hex digit.
[[nodiscard]] std::string from_hex(std::string_view hex);
// Lowercase hex.
[[nodiscard]] std::string to_hex(std::string_view bytes);

} // namespace pyro::test
