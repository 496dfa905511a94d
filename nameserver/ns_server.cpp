#include "nameserver/ns_server.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <set>
#include <sstream>
#include <vector>

#include <arpa/inet.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "locate.hpp" // libpyro's private loopback check
#include "nameserver/ns_output.hpp"
#include "nameserver/storage.hpp"
#include "pyro/uri.hpp"

namespace pyro::ns {

namespace fs = std::filesystem;

namespace {

void say(std::ostream& out, std::string_view line) {
    out << line << std::endl; // flushed at once: the banner shows live through pipes
}

} // namespace

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::size_t pings_in_flight = 64; // at once, so a round of thousands stays short
constexpr std::string_view daemon_name = "Pyro.Daemon";

struct Target {
    std::string name;
    std::string uri;
    std::string host;
    int port = 0;
    std::string socket_path;
};

// Connects to `target` and closes again; `done(true)` when the connection was accepted within
// `timeout`, `done(false)` when it was refused, unresolvable or timed out.
void start_ping(asio::io_context& io, const Target& target, std::chrono::nanoseconds timeout,
                std::function<void(bool)> done) {
    struct State {
        explicit State(asio::io_context& io) : resolver(io), socket(io), local(io), timer(io) {}
        tcp::resolver resolver;
        tcp::socket socket;
        asio::local::stream_protocol::socket local;
        asio::steady_timer timer;
        bool finished = false;
        std::function<void(bool)> done;
    };
    auto state = std::make_shared<State>(io);
    state->done = std::move(done);
    const auto finish = [state](bool reached) {
        if (state->finished) {
            return;
        }
        state->finished = true;
        boost::system::error_code ignored;
        state->timer.cancel();
        state->resolver.cancel();
        state->socket.close(ignored);
        state->local.close(ignored);
        state->done(reached);
    };
    state->timer.expires_after(timeout);
    state->timer.async_wait([finish](const boost::system::error_code& error) {
        if (!error) {
            finish(false);
        }
    });
    if (!target.socket_path.empty()) {
        state->local.async_connect(
            asio::local::stream_protocol::endpoint(target.socket_path),
            [finish](const boost::system::error_code& error) { finish(!error); });
        return;
    }
    state->resolver.async_resolve(
        target.host, std::to_string(target.port),
        [state, finish](const boost::system::error_code& error, tcp::resolver::results_type found) {
            if (error) {
                finish(false);
                return;
            }
            asio::async_connect(state->socket, found,
                                [finish](const boost::system::error_code& failed,
                                         const tcp::endpoint&) { finish(!failed); });
        });
}

} // namespace

AutoCleanSettings AutoCleanSettings::from(const Config& config) {
    AutoCleanSettings settings;
    if (config.ns_autoclean > 0 && config.ns_autoclean < min_interval) {
        throw RemoteError("builtins.ValueError", "NS_AUTOCLEAN cannot be smaller than 3");
    }
    settings.interval = Seconds(std::max(config.ns_autoclean, 0.0));
    settings.connect_timeout = Seconds(config.comm_timeout > 0 ? config.comm_timeout : 5.0);
    return settings;
}

AutoCleaner::AutoCleaner(std::shared_ptr<Registry> registry, AutoCleanSettings settings, Logger log)
    : registry_(std::move(registry)), settings_(settings), log_(std::move(log)) {
    log_.debug("autoclean enabled");
    thread_ = std::thread([this] { run(); });
}

AutoCleaner::~AutoCleaner() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

std::vector<std::string> AutoCleaner::removed() const {
    const std::lock_guard lock(mutex_);
    return removed_;
}

void AutoCleaner::run() {
    auto last_cleaned = Clock::now();
    const auto delay = std::chrono::duration_cast<Clock::duration>(settings_.loop_delay);
    const auto interval = std::chrono::duration_cast<Clock::duration>(settings_.interval);
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            if (wake_.wait_for(lock, delay, [this] { return stopping_; })) {
                return;
            }
        }
        if (Clock::now() - last_cleaned < interval) {
            continue;
        }
        try {
            clean_round();
        } catch (const std::exception& error) {
            // The registry refuses while the name server shuts down; the next round may do.
            log_.debug("autoclean round stopped: ", error.what());
        }
        last_cleaned = Clock::now();
    }
}

void AutoCleaner::clean_round() {
    std::vector<Target> targets;
    std::set<std::string> listed;
    for (auto& row : registry_->list()) {
        listed.insert(row.name);
        if (row.name == name_server_name || row.name == daemon_name) {
            continue;
        }
        Target target{row.name, row.uri, {}, 0, {}};
        try {
            const Uri uri = Uri::parse(row.uri);
            if (uri.is_unix_socket()) {
                target.socket_path = uri.socket_path();
            } else if (!uri.host().empty() && uri.port()) {
                target.host = uri.host();
                target.port = *uri.port();
            } else {
                continue; // PYROMETA: no address of its own to ping
            }
        } catch (const PyroError&) {
            continue; // the registry only holds valid URIs; a foreign file may not
        }
        targets.push_back(std::move(target));
    }
    std::erase_if(unreachable_since_,
                  [&](const auto& item) { return !listed.contains(item.first); });

    std::vector<char> reached(targets.size(), 0);
    asio::io_context io;
    std::size_t next = 0;
    const auto timeout =
        std::chrono::duration_cast<std::chrono::nanoseconds>(settings_.connect_timeout);
    std::function<void()> launch = [&] {
        if (next >= targets.size()) {
            return;
        }
        const std::size_t index = next++;
        start_ping(io, targets[index], timeout, [&, index](bool ok) {
            reached[index] = ok ? 1 : 0;
            launch(); // keep `pings_in_flight` going
        });
    };
    for (std::size_t i = 0; i < pings_in_flight; ++i) {
        launch();
    }
    while (!io.stopped()) {
        io.run_for(std::chrono::milliseconds(100));
        const std::lock_guard lock(mutex_);
        if (stopping_) {
            return; // shutting down: the pings still out are dropped with `io`
        }
    }

    const auto now = Clock::now();
    const auto grace = std::chrono::duration_cast<Clock::duration>(settings_.grace);
    const auto grace_seconds = static_cast<long long>(settings_.grace.count());
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const Target& target = targets[i];
        if (reached[i] != 0) {
            unreachable_since_.erase(target.name);
            continue;
        }
        const auto since = unreachable_since_.emplace(target.name, now).first;
        if (now - since->second < grace) {
            continue;
        }
        unreachable_since_.erase(since);
        if (registry_->remove_if_unchanged(target.name, target.uri)) {
            log_.info("autoclean: unregistering ", target.name, "; cannot connect uri ", target.uri,
                      " for ", grace_seconds, " sec");
            const std::lock_guard lock(mutex_);
            removed_.push_back(target.name);
        }
    }
    if (!unreachable_since_.empty()) {
        log_.debug("autoclean: ", unreachable_since_.size(), "/", registry_->count(),
                   " names currently unreachable");
    }
}

std::optional<std::string> tcp_port_holder(int port) {
    // /proc/net/tcp{,6}: "sl local_address rem_address st … inode"; st 0A is LISTEN.
    std::vector<std::string> inodes;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(table);
        std::string line;
        std::getline(in, line); // header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
            fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
                timeout >> inode;
            const auto colon = local.rfind(':');
            if (state != "0A" || colon == std::string::npos) {
                continue;
            }
            if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) {
                inodes.push_back("socket:[" + inode + "]");
            }
        }
    }
    if (inodes.empty()) {
        return std::nullopt;
    }
    std::error_code error;
    for (const auto& process : fs::directory_iterator("/proc", error)) {
        const std::string pid = process.path().filename();
        if (!std::all_of(pid.begin(), pid.end(), ::isdigit)) {
            continue;
        }
        std::error_code ignored;
        for (const auto& fd : fs::directory_iterator(process.path() / "fd", ignored)) {
            const auto target = fs::read_symlink(fd.path(), ignored).string();
            if (std::find(inodes.begin(), inodes.end(), target) == inodes.end()) {
                continue;
            }
            std::ifstream cmdline(process.path() / "cmdline", std::ios::binary);
            std::vector<std::string> argv;
            std::string arg;
            while (std::getline(cmdline, arg, '\0')) {
                argv.push_back(arg);
            }
            // "python3 /usr/bin/pyro4-ns" is pyro4-ns; "python3 -m Pyro4.naming" is Pyro4.naming.
            std::size_t shown = 0;
            if (!argv.empty() && fs::path(argv[0]).filename().string().starts_with("python")) {
                for (std::size_t i = 1; i < argv.size(); ++i) {
                    if (argv[i] == "-m" && i + 1 < argv.size()) {
                        shown = i + 1;
                        break;
                    }
                    if (!argv[i].starts_with("-")) {
                        shown = i;
                        break;
                    }
                }
            }
            const std::string name =
                argv.empty() ? "pid " + pid : fs::path(argv[shown]).filename().string();
            return name + " (pid " + pid + ")";
        }
    }
    return std::nullopt;
}

NameServerDaemon::NameServerDaemon(const Config& config, const NameServerSettings& settings,
                                   std::ostream& out) {
    // Pyro4's Daemon refuses half a NAT setting (pyro4-ns takes NATPORT 0 as "not given").
    const auto nathost = settings.nathost ? settings.nathost : config.nathost;
    const std::optional<int> natport =
        settings.natport
            ? settings.natport
            : (config.natport != 0 ? std::optional<int>(config.natport) : std::nullopt);
    if (nathost && !settings.unix_socket.empty()) {
        throw RemoteError("builtins.ValueError", "cannot use nathost together with unixsocket");
    }
    if (nathost.has_value() != natport.has_value()) {
        throw RemoteError("builtins.ValueError", "must provide natport with nathost");
    }

    const StorageSpec spec = parse_storage_spec(settings.storage);
    registry_ = std::make_shared<Registry>(open_storage(spec));
    if (spec.kind == StorageSpec::Kind::Dbm) {
        say(out, text::dbm_warning);
    }

    // One log file handle for the daemon and the servant; the servant logs as Pyro4's naming
    // module.
    const Logger log(config);
    DaemonOptions options;
    options.logger = log;
    options.host = settings.host.value_or(config.host);
    options.port = settings.port.value_or(config.ns_port);
    options.unix_socket = settings.unix_socket;
    options.nat_host = nathost;
    options.nat_port = natport.value_or(0);
    options.hmac_key = settings.hmac_key;
    try {
        daemon_ = std::make_unique<Daemon>(config, options);
    } catch (const CommunicationError& error) {
        if (std::string_view(error.what()).find("already in use") != std::string_view::npos) {
            const std::string where = settings.unix_socket.empty()
                                          ? *options.host + ":" + std::to_string(options.port)
                                          : settings.unix_socket;
            throw PortInUseError(error.what(), where, options.port);
        }
        throw;
    }
    if (settings.handle_signals) {
        daemon_->handle_signals();
    }
    daemon_->register_object(
        std::make_shared<NameServerObject>(registry_, log.named("Pyro4.naming")),
        NameServerObject::interface(), std::string(name_server_name));
    // A lookup's answer follows from the registry alone: the daemon repeats it, without parsing
    // the request or calling, until a registration or removal moves the registry's version on.
    // Only in memory: an sql or dbm file may be changed by another name server using it (as
    // Pyro4's storages allow), which this registry's version would not see.
    if (spec.kind == StorageSpec::Kind::Memory) {
        daemon_->cache_answers(name_server_name, "lookup",
                               [registry = registry_] { return registry->version(); });
    }
    registry_->register_name(name_server_name, uri().str(), false,
                             {std::string(name_server_class_tag)});

    std::string hostip = "Unix domain socket";
    if (settings.unix_socket.empty()) {
        hostip = daemon_->bound_address();
        if (hostip.find(':') != std::string::npos) { // pyro4-ns asks the family first
            say(out, text::no_broadcast_ipv6);
        } else if (detail::is_loopback_host(hostip)) { // libpyro's one loopback check
            say(out, text::no_broadcast_localhost);
        } else if (settings.broadcast) {
            const std::string bchost = settings.bchost.value_or(config.ns_bchost.value_or(""));
            const int bcport = settings.bcport.value_or(config.ns_bcport);
            if (bcport != 0) {
                // Two responders on one port answer the same broadcast: the client takes
                // whichever answer comes first. Say so now rather than leave students puzzled.
                const auto other =
                    probe_broadcast(bcport, config.broadcast_addrs, std::chrono::milliseconds(400));
                if (other) {
                    say(out, text::other_name_server(bcport, *other));
                }
            }
            responder_ = std::make_unique<BroadcastResponder>(internal_uri().str(), bchost, bcport,
                                                              config.sock_reuse);
            say(out, text::broadcast_running(responder_->location()));
        }
    }
    const AutoCleanSettings autoclean =
        settings.autoclean.value_or(AutoCleanSettings::from(config));
    if (autoclean.enabled()) {
        cleaner_ = std::make_unique<AutoCleaner>(registry_, autoclean, log.named("Pyro4.naming"));
    }
    const std::size_t existing = registry_->count();
    if (existing > 1) { // its own entry does not count as "existing"
        say(out, text::persistent_entries(existing));
    }
    say(out, text::running(daemon_->bound_location(), hostip));
    if (settings.hmac_key.empty()) {
        say(out, text::hmac_warning);
    }
    if (nathost) {
        say(out, text::internal_uri_line(internal_uri().str()));
        say(out, text::external_uri_line(uri().str()));
    } else {
        say(out, text::uri_line(uri().str()));
    }
}

NameServerDaemon::~NameServerDaemon() {
    registry_->interrupt(); // the Daemon's workers finish their calls at once
    cleaner_.reset();
    responder_.reset();
    daemon_.reset();
}

void NameServerDaemon::request_loop() {
    daemon_->request_loop(false); // signals: settings.handle_signals
    registry_->interrupt();
    cleaner_.reset();
    responder_.reset();
}

void NameServerDaemon::shutdown() {
    registry_->interrupt();
    daemon_->shutdown();
}

Uri NameServerDaemon::uri() const {
    return daemon_->uri_for(name_server_name);
}

Uri NameServerDaemon::internal_uri() const {
    return Uri::parse("PYRO:" + std::string(name_server_name) + "@" + daemon_->bound_location());
}

} // namespace pyro::ns
