// pyro-ns — the name server, with pyro4-ns's options, output and behaviour (PYRO4-WIRE.md §9.1).
//
//   pyro-ns                         localhost:9090, memory storage, no broadcast responder
//   pyro-ns -n 0.0.0.0 -s sql:ns.db reachable from the network, answers broadcasts on 9091,
//                                   registrations kept in ns.db across restarts
//
// Everything of substance lives in the pyro_nameserver library (ns_server.hpp); this file reads
// the command line and turns errors into one line.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <sys/resource.h>

#include <CLI/CLI.hpp>

#include "nameserver/ns_output.hpp"
#include "nameserver/ns_server.hpp"

namespace {

// Every idle client connection holds a file descriptor. The usual soft limit of 1024 would turn
// new clients away in a large class long before the hard limit, which a program may raise to.
void raise_open_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &limit); // best effort: the old limit still works
    }
}

} // namespace

int main(int argc, char** argv) {
    namespace text = pyro::ns::text;
    const std::string program =
        argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "pyro-ns";

    pyro::ns::NameServerSettings settings;
    std::optional<std::string> key;
    bool help = false;
    bool no_broadcast = false;
    CLI::App app("", program);
    app.set_help_flag(); // pyro4-ns's own help text instead, below
    app.add_flag("-h,--help", help);
    app.add_option("-n,--host", settings.host);
    app.add_option("-p,--port", settings.port);
    app.add_option("-u,--unixsocket", settings.unix_socket);
    app.add_option("-s,--storage", settings.storage);
    app.add_option("--bchost", settings.bchost);
    app.add_option("--bcport", settings.bcport);
    app.add_option("--nathost", settings.nathost);
    app.add_option("--natport", settings.natport);
    app.add_flag("-x,--nobc", no_broadcast);
    app.add_option("-k,--key", key);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        std::cerr << text::ns_usage(program) << "\n"
                  << program << ": error: " << error.what() << std::endl;
        return 2;
    }
    if (help) {
        std::cout << text::ns_help(program) << std::flush;
        return 0;
    }
    settings.broadcast = !no_broadcast;

    if (key && !key->empty()) {
        std::cerr << text::key_deprecated(program) << std::endl;
    }
    if (const char* environment_key = std::getenv("PYRO_HMAC_KEY")) {
        if (key && !key->empty()) {
            std::cerr << text::key_conflict << std::endl;
            return 1;
        }
        key = environment_key;
    }
    settings.hmac_key = key.value_or("");

    raise_open_file_limit();
    try {
        // Ctrl-C and SIGTERM stop the name server cleanly even while it is still starting.
        pyro::ns::StopSignals signals;
        const pyro::Config config = pyro::Config::from_environment();
        pyro::ns::NameServerDaemon name_server(config, settings, std::cout);
        signals.on_signal([&name_server] { name_server.shutdown(); });
        name_server.request_loop(false); // until Ctrl-C or SIGTERM
        signals.on_signal({});
        std::cout << text::shut_down << std::endl;
        return 0;
    } catch (const pyro::ns::PortInUseError& error) {
        std::cerr << text::port_in_use(program, error.where(), error.port(),
                                       pyro::ns::tcp_port_holder(error.port()))
                  << std::endl;
    } catch (const std::exception& error) {
        std::cerr << program << ": " << error.what() << std::endl;
    }
    return 1;
}
