// A complete name server as pyro-ns runs it: storage, a Daemon serving Pyro.NameServer (which
// registers itself in its own table), and the broadcast responder when the address allows one.
// Usable in-process too (tests, demos):
//
//   pyro::ns::NameServerSettings settings;
//   settings.port = 0;                                  // any free port
//   pyro::ns::NameServerDaemon ns(config, settings, std::cout);
//   auto background = ns.daemon().run_in_background();
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "nameserver/broadcast.hpp"
#include "nameserver/name_server_object.hpp"
#include "nameserver/registry.hpp"
#include "pyro/config.hpp"
#include "pyro/daemon.hpp"
#include "pyro/errors.hpp"
#include "pyro/uri.hpp"

namespace pyro::ns {

// pyro4-ns's options; unset ones come from the Config (PYRO_HOST, PYRO_NS_PORT, …).
struct NameServerSettings {
    std::optional<std::string> host;    // -n; default config.host
    std::optional<int> port;            // -p; default config.ns_port; 0 = a free port
    std::string unix_socket;            // -u
    std::optional<std::string> bchost;  // --bchost; default config.ns_bchost, else all interfaces
    std::optional<int> bcport;          // --bcport; default config.ns_bcport; 0 = a free port
    std::optional<std::string> nathost; // --nathost; default config.nathost
    std::optional<int> natport;         // --natport; default config.natport
    std::string storage = "memory";     // -s: memory, dbm:FILE, sql:FILE
    bool broadcast = true;              // false with -x
    std::string hmac_key;               // -k or PYRO_HMAC_KEY; empty: none
};

// The address is taken (another name server, or any program). what() is libpyro's message.
class PortInUseError : public CommunicationError {
public:
    PortInUseError(const std::string& message, std::string where, int port)
        : CommunicationError(message), where_(std::move(where)), port_(port) {}
    [[nodiscard]] const std::string& where() const { return where_; }
    [[nodiscard]] int port() const { return port_; }

private:
    std::string where_;
    int port_;
};

class NameServerDaemon {
public:
    // Opens the storage, binds, registers Pyro.NameServer and starts the broadcast responder,
    // writing pyro4-ns's start-up lines to `out` in pyro4-ns's order (the last is the URI line).
    // Throws PortInUseError, CommunicationError (cannot bind), NamingError (storage), and
    // RemoteError("builtins.ValueError") for an invalid storage or NAT setting.
    NameServerDaemon(const Config& config, const NameServerSettings& settings, std::ostream& out);
    ~NameServerDaemon();
    NameServerDaemon(const NameServerDaemon&) = delete;
    NameServerDaemon& operator=(const NameServerDaemon&) = delete;

    // Serves until shutdown() or, with handle_signals, SIGINT/SIGTERM; then stops the responder.
    void request_loop(bool handle_signals = true);
    void shutdown();

    // The URI clients use (NAT applied) and the one the broadcast responder announces.
    [[nodiscard]] Uri uri() const;
    [[nodiscard]] Uri internal_uri() const;
    [[nodiscard]] Daemon& daemon() { return *daemon_; }

private:
    std::shared_ptr<Registry> registry_;
    std::unique_ptr<Daemon> daemon_;
    std::unique_ptr<BroadcastResponder> responder_;
};

// Ctrl-C and SIGTERM for a program that must not die of them half-started: construct it first in
// main(), before any thread exists, so every thread inherits SIGINT and SIGTERM blocked; a
// thread of its own takes them with sigwait() and runs the action given to on_signal() (at once
// if a signal came before). on_signal({}) returns only once a running action has finished, so
// the objects it used may be destroyed after it. Not copyable; the destructor stops its thread.
class StopSignals {
public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    void on_signal(std::function<void()> action);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// "pyro4-ns (pid 1234)": the program listening on TCP `port` on this machine, when /proc tells.
[[nodiscard]] std::optional<std::string> tcp_port_holder(int port);

} // namespace pyro::ns
