// The name server's UDP broadcast responder (PYRO4-WIRE.md §8.1): answers the 9 bytes
// "GET_NSURI" with the name server's URI, so clients that know no host (Pyro4.locateNS(),
// pyro-nsc without -n) find it. pyro-ns runs one only when it is not bound to loopback.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pyro::ns {

// What the responder sends back for one datagram, or nullopt to ignore it: only an exact
// "GET_NSURI" is answered. When the name server is bound to 0.0.0.0, the URI's host becomes
// `interface_address()`, the local address that routes to the requester (as Pyro4 does).
[[nodiscard]] std::optional<std::string>
broadcast_answer(std::string_view request, const std::string& ns_uri,
                 const std::function<std::string()>& interface_address);

// Answers GET_NSURI on its own thread from construction until destruction.
class BroadcastResponder {
public:
    // Binds UDP `bind_host` ("" = all interfaces):`port` (0 = a free port), with SO_BROADCAST
    // and, when `reuse_address`, SO_REUSEADDR (two name servers may then share the port). Throws
    // CommunicationError with one line when it cannot.
    BroadcastResponder(std::string ns_uri, const std::string& bind_host, int port,
                       bool reuse_address = true);
    ~BroadcastResponder(); // stops and joins the thread
    BroadcastResponder(const BroadcastResponder&) = delete;
    BroadcastResponder& operator=(const BroadcastResponder&) = delete;

    // Pyro4's "<bchost or bound address>:<port>", e.g. "0.0.0.0:9091".
    [[nodiscard]] const std::string& location() const;
    [[nodiscard]] int port() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Asks the network who answers GET_NSURI on UDP `port`: one request to every address (Pyro4's
// BROADCAST_ADDRS: "<broadcast>" is 255.255.255.255), then waits up to `wait` for the first
// reply. Returns the URI text received, or nullopt. Blocks for at most `wait`.
[[nodiscard]] std::optional<std::string> probe_broadcast(int port,
                                                         const std::vector<std::string>& addresses,
                                                         std::chrono::milliseconds wait);

} // namespace pyro::ns
