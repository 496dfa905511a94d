// What every lab program shares: the command line options (--ns-host, --ns-port, and for programs
// that serve objects --host, --port), finding the name server with one clear error, registering
// a name safely on a shared name server, and a main() wrapper that turns any error into one line.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include <pyro/pyro.hpp>

namespace labkit {

struct LabOptions {
    std::optional<std::string> ns_host; // --ns-host, else PYRO_NS_HOST, else Pyro4's search
    std::optional<int> ns_port;         // --ns-port, else PYRO_NS_PORT
    std::optional<std::string> host;    // --host: where this program's daemon listens
    int port = 0;                       // --port: 0 = any free port
    std::string name;                   // --name: the name a server registers (servers only)
    bool replace = false;               // --replace: take the name over from a running server
    pyro::Config config;                // PYRO_* settings, read once
};

// A CLI11 app with the name server options; `serves_objects` adds --host/--port.
void add_lab_options(CLI::App& app, LabOptions& options, bool serves_objects);

// For programs that register a name: --name NAME (default `default_name`) and --replace.
void add_name_options(CLI::App& app, LabOptions& options, const std::string& default_name);

// Parses the command line. On --help prints the help and exits 0; on a mistake prints one line
// ("echo-client: error: …; see --help") and exits 2. Reads the PYRO_* environment into
// options.config.
void parse_command_line(CLI::App& app, LabOptions& options, int argc, char** argv);

// Daemon settings from the options.
[[nodiscard]] pyro::DaemonOptions daemon_options(const LabOptions& options);

// Finds the name server the options point to (or searches as Pyro4 does). Throws NamingError
// with where it looked and how to start one.
[[nodiscard]] pyro::NameServer find_name_server(const LabOptions& options);

// Registers options.name → uri, the kit's takeover policy for a shared name server:
// - the name is free, or held by an object that no longer answers a ping (a server that was
//   killed): registers it, with a printed note in the second case;
// - held by an object that answers (a classmate's running server): throws NamingError naming the
//   holder's URI and the two ways out (--name NAME, --replace), unless options.replace is set,
//   which takes the name over with a printed note.
void register_name(pyro::NameServer& ns, const pyro::Uri& uri, const LabOptions& options);

// Removes `name` from the name server, but only while it still points to `uri`: when a
// classmate's server has taken the name over since, it stays theirs.
void unregister_name(pyro::NameServer& ns, const std::string& name, const pyro::Uri& uri);

// Runs a lab program's body: flushes every line it prints at once (output shows live through
// pipes), and turns any error into one line on stderr and exit code 1.
int run_program(std::string_view program, const std::function<int()>& body);

} // namespace labkit
