#include "nameserver/ns_output.hpp"

namespace pyro::ns::text {

std::string ns_usage(std::string_view program) {
    return "Usage: " + std::string(program) + " [options]\n";
}

std::string ns_help(std::string_view program) {
    return ns_usage(program) + R"(
Options:
  -h, --help            show this help message and exit
  -n HOST, --host=HOST  hostname to bind server on
  -p PORT, --port=PORT  port to bind server on (0=random)
  -u UNIXSOCKET, --unixsocket=UNIXSOCKET
                        Unix domain socket name to bind server on
  -s STORAGE, --storage=STORAGE
                        Storage system to use (memory, dbm:file, sql:file)
  --bchost=BCHOST       hostname to bind broadcast server on (default is "")
  --bcport=BCPORT       port to bind broadcast server on (0=random)
  --nathost=NATHOST     external hostname in case of NAT
  --natport=NATPORT     external port in case of NAT
  -x, --nobc            don't start a broadcast server
  -k KEY, --key=KEY     the HMAC key to use (deprecated)
)";
}

std::string key_deprecated(std::string_view program) {
    return std::string(program) +
           ": UserWarning: using -k to supply HMAC key on the command line is a security problem "
           "and is deprecated since Pyro 4.72. See the documentation for an alternative.";
}

std::string broadcast_running(std::string_view location) {
    return "Broadcast server running on " + std::string(location);
}

std::string other_name_server(int bcport, std::string_view uri) {
    return "Warning: another name server already answers broadcasts on port " +
           std::to_string(bcport) + ": " + std::string(uri) +
           " (clients that search by broadcast may find either one)";
}

std::string persistent_entries(std::size_t count) {
    return "Persistent store contains " + std::to_string(count) + " existing registrations.";
}

std::string running(std::string_view location, std::string_view bound_ip) {
    return "NS running on " + std::string(location) + " (" + std::string(bound_ip) + ")";
}

std::string uri_line(std::string_view uri) {
    return "URI = " + std::string(uri);
}

std::string internal_uri_line(std::string_view uri) {
    return "internal URI = " + std::string(uri);
}

std::string external_uri_line(std::string_view uri) {
    return "external URI = " + std::string(uri);
}

std::string port_in_use(std::string_view program, std::string_view where, int port,
                        const std::optional<std::string>& holder) {
    const std::string who = holder ? *holder : "another program";
    return std::string(program) + ": cannot listen on " + std::string(where) + ": port " +
           std::to_string(port) + " is already in use by " + who + "; stop " +
           (holder ? "it" : "that program") + " or start " + std::string(program) +
           " with another port, e.g. -p " + std::to_string(port == 9090 ? 9190 : port + 100) +
           " (or -p 0 for any free port)";
}

} // namespace pyro::ns::text
