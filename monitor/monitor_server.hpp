// pyro-monitor's server: one port number for both halves of its job.
//
//   UDP  HOST:PORT   takes the datagrams PYRO_MONITOR programs send (one per message) into an
//                    EventStore;
//   HTTP HOST:PORT   serves the page (/), its files, /api/registry, /api/events?since=N, and a
//                    WebSocket (/ws?since=N) that pushes new events and registry changes.
//
// A background thread asks the name server for its registrations every couple of seconds.
// Everything else runs on one thread (run()), so a slow browser only delays its own socket: each
// WebSocket sends the next batch from the store when the previous one is written, never a queue.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "monitor/event_store.hpp"
#include "pyro/config.hpp"

namespace pyro::monitor {

struct MonitorSettings {
    std::string host = "127.0.0.1";
    int port = 8090; // 0: any free port (the same number for TCP and UDP)
    // The name server to show; unset: config.ns_host / config.ns_port.
    std::optional<std::string> ns_host;
    std::optional<int> ns_port;
    double registry_interval = 2.0; // seconds between registry polls
    EventStoreLimits limits;
};

// The 16 bytes the monitor sends as Pyro4 correlation id on its own registry polls; the page
// hides the messages that carry it (they would otherwise fill the diagram every 2 s).
constexpr std::string_view own_correlation_id = "pyro-monitor-reg";

class MonitorServer {
public:
    // Binds the TCP and UDP ports; throws std::runtime_error with one line when it cannot.
    MonitorServer(Config config, MonitorSettings settings);
    ~MonitorServer();
    MonitorServer(const MonitorServer&) = delete;
    MonitorServer& operator=(const MonitorServer&) = delete;

    // The port bound (useful with port 0).
    [[nodiscard]] int port() const;
    // Serves until stop() or a SIGINT/SIGTERM/SIGHUP (when handle_signals was called). Blocks.
    void run();
    // Stops run() soon; thread-safe, also from a signal handler context of Asio's signal_set.
    void stop();
    // SIGINT, SIGTERM and SIGHUP stop run() cleanly.
    void handle_signals();

    [[nodiscard]] const EventStore& store() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace pyro::monitor
