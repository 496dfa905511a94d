// pyro-monitor — watch the messages of a Pyro4 lab live in a browser.
//
//   pyro-monitor                      http://127.0.0.1:8090/, name server from PYRO_NS_*
//   PYRO_MONITOR=127.0.0.1:8090 build/bin/echo-server      (and every other program)
//
// Everything of substance is in monitor_server.hpp; this file reads the command line and turns
// errors into one line.
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "monitor/monitor_server.hpp"

int main(int argc, char** argv) {
    const std::string program =
        argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "pyro-monitor";
    pyro::monitor::MonitorSettings settings;
    CLI::App app("Shows the live name server registry and a sequence diagram of every message\n"
                 "sent by programs started with PYRO_MONITOR=HOST:PORT, in a web page.",
                 program);
    app.add_option("--host", settings.host, "address to serve the page and take reports on")
        ->capture_default_str();
    app.add_option("--port", settings.port,
                   "HTTP port of the page, and UDP port of the reports (0: any free port)")
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    app.add_option("--ns-host", settings.ns_host,
                   "name server to show (default: PYRO_NS_HOST, else localhost)");
    app.add_option("--ns-port", settings.ns_port, "its port (default: PYRO_NS_PORT, else 9090)")
        ->check(CLI::Range(1, 65535));
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help() << std::flush;
        return 0;
    } catch (const CLI::ParseError& error) {
        std::cerr << program << ": error: " << error.what() << " (see " << program << " --help)"
                  << std::endl;
        return 2;
    }
    try {
        pyro::monitor::MonitorServer server(pyro::Config::from_environment(), settings);
        server.handle_signals();
        const std::string host = settings.host.find(':') != std::string::npos
                                     ? "[" + settings.host + "]"
                                     : settings.host;
        const std::string where = host + ":" + std::to_string(server.port());
        std::cout << "pyro-monitor: open http://" << where << "/ in a browser\n"
                  << "pyro-monitor: start programs with PYRO_MONITOR=" << where
                  << " to see their messages\n"
                  << "pyro-monitor: Press Ctrl-C to stop." << std::endl;
        server.run();
        std::cout << "pyro-monitor: stopped" << std::endl;
        return 0;
    } catch (const std::exception& error) {
        std::cerr << program << ": " << error.what() << std::endl;
    }
    return 1;
}
