// Fuzz target: json payload decoding (serializer.hpp; PYRO4-WIRE.md §6). What the reader accepts
// must be written back and read again to the same text, and what the reader's shortcut for plain
// texts reads the full reader must read the same.
//
// pyro::PyroError (SerializeError, TypeError) is the documented answer to bad input; anything
// else escaping, a crash, a leak or a hang is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "json_reader.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        (void)pyro::marshal_string(input); // the CONNECTFAIL text, the other decoder on this path
    } catch (const pyro::PyroError&) {
    }
    const std::optional<pyro::Value> quick = pyro::detail::from_plain_json(input);
    pyro::Value value;
    try {
        value = pyro::detail::from_any_json(input);
    } catch (const pyro::PyroError&) {
        if (quick) {
            std::abort(); // the shortcut read a text the full reader refuses
        }
        return 0;
    }
    if (quick && quick->repr() != value.repr()) {
        std::abort(); // the two ways read different values
    }
    (void)value.repr();
    std::string written;
    try {
        written = pyro::to_json(value);
    } catch (const pyro::PyroError&) {
        return 0; // e.g. a class dict json cannot express again; refused, not mangled
    }
    // Text, not values, are compared: NaN never equals itself.
    const std::string rewritten = pyro::to_json(pyro::from_json(written));
    if (rewritten != written) {
        std::abort(); // the writer produced text its own reader reads as something else
    }
    return 0;
}
