// pyro-ns — the name server, with pyro4-ns's options, output and behaviour (PYRO4-WIRE.md §9.1).
//
//   pyro-ns                         localhost:9090, memory storage, no broadcast responder
//   pyro-ns -n 0.0.0.0 -s sql:ns.db reachable from the network, answers broadcasts on 9091,
//                                   registrations kept in ns.db across restarts
//
// Everything of substance lives in the pyro_nameserver library (ns_server.hpp); this file reads
// the command line and turns errors into one line.
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string_view>

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

// An integer option as optparse reads it (int(text, radix): 0x…, 0b…, a leading 0 for octal,
// a sign, surrounding spaces), checked to be a port number. Returns the error text otherwise:
// "option -p: invalid integer value: 'abc'" (optparse's words) or "option -p: port must be
// 0-65535, not 88888" (where pyro4-ns fails with a traceback, or wraps the number into a port).
std::optional<std::string> read_port(const std::string& option, const std::string& text,
                                     std::optional<int>& port) {
    const auto invalid = "option " + option + ": invalid integer value: '" + text + "'";
    std::string_view digits = text;
    while (!digits.empty() && std::isspace(static_cast<unsigned char>(digits.front()))) {
        digits.remove_prefix(1);
    }
    while (!digits.empty() && std::isspace(static_cast<unsigned char>(digits.back()))) {
        digits.remove_suffix(1);
    }
    bool negative = false;
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
        negative = digits.front() == '-';
        digits.remove_prefix(1);
    }
    int radix = 10;
    const auto prefix = [&](char letter) { // "0x" or "0X"
        return digits.size() > 2 && digits[0] == '0' &&
               std::tolower(static_cast<unsigned char>(digits[1])) == letter;
    };
    if (prefix('x')) {
        radix = 16;
        digits.remove_prefix(2);
    } else if (prefix('b')) {
        radix = 2;
        digits.remove_prefix(2);
    } else if (digits.size() > 1 && digits.front() == '0') {
        radix = 8; // optparse: int("010", 8)
    }
    if (digits.empty()) {
        return invalid;
    }
    // Any length of digits is a valid integer to Python: read them all, then check the range.
    bool too_large = false;
    long long value = 0;
    for (const char c : digits) {
        int digit = 0;
        if (c >= '0' && c <= '9') {
            digit = c - '0';
        } else if (c >= 'a' && c <= 'z') {
            digit = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'Z') {
            digit = c - 'A' + 10;
        } else {
            return invalid;
        }
        if (digit >= radix) {
            return invalid;
        }
        value = too_large ? value : value * radix + digit;
        too_large = too_large || value > 65535;
    }
    if (negative && value != 0) {
        return "option " + option + ": port must be 0-65535, not -" + std::string(digits);
    }
    if (too_large) {
        return "option " + option + ": port must be 0-65535, not " + text;
    }
    port = static_cast<int>(value);
    return std::nullopt;
}

// Which spelling of an option the command line used (optparse names that one in its errors).
std::string spelling(int argc, char** argv, const std::string& short_name,
                     const std::string& long_name) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") {
            break;
        }
        if (!long_name.empty() && arg.starts_with(long_name)) {
            return long_name;
        }
    }
    return short_name.empty() ? long_name : short_name;
}

} // namespace

int main(int argc, char** argv) {
    namespace text = pyro::ns::text;
    const std::string program =
        argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "pyro-ns";

    pyro::ns::NameServerSettings settings;
    std::optional<std::string> key;
    std::optional<std::string> port;
    std::optional<std::string> bcport;
    std::optional<std::string> natport;
    bool help = false;
    bool no_broadcast = false;
    CLI::App app("", program);
    app.set_help_flag(); // pyro4-ns's own help text instead, below
    app.add_flag("-h,--help", help);
    app.add_option("-n,--host", settings.host);
    // Ports are read as text and checked below: CLI11 would take 88888 and -1 as they are.
    app.add_option("-p,--port", port);
    app.add_option("-u,--unixsocket", settings.unix_socket);
    app.add_option("-s,--storage", settings.storage);
    app.add_option("--bchost", settings.bchost);
    app.add_option("--bcport", bcport);
    app.add_option("--nathost", settings.nathost);
    app.add_option("--natport", natport);
    app.add_flag("-x,--nobc", no_broadcast);
    app.add_option("-k,--key", key);
    const auto usage_error = [&](const std::string& what) {
        std::cerr << text::ns_usage(program) << "\n" << program << ": error: " << what << std::endl;
        return 2;
    };
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0) { // not an error (CLI11's own --help is off)
            return 0;
        }
        return usage_error(error.what());
    }
    const std::pair<std::optional<std::string>*, std::optional<int>*> ports[] = {
        {&port, &settings.port}, {&bcport, &settings.bcport}, {&natport, &settings.natport}};
    const std::pair<std::string, std::string> names[] = {
        {"-p", "--port"}, {"", "--bcport"}, {"", "--natport"}};
    for (std::size_t i = 0; i < std::size(ports); ++i) {
        if (*ports[i].first) {
            const std::string option = spelling(argc, argv, names[i].first, names[i].second);
            if (auto problem = read_port(option, **ports[i].first, *ports[i].second)) {
                return usage_error(*problem);
            }
        }
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
        const pyro::Config config = pyro::Config::from_environment();
        // Ctrl-C, SIGTERM and SIGHUP stop it cleanly from the moment its Daemon exists (the
        // Daemon's one signal handler); whatever query runs then gives up at once.
        settings.handle_signals = true;
        pyro::ns::NameServerDaemon name_server(config, settings, std::cout);
        name_server.request_loop();
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
