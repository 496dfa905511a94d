// The servant call running on this thread, for pyro::current_context(), pyro::current_daemon()
// and auto-proxies (context.hpp, autoproxy.hpp): set by the daemon around each call (and the
// handshake hook), a thread-local because the servant code that asks is far from any place the
// daemon could pass it.
#pragma once

#include <optional>

#include "daemon_impl.hpp"
#include "pyro/context.hpp"

namespace pyro::detail {

// Daemon's friend: names its Impl for the files outside the daemon's own.
struct DaemonAccess {
    using Impl = Daemon::Impl;

    struct Call {
        Impl* daemon = nullptr;
        CallContext* context = nullptr;
    };
    static inline thread_local const Call* current = nullptr;

    // Sets `current` for one call and restores the previous one (a servant may call a local
    // daemon's object from within a call).
    class Scope {
    public:
        explicit Scope(const Call& call) noexcept : previous_(current) { current = &call; }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;
        ~Scope() { current = previous_; }

    private:
        const Call* previous_;
    };

    // autoproxy.cpp: Pyro4's Daemon.proxyFor, as a Proxy class dict; nullopt when the daemon has
    // no single object at that address.
    static std::optional<Value> proxy_for(const Impl& daemon, const void* object);
};

// The context of a request (or CONNECT) on `client`'s connection: a fresh correlation id when the
// message has none, as Pyro4's daemon makes.
[[nodiscard]] CallContext call_context_for(const Message& request, ClientConnection& client);
// Puts the context's response annotations on a reply, and its correlation id in place of the
// reply's CORR (if any), which it takes from the context. ProtocolError for a key that is not 4
// characters long.
void add_response_annotations(Message& reply, CallContext&& context);

} // namespace pyro::detail
