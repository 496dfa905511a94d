// One client connection of a Daemon: the handshake, then requests read and replies written in
// order, each call made by the worker thread that read it (daemon_dispatch.cpp); oneway calls
// run beside the connection, a few at a time; replies wait for slow readers under a bound.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <tuple>

#include <sys/socket.h>

#include "current_call.hpp"
#include "daemon_impl.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"

namespace pyro {

namespace asio = boost::asio;
using detail::Socket;
using Clock = std::chrono::steady_clock;

namespace {

// A connection the daemon ends on purpose (a client that does not read its replies).
struct Dropped : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A client whose TLS handshake failed (PYRO_SSL).
struct TlsFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string seconds_text(Clock::duration duration) {
    const double seconds = std::chrono::duration<double>(duration).count();
    char text[32];
    std::snprintf(text, sizeof text, "%.3g s", seconds);
    return text;
}

std::string megabytes_text(std::size_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return text;
}

} // namespace

// One client connection. Everything here runs on the connection's strand: its coroutine
// (serve), its timers' handlers and its oneway calls' completions, one at a time.
class Daemon::Impl::Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(Socket connected, Worker& owner, const MessageLimits& limits,
               detail::TlsContext* tls)
        : socket(std::move(connected)), transport(socket, tls), worker(owner), reader(limits),
          idle(socket.get_executor()), send_watch(socket.get_executor()),
          oneway_done(socket.get_executor()) {}

    Socket socket;
    detail::Transport transport; // the socket's bytes, plain or TLS
    Worker& worker;
    ConnectionState state;
    detail::FrameReader reader;
    asio::steady_timer idle;        // PYRO_COMMTIMEOUT: a client silent that long is dropped
    asio::steady_timer send_watch;  // a client that takes no reply bytes is dropped
    asio::steady_timer oneway_done; // woken when a oneway call of this connection ends

    bool waiting_for_request = false; // reading a request, i.e. the client's turn
    Clock::time_point last_frame = Clock::now();
    std::size_t oneways_running = 0;
    bool sending = false;
    std::uint64_t send_progress = 0; // counts the writes that took bytes
    std::string drop_reason;         // why the send watch dropped the client
};

asio::awaitable<std::optional<Message>> Daemon::Impl::read(Connection& connection) {
    if (connection.state.faults) {
        co_return co_await read_with_faults(connection);
    }
    std::optional<Message> message =
        co_await connection.reader.read_unless_closed(connection.transport);
    if (!message) {
        co_return message;
    }
    if (config.trace) {
        detail::trace_frame(false, connection.state.peer, *message);
    }
    if (monitor) {
        monitor->report(detail::MonitorDirection::Received, connection.socket, *message);
    }
    co_return message;
}

asio::awaitable<void> Daemon::Impl::write(Connection& connection, Message message) {
    if (connection.state.faults) {
        co_await write_with_faults(connection, std::move(message));
        co_return;
    }
    if (config.trace) {
        detail::trace_frame(true, connection.state.peer, message);
    }
    if (monitor) {
        monitor->report(detail::MonitorDirection::Sent, connection.socket, message);
    }
    // A large payload goes out from where it is, after the header (a gather write): it is
    // neither copied nor held twice while the client reads it. A small one joins the header.
    constexpr std::size_t gather_from = 16 * 1024;
    const bool small = message.payload.size() < gather_from;
    std::string head =
        detail::encode_message_head(message, hmac_key, limits, small ? message.payload.size() : 0);
    std::string payload;
    if (small) {
        head += message.payload;
    } else {
        payload = std::move(message.payload);
    }
    message = Message{};
    co_await send(connection, head, payload);
}

namespace {

// What is left of head + body after `done` bytes.
std::array<asio::const_buffer, 2> rest(std::string_view head, std::string_view body,
                                       std::size_t done) {
    if (done < head.size()) {
        return {asio::buffer(head.substr(done)), asio::buffer(body)};
    }
    return {asio::buffer(body.substr(done - head.size())), asio::const_buffer()};
}

} // namespace

asio::awaitable<void> Daemon::Impl::send(Connection& connection, std::string_view head,
                                         std::string_view body) {
    // Most replies fit the socket's buffer: sent now, with no timer and no waiting.
    boost::system::error_code error;
    std::size_t done = connection.transport.write_some_now(rest(head, body, 0), error);
    if (error == asio::error::would_block || error == asio::error::try_again) {
        error = {};
        done = 0;
    }
    if (error) {
        throw boost::system::system_error(error);
    }
    if (done < head.size() + body.size()) {
        co_await send_slowly(connection, head, body, done);
    }
}

asio::awaitable<void> Daemon::Impl::send_slowly(Connection& connection, std::string_view head,
                                                std::string_view body, std::size_t done) {
    const std::size_t size = head.size() + body.size();
    // The rest waits for the client: counted in unsent_bytes for the output budget while the
    // send watch looks at the progress. Meanwhile nothing more is read from this client.
    struct Unsent {
        std::atomic<std::size_t>& total;
        std::size_t bytes;
        void took(std::size_t n) {
            bytes -= n;
            total -= n;
        }
        ~Unsent() { total -= bytes; }
    } unsent{unsent_bytes, size - done};
    unsent_bytes += unsent.bytes;
    connection.sending = true;
    watch_send(connection.shared_from_this(), connection.send_progress, Clock::duration::zero());
    while (done < size) {
        auto [error, n] = co_await connection.transport.async_write_some(
            rest(head, body, done), asio::as_tuple(asio::use_awaitable));
        if (error) {
            connection.sending = false;
            connection.send_watch.cancel();
            if (!connection.drop_reason.empty()) {
                throw Dropped(connection.drop_reason);
            }
            throw boost::system::system_error(error);
        }
        done += n;
        unsent.took(n);
        ++connection.send_progress;
    }
    connection.sending = false;
    connection.send_watch.cancel();
}

void Daemon::Impl::watch_send(const std::shared_ptr<Connection>& connection, std::uint64_t progress,
                              Clock::duration stalled) {
    // Looks every tick whether the client took any bytes since the last look.
    const Clock::duration tick = std::clamp<Clock::duration>(
        send_timeout / 4, std::chrono::milliseconds(10), std::chrono::seconds(1));
    connection->send_watch.expires_after(tick);
    connection->send_watch.async_wait(
        [this, connection, progress, stalled, tick](const boost::system::error_code& error) {
            Connection& c = *connection;
            if (error || !c.sending) {
                return;
            }
            const Clock::duration now_stalled =
                c.send_progress == progress ? stalled + tick : Clock::duration::zero();
            const std::size_t unsent = unsent_bytes.load();
            if (now_stalled >= send_timeout) {
                c.drop_reason = "the client took no bytes of its reply for " +
                                seconds_text(now_stalled) +
                                " (the send timeout: PYRO_COMMTIMEOUT, else 30 s)";
            } else if (now_stalled >=
                           std::min<Clock::duration>(send_timeout, std::chrono::seconds(1)) &&
                       unsent > options.output_budget) {
                c.drop_reason = "the client took no bytes of its reply for " +
                                seconds_text(now_stalled) + " while " + megabytes_text(unsent) +
                                " of replies waited for their clients (output budget " +
                                megabytes_text(options.output_budget) + ")";
            } else {
                watch_send(connection, c.send_progress, now_stalled);
                return;
            }
            // The write in progress ends with operation_aborted; serve() logs drop_reason.
            boost::system::error_code ignored;
            c.socket.cancel(ignored);
        });
}

void Daemon::Impl::watch_idle(const std::shared_ptr<Connection>& connection) {
    // One timer per connection, re-armed only when it fires: a request costs no timer work.
    const auto limit = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(config.comm_timeout));
    connection->idle.expires_at(connection->last_frame + limit);
    connection->idle.async_wait([this, connection, limit](const boost::system::error_code& error) {
        Connection& c = *connection;
        if (error) {
            return; // the connection ended
        }
        if (c.waiting_for_request && Clock::now() - c.last_frame >= limit) {
            // Like a Pyro4 daemon: a client silent for PYRO_COMMTIMEOUT is dropped; its proxy
            // reconnects on the next call.
            boost::system::error_code ignored;
            c.socket.shutdown(asio::socket_base::shutdown_both, ignored);
            c.socket.cancel(ignored);
            return;
        }
        watch_idle(connection);
    });
}

void Daemon::Impl::run_oneway(const std::shared_ptr<Connection>& connection, Message request) {
    if (!stopped) {
        try {
            const CallCount counted(*this, connection->worker, true);
            (void)dispatch(request, connection->state, true);
        } catch (const std::exception& error) {
            log.warning("oneway call from ", connection->state.peer, " not run: ", error.what());
        }
    }
    asio::post(connection->socket.get_executor(), [connection] {
        --connection->oneways_running;
        connection->oneway_done.cancel(); // the connection may read again if it waited
    });
}

asio::awaitable<std::optional<Message>> Daemon::Impl::read_with_faults(Connection& connection) {
    ConnectionState& state = connection.state;
    if (state.duplicate) {
        // The second delivery of a duplicated request: the client sent it "twice".
        std::optional<Message> again = std::move(state.duplicate);
        state.duplicate.reset();
        co_return again;
    }
    for (;;) {
        std::optional<Message> received =
            co_await connection.reader.read_unless_closed(connection.transport);
        if (!received) {
            co_return received;
        }
        Message& message = *received;
        const detail::FaultDecision fault = state.faults->next();
        if (config.trace) {
            detail::trace_frame(false, state.peer, message);
        }
        if (monitor) {
            monitor->report(detail::MonitorDirection::Received, connection.socket, message,
                            fault.describe());
        }
        if (!fault.any()) {
            co_return received;
        }
        detail::log_fault(log, *state.faults, fault, false, message, state.peer);
        if (fault.cut) {
            // As if this program died having read the message: the client sees the connection
            // close; logged as an ordinary hang-up, the fault line above says why.
            boost::system::error_code ignored;
            connection.socket.shutdown(asio::socket_base::shutdown_both, ignored);
            throw boost::system::system_error(asio::error::eof);
        }
        if (fault.drop) {
            continue;
        }
        if (fault.delay.count() > 0) {
            asio::steady_timer wait(connection.socket.get_executor(), fault.delay);
            co_await wait.async_wait(asio::use_awaitable);
        }
        if (fault.duplicate) {
            state.duplicate = message;
        }
        co_return received;
    }
}

asio::awaitable<void> Daemon::Impl::write_with_faults(Connection& connection, Message message) {
    ConnectionState& state = connection.state;
    const detail::FaultDecision fault = state.faults->next();
    if (config.trace) {
        detail::trace_frame(true, state.peer, message);
    }
    if (monitor) {
        monitor->report(detail::MonitorDirection::Sent, connection.socket, message,
                        fault.describe());
    }
    if (fault.any()) {
        detail::log_fault(log, *state.faults, fault, true, message, state.peer);
    }
    if (fault.drop) {
        co_return;
    }
    if (fault.delay.count() > 0) {
        asio::steady_timer wait(connection.socket.get_executor(), fault.delay);
        co_await wait.async_wait(asio::use_awaitable);
    }
    const std::string frame = encode_message(message, hmac_key, limits);
    co_await send(connection, frame, {});
    if (fault.duplicate) {
        co_await send(connection, frame, {});
    }
    if (fault.cut) {
        boost::system::error_code ignored;
        connection.socket.shutdown(asio::socket_base::shutdown_both, ignored);
        throw boost::system::system_error(asio::error::eof);
    }
}

asio::awaitable<void> Daemon::Impl::serve(Socket socket, Worker& worker, std::string peer) {
    const auto connection =
        std::make_shared<Connection>(std::move(socket), worker, limits, tls.get());
    Connection& c = *connection;
    ConnectionState& state = c.state;
    state.peer = peer;
    state.native_handle = c.socket.native_handle();
    {
        const std::lock_guard lock(connections_mutex);
        if (stopped) {
            --worker.connections;
            co_return; // shutdown() has shut the others already; this one closes unanswered
        }
        connections.insert(&state);
    }
    ++connection_count;
    log.debug("connection from ", peer, " accepted");
    if (faults) {
        state.faults.emplace(faults->open());
    }
    bool abort_on_close = false;
    try {
        // Replies are first written without waiting (send()); the reads stay asynchronous.
        c.socket.non_blocking(true);
        if (tls) {
            co_await tls_handshake(connection);
        }
        Message connect;
        std::optional<std::string> header_problem;
        try {
            std::optional<Message> first = co_await read(c);
            if (!first) {
                throw boost::system::system_error(asio::error::eof);
            }
            connect = std::move(*first);
        } catch (const ProtocolError& error) {
            header_problem = error.what();
        }
        if (header_problem) {
            // A Python daemon answers header-level failures with a marshal CONNECTFAIL (§5.3).
            co_await write(c, fail_connect(nullptr, *header_problem));
            throw ProtocolError(*header_problem);
        }
        std::optional<std::string> refusal;
        Message answer = handshake(connect, refusal, state);
        const bool accepted = !refusal;
        // Logged before answering: once the client has its answer the daemon may be shut down
        // before this coroutine runs again.
        if (refusal) {
            // The client gets the reason too, but the server's owner should see a wrong HMAC key
            // or a stale URI without asking every client.
            log.warning("handshake from ", peer, " refused: ", *refusal);
        } else {
            log.debug("handshake from ", peer, " accepted");
        }
        co_await write(c, std::move(answer));
        c.last_frame = Clock::now();
        if (accepted && config.comm_timeout > 0) {
            watch_idle(connection);
        }
        const std::size_t oneway_limit = std::max<std::size_t>(options.oneway_limit, 1);
        while (accepted && !stopped) {
            c.waiting_for_request = true;
            std::optional<Message> next = co_await read(c);
            c.waiting_for_request = false;
            if (!next) {
                break; // the client hung up between calls, as clients do
            }
            Message& request = *next;
            c.last_frame = Clock::now();
            while (unsent_bytes.load() > options.output_budget && !stopped) {
                // Over the output budget: run no request (its reply would add to it) until the
                // clients read theirs or the send watch drops those that do not (in 1 s).
                asio::steady_timer later(c.socket.get_executor(), std::chrono::milliseconds(20));
                co_await later.async_wait(asio::use_awaitable);
            }
            if (stopped) {
                break; // shutting down: answer nothing more
            }
            verify_hmac(request, hmac_key); // after the handshake: close without answering
            if (request.type == MessageType::Ping) {
                co_await write(c, reply_to(request, MessageType::Ping, request.serializer_id,
                                           "pong", 0, true));
            } else if (request.type != MessageType::Invoke) {
                throw ProtocolError("invalid msg type " +
                                    std::to_string(static_cast<int>(request.type)) + " received");
            } else if (request.has_flag(flags::oneway)) {
                if (!config.oneway_threaded) {
                    // PYRO_ONEWAY_THREADED=false: in turn with the connection's other calls.
                    const CallCount counted(*this, worker, true);
                    (void)dispatch(request, state, true);
                } else {
                    // No answer, and the connection goes on at once (Pyro4's ONEWAY_THREADED)
                    // unless it already has oneway_limit calls running: then it waits, so one
                    // client cannot fill the workers with its oneway calls.
                    while (c.oneways_running >= oneway_limit && !stopped) {
                        c.oneway_done.expires_at(Clock::time_point::max());
                        (void)co_await c.oneway_done.async_wait(
                            asio::as_tuple(asio::use_awaitable));
                    }
                    ++c.oneways_running;
                    asio::post(worker.io,
                               [this, connection, request = std::move(request)]() mutable {
                                   run_oneway(connection, std::move(request));
                               });
                }
            } else {
                // Called right here, on the thread that read the request: no hand-off. A slow
                // method holds this thread only; the other workers serve the other clients, and
                // the worker grows a thread for its own other clients if the call lasts.
                Message reply = [&] {
                    const CallCount counted(*this, worker, false);
                    return dispatch(request, state, false);
                }();
                if (stopped) {
                    break; // the daemon stopped during the call: it answers nothing more
                }
                co_await write(c, std::move(reply));
            }
            if (c.reader.has_buffered_bytes()) {
                // The client has sent its next request already: step behind the connections
                // that are waiting, so a pipelining client cannot keep this thread.
                co_await asio::post(c.socket.get_executor(), asio::use_awaitable);
            }
        }
    } catch (const Dropped& error) {
        log.warning("connection from ", peer, " dropped: ", error.what());
        abort_on_close = true;
    } catch (const TlsFailed& error) {
        log.log(stopped ? LogLevel::Debug : LogLevel::Warning, error.what());
    } catch (const boost::system::system_error& error) {
        // A client that hangs up, or our own shutdown, is no news; anything else was cut short.
        const bool expected = detail::is_normal_disconnect(error.code()) || stopped;
        log.log(expected ? LogLevel::Debug : LogLevel::Warning, "connection from ", peer,
                " lost: ", error.code().message());
    } catch (const std::exception& error) {
        log.log(stopped ? LogLevel::Debug : LogLevel::Warning, "closing connection from ", peer,
                ": ", error.what());
    }
    c.idle.cancel();
    c.send_watch.cancel();
    {
        const std::lock_guard lock(connections_mutex);
        connections.erase(&state);
    }
    streams.connection_closed(&state); // its item streams linger or close (daemon_streams.hpp)
    boost::system::error_code ignored;
    if (abort_on_close) {
        // A reset, not a FIN after the unsent reply: the kernel frees the reply's bytes too.
        c.socket.set_option(asio::socket_base::linger(true, 0), ignored);
    }
    c.socket.close(ignored);
    --connection_count;
    --worker.connections;
    log.debug("connection from ", peer, " closed");
}

asio::awaitable<void> Daemon::Impl::tls_handshake(const std::shared_ptr<Connection>& connection) {
    // A client that connects and never finishes the handshake is dropped after the send
    // timeout, as one that stops reading its reply.
    Connection& c = *connection;
    auto handshaking = std::make_shared<bool>(true);
    c.idle.expires_after(send_timeout);
    c.idle.async_wait([connection, handshaking](const boost::system::error_code& error) {
        if (!error && *handshaking) {
            boost::system::error_code ignored;
            connection->socket.cancel(ignored);
        }
    });
    // A client without SSL starts with a Pyro CONNECT: it gets a CONNECTFAIL saying why, in
    // plain, instead of a connection that just closes.
    auto [error] =
        co_await c.socket.async_wait(Socket::wait_read, asio::as_tuple(asio::use_awaitable));
    std::array<char, 4> magic{};
    if (!error && ::recv(c.state.native_handle, magic.data(), magic.size(), MSG_PEEK) == 4 &&
        std::string_view(magic.data(), magic.size()) == "PYRO") {
        *handshaking = false;
        c.idle.cancel();
        detail::Transport plain(c.socket, nullptr);
        const Message connect = co_await detail::async_read_message(plain, limits);
        const std::string text = "this server uses SSL (PYRO_SSL): set PYRO_SSL=1 and "
                                 "PYRO_SSL_CACERTS to the CA that signed its certificate";
        const std::string frame = encode_message(fail_connect(&connect, text), hmac_key, limits);
        co_await asio::async_write(c.socket, asio::buffer(frame), asio::use_awaitable);
        throw TlsFailed("SSL handshake with " + c.state.peer +
                        " failed: the client does not use SSL (it sent a plain Pyro handshake) — "
                        "give it PYRO_SSL=1 and PYRO_SSL_CACERTS");
    }
    if (!error) {
        std::tie(error) =
            co_await c.transport.async_handshake(true, asio::as_tuple(asio::use_awaitable));
    }
    *handshaking = false;
    c.idle.cancel();
    if (error == asio::error::operation_aborted && !stopped) {
        throw TlsFailed("SSL handshake with " + c.state.peer + " failed: no handshake within " +
                        seconds_text(send_timeout) + " (the send timeout: PYRO_COMMTIMEOUT, else " +
                        "30 s)");
    }
    if (detail::is_normal_disconnect(error)) {
        throw boost::system::system_error(error); // connected and left: no news, as in plain
    }
    if (error) {
        throw TlsFailed(c.transport.failure_text(error, false, c.state.peer));
    }
}

Message Daemon::Impl::fail_connect(const Message* connect, const std::string& text) const {
    // Failures found before the CONNECT could be read answer with seq 0 (§5.3 step 1).
    static const Message unreadable_connect;
    return reply_to(connect ? *connect : unreadable_connect, MessageType::ConnectFail,
                    serializer_ids::marshal, detail::marshal_encode_string(text), 0, false);
}

Message Daemon::Impl::handshake(const Message& connect, std::optional<std::string>& refusal,
                                ConnectionState& state) {
    const auto refuse = [&](const Message* answered, const std::string& text) {
        refusal = text;
        return fail_connect(answered, text);
    };
    if (connect.type != MessageType::Connect) {
        return refuse(nullptr, "invalid msg type " +
                                   std::to_string(static_cast<int>(connect.type)) + " received");
    }
    try {
        verify_hmac(connect, hmac_key);
    } catch (const SecurityError& error) {
        return refuse(nullptr, error.what());
    }
    SerializerKind kind;
    try {
        kind = serializer_from_id(connect.serializer_id);
    } catch (const SerializeError&) {
        return refuse(&connect, "message used serializer that is not accepted: " +
                                    std::to_string(connect.serializer_id));
    }
    // The validate_handshake hook runs with the connection's context (context.hpp).
    state.client = std::make_unique<ClientConnection>(state.peer);
    CallContext context = detail::call_context_for(connect, *state.client);
    const auto answer = [&](MessageType type, const Value& payload, std::uint16_t reply_flags) {
        Message reply = reply_to(connect, type, connect.serializer_id, serialize(kind, payload),
                                 reply_flags, false);
        reply.annotations.push_back({"CORR", {}}); // the context's id: no second fresh one
        detail::add_response_annotations(reply, std::move(context));
        return reply;
    };
    const auto refuse_with = [&](const std::string& text) {
        refusal = text;
        context.response_annotations.clear();
        return answer(MessageType::ConnectFail, Value(text), 0);
    };
    // Without a hook every client of an object gets the same answer: made once per serializer
    // (set-up cost).
    const auto metadata_answer = [&](const Entry& entry) {
        std::string payload;
        {
            const std::lock_guard lock(entry.handshake_mutex);
            auto cached = entry.handshake_payloads.find(connect.serializer_id);
            if (cached == entry.handshake_payloads.end()) {
                const Value answer = Value::dict(
                    {{"handshake", "hello"},
                     {"meta", detail::metadata_to_value(entry.interface.metadata(), true)}});
                cached =
                    entry.handshake_payloads.emplace(connect.serializer_id, serialize(kind, answer))
                        .first;
            }
            payload = cached->second;
        }
        Message reply = reply_to(connect, MessageType::ConnectOk, connect.serializer_id,
                                 std::move(payload), flags::meta_on_connect, false);
        reply.annotations.push_back({"CORR", std::move(context.correlation_id)});
        return reply;
    };
    try {
        if (!options.validate_handshake && connect.has_flag(flags::meta_on_connect) &&
            !connect.has_flag(flags::compressed) &&
            connect.serializer_id < connect_objects.size()) {
            // Without a hook only the object the CONNECT names matters: a payload seen before
            // names the same object, so it is not parsed again. The object is looked up anew.
            std::optional<std::string> named;
            {
                const std::lock_guard lock(connect_objects_mutex);
                const auto& known = connect_objects[connect.serializer_id];
                if (const auto found = known.find(std::string_view(connect.payload));
                    found != known.end()) {
                    named = found->second;
                }
            }
            if (named) {
                if (const auto entry = find(*named)) {
                    return metadata_answer(*entry);
                }
            }
        }
        const Value data = deserialize(kind, payload_bytes(connect, limits));
        Value response("hello");
        if (options.validate_handshake) {
            const Value* offered = data.find("handshake");
            if (offered == nullptr) {
                return refuse_with("'handshake'"); // Pyro4's KeyError text
            }
            const detail::DaemonAccess::Call call{this, &context};
            const detail::DaemonAccess::Scope scope(call);
            try {
                response = options.validate_handshake(*state.client, *offered);
            } catch (const std::exception& error) {
                return refuse_with(error.what());
            }
        }
        if (!connect.has_flag(flags::meta_on_connect)) {
            return answer(MessageType::ConnectOk, response, 0);
        }
        const Value* object = data.find("object");
        if (object == nullptr || !object->is_string()) {
            return refuse_with("'object'");
        }
        const auto entry = find(object->as_string());
        if (!entry) {
            return refuse_with("unknown object");
        }
        if (options.validate_handshake || !context.response_annotations.empty()) {
            return answer(MessageType::ConnectOk,
                          Value::dict({{"handshake", std::move(response)},
                                       {"meta", detail::metadata_to_value(
                                                    entry->interface.metadata(), true)}}),
                          flags::meta_on_connect);
        }
        if (connect.serializer_id < connect_objects.size() &&
            connect.payload.size() <= answer_request_limit) {
            const std::lock_guard lock(connect_objects_mutex);
            auto& known = connect_objects[connect.serializer_id];
            if (known.size() >= answer_limit) {
                known.clear();
            }
            known.try_emplace(connect.payload, object->as_string());
        }
        return metadata_answer(*entry);
    } catch (const PyroError& error) {
        return refuse_with(error.what());
    }
}

} // namespace pyro
