// Finding a name server without knowing its host (PYRO4-WIRE.md §8.2): the one GET_NSURI probe
// and the one loopback check of the project, shared by locate_ns() and pyro-ns (which warns when
// another name server already answers on its broadcast port and runs no responder on loopback).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pyro::detail {

// The 9 bytes a client broadcasts and a name server's responder answers with its URI.
inline constexpr std::string_view get_nsuri_request = "GET_NSURI";

// True for the names and addresses of this host's loopback interface: "localhost" (any case, and
// "*.localhost", RFC 6761), 127.0.0.0/8, ::1 and IPv4-mapped 127.x, bracketed or not.
[[nodiscard]] bool is_loopback_host(std::string_view host);

// Up to `rounds` rounds: "GET_NSURI" to UDP `port` of every address (Pyro4's BROADCAST_ADDRS:
// "<broadcast>" is 255.255.255.255, "" is 0.0.0.0; an address that does not resolve or cannot
// be sent to is skipped, as Pyro4 skips it), then up to `wait` for an answer. Returns the first
// answer (at most 100 bytes, as Pyro4 reads; the URI text, unchecked), or nullopt.
[[nodiscard]] std::optional<std::string> probe_get_nsuri(int port,
                                                         const std::vector<std::string>& addresses,
                                                         std::chrono::milliseconds wait,
                                                         int rounds);

} // namespace pyro::detail
