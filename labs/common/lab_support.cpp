#include "lab_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

namespace labkit {

void add_lab_options(CLI::App& app, LabOptions& options, bool serves_objects) {
    app.add_option("--ns-host", options.ns_host,
                   "name server host (default: $PYRO_NS_HOST, else search like Pyro4)");
    app.add_option("--ns-port", options.ns_port,
                   "name server port (default: $PYRO_NS_PORT or 9090)")
        ->check(CLI::Range(1, 65535));
    if (serves_objects) {
        app.add_option(
            "--host", options.host,
            "host or address this program listens on (default: $PYRO_HOST or localhost)");
        app.add_option("--port", options.port,
                       "port this program listens on (default: any free port)")
            ->check(CLI::Range(0, 65535));
    }
}

void add_name_options(CLI::App& app, LabOptions& options, const std::string& default_name) {
    options.name = default_name;
    app.add_option("--name", options.name,
                   "the name to register in the name server (default: " + default_name + ")")
        ->check([](const std::string& name) {
            return name.empty() ? std::string("the name must not be empty") : std::string();
        });
    app.add_flag("--replace", options.replace,
                 "take the name over even when a running server holds it");
}

void parse_command_line(CLI::App& app, LabOptions& options, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help() << std::flush;
        std::exit(0);
    } catch (const CLI::ParseError& error) {
        const std::string program = std::filesystem::path(argv[0]).filename().string();
        std::cerr << program << ": error: " << error.what() << "; see --help" << std::endl;
        std::exit(2);
    }
    options.config = pyro::Config::from_environment();
    // Only an explicit choice (option or environment) skips Pyro4's search for a name server.
    if (!options.ns_host && std::getenv("PYRO_NS_HOST") != nullptr) {
        options.ns_host = options.config.ns_host;
    }
    if (options.ns_port) {
        options.config.ns_port = *options.ns_port;
    }
}

pyro::DaemonOptions daemon_options(const LabOptions& options) {
    pyro::DaemonOptions daemon;
    daemon.host = options.host;
    daemon.port = options.port;
    return daemon;
}

pyro::NameServer find_name_server(const LabOptions& options) {
    return pyro::locate_ns(options.config, options.ns_host, options.ns_port);
}

void register_name(pyro::NameServer& ns, const pyro::Uri& uri, const LabOptions& options) {
    const std::string& name = options.name;
    std::optional<pyro::Uri> holder;
    try {
        holder = ns.lookup(name);
    } catch (const pyro::NamingError&) {
        // Not registered yet: the usual case.
    }
    if (holder && *holder != uri) {
        bool answers = true;
        try {
            pyro::Proxy other(*holder, options.config);
            other.set_timeout(std::chrono::seconds(2));
            other.ping();
        } catch (const pyro::CommunicationError&) {
            answers = false; // nobody there any more: a server that stopped without cleaning up
        } catch (const pyro::PyroError&) {
            // It answered, if only to refuse us (another HMAC key, say): it is alive.
        }
        if (!answers) {
            std::cout << "Note: '" << name << "' was registered to " << holder->str()
                      << ", which does not answer (a server that was stopped without removing "
                         "its name); replacing it."
                      << std::endl;
        } else if (options.replace) {
            std::cout << "Note: '" << name << "' was registered to the running server "
                      << holder->str() << "; --replace takes the name over." << std::endl;
        } else {
            throw pyro::NamingError("'" + name + "' is already registered to a running server (" +
                                    holder->str() +
                                    "); start this one under another name with --name NAME, or "
                                    "take the name over with --replace");
        }
    }
    ns.register_name(name, uri);
}

void unregister_name(pyro::NameServer& ns, const std::string& name, const pyro::Uri& uri) {
    try {
        if (ns.lookup(name) != uri) {
            std::cout << "'" << name << "' now belongs to another server; leaving it registered."
                      << std::endl;
            return;
        }
        ns.remove(name);
        std::cout << "'" << name << "' removed from the name server." << std::endl;
    } catch (const pyro::NamingError&) {
        // Already gone (someone removed it by hand): nothing to do.
    } catch (const pyro::CommunicationError&) {
        std::cout << "The name server is gone; '" << name << "' was not removed." << std::endl;
    }
}

int run_program(std::string_view program, const std::function<int()>& body) {
    std::cout << std::unitbuf;
    try {
        return body();
    } catch (const std::exception& error) {
        std::cerr << program << ": error: " << error.what() << std::endl;
        return 1;
    }
}

} // namespace labkit
