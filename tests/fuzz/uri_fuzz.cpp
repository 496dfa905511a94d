// Fuzz target: the URI parser (uri.hpp; PYRO4-WIRE.md §7.3). A parsed URI's canonical text must
// read back to the same text, and its class dict, when accepted, must give the same URI.
//
// pyro::PyroError is the documented answer to a bad URI; anything else escaping, a crash, a leak
// or a hang is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pyro/errors.hpp"
#include "pyro/uri.hpp"
#include "pyro/value.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    pyro::Uri uri;
    try {
        uri = pyro::Uri::parse(input);
    } catch (const pyro::PyroError&) {
        return 0;
    }
    (void)uri.location();
    // The canonical text is a fixed point: read back, it is written the same. (Not the same
    // URI: like Pyro4, "PYROMETA:t@:" has port 9090 but the text "PYROMETA:t" drops it.) A
    // PYROMETA whose tags are empty ("PYROMETA:,@…" has one, "") is left out: its text starts
    // "PYROMETA:@", which Pyro4 reads as another URI or none at all, and libpyro reads the same
    // (regressions/uri/ holds such).
    const bool tagless_meta =
        uri.protocol() == pyro::Uri::Protocol::PyroMeta && uri.object().empty();
    if (!tagless_meta) {
        try {
            if (pyro::Uri::parse(uri.str()).str() != uri.str()) {
                std::abort(); // the canonical text is not canonical
            }
        } catch (const pyro::PyroError&) {
        }
    }
    // uri_from_value checks a state by its text, so it refuses (TypeError) the degenerate URIs
    // whose text does not read back, e.g. "PYROMETA:,@g" (regressions/uri/); any state it takes
    // must name the same URI.
    try {
        if (!(pyro::uri_from_value(pyro::to_value(uri)) == uri)) {
            std::abort(); // the class dict Pyro4 sends names another URI
        }
    } catch (const pyro::PyroError&) {
    }
    return 0;
}
