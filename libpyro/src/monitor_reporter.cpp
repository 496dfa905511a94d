#include "monitor_reporter.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "protocol.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"

namespace pyro::detail {

namespace json = boost::json;

namespace {

// Cuts at a character boundary, so the datagram stays valid UTF-8 (the monitor rejects any
// other), and says that it did.
std::string cut(std::string text) {
    if (text.size() <= monitor_text_limit) {
        return text;
    }
    std::size_t end = monitor_text_limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
        --end;
    }
    text.resize(end);
    text += "…";
    return text;
}

std::string_view serializer_text(std::uint16_t id) {
    switch (id) {
    case serializer_ids::serpent:
        return "serpent";
    case serializer_ids::json:
        return "json";
    case serializer_ids::marshal:
        return "marshal";
    case serializer_ids::ping:
        return "ping";
    default:
        return "unknown";
    }
}

// "Pyro4.errors.NamingError: unknown name: x", as Python prints an exception's last line.
std::string exception_text(const Value& value) {
    std::string text;
    if (const Value* type = value.find("__class__"); type != nullptr && type->is_string()) {
        text = type->as_string();
    }
    if (const Value* args = value.find("args"); args != nullptr && args->is_sequence()) {
        std::string joined;
        for (const Value& arg : args->items()) {
            joined +=
                (joined.empty() ? "" : ", ") + (arg.is_string() ? arg.as_string() : arg.repr());
        }
        text += ": " + joined;
    }
    return text;
}

// The decoded fields: what was called, with what, and what came back. Anything that does not
// decode (a foreign serializer, a corrupt payload) is reported without them.
void add_decoded(json::object& out, const Message& message) {
    if (message.serializer_id == serializer_ids::ping) {
        return;
    }
    std::string body;
    try {
        body = payload_bytes(message);
        if (message.serializer_id == serializer_ids::marshal) {
            out["error"] = cut(marshal_string(body));
            return;
        }
        const Value value = deserialize(serializer_from_id(message.serializer_id), body);
        switch (message.type) {
        case MessageType::Invoke: {
            InvokeRequest request = parse_invoke(value);
            out["object"] = request.object;
            out["method"] = request.method;
            out["args"] = cut(Value::tuple(std::move(request.params)).repr());
            if (!request.kwargs.empty()) {
                out["kwargs"] = cut(Value::dict(std::move(request.kwargs)).repr());
            }
            break;
        }
        case MessageType::Connect:
            if (const Value* object = value.find("object"); object && object->is_string()) {
                out["object"] = object->as_string();
            }
            break;
        case MessageType::ConnectOk: {
            const Value* meta = value.find("meta");
            out["result"] = cut(meta != nullptr ? meta->repr() : value.repr());
            break;
        }
        case MessageType::ConnectFail:
            out["error"] = cut(value.is_string() ? value.as_string() : value.repr());
            break;
        case MessageType::Result:
            if (message.has_flag(flags::exception)) {
                out["error"] = cut(exception_text(value));
            } else {
                out["result"] = cut(value.repr());
            }
            break;
        default:
            break;
        }
    } catch (const std::exception& error) {
        out["decode_error"] = cut(error.what());
    }
}

std::string process_name() {
    // glibc's short name of argv[0], set before main; no /proc read per reporter.
    return program_invocation_short_name != nullptr ? program_invocation_short_name : "?";
}

} // namespace

std::string monitor_datagram(const MonitorOrigin& origin, MonitorDirection direction,
                             std::string_view local, std::string_view peer, const Message& message,
                             double unix_time, std::string_view fault) {
    json::object out;
    out["v"] = 1;
    out["process"] = origin.process;
    out["pid"] = origin.pid;
    out["role"] = origin.role;
    out["dir"] = direction == MonitorDirection::Sent ? "out" : "in";
    out["local"] = local;
    out["peer"] = peer;
    out["type"] = message_type_name(message.type);
    out["flags"] = message.flags;
    out["flag_names"] = flag_names(message.flags);
    out["seq"] = message.seq;
    out["serializer"] = serializer_text(message.serializer_id);
    // The frame's size on the wire: header, annotation chunks (6 bytes of key and length each)
    // and payload.
    std::size_t size = message_header_size + message.payload.size();
    for (const auto& annotation : message.annotations) {
        size += 6 + annotation.value.size();
    }
    out["size"] = size;
    out["time"] = unix_time;
    // Pyro4's correlation id, in hex: it ties a request to the call that caused it, and lets
    // pyro-monitor hide its own registry polls.
    if (const std::string* corr = message.annotation("CORR")) {
        static constexpr std::string_view digits = "0123456789abcdef";
        std::string hex;
        for (const char byte : *corr) {
            hex += digits[(static_cast<unsigned char>(byte) >> 4U) & 0xFU];
            hex += digits[static_cast<unsigned char>(byte) & 0xFU];
        }
        out["corr"] = hex;
    }
    if (!fault.empty()) {
        out["fault"] = fault;
    }
    add_decoded(out, message);
    return json::serialize(out);
}

struct MonitorReporter::State {
    MonitorOrigin origin;
    int fd = -1;
    sockaddr_storage address{};
    socklen_t address_size = 0;
    mutable std::atomic<std::uint64_t> sent{0};
    mutable std::atomic<std::uint64_t> dropped{0};

    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

MonitorReporter::MonitorReporter(std::unique_ptr<State> state) : state_(std::move(state)) {}
MonitorReporter::~MonitorReporter() = default;

std::shared_ptr<const MonitorReporter> MonitorReporter::from_config(const Config& config,
                                                                    std::string role) {
    if (config.monitor.empty()) {
        return nullptr;
    }
    const std::string& where = config.monitor;
    const auto warn = [&where](const std::string& why) {
        std::cerr << "pyro: PYRO_MONITOR='" << where << "' ignored: " << why << std::endl;
        return nullptr;
    };
    const auto colon = where.rfind(':');
    if (colon == std::string::npos || colon + 1 == where.size()) {
        return warn("expected HOST:PORT, e.g. 127.0.0.1:8090");
    }
    std::string host = where.substr(0, colon);
    const std::string port = where.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (const int status = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); status != 0) {
        return warn(::gai_strerror(status));
    }
    const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
    auto state = std::make_unique<State>();
    state->fd = ::socket(found->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (state->fd < 0) {
        return warn(std::string("no UDP socket: ") + std::strerror(errno));
    }
    std::memcpy(&state->address, found->ai_addr, found->ai_addrlen);
    state->address_size = found->ai_addrlen;
    state->origin = {process_name(), static_cast<long>(::getpid()), std::move(role)};
    return std::make_shared<const MonitorReporter>(std::move(state));
}

void MonitorReporter::report(MonitorDirection direction, std::string_view local,
                             std::string_view peer, const Message& message,
                             std::string_view fault) const noexcept {
    // The monitor is an observer: whatever goes wrong here (even memory) must not fail the call.
    try {
        const double now =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        const std::string datagram =
            monitor_datagram(state_->origin, direction, local, peer, message, now, fault);
        const auto n =
            ::sendto(state_->fd, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                     reinterpret_cast<const sockaddr*>(&state_->address), state_->address_size);
        (n < 0 ? state_->dropped : state_->sent).fetch_add(1, std::memory_order_relaxed);
    } catch (...) {
        state_->dropped.fetch_add(1, std::memory_order_relaxed);
    }
}

void MonitorReporter::report(MonitorDirection direction, const Socket& socket,
                             const Message& message, std::string_view fault) const noexcept {
    try {
        boost::system::error_code ignored;
        const std::string local = describe_endpoint(socket.local_endpoint(ignored));
        const std::string peer = describe_endpoint(socket.remote_endpoint(ignored));
        report(direction, local, peer, message, fault);
    } catch (...) {
        state_->dropped.fetch_add(1, std::memory_order_relaxed);
    }
}

std::uint64_t MonitorReporter::sent() const noexcept {
    return state_->sent.load();
}
std::uint64_t MonitorReporter::dropped() const noexcept {
    return state_->dropped.load();
}

} // namespace pyro::detail
