// pyro::gateway::HttpGateway — Pyro4's HTTP gateway (Pyro4/utils/httpgateway.py) on Boost.Beast:
// a web browser or any HTTP client calls Pyro objects registered in a name server, with json in
// and out.
//
//   GET  /                          302 to /pyro/
//   GET  /pyro/                     an HTML page listing the exposed names (first 10)
//   GET  /pyro/<name>/$meta         {"methods": [...], "attributes": [...]}
//   GET  /pyro/<name>/<method>?a=1  calls name.method(a="1"); the json result, or the exception's
//                                   class dict with status 500
//   POST /pyro/<name>/<method>      the same, with form parameters (application/x-www-form-
//                                   urlencoded) before the query string's
//   GET  /pyro/<name>/<attribute>   reads an exposed attribute
//
// Headers as Pyro4 reads them: X-Pyro-Gateway-Key (or the $key parameter) when a gateway key is
// set, X-Pyro-Options: oneway (answer at once, empty body), X-Pyro-Correlation-Id (sent on to
// the Pyro object and echoed back). Statuses, bodies and headers are those of pyro4-httpgateway,
// so a client written for one works with the other.
//
// What libpyro adds: bounded resources (request size, a time limit per request, a limit on open
// connections, a fixed pool of threads for the Pyro calls) and a page that needs nothing from the
// internet. Each request looks its name up and uses a fresh Proxy, as Pyro4's gateway does.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "pyro/config.hpp"

namespace pyro::gateway {

// Pyro4's default -e pattern: only names starting with "http." are reachable.
inline constexpr const char* default_expose_pattern = R"(http\.)";

struct GatewaySettings {
    std::string host = "localhost"; // -H
    std::uint16_t port = 8080;      // -p (0: any free port; port() tells which)
    // -e: names must match this regex at their start (Python's re.match); empty exposes all.
    std::string expose = default_expose_pattern;
    std::string gateway_key;            // -g (or PYRO_HTTPGATEWAY_KEY); empty: no key needed
    std::optional<std::string> ns_host; // -n; unset: located as Pyro4 does (config.ns_*)
    std::optional<int> ns_port;         // --nsport
    // --example-page: also serve web/example.html at /example.html (libpyro's addition; off by
    // default, so every path answers as in pyro4-httpgateway).
    bool example_page = false;
    // Resource bounds (libpyro's additions; Pyro4's gateway has none).
    std::size_t max_body = 1024 * 1024;  // larger request bodies get 413
    std::size_t max_header = 16 * 1024;  // larger request lines and headers get 431/400
    std::chrono::seconds io_timeout{30}; // to receive a request and to send its response
    std::size_t max_connections = 64;    // more at once get 503
    std::size_t call_threads = 8;        // Pyro calls (which block) run on this many threads
};

class HttpGateway {
public:
    // Binds the listening socket at once (throws std::system_error when it cannot) and prepares
    // the name server connection. `config` gives the Pyro side: HMAC key (-k), COMMTIMEOUT (-t),
    // where the name server is. Startup lines (as pyro4-httpgateway prints them) go to `out`,
    // one line per failed request to `errors`.
    HttpGateway(Config config, GatewaySettings settings, std::ostream& out, std::ostream& errors);
    ~HttpGateway();
    HttpGateway(const HttpGateway&) = delete;
    HttpGateway& operator=(const HttpGateway&) = delete;

    // The port actually bound.
    [[nodiscard]] std::uint16_t port() const;

    // Serves until shutdown() or, with stop_on_signals, SIGINT, SIGTERM or SIGHUP. Blocks.
    void run(bool stop_on_signals);
    // Stops run() promptly: stops accepting, abandons open connections. Thread-safe.
    void shutdown();

private:
    struct Impl; // http_gateway.cpp
    std::unique_ptr<Impl> impl_;
};

} // namespace pyro::gateway
