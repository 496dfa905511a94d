// The name server client: find a name server the way Pyro4 does, and call every method of
// Pyro.NameServer with C++ types.
//
//   pyro::NameServer ns = pyro::locate_ns(config);
//   ns.register_name("echo.server", daemon.uri_for("echo.server"));
//   pyro::Uri where = ns.lookup("echo.server");
//
// Works against libpyro's pyro-ns and Python's pyro4-ns alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pyro/config.hpp"
#include "pyro/proxy.hpp"
#include "pyro/uri.hpp"

namespace pyro {

// One registration, as list(return_metadata=True) gives it.
struct Registration {
    std::string name;
    std::string uri;
    std::vector<std::string> metadata;
    friend bool operator==(const Registration&, const Registration&) = default;
};

// The filters of NameServer.list(); at most one may be set.
struct ListFilter {
    std::optional<std::string> prefix;
    std::optional<std::string> regex;
    std::optional<std::vector<std::string>> metadata_all;
    std::optional<std::vector<std::string>> metadata_any;
};

class NameServer {
public:
    explicit NameServer(Proxy proxy) : proxy_(std::move(proxy)) {}

    void ping();
    [[nodiscard]] int count();
    // Throws UnknownNameError("unknown name: …") when absent.
    [[nodiscard]] Uri lookup(std::string_view name);
    [[nodiscard]] Registration lookup_with_metadata(std::string_view name);
    // Pyro4's register(); `safe` refuses to replace an existing name (NamingError).
    void register_name(std::string_view name, const Uri& uri, bool safe = false,
                       const std::vector<std::string>& metadata = {});
    // remove(name): how many were removed (0 or 1).
    int remove(std::string_view name);
    int remove_prefix(std::string_view prefix);
    int remove_regex(std::string_view regex);
    // In the name server's order (registration order for memory storage).
    [[nodiscard]] std::vector<Registration> list(const ListFilter& filter = {});
    void set_metadata(std::string_view name, const std::vector<std::string>& metadata);

    [[nodiscard]] Proxy& proxy() { return proxy_; }

private:
    Proxy proxy_;
};

// Finds a name server (PYRO4-WIRE.md §8.2): with a host, connects to it directly (port defaults to
// config.ns_port); without, tries config.ns_host when it is a loopback name, then a UDP
// broadcast on config.ns_bcport to config.broadcast_addrs, then config.ns_host:config.ns_port.
// When nothing answers anywhere: NamingError saying where it looked and how to start a name
// server. When something answers but cannot be used, the error of that cause (HmacKeyError,
// SerializerNotAcceptedError, NotPyroPeerError, TimeoutError, HandshakeError for a Pyro server
// that is no name server, …; errors.hpp), its message starting "cannot use the name server at
// HOST:PORT: ". UnknownSerializerError at once when config.serializer is not one libpyro speaks.
[[nodiscard]] NameServer locate_ns(const Config& config, std::optional<std::string> host = {},
                                   std::optional<int> port = {});

// PYRONAME and PYROMETA URIs resolved to the object's PYRO URI through the name server the URI
// names (or locate_ns); PYRO URIs are returned as they are.
[[nodiscard]] Uri resolve(const Uri& uri, const Config& config);

} // namespace pyro
