// Fuzz target: the serpent parser (serializer.hpp; PYRO4-WIRE.md §6). What it accepts must be
// written back and read again to the same text: the writer and reader agree on every value the
// reader can produce.
//
// pyro::PyroError (SerializeError, TypeError) is the documented answer to bad input; anything
// else escaping, a crash, a leak or a hang is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    pyro::Value value;
    try {
        value = pyro::from_serpent(input);
    } catch (const pyro::PyroError&) {
        return 0;
    }
    (void)value.repr();
    std::string written;
    try {
        written = pyro::to_serpent(value);
    } catch (const pyro::PyroError&) {
        // Refused, not mangled: e.g. {'a',b''} reads as a set holding bytes, which serpent writes
        // as a dict that Python could not put in a set.
        return 0;
    }
    // Text, not values, are compared: NaN never equals itself.
    const std::string rewritten = pyro::to_serpent(pyro::from_serpent(written));
    if (rewritten != written) {
        std::abort(); // the writer produced text its own reader reads as something else
    }
    return 0;
}
