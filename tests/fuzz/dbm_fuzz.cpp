// Fuzz target: the kit's reading of dbm.dumb files (nameserver/dbm_storage.hpp; PYRO4-WIRE.md
// §10.2): the index text FILE.dir, then a NUL byte, then the bytes of FILE.dat. A real index
// holds no NUL (repr() escapes it), so the split loses nothing.
//
// pyro::NamingError ("dbm error in open: …") is the documented answer to a damaged database, and
// its text is printed to a terminal: it must be UTF-8 without control characters, whatever the
// file held (the same goes for printable(), which every storage message passes file names and
// library texts through). Anything else escaping, a crash, a leak or a hang is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "nameserver/dbm_storage.hpp"
#include "nameserver/storage.hpp"
#include "pyro/errors.hpp"

namespace {

bool shows_safely(std::string_view text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) {
            return false;
        }
    }
    return pyro::ns::is_utf8(text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view index(reinterpret_cast<const char*>(data), size);
    std::string_view dat;
    if (const auto nul = index.find('\0'); nul != std::string_view::npos) {
        dat = index.substr(nul + 1);
        index = index.substr(0, nul);
    }
    try {
        for (const auto& record : pyro::ns::parse_dbm_dumb(index, dat)) {
            if (record.pos < 0 || record.size < 0 ||
                record.value.size() != static_cast<std::size_t>(record.size)) {
                std::abort(); // a record that does not describe the bytes it holds
            }
        }
    } catch (const pyro::NamingError& error) {
        if (!shows_safely(error.what())) {
            std::abort(); // raw bytes of the file in the message
        }
    }
    if (!shows_safely(
            pyro::ns::printable(std::string_view(reinterpret_cast<const char*>(data), size)))) {
        std::abort();
    }
    return 0;
}
