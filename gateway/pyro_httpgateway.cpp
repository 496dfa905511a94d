// pyro-httpgateway — Pyro4's HTTP gateway (pyro4-httpgateway): web pages and other HTTP clients
// call Pyro objects with json, through the name server.
//
//   pyro-httpgateway                          http://localhost:8080/pyro/, names "http.*" only
//   pyro-httpgateway -H 0.0.0.0 -e 'http\.|test\.' -g SECRET
//                                             reachable from the network, two prefixes, callers
//                                             must send X-Pyro-Gateway-Key: SECRET
//
// Everything of substance lives in http_gateway.cpp; this file reads the command line and the
// environment, and turns errors into one line.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "gateway/http_gateway.hpp"
#include "pyro/config.hpp"

namespace {

std::string usage(const std::string& program) {
    return "Usage: " + program + " [options]\n";
}

// In the layout of pyro4-httpgateway's optparse help, in our own words.
std::string help(const std::string& program, const pyro::Config& config) {
    std::string timeout = std::to_string(config.comm_timeout);
    timeout.erase(timeout.find_last_not_of('0') + 1);
    if (timeout.ends_with('.')) {
        timeout += '0';
    }
    return usage(program) + R"(
Serves Pyro objects to HTTP clients: GET or POST /pyro/NAME/METHOD calls a method with the
query (or form) parameters as keyword arguments and answers with json.

Options:
  -h, --help            show this help and exit
  -H HOST, --host=HOST  the host name or address to serve HTTP on (default=localhost)
  -p PORT, --port=PORT  the port to serve HTTP on (default=8080)
  -e EXPOSE, --expose=EXPOSE
                        only names matching this regex (at their start) can be
                        called; empty exposes every name (default=http\.)
  -k PYROKEY, --pyrokey=PYROKEY
                        HMAC key for talking to the Pyro objects (deprecated:
                        prefer PYRO_HMAC_KEY)
  -g GATEWAYKEY, --gatewaykey=GATEWAYKEY
                        key HTTP clients must send, as the X-Pyro-Gateway-Key
                        header or the $key parameter (or PYRO_HTTPGATEWAY_KEY)
  -t TIMEOUT, --timeout=TIMEOUT
                        seconds to wait for a Pyro object (the COMMTIMEOUT
                        setting, default=)" +
           timeout + R"(; 0 waits for ever)
  -n NSHOST, --nshost=NSHOST
                        the name server's host (default: found as Pyro4 finds
                        it, PYRO_NS_HOST and a broadcast)
  --nsport=NSPORT       the name server's port (default=PYRO_NS_PORT or 9090)
  --example-page        also serve a page that calls http.echoserver from the
                        browser, at /example.html
)";
}

} // namespace

int main(int argc, char** argv) {
    const std::string program =
        argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "pyro-httpgateway";
    try {
        pyro::Config config = pyro::Config::from_environment();
        pyro::gateway::GatewaySettings settings;
        std::optional<std::string> pyro_key;
        std::optional<std::string> gateway_key;
        int port = settings.port;
        double timeout = config.comm_timeout;
        bool show_help = false;

        CLI::App app("", program);
        app.set_help_flag(); // our own help text, in pyro4-httpgateway's layout
        app.add_flag("-h,--help", show_help);
        app.add_option("-H,--host", settings.host);
        app.add_option("-p,--port", port)->check(CLI::Range(0, 65535));
        app.add_option("-e,--expose", settings.expose);
        app.add_option("-k,--pyrokey", pyro_key);
        app.add_option("-g,--gatewaykey", gateway_key);
        app.add_option("-t,--timeout", timeout);
        app.add_option("-n,--nshost", settings.ns_host);
        app.add_option("--nsport", settings.ns_port);
        app.add_flag("--example-page", settings.example_page);
        try {
            app.parse(argc, argv);
        } catch (const CLI::ParseError& error) {
            std::cerr << usage(program) << "\n"
                      << program << ": error: " << error.what() << std::endl;
            return 2;
        }
        if (show_help) {
            std::cout << help(program, config) << std::flush;
            return 0;
        }
        if (pyro_key || gateway_key) {
            std::cerr << program
                      << ": warning: keys given on the command line can be read by every user "
                         "of this machine (ps); set PYRO_HMAC_KEY and PYRO_HTTPGATEWAY_KEY instead"
                      << std::endl;
        }
        if (const char* key = std::getenv("PYRO_HMAC_KEY")) {
            if (pyro_key) {
                std::cerr << program << ": error: give the HMAC key either with -k or in "
                          << "PYRO_HMAC_KEY, not both" << std::endl;
                return 1;
            }
            pyro_key = key;
        }
        if (const char* key = std::getenv("PYRO_HTTPGATEWAY_KEY")) {
            if (gateway_key) {
                std::cerr << program << ": error: give the gateway key either with -g or in "
                          << "PYRO_HTTPGATEWAY_KEY, not both" << std::endl;
                return 1;
            }
            gateway_key = key;
        }
        config.hmac_key = pyro_key.value_or("");
        config.comm_timeout = timeout;
        settings.gateway_key = gateway_key.value_or("");
        settings.port = static_cast<std::uint16_t>(port);

        pyro::gateway::HttpGateway gateway(config, settings, std::cout, std::cerr);
        gateway.run(true); // until Ctrl-C, SIGTERM or SIGHUP
        return 0;
    } catch (const std::exception& error) {
        std::cerr << program << ": " << error.what() << std::endl;
    }
    return 1;
}
