// The inside of pyro::Daemon, shared by the files that implement it:
//   daemon.cpp          the public Daemon API, binding, the accept loop, threads and shutdown
//   daemon_session.cpp  one client connection: handshake, reading requests, calling the servant,
//                       writing replies (fairly, with bounded output)
//   daemon_dispatch.cpp finding the object and method, invoking it, building the result
//   daemon_object.cpp   the Pyro.Daemon object every daemon serves (ping, info, get_metadata, …)
//   daemon_streams.cpp  item streams: methods returning generators (daemon_streams.hpp)
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>

#include "daemon_streams.hpp"
#include "fault_injector.hpp"
#include "monitor_reporter.hpp"
#include "net.hpp"
#include "protocol.hpp"
#include "pyro/daemon.hpp"
#include "pyro/log.hpp"
#include "pyro/message.hpp"
#include "transport.hpp"

namespace pyro {

struct Daemon::Impl : std::enable_shared_from_this<Daemon::Impl> {
    // A registered object or class.
    struct Entry {
        Interface interface;
        InstanceMode mode = InstanceMode::Single;
        std::function<std::shared_ptr<void>()> factory;
        std::shared_ptr<void> single;
        // The CONNECTOK payload with its metadata, by serializer: the same for every client, so
        // made once (every PYRONAME: lookup costs a connection with this handshake).
        mutable std::mutex handshake_mutex;
        mutable std::map<std::uint16_t, std::string> handshake_payloads;
    };

    // What one client connection owns: its session-mode instances (Pyro4's instance_mode
    // "session").
    struct ConnectionState {
        std::string peer; // for log lines
        // For shutdown(): the connection's socket, shut down (never closed) from the control
        // thread while it is in `connections`; the connection closes it only after leaving.
        int native_handle = -1;
        // PYRO_FAULTS: this connection's faults, and a received request to deliver once more
        // (dup). Touched only by the connection's coroutine.
        std::optional<detail::FaultConnection> faults;
        std::optional<Message> duplicate;
        std::mutex mutex;
        std::map<std::string, std::shared_ptr<void>, std::less<>> sessions;
        // current_context().client; made by the handshake.
        std::unique_ptr<ClientConnection> client;
    };

    class Object; // Pyro.Daemon, daemon_object.cpp

    Daemon* owner = nullptr; // for current_daemon()
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
    // PYRO_SSL: the server's TLS context; null for plain connections.
    std::shared_ptr<detail::TlsContext> tls =
        config.ssl ? detail::make_server_tls(config) : nullptr;

    std::size_t thread_count;
    std::chrono::steady_clock::duration send_timeout;

    std::string bound_location;      // what we listen on
    std::string advertised_location; // what URIs say (NAT applied)
    std::string bound_address;       // the IP bound to, "" for a Unix socket
    int bound_port = 0;
    std::string unix_path;

    mutable std::mutex objects_mutex;
    std::map<std::string, std::shared_ptr<const Entry>, std::less<>> objects;
    std::vector<std::string> order;
    // After `objects`, so the streams (which may use their servants) go first.
    detail::StreamRegistry streams{{config.iter_stream_lifetime, config.iter_stream_linger,
                                    options.max_streams_per_connection, options.max_streams}};

    // The open connections, shut down by shutdown(). Declared before the io_contexts: a
    // connection that io's destructor ends still finds them.
    std::mutex connections_mutex;
    std::set<ConnectionState*> connections;
    std::atomic<std::size_t> connection_count{0};
    // Bytes of replies not yet taken by their clients, all connections together (output_budget).
    std::atomic<std::size_t> unsent_bytes{0};
    std::atomic<bool> stopped{false};
    std::stop_source stop_source;
    std::mutex run_mutex; // orders shutdown() against the loop starting and ending
    bool running = false; // request_loop is between starting and stopping (under run_mutex)

    // The workers: each an io_context of its own with the connections given to it, so a request
    // is read, called and answered by one thread without waking another (a shared io_context run
    // by several threads wakes one per handler). request_loop starts one thread per worker (one
    // worker per core). When a worker's threads have all sat in the same servant calls for a
    // moment (slow methods, callbacks), the control thread adds a thread to that worker, up to
    // thread_count in all, so its other connections are still served; new connections go to the
    // workers that are not stuck.
    struct Worker {
        boost::asio::io_context io;
        std::atomic<std::size_t> connections{0};
        std::atomic<std::size_t> threads{0};       // running io
        std::atomic<std::size_t> calls_running{0}; // servant calls in progress, oneway included
        std::atomic<std::uint64_t> calls_started{0};
        std::atomic<bool> growth_pending{false};
    };
    std::vector<std::unique_ptr<Worker>> workers; // fixed once constructed
    std::size_t next_worker = 0;                  // control thread: round robin among equals
    std::vector<std::thread> threads;             // touched by the control thread only
    std::atomic<std::size_t> threads_started{0};
    std::mutex threads_mutex;
    std::condition_variable threads_done;
    std::vector<bool> thread_finished; // under threads_mutex

    // The acceptor, the signals and the thread growth: run by request_loop's own thread, which
    // runs no servant, so a signal or a shutdown is taken at once even when every worker is in a
    // long call.
    boost::asio::io_context control{1};
    detail::Acceptor acceptor{control};
    // Whether accepted sockets come with the listener's TCP_NODELAY: learnt from the first
    // connection (control thread), else each connection sets it.
    std::optional<bool> nodelay_inherited;
    std::optional<boost::asio::signal_set> signals;
    // One per worker, after `control`: destroyed first.
    std::vector<std::optional<boost::asio::steady_timer>> growth_timers;

    Impl(Config cfg, DaemonOptions opts)
        : config(std::move(cfg)), options(std::move(opts)),
          log(options.logger ? *options.logger : Logger(config)),
          thread_count(options.worker_threads != 0
                           ? options.worker_threads
                           : static_cast<std::size_t>(std::clamp(config.threadpool_size, 1, 16))),
          send_timeout(options.send_timeout.count() > 0
                           ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 options.send_timeout)
                       : config.comm_timeout > 0
                           ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(config.comm_timeout))
                           : std::chrono::steady_clock::duration(std::chrono::seconds(30))) {
        hmac_key = options.hmac_key.value_or(config.hmac_key.value_or(""));
        limits.max_message_size = config.max_message_size;
        const std::size_t cores = std::max<std::size_t>(std::thread::hardware_concurrency(), 2);
        for (std::size_t i = 0; i < std::min(thread_count, cores); ++i) {
            workers.push_back(std::make_unique<Worker>());
        }
        growth_timers.resize(workers.size());
    }

    // Daemon::cache_answers: remembered result payloads of calls whose answers may be repeated.
    struct AnswerRule {
        std::string object;
        std::string method;
        std::function<std::uint64_t()> version;
    };
    struct Answer {
        std::shared_ptr<const AnswerRule> rule;
        std::uint64_t version = 0;
        std::string payload;
    };
    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const noexcept {
            return std::hash<std::string_view>{}(text);
        }
    };
    // Requests larger than this are never looked up (a lookup's request is ~80 bytes), nor are
    // more answers than this kept (the cache starts again empty when full), nor large ones: at
    // most a few hundred MB however the clients call.
    static constexpr std::size_t answer_request_limit = 1024;
    static constexpr std::size_t answer_limit = 4096;
    static constexpr std::size_t answer_size_limit = 64 * 1024; // larger answers are not kept
    mutable std::shared_mutex answers_mutex;
    std::atomic<bool> answers_on{false}; // a rule exists: only then is a request looked up
    std::vector<std::shared_ptr<const AnswerRule>> answer_rules;
    // By serializer id (serpent 1, json 2): request payload bytes → answer.
    std::array<std::unordered_map<std::string, Answer, TextHash, std::equal_to<>>, 3> answers;
    // CONNECT payloads already answered (no validate_handshake hook) → the object they name, by
    // serializer id: the handshake of a client that connects as others did is not parsed again.
    std::mutex connect_objects_mutex;
    std::array<std::unordered_map<std::string, std::string, TextHash, std::equal_to<>>, 3>
        connect_objects;
    // The remembered answer to `request`, still valid, as the reply to send; nullopt otherwise.
    std::optional<Message> cached_answer(const Message& request) const;
    // The rule for a call of `object`.`method` by `request` when its answer may be remembered.
    std::shared_ptr<const AnswerRule> answer_rule(const Message& request, std::string_view object,
                                                  std::string_view method) const;
    void remember_answer(const Message& request, std::shared_ptr<const AnswerRule> rule,
                         std::uint64_t version, const std::string& payload);

    std::shared_ptr<const Entry> find(std::string_view id) const {
        const std::lock_guard lock(objects_mutex);
        const auto found = objects.find(id);
        return found == objects.end() ? nullptr : found->second;
    }

    // daemon.cpp
    void bind();
    void start_accepting();
    // On the control thread (or when nothing runs): closes the acceptor and shuts down every
    // connection's socket, so clients see the daemon go at once.
    void close_everything();
    void start_threads();
    void add_thread(Worker& worker); // on the control thread
    // For a new connection: the worker with a thread free and the fewest connections.
    Worker& pick_worker();
    // Called as a servant call starts: when every thread of its worker is in a call and another
    // client or a oneway call may be waiting behind it, look again in a moment and add a thread
    // if they are still in the same calls.
    void note_call_started(Worker& worker, bool oneway);
    void check_growth(Worker& worker, std::uint64_t started); // on the control thread
    // Counts a servant call for the thread growth.
    struct CallCount {
        CallCount(Impl& impl, Worker& worker, bool oneway) : worker_(worker) {
            impl.note_call_started(worker, oneway);
        }
        ~CallCount() { --worker_.calls_running; }
        CallCount(const CallCount&) = delete;
        CallCount& operator=(const CallCount&) = delete;

    private:
        Worker& worker_;
    };
    // Waits up to shutdown_grace for the worker threads to leave their run(); joins those that did
    // and lets the others finish on their own (they hold `self`).
    void stop_threads();
    boost::asio::awaitable<void> accept_loop();

    // daemon_session.cpp
    class Connection; // one client connection, daemon_session.cpp
    boost::asio::awaitable<void> serve(detail::Socket socket, Worker& worker, std::string peer);
    // PYRO_SSL: the TLS handshake, under the send timeout; throws TlsFailed with the cause.
    boost::asio::awaitable<void> tls_handshake(const std::shared_ptr<Connection>& connection);
    // nullopt when the client closed the connection between two frames.
    boost::asio::awaitable<std::optional<Message>> read(Connection& connection);
    boost::asio::awaitable<void> write(Connection& connection, Message message);
    // The same with PYRO_FAULTS applied.
    boost::asio::awaitable<std::optional<Message>> read_with_faults(Connection& connection);
    boost::asio::awaitable<void> write_with_faults(Connection& connection, Message message);
    // Sends one encoded frame, head then body (which may be empty): at once when the socket
    // takes it, else waiting for the client under the send timeout and the output budget.
    boost::asio::awaitable<void> send(Connection& connection, std::string_view head,
                                      std::string_view body);
    boost::asio::awaitable<void> send_slowly(Connection& connection, std::string_view head,
                                             std::string_view body, std::size_t done);
    void watch_send(const std::shared_ptr<Connection>& connection, std::uint64_t progress,
                    std::chrono::steady_clock::duration stalled);
    void watch_idle(const std::shared_ptr<Connection>& connection);
    void run_oneway(const std::shared_ptr<Connection>& connection, Message request);
    // The answer to a CONNECT; `refusal` says why when it is a CONNECTFAIL.
    Message handshake(const Message& connect, std::optional<std::string>& refusal,
                      ConnectionState& state);
    Message fail_connect(const Message* connect, const std::string& text) const;

    // daemon_dispatch.cpp (on the worker thread that read the request)
    Message dispatch(const Message& request, ConnectionState& state, bool oneway);
    Value call(const detail::InvokeRequest& call, ConnectionState& state);
    // The answer to a call whose method returned an item stream (daemon_streams.cpp).
    Message start_stream(const Message& request, SerializerKind kind, detail::StreamCall& call,
                         ConnectionState& state);
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
