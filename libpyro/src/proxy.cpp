#include "pyro/proxy.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include <sys/socket.h>

#include "allocator_policy.hpp"
#include "blocking_socket.hpp"
#include "call_context.hpp"
#include "fault_injector.hpp"
#include "monitor_reporter.hpp"
#include "net.hpp"
#include "protocol.hpp"
#include "pyro/errors.hpp"
#include "pyro/message.hpp"
#include "pyro/name_server.hpp"
#include "pyro/remote_exception.hpp"
#include "serpent.hpp"
#include "transport.hpp"

namespace pyro {

namespace asio = boost::asio;
using detail::Socket;

namespace {

// "2.5 s", as a person would write the timeout.
std::string seconds_text(std::chrono::duration<double> duration) {
    std::array<char, 32> text{};
    std::snprintf(text.data(), text.size(), "%g s", duration.count());
    return text.data();
}

// The serializer a Config names, or UnknownSerializerError saying which kind of mistake it is:
// Pyro4 has serializers libpyro does not speak, and a typo deserves another answer than those.
SerializerKind checked_serializer(const std::string& name) {
    try {
        return serializer_from_name(name);
    } catch (const SerializeError&) {
    }
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static constexpr std::array<std::string_view, 5> python_only{"pickle", "marshal", "dill",
                                                                 "cloudpickle", "msgpack"};
    if (std::find(python_only.begin(), python_only.end(), lower) != python_only.end()) {
        throw UnknownSerializerError(
            "serializer '" + name +
            "' (PYRO_SERIALIZER) is one only Python has: libpyro speaks serpent and json (and "
            "Pyro4 servers accept serpent, json and marshal unless told otherwise); unset "
            "PYRO_SERIALIZER or set it to serpent");
    }
    throw UnknownSerializerError("serializer '" + name +
                                 "' (PYRO_SERIALIZER) does not exist: libpyro speaks serpent and "
                                 "json; unset PYRO_SERIALIZER or set it to serpent");
}

// Which side lacks the HMAC key, or whether the keys differ, from what each side saw: Pyro4's
// "hmac key config not symmetric" means exactly one side has a key.
std::string hmac_problem(std::string_view reason, bool have_key) {
    if (reason.find("not symmetric") != std::string_view::npos) {
        return have_key ? "this program has an HMAC key (PYRO_HMAC_KEY) but the server has none "
                          "(hmac key config not symmetric); unset PYRO_HMAC_KEY, or give the "
                          "server the same key"
                        : "the server needs an HMAC key and this program has none (hmac key "
                          "config not symmetric); set PYRO_HMAC_KEY to the server's key";
    }
    return "the HMAC keys of this program and the server differ (message hmac mismatch); set "
           "PYRO_HMAC_KEY to the server's key";
}

// What a failed system call says, as Asio's error_code::message() says it.
std::string errno_text(int error) {
    return boost::system::error_code(error, boost::system::system_category()).message();
}

bool is_nothing_listening(const boost::system::error_code& error) {
    return error == boost::asio::error::connection_refused ||
           error == boost::system::errc::no_such_file_or_directory; // a Unix socket not there
}

// The INVOKE payload for a proxy: the bytes serialize(kind, invoke_payload(...)) gives
// (protocol.hpp), written in two pieces. The head (object and method, and for json the key
// names) repeats call after call, so it is kept for the few methods a proxy calls; only the
// arguments are serialized per call, without building the request dict or tuple around them.
// Each piece is written by the codec itself, one container down as in the whole payload, so
// the bytes, the nesting limits and the errors are the codec's own.
class InvokeWriter {
public:
    // `params` and `kwargs` are moved into the serializer's input and back, so a retry sends
    // them again. `params_as_list`: serpent writes the params as a list, not a tuple (§5.9).
    std::string payload(SerializerKind kind, const std::string& object, const std::string& method,
                        Value::Items& params, std::optional<Value::Entries>& kwargs,
                        bool params_as_list) {
        const std::string& head = head_for(kind, object, method);
        const bool json = kind == SerializerKind::Json;
        const std::string params_written =
            write_nested(kind, params, json || params_as_list ? &Value::list : &Value::tuple);
        const std::string_view params_text = unwrap(kind, params_written);
        std::string kwargs_written;
        std::string_view kwargs_text = "{}";
        if (!kwargs) {
            kwargs_text = json ? "null" : "None";
        } else if (!kwargs->empty()) {
            kwargs_written = write_nested(kind, *kwargs, &Value::dict);
            kwargs_text = unwrap(kind, kwargs_written);
        }
        const std::string_view kwargs_key = json ? ", \"kwargs\": " : ",";
        std::string out;
        out.reserve(head.size() + params_text.size() + kwargs_key.size() + kwargs_text.size() + 1);
        out += head;
        out += params_text;
        out += kwargs_key;
        out += kwargs_text;
        out += json ? '}' : ')';
        return out;
    }

private:
    struct Head {
        SerializerKind kind;
        std::string object;
        std::string method;
        std::string bytes; // json `{"object": ..., "method": ..., "params": `, serpent `(o,m,`
    };

    // The codec's text for [make(parts)]: the arguments one level down, as in the request.
    // `parts` is moved in and, however serialize() ends, back.
    template <class Parts>
    std::string write_nested(SerializerKind kind, Parts& parts, Value (*make)(Parts)) {
        Value& inner = nest();
        inner = make(std::move(parts));
        const GiveBack<Parts> back{parts, inner};
        return serialize(kind, wrapper_);
    }

    // The one-item list the nested containers are written in, kept from call to call.
    Value& nest() {
        if (wrapper_.is_none()) {
            wrapper_ = Value::list(Value::Items(1));
        }
        return wrapper_.items().front();
    }
    template <class Parts>
    struct GiveBack {
        Parts& parts;
        Value& inner;
        ~GiveBack() {
            if constexpr (std::is_same_v<Parts, Value::Entries>) {
                parts = std::move(inner.entries());
            } else {
                parts = std::move(inner.items());
            }
            inner = Value();
        }
    };

    // What the codec wrote for [value], without the brackets (and serpent's header line).
    static std::string_view unwrap(SerializerKind kind, std::string_view written) {
        const std::size_t skip =
            (kind == SerializerKind::Serpent ? detail::serpent_header.size() : 0) + 1;
        return written.substr(skip, written.size() - skip - 1);
    }

    const std::string& head_for(SerializerKind kind, const std::string& object,
                                const std::string& method) {
        for (const Head& head : heads_) {
            if (head.kind == kind && head.method == method && head.object == object) {
                return head.bytes;
            }
        }
        // The codec writes the object and method; the payload's other parts follow them.
        std::string bytes;
        if (kind == SerializerKind::Json) {
            bytes = serialize(kind, Value::dict({{"object", object}, {"method", method}}));
            bytes.pop_back(); // '}'
            bytes += ", \"params\": ";
        } else {
            bytes = serialize(kind, Value::tuple({Value(object), Value(method)}));
            bytes.back() = ','; // ')'
        }
        if (heads_.size() < max_heads) {
            heads_.push_back({kind, object, method, std::move(bytes)});
            return heads_.back().bytes;
        }
        Head& reused = heads_[next_];
        next_ = (next_ + 1) % max_heads;
        reused = {kind, object, method, std::move(bytes)};
        return reused.bytes;
    }

    static constexpr std::size_t max_heads = 8;
    Value wrapper_; // [inner], made at the first call
    std::vector<Head> heads_;
    std::size_t next_ = 0; // the head to replace when all are taken
};

} // namespace

struct Proxy::Impl {
    Uri uri;
    Config config;
    Logger log;
    SerializerKind serializer;
    std::string hmac_key;
    std::chrono::duration<double> timeout;
    std::string correlation_id;
    MessageLimits limits;
    // PYRO_MONITOR: null when unset, so each frame costs one test (monitor_reporter.hpp).
    std::shared_ptr<const detail::MonitorReporter> monitor =
        detail::MonitorReporter::from_config(config, "proxy");
    // PYRO_FAULTS: null when unset (fault_injector.hpp); then fault_connection stays empty and
    // each frame costs one test.
    std::shared_ptr<const detail::FaultInjector> faults =
        detail::FaultInjector::from_config(config);
    std::optional<detail::FaultConnection> fault_connection; // the open connection's faults
    std::optional<Message> duplicate; // a duplicated reply, delivered by the next receive

    std::optional<Uri> connected;
    std::optional<ObjectMetadata> metadata;
    std::uint16_t seq = 0;
    Value handshake_data{"hello"};                // Pyro4's _pyroHandshake
    Value handshake_response;                     // the server's answer to it
    std::vector<Annotation> response_annotations; // of the last reply
    std::string stream_started; // the STRM id of the last reply that started an item stream

    // A plain TCP or Unix connection: blocking system calls, no event loop (blocking_socket.hpp).
    detail::BlockingSocket plain;
    // PYRO_SSL only: Asio's TLS stream, over a socket of an io_context made at the first TLS
    // connect, so a plain proxy has no eventfd, epoll or timer descriptors.
    std::unique_ptr<asio::io_context> io;
    std::optional<Socket> socket;
    std::optional<detail::Transport> transport;
    std::shared_ptr<detail::TlsContext> tls; // made at the first connect
    bool open = false; // a connection was made (perhaps closed since, e.g. by a fault)
    // PYRO_MONITOR: this end's and the peer's address, found once per connection.
    std::string monitor_local;
    std::string monitor_peer;
    InvokeWriter invoke_writer;
    std::mutex mutex; // one call at a time on the one connection

    Impl(Uri u, Config c, Logger l)
        : uri(std::move(u)), config(std::move(c)), log(std::move(l)),
          serializer(checked_serializer(config.serializer)), hmac_key(config.hmac_key.value_or("")),
          timeout(config.comm_timeout) {
        limits.max_message_size = config.max_message_size;
        detail::keep_large_message_memory();
    }

    // Pyro4 names a peer as Python prints its socket address: ('127.0.0.1', 9090).
    std::string peer_text() const {
        const Uri& target = connected ? *connected : uri;
        if (target.is_unix_socket()) {
            return "'" + target.socket_path() + "'";
        }
        return "('" + target.host() + "', " + std::to_string(target.port().value_or(0)) + ")";
    }
    std::string trace_peer() const { return connected ? connected->location() : uri.location(); }

    [[noreturn]] void timed_out(const char* what) {
        log.info(what, " ", peer_text(), ": timeout after ", seconds_text(timeout));
        close();
        throw TimeoutError(std::string(what) + ": timeout");
    }

    // TLS: runs the I/O context until the started operation completes or the timeout passes.
    void run_io(const char* what) {
        io->restart();
        if (timeout.count() > 0) {
            io->run_for(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout));
            if (!io->stopped()) {
                close();
                io->restart();
                io->run(); // let the cancelled operation finish before its buffers go
                timed_out(what);
            }
        } else {
            io->run();
        }
    }

    void close() {
        plain.close();
        if (socket) {
            boost::system::error_code ignored;
            socket->shutdown(asio::socket_base::shutdown_both, ignored);
            socket->close(ignored);
        }
    }

    [[nodiscard]] bool is_open() const { return socket ? socket->is_open() : plain.is_open(); }

    void disconnect() {
        if (open && connected && log.enabled(LogLevel::Debug)) {
            log.debug("connection to ", connected->str(), " released");
        }
        close();
        transport.reset();
        socket.reset();
        open = false;
        connected.reset();
        fault_connection.reset();
        duplicate.reset();
    }

    // An idle connection whose peer went away (server restarted) is noticed before a request is
    // sent on it, so the call can go to a fresh connection safely. A plain connection whose
    // last answer came microseconds ago is taken as alive (BlockingSocket::idle).
    bool connection_alive() {
        if (!socket) {
            // PYRO_FAULTS may duplicate a request, and the second answer, which arrives a little
            // after the first, must be found before the next call (handouts/failures.md §3).
            return plain.idle(!fault_connection);
        }
        if (!socket->is_open()) {
            return false;
        }
        char byte;
        const auto n = ::recv(socket->native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }

    void send(const Message& message) {
        if (fault_connection) {
            send_with_faults(message);
            return;
        }
        if (config.trace) {
            detail::trace_frame(true, trace_peer(), message);
        }
        if (monitor) {
            monitor->report(detail::MonitorDirection::Sent, monitor_local, monitor_peer, message);
        }
        write_frame(detail::encode_message_head(message, hmac_key, limits, 0), message.payload);
    }

    // The header (and annotations) and the payload: one gather write, the payload not copied.
    void write_frame(std::string_view head, std::string_view payload) {
        if (!socket) {
            const int error = plain.write(head, payload);
            if (error == detail::BlockingSocket::timed_out) {
                timed_out("sending");
            }
            if (error != 0) {
                throw ConnectionClosedError("sending: connection lost: " + errno_text(error));
            }
            return;
        }
        // One string, so the frame goes as one TLS record.
        std::string frame(head);
        frame += payload;
        boost::system::error_code error;
        asio::async_write(*transport, asio::buffer(frame),
                          [&](const boost::system::error_code& e, std::size_t) { error = e; });
        run_io("sending");
        if (error == asio::error::connection_reset || error == asio::error::broken_pipe) {
            throw_tls_alert();
        }
        if (error) {
            throw ConnectionClosedError("sending: connection lost: " + error.message());
        }
    }

    // A TLS 1.3 server checks the client's certificate only after the handshake: one that
    // refuses it sends an alert and closes, and the first frame sent may then meet a reset. The
    // alert is still in the socket's receive buffer; its text says what to do, "connection
    // reset" does not. Returns when there is no alert to read.
    void throw_tls_alert() {
        std::array<char, 512> bytes{};
        boost::system::error_code error;
        transport->async_read_some(asio::buffer(bytes), [&](const boost::system::error_code& e,
                                                            std::size_t) { error = e; });
        try {
            run_io("receiving");
        } catch (const TimeoutError&) {
            return;
        }
        throw_if_tls_alert(error);
    }

    void throw_if_tls_alert(const boost::system::error_code& error) {
        if (detail::is_tls_error(error) && error != asio::ssl::error::stream_truncated) {
            throw CommunicationError(transport->failure_text(error, true, peer_text()));
        }
    }

    void send_with_faults(const Message& message) {
        const detail::FaultDecision fault = fault_connection->next();
        if (config.trace) {
            detail::trace_frame(true, trace_peer(), message);
        }
        if (monitor) {
            monitor->report(detail::MonitorDirection::Sent, monitor_local, monitor_peer, message,
                            fault.describe());
        }
        if (fault.any()) {
            detail::log_fault(log, *fault_connection, fault, true, message, trace_peer());
        }
        if (fault.drop) {
            return;
        }
        if (fault.delay.count() > 0) {
            std::this_thread::sleep_for(fault.delay);
        }
        const std::string head = detail::encode_message_head(message, hmac_key, limits, 0);
        write_frame(head, message.payload);
        if (fault.duplicate) {
            write_frame(head, message.payload);
        }
        if (fault.cut) {
            close(); // the message went; what follows finds the connection closed
        }
    }

    // `verify` false leaves the HMAC check to the caller (the handshake reads a CONNECTFAIL's
    // reason even when the keys do not match, to say which side lacks one).
    Message receive(bool verify = true) {
        if (fault_connection) {
            return receive_with_faults(verify);
        }
        Message received = read_frame();
        if (config.trace) {
            detail::trace_frame(false, trace_peer(), received);
        }
        if (monitor) {
            monitor->report(detail::MonitorDirection::Received, monitor_local, monitor_peer,
                            received);
        }
        if (verify) {
            verify_hmac(received, hmac_key);
        }
        return received;
    }

    Message receive_with_faults(bool verify) {
        if (duplicate) {
            Message again = std::move(*duplicate);
            duplicate.reset();
            return again;
        }
        for (;;) {
            if (!is_open()) {
                // Cut by close-after: what Pyro4 says when the peer hangs up mid-call.
                throw ConnectionClosedError("receiving: not enough data");
            }
            Message received = read_frame();
            const detail::FaultDecision fault = fault_connection->next();
            if (config.trace) {
                detail::trace_frame(false, trace_peer(), received);
            }
            if (monitor) {
                monitor->report(detail::MonitorDirection::Received, monitor_local, monitor_peer,
                                received, fault.describe());
            }
            if (fault.any()) {
                detail::log_fault(log, *fault_connection, fault, false, received, trace_peer());
            }
            if (fault.cut) {
                close();
                throw ConnectionClosedError("receiving: not enough data");
            }
            if (fault.drop) {
                continue; // wait for a reply that will not come: PYRO_COMMTIMEOUT decides
            }
            if (fault.delay.count() > 0) {
                std::this_thread::sleep_for(fault.delay);
            }
            if (verify) {
                verify_hmac(received, hmac_key);
            }
            if (fault.duplicate) {
                duplicate = received;
            }
            return received;
        }
    }

    Message read_frame() {
        if (!socket) {
            int error = 0;
            if (std::optional<Message> received = plain.read(limits, error)) {
                return std::move(*received);
            }
            if (error == detail::BlockingSocket::timed_out) {
                timed_out("receiving");
            }
            if (error == detail::BlockingSocket::closed) {
                throw ConnectionClosedError("receiving: not enough data");
            }
            throw ConnectionClosedError("receiving: connection lost: " + errno_text(error));
        }
        std::optional<Message> received;
        std::exception_ptr failure;
        asio::co_spawn(*io, detail::async_read_message(*transport, limits),
                       [&](std::exception_ptr e, Message m) {
                           failure = e;
                           if (!e) {
                               received = std::move(m);
                           }
                       });
        run_io("receiving");
        if (failure) {
            try {
                std::rethrow_exception(failure);
            } catch (const boost::system::system_error& error) {
                // An alert after the handshake: TLS 1.3 servers check a client's certificate
                // only then.
                throw_if_tls_alert(error.code());
                if (error.code() == asio::error::eof ||
                    error.code() == asio::ssl::error::stream_truncated) {
                    throw ConnectionClosedError("receiving: not enough data");
                }
                throw ConnectionClosedError("receiving: connection lost: " +
                                            error.code().message());
            }
        }
        return std::move(*received);
    }

    Message new_message(MessageType type, std::uint16_t message_flags, const Value& payload) {
        return new_message(type, message_flags, serialize(serializer, payload));
    }

    Message new_message(MessageType type, std::uint16_t message_flags, std::string payload) {
        Message message;
        message.type = type;
        message.flags = message_flags;
        message.seq = seq;
        message.serializer_id = static_cast<std::uint16_t>(serializer);
        if (!correlation_id.empty()) {
            message.annotations.push_back({"CORR", correlation_id});
        }
        message.payload = std::move(payload);
        if (config.compression) {
            compress_payload(message);
        }
        return message;
    }

    [[noreturn]] void connect_timed_out() {
        throw TimeoutError("cannot connect to " + peer_text() + ": no answer within " +
                           seconds_text(timeout) +
                           " (PYRO_COMMTIMEOUT); is the host on the network, and is its "
                           "address right?");
    }

    boost::system::error_code connect_plain(const detail::Endpoint& endpoint) {
        const int error = plain.connect(endpoint, timeout, config.sock_nodelay);
        if (error == detail::BlockingSocket::timed_out) {
            log.info("connecting ", peer_text(), ": timeout after ", seconds_text(timeout));
            connect_timed_out();
        }
        return {error, boost::system::system_category()};
    }

    boost::system::error_code connect_tls(const detail::Endpoint& endpoint) {
        if (!io) {
            io = std::make_unique<asio::io_context>(1);
        }
        socket.emplace(*io);
        boost::system::error_code error;
        socket->async_connect(endpoint, [&](const boost::system::error_code& e) { error = e; });
        try {
            run_io("connecting");
        } catch (const TimeoutError&) {
            socket.reset();
            connect_timed_out();
        }
        if (error) {
            socket.reset();
        } else if (config.sock_nodelay && endpoint.protocol().family() != AF_UNIX) {
            detail::set_nodelay(*socket);
        }
        return error;
    }

    // PYRO_MONITOR names both ends of each frame: asked of the kernel once, here.
    void note_addresses(int fd) {
        const auto address = [fd](auto query) {
            detail::Endpoint endpoint;
            socklen_t size = static_cast<socklen_t>(endpoint.capacity());
            if (query(fd, endpoint.data(), &size) != 0) {
                return std::string("?");
            }
            endpoint.resize(size);
            return detail::describe_endpoint(endpoint);
        };
        monitor_local = address(::getsockname);
        monitor_peer = address(::getpeername);
    }

    void open_socket(const Uri& target) {
        if (config.ssl && !tls) {
            tls = detail::make_client_tls(config); // a bad PYRO_SSL_* file fails before connecting
        }
        std::vector<detail::Endpoint> endpoints;
        if (target.is_unix_socket()) {
            endpoints.push_back(detail::unix_endpoint(target.socket_path()));
        } else {
            endpoints = detail::resolve_connect_endpoints(target.host(), target.port().value_or(0),
                                                          config.prefer_ip_version);
        }
        boost::system::error_code error;
        for (const auto& endpoint : endpoints) {
            error = config.ssl ? connect_tls(endpoint) : connect_plain(endpoint);
            if (!error) {
                open = true;
                if (monitor) {
                    note_addresses(socket ? socket->native_handle() : plain.native_handle());
                }
                if (config.ssl) {
                    start_transport(target);
                }
                return;
            }
        }
        log.info("cannot connect to ", peer_text(), ": ", error.message());
        const std::string text = "cannot connect to " + peer_text() + ": " + error.message();
        if (is_nothing_listening(error)) {
            throw ConnectionRefusedError(text);
        }
        throw CommunicationError(text);
    }

    // PYRO_SSL: the socket's bytes go through the TLS transport, after its handshake here.
    void start_transport(const Uri& target) {
        transport.emplace(*socket, tls.get());
        if (!target.is_unix_socket()) {
            transport->expect_server_name(target.host());
        }
        boost::system::error_code error;
        transport->async_handshake(false, [&](const boost::system::error_code& e) { error = e; });
        try {
            run_io("SSL handshake");
        } catch (const TimeoutError&) {
            throw TimeoutError("SSL handshake with " + peer_text() + ": no answer within " +
                               seconds_text(timeout) +
                               " (PYRO_COMMTIMEOUT); does the server use SSL?");
        }
        if (error) {
            const std::string text = transport->failure_text(error, true, peer_text());
            log.info(text);
            throw CommunicationError(text);
        }
    }

    void connect() {
        const bool debug = log.enabled(LogLevel::Debug); // the URI texts only when logged
        if (debug) {
            log.debug("connecting to ", uri.str());
        }
        const Uri target = uri.protocol() == Uri::Protocol::Pyro ? uri : resolve(uri, config);
        if (debug && target.str() != uri.str()) {
            log.debug("resolved ", uri.str(), " to ", target.str());
        }
        connected = target;
        try {
            open_socket(target);
            if (faults) {
                fault_connection.emplace(faults->open());
            }
            handshake(target);
            if (debug) {
                log.debug("connected to ", target.str());
            }
        } catch (const ConnectionRefusedError& error) {
            disconnect();
            if (uri.protocol() == Uri::Protocol::PyroName) {
                // The name server still has the name, so the server went without removing it.
                throw ConnectionRefusedError(std::string(error.what()) + "; '" + uri.object() +
                                             "' is still registered at the name server, but "
                                             "its server is gone: start it again");
            }
            throw;
        } catch (...) {
            disconnect();
            throw;
        }
    }

    // The handshake's answer, each way it can fail named by its cause.
    Message handshake_reply() {
        try {
            return receive(false);
        } catch (const TimeoutError&) {
            throw TimeoutError("no answer from " + peer_text() + " within " +
                               seconds_text(timeout) +
                               " (PYRO_COMMTIMEOUT): it took the connection but did not answer "
                               "the Pyro handshake; is the server stopped or busy, and is this "
                               "the right port?");
        } catch (const ConnectionClosedError& error) {
            if (config.ssl) {
                throw;
            }
            // What a Python SSL server does to a client without SSL.
            throw ConnectionClosedError(std::string(error.what()) +
                                        " (the server closed the connection during the Pyro "
                                        "handshake; if it uses SSL, set PYRO_SSL=1 and "
                                        "PYRO_SSL_CACERTS)");
        } catch (const MessageTooLargeError&) {
            throw;
        } catch (const ProtocolError& error) {
            // Bad magic, version or checksum: what answered is not a Pyro4 peer.
            throw NotPyroPeerError("what answers at " + peer_text() + " is not a Pyro4 server (" +
                                   error.what() + "); check the host and port");
        }
    }

    void handshake(const Uri& target) {
        send(
            new_message(MessageType::Connect, config.metadata ? flags::meta_on_connect : 0,
                        detail::connect_payload(target.object(), config.metadata, handshake_data)));
        const Message reply = handshake_reply();
        response_annotations = reply.annotations;
        const bool have_key = !hmac_key.empty();
        if (reply.type == MessageType::ConnectFail) {
            std::string reason;
            try {
                const std::string body = payload_bytes(reply, limits);
                if (reply.serializer_id == serializer_ids::marshal) {
                    reason = marshal_string(body);
                } else {
                    const Value value = deserialize(serializer_from_id(reply.serializer_id), body);
                    reason = value.is_string() ? value.as_string() : value.repr();
                }
            } catch (const PyroError&) {
                verify_hmac(reply, hmac_key); // an unreadable refusal: the keys may be why
                throw;
            }
            log.info("connection to ", peer_text(), " rejected: ", reason);
            const std::string rejected = "connection to " + peer_text() + " rejected: ";
            if (reason.find("hmac") != std::string::npos) {
                throw HmacKeyError(rejected + hmac_problem(reason, have_key));
            }
            // The CONNECTFAIL of a peer with a key is signed with it (Pyro4's daemon does so).
            try {
                verify_hmac(reply, hmac_key);
            } catch (const SecurityError& error) {
                throw HmacKeyError(rejected + hmac_problem(error.what(), have_key));
            }
            if (reason.find("serializer that is not accepted") != std::string::npos) {
                throw SerializerNotAcceptedError(
                    rejected + reason + "; the server does not accept " +
                    std::string(serializer_name(serializer)) +
                    " (its SERIALIZERS_ACCEPTED): set PYRO_SERIALIZER to one it accepts");
            }
            if (reason == "unknown object") {
                throw HandshakeError(rejected + "unknown object; the server there has no object '" +
                                     target.object() +
                                     "' (restarted since the URI was made?); look the name up "
                                     "again");
            }
            throw HandshakeError(rejected + reason);
        }
        try {
            verify_hmac(reply, hmac_key);
        } catch (const SecurityError& error) {
            throw HmacKeyError("connection to " + peer_text() +
                               " refused: " + hmac_problem(error.what(), have_key));
        }
        if (reply.type != MessageType::ConnectOk) {
            throw ProtocolError("invalid msg type " + std::to_string(static_cast<int>(reply.type)) +
                                " received");
        }
        if (reply.has_flag(flags::meta_on_connect)) {
            const Value data =
                deserialize(serializer_from_id(reply.serializer_id), payload_bytes(reply, limits));
            const Value* meta = data.find("meta");
            if (meta == nullptr) {
                throw ProtocolError("CONNECTOK with FLAGS_META_ON_CONNECT but no metadata");
            }
            const Value* answer = data.find("handshake");
            handshake_response = answer != nullptr ? *answer : Value();
            metadata = detail::metadata_from_value(*meta);
        } else {
            handshake_response = reply.payload.empty()
                                     ? Value()
                                     : deserialize(serializer_from_id(reply.serializer_id),
                                                   payload_bytes(reply, limits));
        }
        if (!reply.has_flag(flags::meta_on_connect) && config.metadata) {
            // §5.2 step 3: a server that did not send metadata is asked for it.
            metadata = detail::metadata_from_value(exchange("Pyro.Daemon", "get_metadata",
                                                            Value::Items{Value(target.object())},
                                                            Value::Entries{}));
        }
        if (metadata && metadata->methods.empty() && metadata->attrs.empty()) {
            throw PyroError("remote object doesn't expose any methods or attributes. Did you "
                            "forget setting @expose on them?");
        }
    }

    // One INVOKE and its RESULT on the open connection. `params_as_list`: serpent sends the
    // params as a list rather than a tuple, as Python's stream iterator does (§5.9).
    // With `result_bytes`, a plain result is not parsed: its serialized bytes are moved there and
    // None is returned (exceptions and item streams as always).
    Value exchange(const std::string& object, const std::string& method, Value::Items params,
                   std::optional<Value::Entries> kwargs, bool oneway = false,
                   bool params_as_list = false, std::string* result_bytes = nullptr) {
        return exchange_keeping(object, method, params, kwargs, oneway, params_as_list,
                                result_bytes);
    }

    // exchange() for a call that may be sent again (perform's retries): the arguments are left
    // as they were.
    Value exchange_keeping(const std::string& object, const std::string& method,
                           Value::Items& params, std::optional<Value::Entries>& kwargs, bool oneway,
                           bool params_as_list, std::string* result_bytes) {
        seq = static_cast<std::uint16_t>(seq + 1);
        stream_started.clear();
        send(new_message(
            MessageType::Invoke, oneway ? flags::oneway : 0,
            invoke_writer.payload(serializer, object, method, params, kwargs, params_as_list)));
        if (oneway) {
            return Value();
        }
        Message reply = receive();
        response_annotations = std::move(reply.annotations);
        if (reply.type != MessageType::Result) {
            throw ProtocolError("invalid msg type " + std::to_string(static_cast<int>(reply.type)) +
                                " received");
        }
        if (reply.seq != seq) {
            throw ProtocolError("invoke: reply sequence out of sync, got " +
                                std::to_string(reply.seq) + " expected " + std::to_string(seq));
        }
        if (reply.serializer_id != static_cast<std::uint16_t>(serializer)) {
            throw SerializeError("invalid serializer in response: " +
                                 std::to_string(reply.serializer_id));
        }
        if (reply.has_flag(flags::item_stream_result)) {
            // §5.9: the items follow one by one (stream.hpp); without STRM the server refused.
            const std::string* id = last_response_annotation("STRM");
            if (id == nullptr || id->empty()) {
                throw ProtocolError("result of call is an iterator, but the server is not "
                                    "configured to allow streaming");
            }
            stream_started = *id;
            return Value();
        }
        if (reply.has_flag(flags::compressed)) {
            reply.payload = payload_bytes(reply, limits);
        }
        if (reply.has_flag(flags::exception)) {
            std::rethrow_exception(exception_from_value(deserialize(serializer, reply.payload)));
        }
        if (result_bytes != nullptr) {
            *result_bytes = std::move(reply.payload);
            return Value();
        }
        return deserialize(serializer, reply.payload);
    }

    // Message::annotation() of the last reply, whose chunks response_annotations holds now.
    [[nodiscard]] const std::string* last_response_annotation(std::string_view key) const {
        const auto found =
            std::find_if(response_annotations.rbegin(), response_annotations.rend(),
                         [key](const Annotation& annotation) { return annotation.key == key; });
        return found == response_annotations.rend() ? nullptr : &found->value;
    }

    // §5.2 step 5: with metadata, an attribute the object does not expose fails here, without
    // a round trip.
    void require_attribute(std::string_view name) {
        ensure_connected();
        if (metadata && std::find(metadata->attrs.begin(), metadata->attrs.end(), name) ==
                            metadata->attrs.end()) {
            throw RemoteError("builtins.AttributeError", "remote object '" + connected->str() +
                                                             "' has no exposed attribute '" +
                                                             std::string(name) + "'");
        }
    }

    void ensure_connected() {
        // A duplicated reply still waiting is what connection_alive() finds in the socket when
        // the server sent one twice: a stale frame, so start afresh as for that.
        if (open && (!connection_alive() || duplicate)) {
            disconnect();
        }
        if (!open) {
            connect();
        }
    }

    // A call with Pyro4's MAX_RETRIES, dropping the connection on any communication failure so
    // the next call starts afresh (§5.4).
    // The arguments are left as they were (a retry sends them again).
    Value perform(const std::string& method, Value::Items& args,
                  std::optional<Value::Entries>& kwargs, bool force_oneway,
                  std::string* result_bytes = nullptr) {
        for (int attempt = 0;; ++attempt) {
            try {
                ensure_connected();
                const Uri& target = *connected;
                const bool is_attribute = method == "__getattr__" || method == "__setattr__";
                if (metadata && !is_attribute &&
                    std::find(metadata->methods.begin(), metadata->methods.end(), method) ==
                        metadata->methods.end()) {
                    throw RemoteError("builtins.AttributeError",
                                      "remote object '" + target.str() +
                                          "' has no exposed attribute or method '" + method + "'");
                }
                const bool oneway =
                    force_oneway ||
                    (metadata && std::find(metadata->oneway.begin(), metadata->oneway.end(),
                                           method) != metadata->oneway.end());
                return exchange_keeping(target.object(), method, args, kwargs, oneway, false,
                                        result_bytes);
            } catch (const CommunicationError& error) {
                disconnect();
                // Pyro4 retries only a lost connection or a timeout (MAX_RETRIES, §5.11).
                const bool retryable =
                    dynamic_cast<const ConnectionClosedError*>(&error) != nullptr ||
                    dynamic_cast<const TimeoutError*>(&error) != nullptr;
                if (!retryable || attempt >= config.max_retries) {
                    throw;
                }
                log.info("call ", method, "() to ", uri.str(), " failed: ", error.what(),
                         "; retrying (", attempt + 1, " of ", config.max_retries, ")");
            }
        }
    }

    // §5.7: one "<batch>" INVOKE. Its params stay a list in serpent too (Pyro4 sends the list of
    // call tuples as it is), so the payload is built here rather than by invoke_payload().
    Value exchange_batch(Value::Items calls, bool oneway) {
        try {
            ensure_connected();
            const std::string& object = connected->object();
            const Value payload = serializer == SerializerKind::Serpent
                                      ? Value::tuple({Value(object), Value("<batch>"),
                                                      Value::list(std::move(calls)), Value()})
                                      : Value::dict({{"object", object},
                                                     {"method", "<batch>"},
                                                     {"params", Value::list(std::move(calls))},
                                                     {"kwargs", Value()}});
            seq = static_cast<std::uint16_t>(seq + 1);
            send(new_message(
                MessageType::Invoke,
                static_cast<std::uint16_t>(flags::batch | (oneway ? flags::oneway : 0)), payload));
            if (oneway) {
                return Value();
            }
            const Message reply = receive();
            if (reply.type != MessageType::Result) {
                throw ProtocolError("invalid msg type " +
                                    std::to_string(static_cast<int>(reply.type)) + " received");
            }
            if (reply.seq != seq) {
                throw ProtocolError("invoke: reply sequence out of sync, got " +
                                    std::to_string(reply.seq) + " expected " + std::to_string(seq));
            }
            if (reply.serializer_id != static_cast<std::uint16_t>(serializer)) {
                throw SerializeError("invalid serializer in response: " +
                                     std::to_string(reply.serializer_id));
            }
            Value value = deserialize(serializer, payload_bytes(reply, limits));
            if (reply.has_flag(flags::exception)) {
                // The server refused the batch as a whole (an unknown method or object).
                std::rethrow_exception(exception_from_value(value));
            }
            return value;
        } catch (const CommunicationError&) {
            disconnect();
            throw;
        }
    }
};

Proxy::Proxy(Uri uri, Config config) : Proxy(std::move(uri), config, Logger(config)) {}
Proxy::Proxy(std::string_view uri, Config config)
    : Proxy(Uri::parse(uri, config.ns_port), std::move(config)) {}
Proxy::Proxy(Uri uri, Config config, Logger logger)
    : impl_(std::make_shared<Impl>(std::move(uri), std::move(config), std::move(logger))) {}
Proxy::Proxy(std::string_view uri, Config config, Logger logger)
    : Proxy(Uri::parse(uri, config.ns_port), std::move(config), std::move(logger)) {}
Proxy::~Proxy() {
    if (impl_) {
        impl_->disconnect();
    }
}
Proxy::Proxy(Proxy&&) noexcept = default;
Proxy& Proxy::operator=(Proxy&&) noexcept = default;

Value Proxy::invoke(std::string_view method, Value::Items args, Value::Entries kwargs) {
    std::optional<Value::Entries> keywords(std::move(kwargs));
    const std::lock_guard lock(impl_->mutex);
    Value result = impl_->perform(std::string(method), args, keywords, false);
    if (!impl_->stream_started.empty()) {
        // A Value cannot hold a stream: free it on the server and say how to iterate it.
        const std::string id = std::exchange(impl_->stream_started, {});
        try {
            impl_->exchange("Pyro.Daemon", "close_stream", Value::Items{Value(id)},
                            Value::Entries{}, true, true);
        } catch (const CommunicationError&) {
            impl_->disconnect();
        }
        throw PyroError(std::string(method) +
                        "() returned an item stream (a generator): iterate it with "
                        "proxy.call<pyro::Stream>(\"" +
                        std::string(method) + "\", ...) or proxy.invoke_stream(...)");
    }
    return result;
}

std::string Proxy::invoke_serialized(std::string_view method, Value::Items args,
                                     Value::Entries kwargs) {
    std::optional<Value::Entries> keywords(std::move(kwargs));
    const std::lock_guard lock(impl_->mutex);
    std::string result;
    impl_->perform(std::string(method), args, keywords, false, &result);
    if (!impl_->stream_started.empty()) {
        impl_->disconnect(); // the stream stays unread on the server until this connection ends
        impl_->stream_started.clear();
        throw PyroError(std::string(method) +
                        "() returned an item stream (a generator), not one serialized result");
    }
    return result;
}

Stream Proxy::invoke_stream(std::string_view method, Value::Items args, Value::Entries kwargs) {
    Value result;
    std::string id;
    std::optional<Value::Entries> keywords(std::move(kwargs));
    {
        const std::lock_guard lock(impl_->mutex);
        result = impl_->perform(std::string(method), args, keywords, false);
        id = std::exchange(impl_->stream_started, {});
    }
    if (id.empty()) {
        return Stream::from_result(method, std::move(result));
    }
    return Stream(impl_, std::move(id), std::string(method));
}

Value Proxy::stream_request(const std::weak_ptr<void>& proxy, const char* method,
                            const std::string& stream_id, bool oneway) {
    const auto impl = std::static_pointer_cast<Impl>(proxy.lock());
    if (!impl) {
        throw ConnectionClosedError("the proxy for this stream result has been closed");
    }
    const std::lock_guard lock(impl->mutex);
    if (!impl->open) {
        throw ConnectionClosedError("the proxy for this stream result has been closed (call "
                                    "bind() on it to go on within the server's linger time)");
    }
    try {
        Value item = impl->exchange("Pyro.Daemon", method, Value::Items{Value(stream_id)},
                                    Value::Entries{}, oneway, true);
        if (!impl->stream_started.empty()) {
            const std::string nested = std::exchange(impl->stream_started, {});
            impl->exchange("Pyro.Daemon", "close_stream", Value::Items{Value(nested)},
                           Value::Entries{}, true, true);
            throw PyroError("an item of the stream is itself an item stream, which libpyro "
                            "does not iterate; yield lists instead");
        }
        return item;
    } catch (const CommunicationError&) {
        impl->disconnect();
        throw;
    }
}

void Proxy::invoke_oneway(std::string_view method, Value::Items args, Value::Entries kwargs) {
    std::optional<Value::Entries> keywords(std::move(kwargs));
    const std::lock_guard lock(impl_->mutex);
    impl_->perform(std::string(method), args, keywords, true);
}

Value Proxy::get_attribute(std::string_view name) {
    const std::lock_guard lock(impl_->mutex);
    impl_->require_attribute(name);
    Value::Items args{Value(name)};
    std::optional<Value::Entries> no_kwargs; // None: how Pyro4 sends attribute access (§5.8)
    return impl_->perform("__getattr__", args, no_kwargs, false);
}

void Proxy::set_attribute(std::string_view name, const Value& value) {
    const std::lock_guard lock(impl_->mutex);
    impl_->require_attribute(name);
    Value::Items args{Value(name), value};
    std::optional<Value::Entries> no_kwargs;
    impl_->perform("__setattr__", args, no_kwargs, false);
}

Value Proxy::invoke_batch(Value::Items calls, bool oneway) {
    const std::lock_guard lock(impl_->mutex);
    return impl_->exchange_batch(std::move(calls), oneway);
}

Proxy Proxy::copy() const {
    const std::lock_guard lock(impl_->mutex);
    Proxy twin(impl_->uri, impl_->config, impl_->log);
    twin.impl_->serializer = impl_->serializer;
    twin.impl_->hmac_key = impl_->hmac_key;
    twin.impl_->timeout = impl_->timeout;
    twin.impl_->correlation_id = impl_->correlation_id;
    return twin;
}

void Proxy::bind() {
    const std::lock_guard lock(impl_->mutex);
    impl_->ensure_connected();
}

void Proxy::release() {
    const std::lock_guard lock(impl_->mutex);
    impl_->disconnect();
}

void Proxy::ping() {
    const std::lock_guard lock(impl_->mutex);
    impl_->ensure_connected();
    try {
        Message ping;
        ping.type = MessageType::Ping;
        ping.serializer_id = serializer_ids::ping;
        ping.payload = "ping";
        impl_->send(ping);
        const Message reply = impl_->receive();
        if (reply.type != MessageType::Ping) {
            throw ProtocolError("invalid msg type " + std::to_string(static_cast<int>(reply.type)) +
                                " received");
        }
    } catch (const CommunicationError&) {
        impl_->disconnect();
        throw;
    }
}

ObjectMetadata Proxy::metadata() {
    const std::lock_guard lock(impl_->mutex);
    impl_->ensure_connected();
    if (!impl_->metadata) {
        impl_->metadata = detail::metadata_from_value(
            impl_->exchange("Pyro.Daemon", "get_metadata",
                            Value::Items{Value(impl_->connected->object())}, Value::Entries{}));
    }
    return *impl_->metadata; // a copy: a reconnect on another thread may replace it
}

const Uri& Proxy::uri() const {
    return impl_->uri;
}

Uri Proxy::resolved_uri() {
    const std::lock_guard lock(impl_->mutex);
    impl_->ensure_connected();
    return *impl_->connected;
}

void Proxy::set_timeout(std::chrono::duration<double> timeout) {
    const std::lock_guard lock(impl_->mutex);
    impl_->timeout = timeout;
    impl_->plain.set_timeout(timeout); // an open connection's socket takes it now
}

void Proxy::set_hmac_key(std::string key) {
    const std::lock_guard lock(impl_->mutex);
    impl_->hmac_key = std::move(key);
    impl_->disconnect(); // the handshake must be signed with the new key
}

void Proxy::set_serializer(SerializerKind kind) {
    const std::lock_guard lock(impl_->mutex);
    impl_->serializer = kind;
}

SerializerKind Proxy::serializer() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->serializer;
}

void Proxy::set_handshake(Value data) {
    const std::lock_guard lock(impl_->mutex);
    impl_->handshake_data = std::move(data);
}

Value Proxy::handshake_response() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->handshake_response;
}

std::map<std::string, std::string> Proxy::response_annotations() const {
    const std::lock_guard lock(impl_->mutex);
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : impl_->response_annotations) {
        if (key != "HMAC") {
            out.insert_or_assign(key, value);
        }
    }
    return out;
}

void Proxy::set_correlation_id(std::string id16) {
    const std::lock_guard lock(impl_->mutex);
    impl_->correlation_id = std::move(id16);
}

Value Proxy::to_value() const {
    // §6.6: (uri, oneway, methods, attrs, timeout, hmac key, handshake, max retries, serializer).
    // The HMAC key is deliberately not sent (Pyro4 leaks it there).
    const auto names = [](const std::vector<std::string>& list) {
        return Value::tuple(Value::Items(list.begin(), list.end()));
    };
    const std::lock_guard lock(impl_->mutex);
    const ObjectMetadata none;
    const ObjectMetadata& meta = impl_->metadata ? *impl_->metadata : none;
    return Value::dict(
        {{"__class__", "Pyro4.core.Proxy"},
         {"state", Value::tuple({Value(impl_->uri.str()), names(meta.oneway), names(meta.methods),
                                 names(meta.attrs), Value(impl_->timeout.count()), Value(),
                                 impl_->handshake_data, Value(0),
                                 Value(std::string(serializer_name(impl_->serializer)))})}});
}

Proxy convert<Proxy>::from(const Value& value) {
    // Inside a servant call, the receiving daemon's settings (call_context.hpp); else defaults.
    const Config config =
        detail::current_daemon_config != nullptr ? *detail::current_daemon_config : Config();
    if (value.is_string()) {
        return Proxy(Uri::parse(value.as_string(), config.ns_port), config);
    }
    const Value* cls = value.find("__class__");
    if (cls && *cls == Value("Pyro4.core.Proxy")) {
        const Value* state = value.find("state");
        if (state && state->is_sequence() && !state->items().empty() &&
            state->items()[0].is_string()) {
            return Proxy(Uri::parse(state->items()[0].as_string(), config.ns_port), config);
        }
        throw TypeError("a Pyro4.core.Proxy needs its URI as the first state item");
    }
    if (cls && *cls == Value("Pyro4.core.URI")) {
        return Proxy(uri_from_value(value), config);
    }
    throw TypeError("expected a proxy, a URI or a URI string, got " +
                    std::string(value.type_name()));
}

} // namespace pyro
