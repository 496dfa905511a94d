// Python's repr() of a float, which both codecs write (PYRO4-WIRE.md §6.1, §6.2).
#pragma once

#include <string>

namespace pyro::detail {

// The shortest text that reads back to the same double, laid out as Python's repr does: "1.0",
// "0.1", "1e+16", "1e-05", "-0.0", "123456789.123". Non-finite values give "nan", "inf", "-inf";
// the codecs write those their own way.
[[nodiscard]] std::string python_float_repr(double value);

} // namespace pyro::detail
