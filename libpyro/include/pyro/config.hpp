// pyro::Config — the settings Pyro4 reads from PYRO_* environment variables, with Pyro4 4.82's
// defaults (PYRO4-WIRE.md §11). A plain value: read it once in main() with from_environment()
// and pass it down; nothing in the library reads the environment behind your back.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pyro {

struct Config {
    std::string host = "localhost";       // PYRO_HOST: daemons bind here
    std::string ns_host = "localhost";    // PYRO_NS_HOST
    int ns_port = 9090;                   // PYRO_NS_PORT
    int ns_bcport = 9091;                 // PYRO_NS_BCPORT
    std::optional<std::string> ns_bchost; // PYRO_NS_BCHOST
    std::optional<std::string> nathost;   // PYRO_NATHOST
    int natport = 0;                      // PYRO_NATPORT (0: same as the real port)
    // PYRO_SERIALIZER. Pyro4's default is serpent; libpyro's proxies default to json, which is
    // easier to read in a wire trace. Python daemons accept both.
    std::string serializer = "json";
    std::vector<std::string> serializers_accepted{"serpent", "marshal", "json"};
    double comm_timeout = 0.0;        // PYRO_COMMTIMEOUT, seconds; 0 = wait forever
    double poll_timeout = 2.0;        // PYRO_POLLTIMEOUT
    std::size_t max_message_size = 0; // PYRO_MAX_MESSAGE_SIZE; 0 = unlimited
    int max_retries = 0;              // PYRO_MAX_RETRIES
    bool metadata = true;             // PYRO_METADATA
    bool compression = false;         // PYRO_COMPRESSION
    bool oneway_threaded = true;      // PYRO_ONEWAY_THREADED
    bool autoproxy = true;            // PYRO_AUTOPROXY
    std::vector<std::string> broadcast_addrs{"<broadcast>", "0.0.0.0"}; // PYRO_BROADCAST_ADDRS
    int prefer_ip_version = 4; // PYRO_PREFER_IP_VERSION: 4, 6 or 0
    double ns_autoclean = 0.0; // PYRO_NS_AUTOCLEAN
    int threadpool_size = 40;  // PYRO_THREADPOOL_SIZE
    bool sock_reuse = true;    // PYRO_SOCK_REUSE
    bool sock_nodelay = false; // PYRO_SOCK_NODELAY
    // Item streams (a servant method returning a generator, item_stream.hpp). PYRO_ITER_STREAMING
    // off: the caller gets Pyro4's ProtocolError instead of a stream. PYRO_ITER_STREAM_LIFETIME:
    // seconds a stream may exist at all (0 = no limit). PYRO_ITER_STREAM_LINGER: seconds the
    // streams of a client that disconnected wait for it to reconnect (0 = closed at once).
    bool iter_streaming = true;
    double iter_stream_lifetime = 0.0;
    double iter_stream_linger = 30.0;
    // PYRO_LOGLEVEL: DEBUG, INFO, WARNING, ERROR or CRITICAL (read in any case, kept in upper
    // case); enables the log (pyro::Logger, log.hpp). Unset: only warnings, on stderr.
    std::optional<std::string> log_level;
    std::string log_file = "pyro.log";   // PYRO_LOGFILE: a path, appended to; "{stderr}" for stderr
    std::optional<std::string> hmac_key; // PYRO_HMAC_KEY (read by the programs, as Pyro4's)
    bool trace = false;                  // PYRO_TRACE: print every frame, decoded (libpyro)
    // PYRO_MONITOR: "host:port" of a pyro-monitor; every message sent or received is reported
    // there as one UDP datagram (libpyro; monitor/README.md). Empty: nothing is reported.
    std::string monitor;
    // PYRO_FAULTS: seeded fault injection, e.g. "seed=42,drop=0.1,delay=20-200ms,dup=0.05,
    // close-after=3" (libpyro; handouts/failures.md): messages this program sends or receives are
    // dropped, delayed, duplicated or cut off. Empty: no faults. Checked by from_environment().
    std::string faults;
    // PYRO_SSL: every connection this program makes or takes is TLS (Pyro4's config-wide SSL;
    // URIs stay PYRO:). Daemons need a certificate, proxies check the server's against
    // ssl_cacerts (or the system's CAs) and its host name. Paths to PEM files.
    bool ssl = false;
    std::string ssl_servercert;         // PYRO_SSL_SERVERCERT: a daemon's certificate (chain)
    std::string ssl_serverkey;          // PYRO_SSL_SERVERKEY: its key ("" = in the cert file)
    std::string ssl_serverkeypasswd;    // PYRO_SSL_SERVERKEYPASSWD: the key's passphrase
    bool ssl_requireclientcert = false; // PYRO_SSL_REQUIRECLIENTCERT: two-way authentication
    std::string ssl_clientcert;         // PYRO_SSL_CLIENTCERT: a proxy's certificate
    std::string ssl_clientkey;          // PYRO_SSL_CLIENTKEY
    std::string ssl_clientkeypasswd;    // PYRO_SSL_CLIENTKEYPASSWD
    std::string ssl_cacerts; // PYRO_SSL_CACERTS: a CA file or directory ("" = the system's)

    // Reads PYRO_* variables through `lookup` (which returns the variable's value or nullopt).
    // Converts as Pyro4 does: ints and floats parsed, booleans 0/off/no/false and
    // 1/yes/on/true (any case). Throws PyroError with one line naming the variable, the bad
    // text and what is expected, e.g. "PYRO_NS_PORT='abc' is not a valid integer".
    static Config
    from_environment(const std::function<std::optional<std::string>(std::string_view)>& lookup);
    // The same, from the process environment.
    static Config from_environment();

    friend bool operator==(const Config&, const Config&) = default;
};

} // namespace pyro
