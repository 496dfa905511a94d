// What the serpent writer and reader (serpent_writer.cpp, serpent_reader.cpp) share.
#pragma once

#include <string>
#include <string_view>

#include "pyro/errors.hpp"

namespace pyro::detail {

// The line every serpent document Pyro4 writes starts with (PYRO4-WIRE.md §6.2).
inline constexpr std::string_view serpent_header = "# serpent utf-8 python3.2\n";

// Both directions report problems with the same prefix, so a message says which codec failed.
[[noreturn]] inline void serpent_error(const std::string& what) {
    throw SerializeError("serpent: " + what);
}

} // namespace pyro::detail
