#include "pyro/errors.hpp"

namespace pyro {

// Pyro4.util.getPyroTraceback's formatRemoteTraceback (PYRO4-WIRE.md §5.6): each line loses one
// trailing newline and is split again at inner newlines, so multi-line entries (Python's
// "  File ..., line N\n    code\n") get a "| " on every line. "occured" is Pyro4's spelling.
std::string PyroError::formatted_remote_traceback() const {
    if (traceback_.empty()) {
        return {};
    }
    std::string result = " +--- This exception occured remotely (Pyro) - Remote traceback:";
    for (std::string_view line : traceback_) {
        if (line.ends_with('\n')) {
            line.remove_suffix(1);
        }
        while (true) {
            const std::size_t newline = line.find('\n');
            result += "\n | ";
            result += line.substr(0, newline);
            if (newline == std::string_view::npos) {
                break;
            }
            line.remove_prefix(newline + 1);
        }
    }
    result += "\n +--- End of remote traceback\n";
    return result;
}

} // namespace pyro
