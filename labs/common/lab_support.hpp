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
    pyro::Config config;                // PYRO_* settings, read once
};

// A CLI11 app with the name server options; `serves_objects` adds --host/--port.
void add_lab_options(CLI::App& app, LabOptions& options, bool serves_objects);

// Parses the command line. On --help prints the help and exits 0; on a mistake prints one line
// ("echo-client: error: …; see --help") and exits 2. Reads the PYRO_* environment into
// options.config.
void parse_command_line(CLI::App& app, LabOptions& options, int argc, char** argv);

// Daemon settings from the options.
[[nodiscard]] pyro::DaemonOptions daemon_options(const LabOptions& options);

// Finds the name server the options point to (or searches as Pyro4 does). Throws NamingError
// with where it looked and how to start one.
[[nodiscard]] pyro::NameServer find_name_server(const LabOptions& options);

// Registers `name` → uri. When the name already points to another object that still answers (a
// classmate's server on a shared name server), says so on stdout before replacing it.
void register_name(pyro::NameServer& ns, const std::string& name, const pyro::Uri& uri,
                   const pyro::Config& config);

// Removes `name` from the name server, but only while it still points to `uri`: when a
// classmate's server has taken the name over since, it stays theirs.
void unregister_name(pyro::NameServer& ns, const std::string& name, const pyro::Uri& uri);

// Runs a lab program's body: flushes every line it prints at once (output shows live through
// pipes), and turns any error into one line on stderr and exit code 1.
int run_program(std::string_view program, const std::function<int()>& body);

} // namespace labkit
