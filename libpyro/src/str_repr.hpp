// Python's repr() of a str (PYRO4-WIRE.md §6.3), which serpent writes on the wire and
// Value::repr() shows to people: one implementation for both, so they never differ.
#pragma once

#include <string>
#include <string_view>

namespace pyro::detail {

// Appends the repr of a UTF-8 text: quote choice as Python makes it, the escapes Python uses,
// lowercase hex, printable non-ASCII written raw. Bytes that are not UTF-8 appear as \xNN.
void append_str_repr(std::string& out, std::string_view utf8);

} // namespace pyro::detail
