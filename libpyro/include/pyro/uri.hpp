// pyro::Uri — the address of a remote object, in Pyro4's forms:
//
//   PYRO:objectid@host:port            direct, TCP
//   PYRO:objectid@[::1]:port           direct, IPv6
//   PYRO:objectid@./u:/path/socket     direct, Unix domain socket
//   PYRONAME:name[@host[:port]]        a name to look up in the name server
//   PYROMETA:tag1,tag2[@host[:port]]   any object registered with all these metadata tags
//
// Parsing follows Pyro4 4.82's rules and error texts (PYRO4-WIRE.md §7.3,
// vectors/uri_parsing.json). Uri is a regular value type.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pyro {

class Value;

class Uri {
public:
    enum class Protocol { Pyro, PyroName, PyroMeta };

    // The port Pyro4 fills in for PYRONAME/PYROMETA URIs that name a host but no port.
    static constexpr int default_ns_port = 9090;

    Uri() = default;

    // Parses any of the forms above (protocol case-insensitive). Throws PyroError with Pyro4's
    // text ("invalid uri", "invalid port in uri, port=None", "invalid uri (protocol)", …) followed
    // by the offending text, e.g. `invalid uri: 'PYRO:obj'`.
    static Uri parse(std::string_view text, int ns_port = default_ns_port);

    static Uri pyro(std::string object, std::string host, int port);
    static Uri unix_socket(std::string object, std::string socket_path);
    static Uri name(std::string name);
    static Uri name(std::string name, std::string ns_host, int ns_port = default_ns_port);
    static Uri meta(std::vector<std::string> tags);

    [[nodiscard]] Protocol protocol() const { return protocol_; }
    // "PYRO", "PYRONAME" or "PYROMETA".
    [[nodiscard]] std::string_view protocol_name() const;
    // The object id (PYRO), the name (PYRONAME) or the tags joined with ',' (PYROMETA).
    [[nodiscard]] const std::string& object() const { return object_; }
    // PYROMETA only: the tags, stripped, without duplicates, in the order given.
    [[nodiscard]] const std::vector<std::string>& tags() const { return tags_; }
    // Host without IPv6 brackets; empty for Unix sockets and for PYRONAME/PYROMETA without one.
    [[nodiscard]] const std::string& host() const { return host_; }
    [[nodiscard]] std::optional<int> port() const { return port_; }
    // Unix socket path; empty otherwise.
    [[nodiscard]] const std::string& socket_path() const { return socket_path_; }

    [[nodiscard]] bool is_unix_socket() const { return !socket_path_.empty(); }
    [[nodiscard]] bool has_location() const { return !host_.empty() || is_unix_socket(); }
    [[nodiscard]] bool is_ipv6() const { return host_.find(':') != std::string::npos; }
    // "host:port", "[::1]:port", "./u:path", or "" when there is no location.
    [[nodiscard]] std::string location() const;
    // The canonical form, e.g. "PYRO:obj@127.0.0.1:4444" (what Pyro4's asString() gives).
    [[nodiscard]] std::string str() const;

    friend bool operator==(const Uri&, const Uri&) = default;

private:
    Protocol protocol_ = Protocol::Pyro;
    std::string object_;
    std::vector<std::string> tags_;
    std::string host_;
    std::optional<int> port_;
    std::string socket_path_;
};

// Pyro4's class dict for a URI: {"__class__": "Pyro4.core.URI", "state": (proto, obj, sock, host,
// port)} (PYRO4-WIRE.md §6.6).
[[nodiscard]] Value to_value(const Uri& uri);
// Accepts a URI string or a Pyro4.core.URI class dict (state as tuple or list). Throws PyroError
// for a bad URI text and TypeError for any other value.
[[nodiscard]] Uri uri_from_value(const Value& value);

} // namespace pyro
