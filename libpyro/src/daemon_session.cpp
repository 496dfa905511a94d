// One client connection of a Daemon: the handshake, then requests read and replies written in
// order, calls handed to the worker pool (daemon_dispatch.cpp).
#include <chrono>
#include <exception>

#include "daemon_impl.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"

namespace pyro {

namespace asio = boost::asio;
using detail::Socket;

namespace {

std::string peer_name(const Socket& socket) {
    boost::system::error_code error;
    const auto endpoint = socket.remote_endpoint(error);
    if (error) {
        return "?";
    }
    return detail::describe_endpoint(endpoint);
}

} // namespace

asio::awaitable<Message> Daemon::Impl::read(Socket& socket, ConnectionState& state) {
    if (state.faults) {
        co_return co_await read_with_faults(socket, state);
    }
    Message message = co_await detail::async_read_message(socket, limits);
    if (config.trace) {
        detail::trace_frame(false, state.peer, message);
    }
    if (monitor) {
        monitor->report(detail::MonitorDirection::Received, socket, message);
    }
    co_return message;
}

asio::awaitable<void> Daemon::Impl::write(Socket& socket, ConnectionState& state,
                                          const Message& message) {
    if (state.faults) {
        co_await write_with_faults(socket, state, message);
        co_return;
    }
    if (config.trace) {
        detail::trace_frame(true, state.peer, message);
    }
    if (monitor) {
        monitor->report(detail::MonitorDirection::Sent, socket, message);
    }
    const std::string frame = encode_message(message, hmac_key, limits);
    co_await asio::async_write(socket, asio::buffer(frame), asio::use_awaitable);
}

asio::awaitable<Message> Daemon::Impl::read_with_faults(Socket& socket, ConnectionState& state) {
    if (state.duplicate) {
        // The second delivery of a duplicated request: the client sent it "twice".
        Message again = std::move(*state.duplicate);
        state.duplicate.reset();
        co_return again;
    }
    for (;;) {
        Message message = co_await detail::async_read_message(socket, limits);
        const detail::FaultDecision fault = state.faults->next();
        if (config.trace) {
            detail::trace_frame(false, state.peer, message);
        }
        if (monitor) {
            monitor->report(detail::MonitorDirection::Received, socket, message, fault.describe());
        }
        if (!fault.any()) {
            co_return message;
        }
        detail::log_fault(log, *state.faults, fault, false, message, state.peer);
        if (fault.cut) {
            // As if this program died having read the message: the client sees the connection
            // close; logged as an ordinary hang-up, the fault line above says why.
            boost::system::error_code ignored;
            socket.close(ignored);
            throw boost::system::system_error(asio::error::eof);
        }
        if (fault.drop) {
            continue;
        }
        if (fault.delay.count() > 0) {
            asio::steady_timer wait(io, fault.delay);
            co_await wait.async_wait(asio::use_awaitable);
        }
        if (fault.duplicate) {
            state.duplicate = message;
        }
        co_return message;
    }
}

asio::awaitable<void> Daemon::Impl::write_with_faults(Socket& socket, ConnectionState& state,
                                                      const Message& message) {
    const detail::FaultDecision fault = state.faults->next();
    if (config.trace) {
        detail::trace_frame(true, state.peer, message);
    }
    if (monitor) {
        monitor->report(detail::MonitorDirection::Sent, socket, message, fault.describe());
    }
    if (fault.any()) {
        detail::log_fault(log, *state.faults, fault, true, message, state.peer);
    }
    if (fault.drop) {
        co_return;
    }
    if (fault.delay.count() > 0) {
        asio::steady_timer wait(io, fault.delay);
        co_await wait.async_wait(asio::use_awaitable);
    }
    const std::string frame = encode_message(message, hmac_key, limits);
    co_await asio::async_write(socket, asio::buffer(frame), asio::use_awaitable);
    if (fault.duplicate) {
        co_await asio::async_write(socket, asio::buffer(frame), asio::use_awaitable);
    }
    if (fault.cut) {
        boost::system::error_code ignored;
        socket.shutdown(asio::socket_base::shutdown_both, ignored);
        socket.close(ignored);
        throw boost::system::system_error(asio::error::eof);
    }
}

asio::awaitable<void> Daemon::Impl::serve(Socket socket) {
    const std::string peer = peer_name(socket);
    connections.insert(&socket);
    ++connection_count;
    log.debug("connection from ", peer, " accepted");
    auto state = std::make_shared<ConnectionState>();
    state->peer = peer;
    if (faults) {
        state->faults.emplace(faults->open());
    }
    try {
        Message connect;
        std::optional<std::string> header_problem;
        try {
            connect = co_await read(socket, *state);
        } catch (const ProtocolError& error) {
            header_problem = error.what();
        }
        if (header_problem) {
            // A Python daemon answers header-level failures with a marshal CONNECTFAIL (§5.3).
            co_await write(socket, *state, fail_connect(nullptr, *header_problem));
            throw ProtocolError(*header_problem);
        }
        std::optional<std::string> refusal;
        const Message answer = handshake(connect, refusal);
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
        co_await write(socket, *state, answer);
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
            Message request = co_await read(socket, *state);
            idle.cancel();
            verify_hmac(request, hmac_key); // after the handshake: close without answering
            if (request.type == MessageType::Ping) {
                co_await write(
                    socket, *state,
                    reply_to(request, MessageType::Ping, request.serializer_id, "pong", 0, true));
            } else if (request.type != MessageType::Invoke) {
                throw ProtocolError("invalid msg type " +
                                    std::to_string(static_cast<int>(request.type)) + " received");
            } else if (request.has_flag(flags::oneway)) {
                // No answer, and the connection goes on at once (Pyro4's ONEWAY_THREADED).
                asio::post(workers, [this, state, request = std::move(request)] {
                    (void)dispatch(request, *state, true);
                });
            } else {
                Message reply = co_await asio::co_spawn(
                    workers,
                    [&]() -> asio::awaitable<Message> {
                        co_return dispatch(request, *state, false);
                    },
                    asio::use_awaitable);
                co_await write(socket, *state, reply);
            }
        }
    } catch (const boost::system::system_error& error) {
        // A client that hangs up, or our own shutdown, is no news; anything else was cut short.
        const bool expected = detail::is_normal_disconnect(error.code()) || stopped;
        log.log(expected ? LogLevel::Debug : LogLevel::Warning, "connection from ", peer,
                " lost: ", error.code().message());
    } catch (const std::exception& error) {
        log.log(stopped ? LogLevel::Debug : LogLevel::Warning, "closing connection from ", peer,
                ": ", error.what());
    }
    connections.erase(&socket);
    --connection_count;
    log.debug("connection from ", peer, " closed");
}

Message Daemon::Impl::fail_connect(const Message* connect, const std::string& text) const {
    // Failures found before the CONNECT could be read answer with seq 0 (§5.3 step 1).
    static const Message unreadable_connect;
    return reply_to(connect ? *connect : unreadable_connect, MessageType::ConnectFail,
                    serializer_ids::marshal, detail::marshal_encode_string(text), 0, false);
}

Message Daemon::Impl::handshake(const Message& connect, std::optional<std::string>& refusal) {
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
    const auto answer = [&](MessageType type, const Value& payload, std::uint16_t reply_flags) {
        return reply_to(connect, type, connect.serializer_id, serialize(kind, payload), reply_flags,
                        true);
    };
    const auto refuse_with = [&](const std::string& text) {
        refusal = text;
        return answer(MessageType::ConnectFail, Value(text), 0);
    };
    try {
        const Value data = deserialize(kind, payload_bytes(connect, limits));
        if (!connect.has_flag(flags::meta_on_connect)) {
            return answer(MessageType::ConnectOk, Value("hello"), 0);
        }
        const Value* object = data.find("object");
        if (object == nullptr || !object->is_string()) {
            return refuse_with("'object'");
        }
        const auto entry = find(object->as_string());
        if (!entry) {
            return refuse_with("unknown object");
        }
        return answer(
            MessageType::ConnectOk,
            Value::dict({{"handshake", "hello"},
                         {"meta", detail::metadata_to_value(entry->interface.metadata(), true)}}),
            flags::meta_on_connect);
    } catch (const PyroError& error) {
        return refuse_with(error.what());
    }
}

} // namespace pyro
