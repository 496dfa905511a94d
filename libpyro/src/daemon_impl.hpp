// The inside of pyro::Daemon, shared by the files that implement it:
//   daemon.cpp          the public Daemon API, binding and the accept loop
//   daemon_session.cpp  one client connection: handshake, reading requests, writing replies
//   daemon_dispatch.cpp finding the object and method, invoking it, building the result
//   daemon_object.cpp   the Pyro.Daemon object every daemon serves (ping, info, get_metadata, …)
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio.hpp>

#include "fault_injector.hpp"
#include "monitor_reporter.hpp"
#include "net.hpp"
#include "protocol.hpp"
#include "pyro/daemon.hpp"
#include "pyro/log.hpp"
#include "pyro/message.hpp"

namespace pyro {

struct Daemon::Impl {
    // A registered object or class.
    struct Entry {
        Interface interface;
        InstanceMode mode = InstanceMode::Single;
        std::function<std::shared_ptr<void>()> factory;
        std::shared_ptr<void> single;
    };

    // What one client connection owns: its session-mode instances (Pyro4's instance_mode
    // "session").
    struct ConnectionState {
        std::string peer; // for log lines
        // PYRO_FAULTS: this connection's faults, and a received request to deliver once more
        // (dup). Touched only by the connection's coroutine.
        std::optional<detail::FaultConnection> faults;
        std::optional<Message> duplicate;
        std::mutex mutex;
        std::map<std::string, std::shared_ptr<void>, std::less<>> sessions;
    };

    class Object; // Pyro.Daemon, daemon_object.cpp

    Config config;
    DaemonOptions options;
    Logger log;
    std::string hmac_key;
    // PYRO_MONITOR: null when unset, so each frame costs one test (monitor_reporter.hpp).
    std::shared_ptr<const detail::MonitorReporter> monitor =
        detail::MonitorReporter::from_config(config, "daemon");
    // PYRO_FAULTS: null when unset, so each frame costs one test (fault_injector.hpp).
    std::shared_ptr<const detail::FaultInjector> faults =
        detail::FaultInjector::from_config(config);
    MessageLimits limits;

    boost::asio::io_context io{1};
    detail::Acceptor acceptor{io};
    boost::asio::thread_pool workers;

    std::string bound_location;      // what we listen on
    std::string advertised_location; // what URIs say (NAT applied)
    std::string bound_address;       // the IP bound to, "" for a Unix socket
    int bound_port = 0;
    std::string unix_path;

    mutable std::mutex objects_mutex;
    std::map<std::string, std::shared_ptr<const Entry>, std::less<>> objects;
    std::vector<std::string> order;

    // Touched only on the I/O thread: the open connections, closed on shutdown.
    std::set<detail::Socket*> connections;
    std::atomic<std::size_t> connection_count{0};
    std::atomic<bool> stopped{false};
    std::atomic<bool> running{false}; // a thread is inside io.run()
    std::mutex run_mutex;             // orders shutdown() against the loop starting and ending
    std::optional<boost::asio::signal_set> signals;

    Impl(Config cfg, DaemonOptions opts)
        : config(std::move(cfg)), options(std::move(opts)),
          log(options.logger ? *options.logger : Logger(config)),
          workers(options.worker_threads != 0
                      ? options.worker_threads
                      : static_cast<std::size_t>(std::clamp(config.threadpool_size, 1, 16))) {
        hmac_key = options.hmac_key.value_or(config.hmac_key.value_or(""));
        limits.max_message_size = config.max_message_size;
    }

    std::shared_ptr<const Entry> find(std::string_view id) const {
        const std::lock_guard lock(objects_mutex);
        const auto found = objects.find(id);
        return found == objects.end() ? nullptr : found->second;
    }

    // daemon.cpp
    void bind();
    void start_accepting();
    void close_everything();
    boost::asio::awaitable<void> accept_loop();

    // daemon_session.cpp
    boost::asio::awaitable<void> serve(detail::Socket socket);
    boost::asio::awaitable<Message> read(detail::Socket& socket, ConnectionState& state);
    boost::asio::awaitable<void> write(detail::Socket& socket, ConnectionState& state,
                                       const Message& message);
    // The same with PYRO_FAULTS applied.
    boost::asio::awaitable<Message> read_with_faults(detail::Socket& socket,
                                                     ConnectionState& state);
    boost::asio::awaitable<void> write_with_faults(detail::Socket& socket, ConnectionState& state,
                                                   const Message& message);
    // The answer to a CONNECT; `refusal` says why when it is a CONNECTFAIL.
    Message handshake(const Message& connect, std::optional<std::string>& refusal);
    Message fail_connect(const Message* connect, const std::string& text) const;

    // daemon_dispatch.cpp (on a worker thread)
    Message dispatch(const Message& request, ConnectionState& state, bool oneway);
    Value call(const detail::InvokeRequest& call, ConnectionState& state);
    Message reply_to(const Message& request, MessageType type, std::uint16_t serializer_id,
                     std::string payload, std::uint16_t flags, bool with_corr) const;
    // INFO: a call that raised, and what the client was sent (nothing for a oneway call).
    void log_call_error(const ConnectionState& state, std::string_view object,
                        std::string_view method, const std::exception& error, const Value& payload,
                        bool sent) const;

    // daemon_object.cpp: registers Pyro.Daemon with `daemon`, whose Impl this is.
    void register_daemon_object(Daemon& daemon);
};

} // namespace pyro
