// Splitting comma-separated text, shared by URI parsing (PYROMETA tags) and Config (address and
// serializer lists).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pyro::detail {

// Python's text.split(","): every piece, empty ones included, nothing stripped; "" gives {""}.
[[nodiscard]] std::vector<std::string> split_commas(std::string_view text);

} // namespace pyro::detail
