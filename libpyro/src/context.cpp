// pyro::current_context(), pyro::current_daemon() and auto-proxies (context.hpp, autoproxy.hpp).
#include <array>

#include "current_call.hpp"
#include "pyro/autoproxy.hpp"
#include "pyro/errors.hpp"
#include "random_id.hpp"

namespace pyro {

std::optional<Value> ClientConnection::get(std::string_view key) const {
    const std::lock_guard lock(mutex_);
    const auto found = data_.find(key);
    return found == data_.end() ? std::nullopt : std::optional<Value>(found->second);
}

void ClientConnection::set(std::string key, Value value) {
    const std::lock_guard lock(mutex_);
    data_.insert_or_assign(std::move(key), std::move(value));
}

void ClientConnection::erase(std::string_view key) {
    const std::lock_guard lock(mutex_);
    const auto found = data_.find(key);
    if (found != data_.end()) {
        data_.erase(found);
    }
}

std::string CallContext::correlation_uuid() const {
    static constexpr std::array<char, 16> digits{'0', '1', '2', '3', '4', '5', '6', '7',
                                                 '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    std::string out;
    for (std::size_t i = 0; i < correlation_id.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        const auto byte = static_cast<unsigned char>(correlation_id[i]);
        out += digits[byte >> 4U];
        out += digits[byte & 0x0FU];
    }
    return out;
}

namespace {

const detail::DaemonAccess::Call& running_call(std::string_view what) {
    const auto* call = detail::DaemonAccess::current;
    if (call == nullptr) {
        throw PyroError(std::string(what) +
                        " is only available inside a servant method called by a pyro::Daemon "
                        "(or its handshake hook), on the thread running it");
    }
    return *call;
}

} // namespace

CallContext& current_context() {
    return *running_call("pyro::current_context()").context;
}

Daemon& current_daemon() {
    return *running_call("pyro::current_daemon()").daemon->owner;
}

namespace detail {

std::optional<Value> DaemonAccess::proxy_for(const Impl& daemon, const void* object) {
    std::string id;
    std::shared_ptr<const Impl::Entry> entry;
    {
        const std::lock_guard lock(daemon.objects_mutex);
        for (const auto& [object_id, candidate] : daemon.objects) {
            if (candidate->mode == InstanceMode::Single && candidate->single.get() == object) {
                id = object_id;
                entry = candidate;
                break;
            }
        }
    }
    if (!entry) {
        return std::nullopt;
    }
    const auto names = [](const std::vector<std::string>& list) {
        return Value::tuple(Value::Items(list.begin(), list.end()));
    };
    const ObjectMetadata& meta = entry->interface.metadata();
    // Pyro4's Proxy.__getstate_for_dict__ of the proxy Daemon.proxyFor makes: (uri, oneway,
    // methods, attrs, timeout, hmac key, handshake, max retries, serializer), the timeout and
    // retries from the daemon's config, no key, the default handshake, no serializer.
    const Uri uri = Uri::parse("PYRO:" + id + "@" + daemon.advertised_location);
    return Value::dict(
        {{"__class__", "Pyro4.core.Proxy"},
         {"state", Value::tuple({Value(uri.str()), names(meta.oneway), names(meta.methods),
                                 names(meta.attrs), Value(daemon.config.comm_timeout), Value(),
                                 Value("hello"), Value(daemon.config.max_retries), Value()})}});
}

std::optional<Value> auto_proxy(const void* object) {
    const auto* call = DaemonAccess::current;
    if (call == nullptr || !call->daemon->config.autoproxy) {
        return std::nullopt;
    }
    return DaemonAccess::proxy_for(*call->daemon, object);
}

CallContext call_context_for(const Message& request, ClientConnection& client) {
    CallContext context;
    context.client = &client;
    context.client_address = client.peer();
    const std::string* corr = request.annotation("CORR");
    context.correlation_id = corr != nullptr ? *corr : random_uuid_bytes();
    context.seq = request.seq;
    context.msg_flags = request.flags;
    context.serializer_id = request.serializer_id;
    for (const auto& [key, value] : request.annotations) {
        context.annotations.insert_or_assign(key, value);
    }
    return context;
}

void add_response_annotations(Message& reply, CallContext&& context) {
    // Checked before anything is taken: a caller that answers the error instead still has the
    // context's correlation id (the handshake's refusal carries it).
    for (const auto& [key, value] : context.response_annotations) {
        if (key.size() != 4) {
            throw ProtocolError("response annotation key '" + key +
                                "' is not of length 4: Pyro4 annotation keys are 4 characters");
        }
    }
    if (reply.annotation("CORR") != nullptr) {
        reply.set_annotation("CORR", std::move(context.correlation_id));
    }
    for (auto& [key, value] : context.response_annotations) {
        reply.set_annotation(key, std::move(value));
    }
}

void cannot_send_object(const void* object) {
    const auto* call = DaemonAccess::current;
    if (call == nullptr) {
        throw TypeError("cannot send a std::shared_ptr to an object outside a servant call: only "
                        "a daemon's servant method can return a registered object as a proxy");
    }
    if (!call->daemon->config.autoproxy &&
        DaemonAccess::proxy_for(*call->daemon, object).has_value()) {
        throw TypeError("the method returned a registered object, but PYRO_AUTOPROXY is off and "
                        "its class has no pyro::convert: turn PYRO_AUTOPROXY on to send a proxy "
                        "for it");
    }
    throw TypeError("the method returned a std::shared_ptr to an object this daemon has not "
                    "registered, and its class has no pyro::convert: register it first "
                    "(pyro::current_daemon().register_object) to send a proxy for it");
}

void servant_pointer_argument() {
    throw TypeError("a remote object arrives as a proxy: declare the parameter as pyro::Proxy, "
                    "not as a std::shared_ptr to a servant class");
}

} // namespace detail
} // namespace pyro
