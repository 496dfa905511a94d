// pyro::ObjectMetadata — what a remote object exposes, as Pyro4 calls it: sent in the connect
// handshake (PYRO4-WIRE.md §5.2) so proxies know what to call and what not to wait for. Shared by
// both sides: a Daemon builds it from methods<T>, a Proxy receives it (Proxy::metadata()).
#pragma once

#include <string>
#include <vector>

namespace pyro {

// A plain value (Pyro4's _pyroMethods, _pyroOneway and _pyroAttrs), in exposure order.
struct ObjectMetadata {
    std::vector<std::string> methods;
    std::vector<std::string> oneway; // also listed in methods
    std::vector<std::string> attrs;
    friend bool operator==(const ObjectMetadata&, const ObjectMetadata&) = default;
};

} // namespace pyro
