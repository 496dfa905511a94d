// What a plain (not TLS) proxy costs in file descriptors: its socket and nothing else. A proxy
// with an event loop of its own (an Asio io_context: epoll, eventfd, timerfd) holds three more
// per connection, and pyro-load --mode connect pays for making them on every connection
// (issue 12). Also the blocking connection's timeouts and lost peers, as a client sees them.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"

namespace pyro {
namespace {

using namespace std::chrono_literals;

struct Echo {
    Value echo(Value v) const { return v; }
    Value slow(Value v) const {
        std::this_thread::sleep_for(1500ms);
        return v;
    }
};

methods<Echo> echo_methods() {
    return methods<Echo>().expose("echo", &Echo::echo).expose("slow", &Echo::slow);
}

Config loopback_config() {
    Config config;
    config.host = "127.0.0.1";
    config.comm_timeout = 5.0;
    return config;
}

std::size_t open_descriptors() {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++count;
    }
    return count;
}

constexpr int proxy_count = 8;

// The daemon runs in this process too, so each connection shows as two descriptors: the
// proxy's socket and the daemon's accepted one.
std::vector<std::unique_ptr<Proxy>> connected_proxies(const std::string& uri) {
    std::vector<std::unique_ptr<Proxy>> proxies;
    for (int i = 0; i < proxy_count; ++i) {
        proxies.push_back(std::make_unique<Proxy>(uri, loopback_config()));
        EXPECT_EQ(proxies.back()->call<int>("echo", i), i); // connected and answered
    }
    return proxies;
}

void expect_one_socket_per_proxy(const std::string& uri) {
    // A first round lets the daemon start the worker threads (and their descriptors) it keeps.
    (void)connected_proxies(uri);
    std::this_thread::sleep_for(100ms);
    const std::size_t before = open_descriptors();
    auto proxies = connected_proxies(uri);
    const std::size_t during = open_descriptors();
    EXPECT_LE(during - before, static_cast<std::size_t>(2 * proxy_count))
        << "a plain proxy holds descriptors besides its socket (an event loop of its own?)";
    proxies.clear();
    // The daemon closes its side when it sees the end; the proxies' sides are gone at once.
    std::size_t after = open_descriptors();
    for (int i = 0; i < 200 && after > before; ++i) {
        std::this_thread::sleep_for(10ms);
        after = open_descriptors();
    }
    EXPECT_EQ(after, before) << "descriptors left behind by closed proxies";
}

TEST(ProxyDescriptors, PlainTcpProxyHoldsOnlyItsSocket) {
    Daemon daemon(loopback_config());
    const Uri uri = daemon.register_object(std::make_shared<Echo>(), echo_methods(), "echo");
    auto running = daemon.run_in_background();
    expect_one_socket_per_proxy(uri.str());
}

TEST(ProxyDescriptors, PlainUnixProxyHoldsOnlyItsSocket) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("pyro-fds-" + std::to_string(::getpid()) + ".sock");
    std::filesystem::remove(path);
    {
        DaemonOptions options;
        options.unix_socket = path.string();
        Daemon daemon(loopback_config(), options);
        const Uri uri = daemon.register_object(std::make_shared<Echo>(), echo_methods(), "echo");
        auto running = daemon.run_in_background();
        expect_one_socket_per_proxy(uri.str());
    }
    std::filesystem::remove(path);
}

// The receive timeout covers the reply; a later call on a fresh connection still works, and a
// longer timeout set on the open connection takes effect there.
TEST(ProxyDescriptors, ReceiveTimeoutThenLongerTimeoutOnTheSameProxy) {
    Daemon daemon(loopback_config());
    const Uri uri = daemon.register_object(std::make_shared<Echo>(), echo_methods(), "echo");
    auto running = daemon.run_in_background();
    Config config = loopback_config();
    config.max_retries = 0;
    Proxy proxy(uri.str(), config);
    EXPECT_EQ(proxy.call<int>("echo", 1), 1);
    proxy.set_timeout(300ms);
    const auto start = std::chrono::steady_clock::now();
    try {
        (void)proxy.call<int>("slow", 2);
        FAIL() << "no timeout";
    } catch (const TimeoutError& error) {
        EXPECT_STREQ(error.what(), "receiving: timeout");
    }
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, 250ms);
    EXPECT_LT(waited, 1400ms);
    EXPECT_EQ(proxy.call<int>("echo", 3), 3); // reconnected
    proxy.set_timeout(3s);                    // the open connection's socket takes it
    EXPECT_EQ(proxy.call<int>("slow", 4), 4);
}

// A listener that accepts and reads the handshake but never answers: the handshake times out
// with the text that says so, and a peer that then closes gives ConnectionClosedError.
TEST(ProxyDescriptors, SilentAndClosingPeers) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    socklen_t size = sizeof address;
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size), 0);
    const std::string uri = "PYRO:thing@127.0.0.1:" + std::to_string(ntohs(address.sin_port));

    Config config = loopback_config();
    config.comm_timeout = 0.3;
    {
        Proxy silent(uri, config);
        try {
            silent.bind();
            FAIL() << "no timeout";
        } catch (const TimeoutError& error) {
            EXPECT_NE(std::string(error.what()).find("did not answer the Pyro handshake"),
                      std::string::npos)
                << error.what();
        }
    }
    std::thread closer([listener] {
        const int peer = ::accept(listener, nullptr, nullptr); // the silent proxy's
        if (peer >= 0) {
            ::close(peer);
        }
        const int next = ::accept(listener, nullptr, nullptr);
        if (next >= 0) {
            // All of the handshake read, so the close is an orderly end, not a reset.
            std::this_thread::sleep_for(100ms);
            std::vector<char> handshake(64 * 1024);
            (void)::recv(next, handshake.data(), handshake.size(), MSG_DONTWAIT);
            ::close(next);
        }
    });
    Proxy closed(uri, config);
    try {
        closed.bind();
        FAIL() << "connected";
    } catch (const ConnectionClosedError& error) {
        EXPECT_NE(std::string(error.what()).find("receiving: not enough data"), std::string::npos)
            << error.what();
    }
    closer.join();
    ::close(listener);
}

} // namespace
} // namespace pyro
