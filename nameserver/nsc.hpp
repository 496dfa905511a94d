// pyro-nsc: pyro4-nsc's command line (optparse rules: interspersed options, --long=value,
// unique prefixes of long options, clustered short options) and its commands, each making the
// same name server call with the same arguments as pyro4-nsc (PYRO4-WIRE.md §9.2).
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pyro/config.hpp"
#include "pyro/value.hpp"

namespace pyro::ns {

struct NscOptions {
    std::optional<std::string> host;       // -n
    std::optional<int> port;               // -p: the NS port, or the broadcast port without -n
    std::optional<std::string> unixsocket; // -u
    std::optional<std::string> key;        // -k (deprecated)
    bool verbose = false;                  // -v
    std::vector<std::string> args;         // the command and its arguments
};

// The result of reading the command line: options to run with, or what to print and the exit
// code when it ends there (--help: 0; a mistake: usage + "error: …" on stderr, 2).
struct NscCommandLine {
    std::optional<NscOptions> options;
    int exit_code = 0;
    std::string out;
    std::string err;
};
[[nodiscard]] NscCommandLine parse_nsc_command_line(std::string_view program,
                                                    const std::vector<std::string>& arguments);

// One call on the name server: method, positional and keyword arguments → result. Throws what
// the name server raised.
using NscCall =
    std::function<Value(std::string_view method, Value::Items args, Value::Entries kwargs)>;

// Runs one command (args[0] is its name) as pyro4-nsc's handleCommand does: the answer on `out`,
// an exception as "Error: Class - message" on `out` (exit code still 0); a wrong argument count
// prints pyro4-nsc's message on `err` and returns 1. Reads the removematching answer from `in`.
int run_nsc_command(const std::vector<std::string>& args, const NscCall& call, std::istream& in,
                    std::ostream& out, std::ostream& err);

// The whole program: parse, locate the name server like pyro4-nsc (§8.2; -p is the broadcast
// port without -n), run the command. `environment_key` is PYRO_HMAC_KEY when set. Returns the
// exit code.
int nsc_main(std::string_view program, const std::vector<std::string>& arguments, Config config,
             const std::optional<std::string>& environment_key, std::istream& in, std::ostream& out,
             std::ostream& err);

} // namespace pyro::ns
