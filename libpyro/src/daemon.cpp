// The public Daemon API, binding and the accept loop; see daemon_impl.hpp for the other parts.
#include "pyro/daemon.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include <unistd.h>

#include "daemon_impl.hpp"
#include "pyro/errors.hpp"
#include "random_id.hpp"

namespace pyro {

namespace asio = boost::asio;
using detail::Socket;

// ---------------------------------------------------------------------------------------------
// Binding and the accept loop

void Daemon::Impl::bind() {
    if (!options.unix_socket.empty()) {
        unix_path = options.unix_socket;
        // A socket file left by a crashed server would make bind fail; nothing else uses it.
        std::error_code ignored;
        if (std::filesystem::is_socket(unix_path, ignored)) {
            std::filesystem::remove(unix_path, ignored);
        }
        detail::open_and_listen(acceptor, detail::unix_endpoint(unix_path),
                                "Unix socket " + unix_path, config.sock_reuse);
        bound_location = "./u:" + unix_path;
        advertised_location = bound_location;
        return;
    }
    const std::string host = options.host.value_or(config.host);
    const auto endpoint =
        detail::resolve_bind_endpoint(host, options.port, config.prefer_ip_version);
    detail::open_and_listen(acceptor, endpoint, detail::host_port_text(host, options.port),
                            config.sock_reuse);
    const auto bound = detail::ip_endpoint(acceptor.local_endpoint());
    bound_port = bound->port();
    bound_address = bound->address().to_string();
    // Like Pyro4, URIs carry the host as it was given ("localhost"), not the resolved address.
    bound_location = detail::host_port_text(host, bound_port);
    const auto nat_host = options.nat_host ? options.nat_host : config.nathost;
    const int nat_port = options.nat_port != 0 ? options.nat_port : config.natport;
    advertised_location =
        nat_host ? detail::host_port_text(*nat_host, nat_port != 0 ? nat_port : bound_port)
                 : bound_location;
}

void Daemon::Impl::start_accepting() {
    asio::co_spawn(io, accept_loop(), asio::detached);
}

asio::awaitable<void> Daemon::Impl::accept_loop() {
    for (;;) {
        auto [error, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (error) {
            if (error == asio::error::operation_aborted || !acceptor.is_open()) {
                co_return;
            }
            // Out of file descriptors and the like: say so and keep serving the others.
            log.warning("accept failed on ", bound_location, ": ", error.message());
            asio::steady_timer pause(io, std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::use_awaitable);
            continue;
        }
        if (config.sock_nodelay) {
            detail::set_nodelay(socket);
        }
        asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
}

void Daemon::Impl::close_everything() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (Socket* socket : connections) {
        socket->close(ignored);
    }
    if (!unix_path.empty()) {
        std::error_code ignored_fs;
        std::filesystem::remove(unix_path, ignored_fs);
    }
}

// ---------------------------------------------------------------------------------------------
// Daemon

Daemon::Daemon(Config config, DaemonOptions options)
    : impl_(std::make_shared<Impl>(std::move(config), std::move(options))) {
    impl_->bind();
    impl_->log.debug("daemon created on ", impl_->bound_location, " (pid ", ::getpid(), ")");
    if (impl_->advertised_location != impl_->bound_location) {
        impl_->log.debug("NAT address is ", impl_->advertised_location);
    }
    impl_->register_daemon_object(*this);
    impl_->start_accepting();
}

Daemon::~Daemon() {
    shutdown();
    impl_->workers.join();
}

Uri Daemon::register_entry(std::string object_id, Interface interface, InstanceMode mode,
                           std::function<std::shared_ptr<void>()> factory,
                           std::shared_ptr<void> single) {
    if (interface.metadata().methods.empty() && interface.metadata().attrs.empty()) {
        // A Python proxy refuses such an object (§5.2 step 4); say it where it can be fixed.
        throw DaemonError("object '" + object_id +
                          "' exposes no methods or attributes; expose at least one");
    }
    if (object_id.empty()) {
        object_id = "obj_" + detail::random_hex_id();
    }
    auto entry = std::make_shared<Impl::Entry>(
        Impl::Entry{std::move(interface), mode, std::move(factory), std::move(single)});
    {
        const std::lock_guard lock(impl_->objects_mutex);
        if (impl_->objects.contains(object_id)) {
            throw DaemonError("object or class already registered: " + object_id);
        }
        impl_->objects.emplace(object_id, std::move(entry));
        impl_->order.push_back(object_id);
    }
    return uri_for(object_id);
}

void Daemon::unregister(std::string_view object_id) {
    if (object_id == "Pyro.Daemon") {
        return;
    }
    const std::lock_guard lock(impl_->objects_mutex);
    if (const auto found = impl_->objects.find(object_id); found != impl_->objects.end()) {
        impl_->objects.erase(found);
        std::erase(impl_->order, std::string(object_id));
    }
}

Uri Daemon::uri_for(std::string_view object_id) const {
    return Uri::parse("PYRO:" + std::string(object_id) + "@" + impl_->advertised_location);
}

std::string Daemon::location() const {
    return impl_->advertised_location;
}
std::string Daemon::bound_location() const {
    return impl_->bound_location;
}
int Daemon::port() const {
    return impl_->bound_port;
}

std::string Daemon::bound_address() const {
    return impl_->bound_address;
}

std::vector<std::string> Daemon::registered() const {
    const std::lock_guard lock(impl_->objects_mutex);
    return impl_->order;
}

void Daemon::handle_signals() {
    if (impl_->signals) {
        return;
    }
    impl_->signals.emplace(impl_->io, SIGINT, SIGTERM);
    // Runs once the loop runs: a signal that came earlier is remembered by the signal_set.
    impl_->signals->async_wait([this](const boost::system::error_code& error, int) {
        if (!error) {
            shutdown();
        }
    });
}

void Daemon::request_loop(bool handle_signals) {
    if (handle_signals) {
        this->handle_signals();
    }
    {
        const std::lock_guard lock(impl_->run_mutex);
        if (impl_->stopped) {
            return;
        }
        impl_->running = true;
    }
    impl_->log.info("daemon ", impl_->bound_location, " entering requestloop");
    impl_->io.run();
    impl_->log.debug("daemon exits requestloop");
    {
        const std::lock_guard lock(impl_->run_mutex);
        impl_->running = false;
    }
    // Normally the posted close already ran on this thread; this covers a loop that ended first.
    impl_->close_everything();
    if (impl_->signals) {
        boost::system::error_code ignored;
        impl_->signals->cancel(ignored);
        impl_->signals.reset(); // Ctrl-C during the program's clean-up ends it as usual
    }
}

void Daemon::shutdown() {
    Impl& impl = *impl_;
    const std::lock_guard lock(impl.run_mutex);
    if (impl.stopped.exchange(true)) {
        return;
    }
    impl.log.debug("daemon shutting down");
    if (impl.running) {
        // The loop thread owns the connections: close them there, then stop the loop.
        asio::post(impl.io, [&impl] {
            impl.close_everything();
            impl.io.stop();
        });
    } else {
        impl.close_everything(); // nobody runs the loop, so nobody else touches them
    }
}

struct Daemon::Background::Thread {
    std::thread thread;
};

Daemon::Background::Background(Daemon& daemon)
    : daemon_(daemon), thread_(std::make_unique<Thread>()) {
    thread_->thread = std::thread([&daemon] { daemon.request_loop(false); });
}

Daemon::Background::~Background() {
    daemon_.shutdown();
    thread_->thread.join();
}

} // namespace pyro
