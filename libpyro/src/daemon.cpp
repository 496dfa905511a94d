#include "pyro/daemon.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio.hpp>

#include "net.hpp"
#include "protocol.hpp"
#include "pyro/errors.hpp"
#include "pyro/message.hpp"
#include "pyro/remote_exception.hpp"
#include "pyro/serializer.hpp"
#include "random_id.hpp"

namespace pyro {

namespace asio = boost::asio;
using detail::Socket;

namespace {

struct Entry {
    Interface interface;
    InstanceMode mode = InstanceMode::Single;
    std::function<std::shared_ptr<void>()> factory;
    std::shared_ptr<void> single;
};

// What one client connection owns: its session-mode instances (Pyro4's instance_mode "session").
struct ConnectionState {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<void>, std::less<>> sessions;
};

bool is_private_name(std::string_view name) {
    // Pyro4 (§5.4 step 6): names starting with '_' are private, except "__dunder__" names.
    const bool dunder = name.size() > 4 && name.starts_with("__") && name.ends_with("__");
    return name.starts_with("_") && !dunder;
}

// The Pyro.Daemon object every daemon serves (PYRO4-WIRE.md §7.1).
class DaemonObject {
public:
    explicit DaemonObject(Daemon::Impl& daemon) : daemon_(daemon) {}
    void ping() const noexcept {}
    std::string info() const;
    std::vector<std::string> registered() const;
    Value get_metadata(const std::string& object_id, std::optional<bool> as_lists) const;
    Value get_next_stream_item(const std::string&) const {
        // libpyro servants never return item streams (§5.9), so no id is ever valid.
        throw PyroError("item stream terminated");
    }
    void close_stream(const std::string&) const noexcept {}

private:
    Daemon::Impl& daemon_;
};

} // namespace

struct Daemon::Impl {
    Config config;
    DaemonOptions options;
    std::string hmac_key;
    MessageLimits limits;

    asio::io_context io{1};
    detail::Acceptor acceptor{io};
    asio::thread_pool workers;

    std::string bound_location;      // what we listen on
    std::string advertised_location; // what URIs say (NAT applied)
    std::string bound_address;       // the IP bound to, "" for a Unix socket
    int bound_port = 0;
    std::string unix_path;

    mutable std::mutex objects_mutex;
    std::map<std::string, std::shared_ptr<const Entry>, std::less<>> objects;
    std::vector<std::string> order;

    // Touched only on the I/O thread: the open connections, closed on shutdown.
    std::set<Socket*> connections;
    std::atomic<std::size_t> connection_count{0};
    std::atomic<bool> stopped{false};
    std::atomic<bool> running{false}; // a thread is inside io.run()
    std::mutex run_mutex;             // orders shutdown() against the loop starting and ending
    std::optional<asio::signal_set> signals;

    Impl(Config cfg, DaemonOptions opts)
        : config(std::move(cfg)), options(std::move(opts)),
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

    void bind();
    void start_accepting();
    void close_everything();
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve(Socket socket);
    asio::awaitable<Message> read(Socket& socket, const std::string& peer);
    asio::awaitable<void> write(Socket& socket, const std::string& peer, const Message& message);

    Message handshake(const Message& connect, bool& accepted);
    Message dispatch(const Message& request, ConnectionState& state);
    Value call(const detail::InvokeRequest& call, ConnectionState& state);
    Message reply_to(const Message& request, MessageType type, std::uint16_t serializer_id,
                     std::string payload, std::uint16_t flags, bool with_corr) const;
    Message fail_connect(const Message* connect, const std::string& text) const;
};

namespace {

std::string DaemonObject::info() const {
    const std::size_t count = registered().size();
    return "Pyro.Daemon bound on " + daemon_.bound_location + ", NAT " +
           (daemon_.advertised_location == daemon_.bound_location ? "None"
                                                                  : daemon_.advertised_location) +
           ", " + std::to_string(count) + " objects registered. Servertype: libpyro asio (" +
           std::to_string(daemon_.connection_count.load()) + " connections)";
}

std::vector<std::string> DaemonObject::registered() const {
    const std::lock_guard lock(daemon_.objects_mutex);
    return daemon_.order;
}

Value DaemonObject::get_metadata(const std::string& object_id, std::optional<bool> as_lists) const {
    const auto entry = daemon_.find(object_id);
    if (!entry) {
        throw DaemonError("unknown object");
    }
    return detail::metadata_to_value(entry->interface.metadata(), as_lists.value_or(false));
}

std::string peer_name(const Socket& socket) {
    boost::system::error_code error;
    const auto endpoint = socket.remote_endpoint(error);
    if (error) {
        return "?";
    }
    return detail::describe_endpoint(endpoint);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Binding and the accept loop

void Daemon::Impl::bind() {
    if (!options.unix_socket.empty()) {
        unix_path = options.unix_socket;
        // A socket file left by a crashed server would make bind fail; nothing else uses it.
        std::error_code ignored;
        if (std::filesystem::is_socket(unix_path, ignored)) {
            std::filesystem::remove(unix_path, ignored);
        }
        detail::open_and_listen(acceptor, detail::unix_endpoint(unix_path),
                                "Unix socket " + unix_path, config.sock_reuse);
        bound_location = "./u:" + unix_path;
        advertised_location = bound_location;
        return;
    }
    const std::string host = options.host.value_or(config.host);
    const auto endpoint =
        detail::resolve_bind_endpoint(host, options.port, config.prefer_ip_version);
    detail::open_and_listen(acceptor, endpoint, detail::host_port_text(host, options.port),
                            config.sock_reuse);
    const auto bound = detail::ip_endpoint(acceptor.local_endpoint());
    bound_port = bound->port();
    bound_address = bound->address().to_string();
    // Like Pyro4, URIs carry the host as it was given ("localhost"), not the resolved address.
    bound_location = detail::host_port_text(host, bound_port);
    const auto nat_host = options.nat_host ? options.nat_host : config.nathost;
    const int nat_port = options.nat_port != 0 ? options.nat_port : config.natport;
    advertised_location =
        nat_host ? detail::host_port_text(*nat_host, nat_port != 0 ? nat_port : bound_port)
                 : bound_location;
}

void Daemon::Impl::start_accepting() {
    asio::co_spawn(io, accept_loop(), asio::detached);
}

asio::awaitable<void> Daemon::Impl::accept_loop() {
    for (;;) {
        auto [error, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (error) {
            if (error == asio::error::operation_aborted || !acceptor.is_open()) {
                co_return;
            }
            // Out of file descriptors and the like: say so once and keep serving the others.
            std::cerr << "pyro daemon: accept failed: " << error.message() << std::endl;
            asio::steady_timer pause(io, std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::use_awaitable);
            continue;
        }
        if (config.sock_nodelay) {
            detail::set_nodelay(socket);
        }
        asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
}

void Daemon::Impl::close_everything() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (Socket* socket : connections) {
        socket->close(ignored);
    }
    if (!unix_path.empty()) {
        std::error_code ignored_fs;
        std::filesystem::remove(unix_path, ignored_fs);
    }
}

// ---------------------------------------------------------------------------------------------
// One connection

asio::awaitable<Message> Daemon::Impl::read(Socket& socket, const std::string& peer) {
    Message message = co_await detail::async_read_message(socket, limits);
    if (config.trace) {
        detail::trace_frame(false, peer, message);
    }
    co_return message;
}

asio::awaitable<void> Daemon::Impl::write(Socket& socket, const std::string& peer,
                                          const Message& message) {
    if (config.trace) {
        detail::trace_frame(true, peer, message);
    }
    const std::string frame = encode_message(message, hmac_key, limits);
    co_await asio::async_write(socket, asio::buffer(frame), asio::use_awaitable);
}

asio::awaitable<void> Daemon::Impl::serve(Socket socket) {
    const std::string peer = peer_name(socket);
    connections.insert(&socket);
    ++connection_count;
    auto state = std::make_shared<ConnectionState>();
    try {
        Message connect;
        std::optional<std::string> header_problem;
        try {
            connect = co_await read(socket, peer);
        } catch (const ProtocolError& error) {
            header_problem = error.what();
        }
        if (header_problem) {
            // A Python daemon answers header-level failures with a marshal CONNECTFAIL (§5.3).
            co_await write(socket, peer, fail_connect(nullptr, *header_problem));
            throw ProtocolError(*header_problem);
        }
        bool accepted = false;
        co_await write(socket, peer, handshake(connect, accepted));
        // PYRO_COMMTIMEOUT: like a Pyro4 daemon, drop a client that stays silent that long. Its
        // proxy reconnects on the next call.
        asio::steady_timer idle(io);
        const auto idle_limit = std::chrono::duration_cast<asio::steady_timer::duration>(
            std::chrono::duration<double>(config.comm_timeout));
        while (accepted) {
            if (config.comm_timeout > 0) {
                idle.expires_after(idle_limit);
                idle.async_wait([&socket](const boost::system::error_code& error) {
                    if (!error) {
                        boost::system::error_code ignored;
                        socket.close(ignored);
                    }
                });
            }
            Message request = co_await read(socket, peer);
            idle.cancel();
            verify_hmac(request, hmac_key); // after the handshake: close without answering
            if (request.type == MessageType::Ping) {
                co_await write(
                    socket, peer,
                    reply_to(request, MessageType::Ping, request.serializer_id, "pong", 0, true));
            } else if (request.type != MessageType::Invoke) {
                throw ProtocolError("invalid msg type " +
                                    std::to_string(static_cast<int>(request.type)) + " received");
            } else if (request.has_flag(flags::oneway)) {
                // No answer, and the connection goes on at once (Pyro4's ONEWAY_THREADED).
                asio::post(workers, [this, state, request = std::move(request)] {
                    (void)dispatch(request, *state);
                });
            } else {
                Message reply = co_await asio::co_spawn(
                    workers,
                    [&]() -> asio::awaitable<Message> { co_return dispatch(request, *state); },
                    asio::use_awaitable);
                co_await write(socket, peer, reply);
            }
        }
    } catch (const boost::system::system_error& error) {
        if (!detail::is_normal_disconnect(error.code()) && !stopped) {
            std::cerr << "pyro daemon: connection from " << peer << " lost: " << error.what()
                      << std::endl;
        }
    } catch (const std::exception& error) {
        if (!stopped) {
            std::cerr << "pyro daemon: closing connection from " << peer << ": " << error.what()
                      << std::endl;
        }
    }
    connections.erase(&socket);
    --connection_count;
}

Message Daemon::Impl::reply_to(const Message& request, MessageType type,
                               std::uint16_t serializer_id, std::string payload,
                               std::uint16_t reply_flags, bool with_corr) const {
    Message reply;
    reply.type = type;
    reply.seq = request.seq;
    reply.serializer_id = serializer_id;
    reply.flags = reply_flags;
    // §3.1: answers carry the request's correlation id, or a fresh one; exception results none.
    if (with_corr) {
        const std::string* corr = request.annotation("CORR");
        reply.annotations.push_back({"CORR", corr ? *corr : detail::random_uuid_bytes()});
    }
    reply.payload = std::move(payload);
    if (config.compression && type == MessageType::Result) {
        compress_payload(reply);
    }
    return reply;
}

Message Daemon::Impl::fail_connect(const Message* connect, const std::string& text) const {
    // Failures found before the CONNECT could be read answer with seq 0 (§5.3 step 1).
    static const Message unreadable_connect;
    return reply_to(connect ? *connect : unreadable_connect, MessageType::ConnectFail,
                    serializer_ids::marshal, detail::marshal_encode_string(text), 0, false);
}

Message Daemon::Impl::handshake(const Message& connect, bool& accepted) {
    accepted = false;
    if (connect.type != MessageType::Connect) {
        return fail_connect(nullptr, "invalid msg type " +
                                         std::to_string(static_cast<int>(connect.type)) +
                                         " received");
    }
    try {
        verify_hmac(connect, hmac_key);
    } catch (const SecurityError& error) {
        return fail_connect(nullptr, error.what());
    }
    SerializerKind kind;
    try {
        kind = serializer_from_id(connect.serializer_id);
    } catch (const SerializeError&) {
        return fail_connect(&connect, "message used serializer that is not accepted: " +
                                          std::to_string(connect.serializer_id));
    }
    const auto answer = [&](MessageType type, const Value& payload, std::uint16_t reply_flags) {
        return reply_to(connect, type, connect.serializer_id, serialize(kind, payload), reply_flags,
                        true);
    };
    try {
        const Value data = deserialize(kind, payload_bytes(connect, limits));
        if (!connect.has_flag(flags::meta_on_connect)) {
            accepted = true;
            return answer(MessageType::ConnectOk, Value("hello"), 0);
        }
        const Value* object = data.find("object");
        if (object == nullptr || !object->is_string()) {
            return answer(MessageType::ConnectFail, Value("'object'"), 0);
        }
        const auto entry = find(object->as_string());
        if (!entry) {
            return answer(MessageType::ConnectFail, Value("unknown object"), 0);
        }
        accepted = true;
        return answer(
            MessageType::ConnectOk,
            Value::dict({{"handshake", "hello"},
                         {"meta", detail::metadata_to_value(entry->interface.metadata(), true)}}),
            flags::meta_on_connect);
    } catch (const PyroError& error) {
        return answer(MessageType::ConnectFail, Value(error.what()), 0);
    }
}

// ---------------------------------------------------------------------------------------------
// Calls, on a worker thread

Value Daemon::Impl::call(const detail::InvokeRequest& request, ConnectionState& state) {
    const auto entry = find(request.object);
    if (!entry) {
        throw DaemonError("unknown object");
    }
    std::shared_ptr<void> instance;
    switch (entry->mode) {
    case InstanceMode::Single:
        instance = entry->single;
        break;
    case InstanceMode::PerCall:
        instance = entry->factory();
        break;
    case InstanceMode::Session: {
        const std::lock_guard lock(state.mutex);
        auto& slot = state.sessions[request.object];
        if (!slot) {
            slot = entry->factory();
        }
        instance = slot;
        break;
    }
    }
    const Interface& interface = entry->interface;
    // §5.8: attribute access travels as these two method names.
    if (request.method == "__getattr__" || request.method == "__setattr__") {
        const bool setting = request.method == "__setattr__";
        if (request.params.size() != (setting ? 2u : 1u) || !request.params[0].is_string()) {
            throw TypeError(request.method + " needs the attribute name" +
                            (setting ? " and a value" : ""));
        }
        const std::string& name = request.params[0].as_string();
        if (setting) {
            interface.set_attribute(instance.get(), name, request.params[1]);
            return Value();
        }
        return interface.get_attribute(instance.get(), name);
    }
    if (is_private_name(request.method)) {
        throw RemoteError("builtins.AttributeError",
                          "attempt to access private attribute '" + request.method + "'");
    }
    return interface.invoke(instance.get(), request.method, request.params, request.kwargs);
}

Message Daemon::Impl::dispatch(const Message& request, ConnectionState& state) {
    SerializerKind kind = SerializerKind::Json;
    std::string object = "?";
    std::string method = "?";
    try {
        kind = serializer_from_id(request.serializer_id);
    } catch (const SerializeError&) {
        // Nothing we could answer in: the client would not read json either.
        throw ProtocolError("message used serializer that is not accepted: " +
                            std::to_string(request.serializer_id));
    }
    const auto exception_reply = [&](const std::exception& error) {
        return reply_to(request, MessageType::Result, request.serializer_id,
                        serialize(kind, detail::exception_payload(error, object, method)),
                        flags::exception, false);
    };
    try {
        if (request.has_flag(flags::keep_serialized)) {
            throw ProtocolError("FLAGS_KEEPSERIALIZED is a Python-only feature; libpyro does "
                                "not support it");
        }
        const auto invoke = detail::parse_invoke(deserialize(kind, payload_bytes(request, limits)));
        object = invoke.object;
        method = invoke.method;
        Value result;
        if (request.has_flag(flags::batch)) {
            // §5.7: run in order, stop at the first failure, which travels wrapped.
            Value::Items results;
            for (const auto& item : invoke.params) {
                if (!item.is_sequence() || item.items().size() != 3) {
                    throw SerializeError("batch: each call must be (method, args, kwargs)");
                }
                const auto& parts = item.items();
                detail::InvokeRequest single{invoke.object, parts[0].as_string(), parts[1].items(),
                                             parts[2].is_none() ? Value::Entries{}
                                                                : parts[2].entries()};
                try {
                    results.push_back(call(single, state));
                } catch (const std::exception& error) {
                    results.push_back(Value::dict(
                        {{"__class__", "Pyro4.futures._ExceptionWrapper"},
                         {"exception", detail::exception_payload(error, object, single.method)}}));
                    break;
                }
            }
            result = Value::list(std::move(results));
        } else {
            result = call(invoke, state);
        }
        std::string payload;
        try {
            payload = serialize(kind, result);
        } catch (const PyroError& error) {
            throw SerializeError(std::string("Error serializing result of ") + method +
                                 "(): " + error.what());
        }
        return reply_to(request, MessageType::Result, request.serializer_id, std::move(payload),
                        request.has_flag(flags::batch) ? flags::batch : 0, true);
    } catch (const std::exception& error) {
        return exception_reply(error);
    }
}

// ---------------------------------------------------------------------------------------------
// Daemon

Daemon::Daemon(Config config, DaemonOptions options)
    : impl_(std::make_shared<Impl>(std::move(config), std::move(options))) {
    impl_->bind();
    auto daemon_object = std::make_shared<DaemonObject>(*impl_);
    register_object(
        daemon_object,
        methods<DaemonObject>()
            .expose("close_stream", &DaemonObject::close_stream, {"streamId"})
            .expose("registered", &DaemonObject::registered)
            .expose("get_next_stream_item", &DaemonObject::get_next_stream_item, {"streamId"})
            .expose("ping", &DaemonObject::ping)
            .expose("get_metadata", &DaemonObject::get_metadata, {"objectId", "as_lists"})
            .expose("info", &DaemonObject::info),
        "Pyro.Daemon");
    impl_->start_accepting();
}

Daemon::~Daemon() {
    shutdown();
    impl_->workers.join();
}

Uri Daemon::register_entry(std::string object_id, Interface interface, InstanceMode mode,
                           std::function<std::shared_ptr<void>()> factory,
                           std::shared_ptr<void> single) {
    if (interface.metadata().methods.empty() && interface.metadata().attrs.empty()) {
        // A Python proxy refuses such an object (§5.2 step 4); say it where it can be fixed.
        throw DaemonError("object '" + object_id +
                          "' exposes no methods or attributes; expose at least one");
    }
    if (object_id.empty()) {
        object_id = "obj_" + detail::random_hex_id();
    }
    auto entry = std::make_shared<Entry>(
        Entry{std::move(interface), mode, std::move(factory), std::move(single)});
    {
        const std::lock_guard lock(impl_->objects_mutex);
        if (impl_->objects.contains(object_id)) {
            throw DaemonError("object or class already registered: " + object_id);
        }
        impl_->objects.emplace(object_id, std::move(entry));
        impl_->order.push_back(object_id);
    }
    return uri_for(object_id);
}

void Daemon::unregister(std::string_view object_id) {
    if (object_id == "Pyro.Daemon") {
        return;
    }
    const std::lock_guard lock(impl_->objects_mutex);
    if (const auto found = impl_->objects.find(object_id); found != impl_->objects.end()) {
        impl_->objects.erase(found);
        std::erase(impl_->order, std::string(object_id));
    }
}

Uri Daemon::uri_for(std::string_view object_id) const {
    return Uri::parse("PYRO:" + std::string(object_id) + "@" + impl_->advertised_location);
}

std::string Daemon::location() const {
    return impl_->advertised_location;
}
std::string Daemon::bound_location() const {
    return impl_->bound_location;
}
int Daemon::port() const {
    return impl_->bound_port;
}

std::string Daemon::bound_address() const {
    return impl_->bound_address;
}

std::vector<std::string> Daemon::registered() const {
    const std::lock_guard lock(impl_->objects_mutex);
    return impl_->order;
}

void Daemon::handle_signals() {
    if (impl_->signals) {
        return;
    }
    impl_->signals.emplace(impl_->io, SIGINT, SIGTERM);
    // Runs once the loop runs: a signal that came earlier is remembered by the signal_set.
    impl_->signals->async_wait([this](const boost::system::error_code& error, int) {
        if (!error) {
            shutdown();
        }
    });
}

void Daemon::request_loop(bool handle_signals) {
    if (handle_signals) {
        this->handle_signals();
    }
    {
        const std::lock_guard lock(impl_->run_mutex);
        if (impl_->stopped) {
            return;
        }
        impl_->running = true;
    }
    impl_->io.run();
    {
        const std::lock_guard lock(impl_->run_mutex);
        impl_->running = false;
    }
    // Normally the posted close already ran on this thread; this covers a loop that ended first.
    impl_->close_everything();
    if (impl_->signals) {
        boost::system::error_code ignored;
        impl_->signals->cancel(ignored);
        impl_->signals.reset(); // Ctrl-C during the program's clean-up ends it as usual
    }
}

void Daemon::shutdown() {
    Impl& impl = *impl_;
    const std::lock_guard lock(impl.run_mutex);
    if (impl.stopped.exchange(true)) {
        return;
    }
    if (impl.running) {
        // The loop thread owns the connections: close them there, then stop the loop.
        asio::post(impl.io, [&impl] {
            impl.close_everything();
            impl.io.stop();
        });
    } else {
        impl.close_everything(); // nobody runs the loop, so nobody else touches them
    }
}

struct Daemon::Background::Thread {
    std::thread thread;
};

Daemon::Background::Background(Daemon& daemon)
    : daemon_(daemon), thread_(std::make_unique<Thread>()) {
    thread_->thread = std::thread([&daemon] { daemon.request_loop(false); });
}

Daemon::Background::~Background() {
    daemon_.shutdown();
    thread_->thread.join();
}

} // namespace pyro
