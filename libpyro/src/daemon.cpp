// The public Daemon API, binding and the accept loop; see daemon_impl.hpp for the other parts.
#include "pyro/daemon.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "allocator_policy.hpp"
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
    if (config.sock_nodelay) {
        // Accepted sockets inherit TCP_NODELAY from the listening one (Linux, the BSDs): one
        // setsockopt here instead of one per connection; accept_loop checks the first.
        const int on = 1;
        ::setsockopt(acceptor.native_handle(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
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
    asio::co_spawn(control, accept_loop(), asio::detached);
}

asio::awaitable<void> Daemon::Impl::accept_loop() {
    for (;;) {
        // Each connection is a coroutine on a strand of its worker: its timers and its oneway
        // calls' completions never run beside it, even when the worker has grown a thread.
        Worker& worker = pick_worker();
        const asio::any_io_executor strand = asio::make_strand(worker.io);
        detail::Endpoint peer; // from accept itself: no getpeername per connection
        auto [error, socket] =
            co_await acceptor.async_accept(strand, peer, asio::as_tuple(asio::use_awaitable));
        if (error) {
            if (error == asio::error::operation_aborted || !acceptor.is_open()) {
                co_return;
            }
            // Out of file descriptors and the like: say so and keep serving the others.
            log.warning("accept failed on ", bound_location, ": ", error.message());
            asio::steady_timer pause(control, std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::use_awaitable);
            continue;
        }
        if (stopped) {
            co_return; // accepted just as the daemon stopped: dropped unanswered
        }
        if (config.sock_nodelay && unix_path.empty()) {
            if (!nodelay_inherited) {
                int on = 0;
                socklen_t size = sizeof on;
                nodelay_inherited = ::getsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY,
                                                 &on, &size) == 0 &&
                                    on != 0;
            }
            if (!*nodelay_inherited) {
                detail::set_nodelay(socket);
            }
        }
        ++worker.connections;
        if (worker.calls_running.load() >= worker.threads.load() &&
            !worker.growth_pending.exchange(true)) {
            // Every worker is in calls: the new client must not wait for them to end.
            check_growth(worker, worker.calls_started.load());
        }
        asio::co_spawn(strand, serve(std::move(socket), worker, detail::describe_endpoint(peer)),
                       asio::detached);
    }
}

Daemon::Impl::Worker& Daemon::Impl::pick_worker() {
    // A worker whose threads are all in servant calls may stay there (a slow method): the new
    // client goes where a thread is free, else where the fewest clients are.
    Worker* best = nullptr;
    std::size_t best_stuck = 0;
    std::size_t best_connections = 0;
    for (std::size_t n = 0; n < workers.size(); ++n) {
        Worker& worker = *workers[(next_worker + n) % workers.size()];
        const std::size_t stuck = worker.calls_running.load() >= worker.threads.load() ? 1 : 0;
        const std::size_t connections = worker.connections.load();
        if (best == nullptr || stuck < best_stuck ||
            (stuck == best_stuck && connections < best_connections)) {
            best = &worker;
            best_stuck = stuck;
            best_connections = connections;
        }
    }
    next_worker = (next_worker + 1) % workers.size();
    return *best;
}

void Daemon::Impl::close_everything() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    {
        // Shut down, not closed: the connection's own coroutine closes its socket after leaving
        // the set, so the descriptor can never be reused under our hands. Reads and writes in
        // progress end at once and the client sees the connection end.
        const std::lock_guard lock(connections_mutex);
        for (const ConnectionState* state : connections) {
            ::shutdown(state->native_handle, SHUT_RDWR);
        }
    }
    if (!unix_path.empty()) {
        std::error_code ignored_fs;
        std::filesystem::remove(unix_path, ignored_fs);
    }
}

void Daemon::Impl::start_threads() {
    for (const auto& worker : workers) {
        add_thread(*worker);
    }
}

void Daemon::Impl::add_thread(Worker& worker) {
    const std::size_t index = threads.size();
    {
        const std::lock_guard lock(threads_mutex);
        thread_finished.push_back(false);
    }
    ++worker.threads;
    // Each thread holds the Impl: one still in a servant call when request_loop gives up
    // waiting keeps what it uses alive until it ends.
    threads.emplace_back([self = shared_from_this(), &worker, index] {
        try {
            worker.io.run();
        } catch (const std::exception& error) {
            self->log.error("daemon worker thread ended: ", error.what());
        }
        const std::lock_guard lock(self->threads_mutex);
        self->thread_finished[index] = true;
        self->threads_done.notify_all();
    });
    ++threads_started;
}

void Daemon::Impl::note_call_started(Worker& worker, bool oneway) {
    const std::uint64_t started = ++worker.calls_started;
    const std::size_t running = ++worker.calls_running;
    // A call of the worker's only client keeps nobody else waiting (its oneway calls look for
    // themselves, a client placed here meanwhile is looked at by accept_loop).
    if (running < worker.threads.load() || (!oneway && worker.connections.load() <= 1) ||
        threads_started.load() >= thread_count || worker.growth_pending.exchange(true)) {
        return;
    }
    // Every thread of the worker is in a call now. Fast calls end within microseconds; only if
    // no call has started on it for 5 ms while all its threads are still in calls is a thread
    // added.
    asio::post(control, [this, &worker, started] { check_growth(worker, started); });
}

void Daemon::Impl::check_growth(Worker& worker, std::uint64_t started) {
    const std::size_t index = static_cast<std::size_t>(
        std::find_if(workers.begin(), workers.end(),
                     [&worker](const auto& w) { return w.get() == &worker; }) -
        workers.begin());
    auto& timer = growth_timers[index];
    if (!timer) {
        timer.emplace(control);
    }
    timer->expires_after(std::chrono::milliseconds(5));
    timer->async_wait([this, &worker, started](const boost::system::error_code& error) {
        if (error || stopped || threads_started.load() >= thread_count) {
            worker.growth_pending = false;
            return;
        }
        if (worker.calls_running.load() < worker.threads.load()) {
            worker.growth_pending = false; // the next call that fills the worker looks again
            // ... unless one filled it just now and saw the flag still set.
            if (worker.calls_running.load() >= worker.threads.load() &&
                !worker.growth_pending.exchange(true)) {
                check_growth(worker, worker.calls_started.load());
            }
            return;
        }
        const std::uint64_t now_started = worker.calls_started.load();
        if (now_started == started) {
            worker.growth_pending = false;
            add_thread(worker); // stuck in the same calls for 5 ms
        } else {
            check_growth(worker, now_started); // busy but moving: look again
        }
    });
}

void Daemon::Impl::stop_threads() {
    for (const auto& worker : workers) {
        worker->io.stop(); // idle threads leave at once; one in a servant call when it returns
    }
    std::vector<bool> finished;
    {
        std::unique_lock lock(threads_mutex);
        threads_done.wait_for(lock, options.shutdown_grace, [this] {
            return std::all_of(thread_finished.begin(), thread_finished.end(),
                               [](bool done) { return done; });
        });
        finished = thread_finished;
    }
    std::size_t abandoned = 0;
    for (std::size_t i = 0; i < threads.size(); ++i) {
        if (finished[i]) {
            threads[i].join();
        } else {
            threads[i].detach();
            ++abandoned;
        }
    }
    threads.clear();
    if (abandoned > 0) {
        log.warning("daemon ", bound_location, ": ", abandoned,
                    abandoned == 1 ? " servant call was" : " servant calls were", " still running ",
                    options.shutdown_grace.count(), " ms after shutdown; not waiting for ",
                    abandoned == 1 ? "it" : "them", " (their results are not sent)");
    }
}

// ---------------------------------------------------------------------------------------------
// Daemon

Daemon::Daemon(Config config, DaemonOptions options)
    : impl_(std::make_shared<Impl>(std::move(config), std::move(options))) {
    detail::keep_large_message_memory();
    impl_->owner = this;
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
    // request_loop() has joined or let go of its threads. Calls it gave up waiting for may be
    // ending now (their owner has had the chance to interrupt them): give them one more grace
    // before the servants' surroundings go away with this Daemon's owner.
    Impl& impl = *impl_;
    std::unique_lock lock(impl.threads_mutex);
    impl.threads_done.wait_for(lock, impl.options.shutdown_grace, [&impl] {
        return std::all_of(impl.thread_finished.begin(), impl.thread_finished.end(),
                           [](bool done) { return done; });
    });
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
    auto entry = std::make_shared<Impl::Entry>();
    entry->interface = std::move(interface);
    entry->mode = mode;
    entry->factory = std::move(factory);
    entry->single = std::move(single);
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
    {
        const std::lock_guard lock(impl_->objects_mutex);
        if (const auto found = impl_->objects.find(object_id); found != impl_->objects.end()) {
            impl_->objects.erase(found);
            std::erase(impl_->order, std::string(object_id));
        }
    }
    // Its remembered answers go with it: an object registered again under the id answers anew.
    const std::lock_guard lock(impl_->answers_mutex);
    std::erase_if(impl_->answer_rules,
                  [object_id](const auto& rule) { return rule->object == object_id; });
    for (auto& remembered : impl_->answers) {
        std::erase_if(remembered, [object_id](const auto& answer) {
            return answer.second.rule->object == object_id;
        });
    }
    impl_->answers_on = !impl_->answer_rules.empty();
}

void Daemon::cache_answers(std::string_view object_id, std::string_view method,
                           std::function<std::uint64_t()> version) {
    auto rule = std::make_shared<const Impl::AnswerRule>(
        Impl::AnswerRule{std::string(object_id), std::string(method), std::move(version)});
    const std::lock_guard lock(impl_->answers_mutex);
    std::erase_if(impl_->answer_rules, [&](const auto& old) {
        return old->object == object_id && old->method == method;
    });
    impl_->answer_rules.push_back(std::move(rule));
    impl_->answers_on = true;
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
    impl_->signals.emplace(impl_->control, SIGINT, SIGTERM);
    impl_->signals->add(SIGHUP); // the terminal the server ran in was closed
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
    Impl& impl = *impl_;
    {
        const std::lock_guard lock(impl.run_mutex);
        if (impl.stopped) {
            return;
        }
        impl.running = true;
    }
    impl.log.info("daemon ", impl.bound_location, " entering requestloop");
    // The workers run while there is nothing to do, until stop_threads().
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_working;
    for (const auto& worker : impl.workers) {
        keep_working.push_back(asio::make_work_guard(worker->io));
    }
    impl.start_threads();
    impl.control.run(); // until shutdown() stops it
    {
        const std::lock_guard lock(impl.run_mutex);
        impl.running = false;
    }
    impl.close_everything(); // normally done already by shutdown(); covers a loop that ended
    keep_working.clear();
    impl.stop_threads();
    impl.log.debug("daemon exits requestloop");
    if (impl.signals) {
        boost::system::error_code ignored;
        impl.signals->cancel(ignored);
        impl.signals.reset(); // Ctrl-C during the program's clean-up ends it as usual
    }
}

void Daemon::shutdown() {
    Impl& impl = *impl_;
    const std::lock_guard lock(impl.run_mutex);
    if (impl.stopped.exchange(true)) {
        return;
    }
    impl.log.debug("daemon shutting down");
    impl.stop_source.request_stop();
    if (impl.running) {
        // The control thread owns the acceptor: close it there, then end the loop.
        asio::post(impl.control, [&impl] {
            impl.close_everything();
            impl.control.stop();
        });
    } else {
        impl.close_everything(); // nobody runs the loop, so nobody else touches them
    }
}

std::stop_token Daemon::stop_token() const noexcept {
    return impl_->stop_source.get_token();
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
