#include "nameserver/ns_server.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "nameserver/ns_output.hpp"
#include "nameserver/storage.hpp"

namespace pyro::ns {

namespace fs = std::filesystem;

namespace {

void say(std::ostream& out, std::string_view line) {
    out << line << std::endl; // flushed at once: the banner shows live through pipes
}

bool is_loopback_ip(const std::string& ip) {
    return ip.starts_with("127.") || ip == "::1";
}

} // namespace

struct StopSignals::Impl {
    sigset_t signals{};
    std::mutex mutex;
    std::function<void()> action;
    bool signalled = false;
    bool closing = false;
    std::thread thread;

    void run() {
        for (;;) {
            int number = 0;
            if (::sigwait(&signals, &number) != 0) {
                continue;
            }
            // The action runs under the lock, so on_signal({}) waits for one in progress: after
            // it, nothing touches what the action used (the Daemon may then be destroyed).
            const std::lock_guard lock(mutex);
            if (closing) {
                return;
            }
            signalled = true;
            if (action) {
                action();
            }
        }
    }
};

StopSignals::StopSignals() : impl_(std::make_unique<Impl>()) {
    sigemptyset(&impl_->signals);
    sigaddset(&impl_->signals, SIGINT);
    sigaddset(&impl_->signals, SIGTERM);
    // An ignored signal never reaches sigwait(). A shell without job control starts background
    // programs with SIGINT ignored; like the Daemon's own handling (Asio installs a handler
    // whatever was there), Ctrl-C and SIGTERM are taken back here.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::pthread_sigmask(SIG_BLOCK, &impl_->signals, nullptr);
    impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

StopSignals::~StopSignals() {
    {
        const std::lock_guard lock(impl_->mutex);
        impl_->closing = true;
    }
    ::pthread_kill(impl_->thread.native_handle(), SIGTERM); // wakes sigwait
    impl_->thread.join();
}

void StopSignals::on_signal(std::function<void()> action) {
    bool already = false;
    {
        const std::lock_guard lock(impl_->mutex);
        impl_->action = action;
        already = impl_->signalled;
    }
    if (already && action) {
        action();
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
    daemon_->register_object(
        std::make_shared<NameServerObject>(registry_, log.named("Pyro4.naming")),
        NameServerObject::interface(), std::string(name_server_name));
    registry_->register_name(name_server_name, uri().str(), false,
                             {std::string(name_server_class_tag)});

    std::string hostip = "Unix domain socket";
    if (settings.unix_socket.empty()) {
        hostip = daemon_->bound_address();
        if (hostip.find(':') != std::string::npos) { // pyro4-ns asks the family first
            say(out, text::no_broadcast_ipv6);
        } else if (is_loopback_ip(hostip)) {
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
    responder_.reset();
    daemon_.reset();
}

void NameServerDaemon::request_loop(bool handle_signals) {
    daemon_->request_loop(handle_signals);
    responder_.reset();
}

void NameServerDaemon::shutdown() {
    daemon_->shutdown();
}

Uri NameServerDaemon::uri() const {
    return daemon_->uri_for(name_server_name);
}

Uri NameServerDaemon::internal_uri() const {
    return Uri::parse("PYRO:" + std::string(name_server_name) + "@" + daemon_->bound_location());
}

} // namespace pyro::ns
