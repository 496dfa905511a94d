// Every text pyro-ns prints, in one place: pyro4-ns's help and start-up lines (PYRO4-WIRE.md
// §9.1, vectors/reference_outputs.json), and libpyro's own one-line errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pyro::ns::text {

// pyro4-ns --help, with `program` where optparse writes %prog.
[[nodiscard]] std::string ns_help(std::string_view program);
// "Usage: pyro-ns [options]\n".
[[nodiscard]] std::string ns_usage(std::string_view program);

inline constexpr std::string_view dbm_warning = "Warning: the DbmStorage doesn't support metadata.";
inline constexpr std::string_view no_broadcast_ipv6 = "Not starting broadcast server for IPv6.";
inline constexpr std::string_view no_broadcast_localhost =
    "Not starting broadcast server for localhost.";
inline constexpr std::string_view hmac_warning =
    "Warning: HMAC key not set. Anyone can connect to this server!";
inline constexpr std::string_view shut_down = "NS shut down.";
inline constexpr std::string_view key_conflict =
    "error: don't use -k and PYRO_HMAC_KEY at the same time";
// What Python's warnings module shows for -k (pyro4-ns and pyro4-nsc alike).
[[nodiscard]] std::string key_deprecated(std::string_view program);

[[nodiscard]] std::string broadcast_running(std::string_view location);
// libpyro's addition: another name server already answers broadcasts on that port.
[[nodiscard]] std::string other_name_server(int bcport, std::string_view uri);
[[nodiscard]] std::string persistent_entries(std::size_t count);
[[nodiscard]] std::string running(std::string_view location, std::string_view bound_ip);
[[nodiscard]] std::string uri_line(std::string_view uri);
[[nodiscard]] std::string internal_uri_line(std::string_view uri);
[[nodiscard]] std::string external_uri_line(std::string_view uri);

// One line for a port that is taken: which program holds it (when known) and what to do.
[[nodiscard]] std::string port_in_use(std::string_view program, std::string_view where, int port,
                                      const std::optional<std::string>& holder);

} // namespace pyro::ns::text
