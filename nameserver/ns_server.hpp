// A complete name server as pyro-ns runs it: storage, a Daemon serving Pyro.NameServer (which
// registers itself in its own table), and the broadcast responder when the address allows one.
// Usable in-process too (tests, demos):
//
//   pyro::ns::NameServerSettings settings;
//   settings.port = 0;                                  // any free port
//   pyro::ns::NameServerDaemon ns(config, settings, std::cout);
//   auto background = ns.daemon().run_in_background();
#pragma once

#include <chrono>
#include <condition_variable>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nameserver/broadcast.hpp"
#include "nameserver/name_server_object.hpp"
#include "nameserver/registry.hpp"
#include "pyro/config.hpp"
#include "pyro/daemon.hpp"
#include "pyro/errors.hpp"
#include "pyro/log.hpp"
#include "pyro/uri.hpp"

namespace pyro::ns {

// PYRO_NS_AUTOCLEAN: the name server forgets the objects that went away, as Pyro4's AutoCleaner
// does. Every `interval` it tries to connect to every registered object's address (Pyro4 opens a
// TCP connection and closes it at once; so does this); a name whose address refused or timed out
// since at least `grace` (Pyro4: 20 s) is removed and logged at INFO:
//
//   autoclean: unregistering echo.server; cannot connect uri PYRO:obj@127.0.0.1:5555 for 20 sec
//
// Pyro.NameServer and Pyro.Daemon are never pinged nor removed. The pings run on the cleaner's
// own thread, many at once, and never under the registry's lock: a class full of unreachable
// laptops does not slow anyone's lookup. A name registered again with another URI meanwhile is
// kept (Registry::remove_if_unchanged).
//
//   pyro::ns::AutoCleaner cleaner(registry, pyro::ns::AutoCleanSettings::from(config), log);
struct AutoCleanSettings {
    using Seconds = std::chrono::duration<double>;
    Seconds interval{0};          // PYRO_NS_AUTOCLEAN; 0 = off
    Seconds grace{20.0};          // Pyro4's max_unreachable_time
    Seconds loop_delay{2.0};      // Pyro4's loop_delay: how often the thread looks at the clock
    Seconds connect_timeout{5.0}; // PYRO_COMMTIMEOUT, or 5 s when that is 0 (as Pyro4)

    // Pyro4's least interval (AutoCleaner.min_autoclean_value).
    static constexpr double min_interval = 3.0;

    // From the Config. Throws RemoteError("builtins.ValueError", "NS_AUTOCLEAN cannot be smaller
    // than 3") for 0 < PYRO_NS_AUTOCLEAN < 3, as pyro4-ns refuses to start then.
    [[nodiscard]] static AutoCleanSettings from(const Config& config);
    [[nodiscard]] bool enabled() const { return interval.count() > 0; }
};

class AutoCleaner {
public:
    using Clock = std::chrono::steady_clock;

    // Starts the cleaner's thread (settings.enabled() must be true).
    AutoCleaner(std::shared_ptr<Registry> registry, AutoCleanSettings settings, Logger log);
    // Stops the thread; a round in progress gives up its pings at once.
    ~AutoCleaner();
    AutoCleaner(const AutoCleaner&) = delete;
    AutoCleaner& operator=(const AutoCleaner&) = delete;

    // The names this cleaner removed so far (for tests and the log).
    [[nodiscard]] std::vector<std::string> removed() const;

private:
    void run();
    void clean_round();

    std::shared_ptr<Registry> registry_;
    AutoCleanSettings settings_;
    Logger log_;
    std::map<std::string, Clock::time_point> unreachable_since_; // name → first failed ping
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::vector<std::string> removed_;
    std::thread thread_;
};

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
    // PYRO_NS_AUTOCLEAN's cleaner; unset: AutoCleanSettings::from(config). Tests shorten the grace.
    std::optional<AutoCleanSettings> autoclean;
    // SIGINT/SIGTERM/SIGHUP stop the name server from the moment its Daemon exists (the Daemon's
    // own handler, Daemon::handle_signals), so a signal during start-up also ends it cleanly.
    bool handle_signals = false;
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

    // Serves until shutdown() or a signal (settings.handle_signals); then makes running queries
    // give up (Registry::interrupt) and stops the cleaner and the responder, so the program ends
    // within moments whatever a client asked.
    void request_loop();
    void shutdown();

    // The URI clients use (NAT applied) and the one the broadcast responder announces.
    [[nodiscard]] Uri uri() const;
    [[nodiscard]] Uri internal_uri() const;
    [[nodiscard]] Daemon& daemon() { return *daemon_; }

private:
    std::shared_ptr<Registry> registry_;
    std::unique_ptr<Daemon> daemon_;
    std::unique_ptr<BroadcastResponder> responder_;
    std::unique_ptr<AutoCleaner> cleaner_;
};

// "pyro4-ns (pid 1234)": the program listening on TCP `port` on this machine, when /proc tells.
[[nodiscard]] std::optional<std::string> tcp_port_holder(int port);

} // namespace pyro::ns
