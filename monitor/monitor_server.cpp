#include "monitor/monitor_server.hpp"

#include <chrono>
#include <condition_variable>
#include <set>
#include <stdexcept>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "monitor/web_assets.hpp"
#include "pyro/name_server.hpp"

namespace pyro::monitor {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

namespace {

constexpr std::size_t events_per_batch = 500; // one WebSocket message or /api/events reply
constexpr std::size_t max_events_per_request = 10'000;

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// "since" and "limit" from "/api/events?since=12&limit=100"; unknown or bad values count as 0.
std::uint64_t query_number(std::string_view target, std::string_view key) {
    const auto question = target.find('?');
    if (question == std::string_view::npos) {
        return 0;
    }
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        if (pair.size() > key.size() && pair.substr(0, key.size()) == key &&
            pair[key.size()] == '=') {
            std::uint64_t value = 0;
            for (const char c : pair.substr(key.size() + 1)) {
                if (c < '0' || c > '9' || value > UINT64_MAX / 10 - 10) {
                    return 0;
                }
                value = value * 10 + static_cast<std::uint64_t>(c - '0');
            }
            return value;
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query.remove_prefix(amp + 1);
    }
    return 0;
}

std::string_view path_of(std::string_view target) {
    return target.substr(0, target.find('?'));
}

} // namespace

struct WebSocketClient {
    explicit WebSocketClient(tcp::socket socket) : ws(std::move(socket)) {}
    websocket::stream<tcp::socket> ws;
    std::uint64_t sent_id = 0;          // the newest event this browser has
    std::uint64_t registry_version = 0; // the registry this browser has
    bool writing = false;
    bool open = true;
};

struct MonitorServer::Impl {
    Config config;
    MonitorSettings settings;
    EventStore store;
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    udp::socket datagrams{io};
    asio::signal_set signals{io};
    std::set<std::shared_ptr<WebSocketClient>> clients;

    // The registry, written by the poller thread and read on the I/O thread.
    std::mutex registry_mutex;
    std::string registry_json;
    std::uint64_t registry_version = 1;
    std::thread poller;
    std::condition_variable poller_wake;
    bool stopping = false; // under registry_mutex

    Impl(Config c, MonitorSettings s)
        : config(std::move(c)), settings(std::move(s)), store(settings.limits) {
        // The monitor must not report its own polls to itself (or to another monitor).
        config.monitor.clear();
        const std::string ns = ns_text();
        registry_json = json::serialize(json::object{
            {"ok", false}, {"pending", true}, {"ns", ns}, {"error", "asking the name server…"}});
        bind();
    }

    std::string ns_host() const { return settings.ns_host.value_or(config.ns_host); }
    int ns_port() const { return settings.ns_port.value_or(config.ns_port); }
    std::string ns_text() const { return ns_host() + ":" + std::to_string(ns_port()); }

    void bind() {
        boost::system::error_code error;
        const auto address = asio::ip::make_address(settings.host, error);
        if (error) {
            throw std::runtime_error("--host '" + settings.host +
                                     "' is not an IP address (e.g. 127.0.0.1 or ::1)");
        }
        // With port 0 the kernel picks the TCP port; the UDP socket then needs the same number,
        // which another program may hold: try a few.
        for (int attempt = 0; attempt < 20; ++attempt) {
            const auto port = static_cast<unsigned short>(settings.port);
            boost::system::error_code tcp_error;
            boost::system::error_code udp_error;
            acceptor = tcp::acceptor(io);
            acceptor.open(address.is_v6() ? tcp::v6() : tcp::v4(), tcp_error);
            acceptor.set_option(asio::socket_base::reuse_address(true), tcp_error);
            acceptor.bind({address, port}, tcp_error);
            if (!tcp_error) {
                acceptor.listen(asio::socket_base::max_listen_connections, tcp_error);
            }
            if (tcp_error) {
                throw std::runtime_error("cannot listen on " + settings.host + ":" +
                                         std::to_string(settings.port) +
                                         " (TCP): " + tcp_error.message() +
                                         "; is another monitor running? Try --port 0");
            }
            const auto bound = acceptor.local_endpoint().port();
            datagrams = udp::socket(io);
            datagrams.open(address.is_v6() ? udp::v6() : udp::v4(), udp_error);
            datagrams.bind({address, bound}, udp_error);
            if (!udp_error) {
                // A burst of reports should wait in the kernel, not be lost, while a page loads.
                datagrams.set_option(asio::socket_base::receive_buffer_size(4 * 1024 * 1024),
                                     udp_error);
                settings.port = bound;
                return;
            }
            if (settings.port != 0) {
                throw std::runtime_error("cannot receive UDP on " + settings.host + ":" +
                                         std::to_string(settings.port) + ": " +
                                         udp_error.message());
            }
        }
        throw std::runtime_error("no port free for both TCP and UDP on " + settings.host);
    }

    // -- the registry poller (its own thread: the name server client blocks) ----------------

    void poll_registry() {
        std::optional<NameServer> ns;
        Config ns_config = config;
        ns_config.comm_timeout = 1.5; // a hung name server must not delay shutdown for long
        std::unique_lock lock(registry_mutex);
        while (!stopping) {
            lock.unlock();
            std::string text = read_registry(ns, ns_config);
            lock.lock();
            if (text != registry_json) {
                registry_json = std::move(text);
                ++registry_version;
                asio::post(io, [this] { push_all(); });
            }
            poller_wake.wait_for(lock, std::chrono::duration<double>(settings.registry_interval),
                                 [this] { return stopping; });
        }
    }

    std::string read_registry(std::optional<NameServer>& ns, const Config& ns_config) {
        json::object out;
        out["ns"] = ns_text();
        out["corr"] = own_correlation_hex();
        try {
            if (!ns) {
                ns.emplace(locate_ns(ns_config, ns_host(), ns_port()));
                ns->proxy().set_correlation_id(std::string(own_correlation_id));
            }
            json::array entries;
            for (const Registration& registration : ns->list()) {
                json::array metadata;
                for (const std::string& tag : registration.metadata) {
                    metadata.emplace_back(tag);
                }
                entries.push_back(json::object{{"name", registration.name},
                                               {"uri", registration.uri},
                                               {"metadata", std::move(metadata)}});
            }
            out["ok"] = true;
            out["entries"] = std::move(entries);
        } catch (const std::exception& error) {
            // The next poll starts over: the name server may come (back) any time.
            ns.reset();
            out["ok"] = false;
            out["error"] = error.what();
        }
        return json::serialize(out);
    }

    static std::string own_correlation_hex() {
        static constexpr std::string_view digits = "0123456789abcdef";
        std::string hex;
        for (const char byte : own_correlation_id) {
            hex += digits[(static_cast<unsigned char>(byte) >> 4U) & 0xFU];
            hex += digits[static_cast<unsigned char>(byte) & 0xFU];
        }
        return hex;
    }

    std::string registry_snapshot(std::uint64_t* version = nullptr) {
        const std::lock_guard lock(registry_mutex);
        if (version != nullptr) {
            *version = registry_version;
        }
        return registry_json;
    }

    // -- UDP: one datagram per message --------------------------------------------------------

    asio::awaitable<void> receive_datagrams() {
        // One byte more than the store accepts: a datagram that fills it is too large, whatever
        // the kernel cut off.
        std::vector<char> buffer(settings.limits.max_datagram_size + 1);
        udp::endpoint sender;
        for (;;) {
            boost::system::error_code error;
            const std::size_t n = co_await datagrams.async_receive_from(
                asio::buffer(buffer), sender, asio::redirect_error(asio::use_awaitable, error));
            if (error == asio::error::operation_aborted || !datagrams.is_open()) {
                co_return;
            }
            if (error) {
                continue; // e.g. ICMP errors surfacing on Linux; the next datagram is fine
            }
            if (store.add({buffer.data(), n}, unix_now()) != 0) {
                push_all();
            }
        }
    }

    // -- WebSocket push --------------------------------------------------------------------------

    void push_all() {
        for (const auto& client : clients) {
            push(client);
        }
    }

    // Starts a writer for this browser unless one runs: it sends what is new (registry first,
    // then events in batches) until the browser has everything, then ends.
    void push(const std::shared_ptr<WebSocketClient>& client) {
        if (client->writing || !client->open) {
            return;
        }
        client->writing = true;
        asio::co_spawn(io, write_to(client), asio::detached);
    }

    asio::awaitable<void> write_to(std::shared_ptr<WebSocketClient> client) {
        try {
            while (client->open) {
                std::uint64_t version = 0;
                std::string registry = registry_snapshot(&version);
                std::string text;
                if (version != client->registry_version) {
                    client->registry_version = version;
                    text = "{\"kind\":\"registry\",\"registry\":" + registry + "}";
                } else if (store.stats().last_id > client->sent_id) {
                    const std::uint64_t before = client->sent_id;
                    const std::vector<std::string> events =
                        store.since(client->sent_id, events_per_batch);
                    text = events_message(events, client->sent_id);
                    if (client->sent_id == before) {
                        break;
                    }
                } else {
                    break;
                }
                client->ws.text(true);
                co_await client->ws.async_write(asio::buffer(text), asio::use_awaitable);
            }
        } catch (const std::exception&) {
            client->open = false; // the reader notices too and forgets the client
        }
        client->writing = false;
    }

    std::string events_message(const std::vector<std::string>& events, std::uint64_t& sent_id) {
        std::string text = "{\"kind\":\"events\",\"events\":[";
        for (std::size_t i = 0; i < events.size(); ++i) {
            text += (i > 0 ? "," : "") + events[i];
        }
        const EventStoreStats stats = store.stats();
        text += "],\"stats\":" + stats_json(stats) + "}";
        if (!events.empty()) {
            // Ids are consecutive: the last one sent is the first id plus the count.
            const auto last =
                json::parse(events.back()).as_object().at("id").to_number<std::uint64_t>();
            sent_id = last;
        }
        return text;
    }

    asio::awaitable<void> serve_websocket(tcp::socket socket,
                                          http::request<http::string_body> request) {
        auto client = std::make_shared<WebSocketClient>(std::move(socket));
        client->sent_id = query_number(request.target(), "since");
        client->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        co_await client->ws.async_accept(request, asio::use_awaitable);
        clients.insert(client);
        push(client);
        try {
            // The page sends nothing that matters; reading keeps pings and the close going.
            beast::flat_buffer ignored;
            for (;;) {
                co_await client->ws.async_read(ignored, asio::use_awaitable);
                ignored.clear();
                if (ignored.capacity() > 64 * 1024) {
                    ignored.shrink_to_fit();
                }
            }
        } catch (const std::exception&) {
        }
        client->open = false;
        clients.erase(client);
    }

    // -- HTTP -------------------------------------------------------------------------------------

    http::response<http::string_body> respond(const http::request<http::string_body>& request) {
        const std::string_view target = request.target();
        const std::string_view path = path_of(target);
        http::response<http::string_body> response{http::status::ok, request.version()};
        response.set(http::field::server, "pyro-monitor");
        response.set(http::field::cache_control, "no-store");
        response.keep_alive(request.keep_alive());
        const auto reply = [&response](std::string_view type, std::string body) {
            response.set(http::field::content_type, type);
            response.body() = std::move(body);
            response.prepare_payload();
            return response;
        };
        if (request.method() != http::verb::get && request.method() != http::verb::head) {
            response.result(http::status::method_not_allowed);
            return reply("text/plain; charset=utf-8", "only GET\n");
        }
        if (path == "/api/registry") {
            return reply("application/json", registry_snapshot());
        }
        if (path == "/api/events") {
            std::uint64_t limit = query_number(target, "limit");
            if (limit == 0 || limit > max_events_per_request) {
                limit = max_events_per_request;
            }
            return reply("application/json", store.since_json(query_number(target, "since"),
                                                              static_cast<std::size_t>(limit)));
        }
        if (path == "/api/stats") {
            return reply("application/json", stats_json(store.stats()));
        }
        const std::string_view wanted = path == "/" ? "/index.html" : path;
        for (const WebAsset& asset : web_assets()) {
            if (asset.path == wanted) {
                return reply(asset.content_type, std::string(asset.body));
            }
        }
        response.result(http::status::not_found);
        return reply("text/plain; charset=utf-8", "not found: " + std::string(path) + "\n");
    }

    asio::awaitable<void> serve_http(tcp::socket socket) {
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        try {
            for (;;) {
                http::request_parser<http::string_body> parser;
                parser.body_limit(64 * 1024); // requests are GETs; nothing big is expected
                parser.header_limit(16 * 1024);
                stream.expires_after(std::chrono::seconds(60));
                co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
                http::request<http::string_body> request = parser.release();
                if (websocket::is_upgrade(request) && path_of(request.target()) == "/ws") {
                    stream.expires_never();
                    co_await serve_websocket(stream.release_socket(), std::move(request));
                    co_return;
                }
                const bool keep_alive = request.keep_alive();
                auto response = respond(request);
                if (request.method() == http::verb::head) {
                    response.body().clear();
                }
                co_await http::async_write(stream, response, asio::use_awaitable);
                if (!keep_alive) {
                    break;
                }
            }
        } catch (const std::exception&) {
            // A browser closing its tab, a timeout, a malformed request: this socket only.
        }
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    }

    asio::awaitable<void> accept() {
        for (;;) {
            boost::system::error_code error;
            tcp::socket socket =
                co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
            if (error == asio::error::operation_aborted || !acceptor.is_open()) {
                co_return;
            }
            if (!error) {
                asio::co_spawn(io, serve_http(std::move(socket)), asio::detached);
            }
        }
    }

    void shutdown() {
        {
            const std::lock_guard lock(registry_mutex);
            stopping = true;
        }
        poller_wake.notify_all();
        boost::system::error_code ignored;
        acceptor.close(ignored);
        datagrams.close(ignored);
        signals.cancel(ignored);
        for (const auto& client : clients) {
            client->open = false;
            beast::get_lowest_layer(client->ws).close(ignored);
        }
        io.stop();
    }
};

MonitorServer::MonitorServer(Config config, MonitorSettings settings)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(settings))) {}

MonitorServer::~MonitorServer() {
    stop();
    if (impl_->poller.joinable()) {
        impl_->poller.join();
    }
}

int MonitorServer::port() const {
    return impl_->settings.port;
}

const EventStore& MonitorServer::store() const {
    return impl_->store;
}

void MonitorServer::handle_signals() {
    impl_->signals.add(SIGINT);
    impl_->signals.add(SIGTERM);
    impl_->signals.add(SIGHUP);
    impl_->signals.async_wait([this](const boost::system::error_code& error, int) {
        if (!error) {
            impl_->shutdown();
        }
    });
}

void MonitorServer::run() {
    impl_->poller = std::thread([this] { impl_->poll_registry(); });
    asio::co_spawn(impl_->io, impl_->accept(), asio::detached);
    asio::co_spawn(impl_->io, impl_->receive_datagrams(), asio::detached);
    impl_->io.run();
    {
        const std::lock_guard lock(impl_->registry_mutex);
        impl_->stopping = true;
    }
    impl_->poller_wake.notify_all();
    impl_->poller.join();
}

void MonitorServer::stop() {
    asio::post(impl_->io, [this] { impl_->shutdown(); });
}

} // namespace pyro::monitor
