// pyro::Daemon — serves C++ objects to Pyro4 clients (C++ or Python).
//
//   pyro::Daemon daemon(config);                        // binds now (port 0: a free port)
//   auto uri = daemon.register_object(std::make_shared<Echo>(),
//                                     pyro::methods<Echo>().expose("echo", &Echo::echo),
//                                     "echo.server");
//   daemon.request_loop();                              // serves until Ctrl-C or shutdown()
//
// How it serves: a pool of worker threads (DaemonOptions::worker_threads) runs every connection.
// The thread that reads a request calls the servant method itself and writes the reply, so a
// call costs no hand-off between threads; a slow method holds only its own thread, and the other
// clients go on on the others. Connections are served fairly: each has at most one request (and
// at most DaemonOptions::oneway_limit oneway calls) running, and a connection whose next request
// is already waiting steps behind the others before it is served again. Accepting connections
// and signals run on the thread that calls request_loop(), which never runs a servant method.
// Servants may be called from several threads at once: protect their state. The Daemon itself
// is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "pyro/autoproxy.hpp"
#include "pyro/config.hpp"
#include "pyro/context.hpp"
#include "pyro/log.hpp"
#include "pyro/methods.hpp"
#include "pyro/uri.hpp"

namespace pyro {

namespace detail {
struct DaemonAccess; // current_call.hpp
} // namespace detail

// Pyro4's instance modes: one object for everybody (Single), one per client connection (Session),
// a fresh one for every call (PerCall).
enum class InstanceMode { Single, Session, PerCall };

struct DaemonOptions {
    std::optional<std::string> host;     // default: config.host
    int port = 0;                        // 0: a free port chosen by the system
    std::string unix_socket;             // when set, listen on this Unix socket instead of TCP
    std::optional<std::string> nat_host; // default: config.nathost; advertised in URIs
    int nat_port = 0;                    // default: config.natport (0: the real port)
    std::optional<std::string> hmac_key; // default: config.hmac_key
    // The most threads that serve the connections and run the servant methods (at most this
    // many calls run at once); 0: min(config.threadpool_size, 16). request_loop() starts one
    // per core and adds one whenever all have been inside servant calls for 5 ms.
    std::size_t worker_threads = 0;
    std::optional<Logger> logger; // default: Logger(config) (log.hpp)

    // Oneway calls of one connection that may run at once (with PYRO_ONEWAY_THREADED, the
    // default); when that many run, the daemon reads nothing more from that connection until one
    // ends, so a client flooding oneway calls delays the others by at most this many calls.
    std::size_t oneway_limit = 4;
    // Bounded output. A connection holds at most one unsent reply and reads no request while
    // it waits to send it. A client that takes no byte of its reply for send_timeout is dropped
    // (one WARNING line): send_timeout 0 means PYRO_COMMTIMEOUT when that is set, else 30 s.
    // While the unsent replies of all connections together exceed output_budget bytes, no
    // connection reads a new request, and any connection whose client has taken nothing for
    // 1 s (or send_timeout, if shorter) is dropped; so clients that ask for large answers and
    // never read cannot make the server grow much beyond output_budget (plus the replies of
    // the calls running at that moment).
    std::chrono::milliseconds send_timeout{0};
    std::size_t output_budget = 64u * 1024u * 1024u;
    // On shutdown the daemon closes every connection at once and waits this long for servant
    // methods still running; then request_loop() returns without them (one WARNING line; their
    // threads finish in the background and their results are not sent). ~Daemon waits for them
    // once more up to this long, so that an owner who interrupts them after request_loop()
    // (see stop_token()) can destroy what they use safely.
    std::chrono::milliseconds shutdown_grace{500};

    // Pyro4's Daemon.validateHandshake: called with each new connection and the data its
    // client's proxy sent (Pyro4's _pyroHandshake, "hello" by default); what it returns is sent
    // back (the C++ proxy's handshake_response()), and an exception refuses the connection with
    // its what() as the reason the client sees. current_context() works inside it (no method
    // yet). Unset: answers "hello", as Pyro4 does.
    std::function<Value(ClientConnection& connection, const Value& data)> validate_handshake;
    // Item streams (item_stream.hpp) open at once, per client connection and in all (lingering
    // ones included); a call whose stream would pass either gets a PyroError saying so. Pyro4
    // has no such limit, but then a client could make the server keep any number of generators.
    std::size_t max_streams_per_connection = 64;
    std::size_t max_streams = 1024;
};

class Daemon {
public:
    // Binds the socket at once. Throws CommunicationError with one line saying what to do when
    // the address is in use or cannot be bound, PyroError for a bad config.log_level.
    explicit Daemon(Config config = {}, DaemonOptions options = {});
    ~Daemon(); // shuts down; waits for running servant calls at most shutdown_grace
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Registers one object for all clients; returns its URI. An empty id gets a generated
    // "obj_<32 hex>" id. Throws DaemonError when the id is taken.
    template <class T>
    Uri register_object(std::shared_ptr<T> servant, const methods<T>& interface,
                        std::string object_id = {}) {
        return register_entry(
            std::move(object_id), interface.interface(), InstanceMode::Single,
            [servant] { return std::shared_ptr<void>(servant); }, servant);
    }

    // Registers a class: the daemon makes instances as the mode says, with the factory (default:
    // T's default constructor).
    template <class T>
    Uri register_class(
        const methods<T>& interface, InstanceMode mode, std::string object_id = {},
        std::function<std::shared_ptr<T>()> factory = [] { return std::make_shared<T>(); }) {
        std::shared_ptr<void> single;
        if (mode == InstanceMode::Single) {
            single = factory();
        }
        return register_entry(
            std::move(object_id), interface.interface(), mode,
            [factory] { return std::shared_ptr<void>(factory()); }, single);
    }

    // Removes an object; unknown ids are ignored. Calls already running finish.
    void unregister(std::string_view object_id);

    // Lets the daemon answer calls of `method` on the registered `object_id` without calling the
    // servant: the result payload of a call is remembered by its request payload bytes and
    // serializer, and a later request with the same bytes (and no flags, no annotation but CORR
    // and HMAC) gets it again while `version()` still returns what it returned before that call.
    // Only for methods whose result follows from their arguments and what version() counts (the
    // name server's lookup: version() changes with every registration and removal), never from
    // current_context(). Calls that raise, set response annotations or return item streams are
    // not remembered. unregister(object_id) forgets the method. version() must be thread-safe.
    void cache_answers(std::string_view object_id, std::string_view method,
                       std::function<std::uint64_t()> version);

    // The URI of a registered (or any) object id on this daemon, with the NAT address if set.
    [[nodiscard]] Uri uri_for(std::string_view object_id) const;
    // "127.0.0.1:45123", "[::1]:45123" or "./u:/path" — where clients connect (NAT applied).
    [[nodiscard]] std::string location() const;
    // The address actually bound (no NAT), for printing where the daemon runs.
    [[nodiscard]] std::string bound_location() const;
    [[nodiscard]] int port() const;
    // The IP address the socket is bound to, as text ("127.0.0.1", "::1", "0.0.0.0"); empty for
    // a Unix socket.
    [[nodiscard]] std::string bound_address() const;
    // Object ids in registration order, "Pyro.Daemon" first.
    [[nodiscard]] std::vector<std::string> registered() const;

    // From now on SIGINT, SIGTERM and SIGHUP (Ctrl-C, kill, a closed terminal) make
    // request_loop() return cleanly, even when they arrive before it runs: call this before
    // announcing that the server is ready. Until request_loop() has returned, the signals no
    // longer end the program by themselves.
    void handle_signals();
    // Serves until shutdown() or, with handle_signals (which it calls), one of its signals; then
    // restores the signals' default action. Blocks; the calling thread accepts connections and
    // takes the signals, the worker threads serve. Returns within shutdown_grace of the stop
    // (plus a few milliseconds) whatever servant methods are doing.
    void request_loop(bool handle_signals = true);
    // Stops request_loop or the background thread: no new connection is accepted and no reply
    // sent from then on. Thread-safe, callable from a servant; does not wait.
    void shutdown();
    // Requested once shutdown() has been called (or a handled signal came). A servant method
    // that may run long polls it (stop_requested()) or registers a std::stop_callback, and
    // returns early, so that the daemon stops within shutdown_grace. Thread-safe.
    [[nodiscard]] std::stop_token stop_token() const noexcept;

    // Serves on a background thread until the handle is destroyed (or shutdown()).
    class Background {
    public:
        explicit Background(Daemon& daemon);
        ~Background();
        Background(const Background&) = delete;
        Background& operator=(const Background&) = delete;

    private:
        Daemon& daemon_;
        struct Thread;
        std::unique_ptr<Thread> thread_;
    };
    [[nodiscard]] std::unique_ptr<Background> run_in_background() {
        return std::make_unique<Background>(*this);
    }

private:
    struct Impl; // daemon_impl.hpp
    friend struct detail::DaemonAccess;

    Uri register_entry(std::string object_id, Interface interface, InstanceMode mode,
                       std::function<std::shared_ptr<void>()> factory,
                       std::shared_ptr<void> single);

    std::shared_ptr<Impl> impl_;
};

} // namespace pyro
