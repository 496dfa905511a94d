// pyro::current_context() — what a servant method knows about the call it is running, as Pyro4's
// Pyro4.current_context: the client connection (with data of its own), the client's address, the
// correlation id, the annotations the request carried, and annotations to send back.
//
//   std::string Greeter::hello() {
//       pyro::CallContext& call = pyro::current_context();
//       call.response_annotations["XTRA"] = "seen";            // travels with the reply
//       auto user = call.client->get("user");                   // set by the handshake hook
//       return "hello from " + call.client_address;
//   }
//
// Valid only on the thread running a servant method (or a DaemonOptions::validate_handshake
// hook) of a pyro::Daemon, for the duration of that call; elsewhere current_context() throws
// PyroError. pyro::current_daemon() is the daemon running the call, so a servant can register
// new objects (and return them as auto-proxies, see autoproxy.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "pyro/value.hpp"

namespace pyro {

class Daemon;

// One client connection of a daemon: Pyro4's current_context.client, the `conn` its
// validateHandshake receives. Pyro4 servers keep per-connection state as attributes on it; here
// that is a small dictionary, safe to use from the connection's calls at once (oneway calls of
// one connection may run in parallel).
class ClientConnection {
public:
    explicit ClientConnection(std::string peer) : peer_(std::move(peer)) {}
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    // The client's address as "host:port" ("127.0.0.1:51234", "[::1]:51234"); "?" if unknown.
    [[nodiscard]] const std::string& peer() const noexcept { return peer_; }

    [[nodiscard]] std::optional<Value> get(std::string_view key) const;
    void set(std::string key, Value value);
    void erase(std::string_view key);

private:
    std::string peer_;
    mutable std::mutex mutex_;
    std::map<std::string, Value, std::less<>> data_;
};

struct CallContext {
    ClientConnection* client = nullptr; // the connection the call came on; never null in a call
    std::string client_address;         // Pyro4's client_sock_addr, as "host:port"
    // The 16 raw bytes of the request's CORR annotation, or fresh ones when it had none (then
    // the reply carries these, as Pyro4's daemon does).
    std::string correlation_id;
    std::uint16_t seq = 0;
    std::uint16_t msg_flags = 0;
    std::uint16_t serializer_id = 0;
    // The request's annotations (CORR and HMAC included), values as raw bytes.
    std::map<std::string, std::string, std::less<>> annotations;
    // Sent with the reply (Pyro4's response_annotations): keys of exactly 4 characters, values
    // raw bytes. A bad key makes the call fail with a ProtocolError saying so.
    std::map<std::string, std::string, std::less<>> response_annotations;

    // The correlation id as Python prints a uuid.UUID: "1b4e28ba-2fa1-11d2-883f-0016d3cca427".
    [[nodiscard]] std::string correlation_uuid() const;
};

// Throws PyroError outside a servant call (or handshake hook).
[[nodiscard]] CallContext& current_context();
[[nodiscard]] Daemon& current_daemon();

} // namespace pyro
