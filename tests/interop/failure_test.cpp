// When the other side fails: a server killed in the middle of a call, a server that never
// answers, a peer that hangs up. A libpyro proxy must fail fast with the right Pyro error
// (PYRO4-WIRE.md §5.11) and never hang.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "interop/peers.hpp"
#include "pyro/pyro.hpp"

namespace pyro::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

Config loopback_config(double timeout) {
    Config config;
    config.host = "127.0.0.1";
    config.comm_timeout = timeout;
    return config;
}

// A TCP socket on 127.0.0.1 that listens but never accepts: connects succeed (the kernel queues
// them), nothing is ever read or answered.
class SilentListener {
public:
    SilentListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(fd_, 8) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::runtime_error("SilentListener: cannot listen");
        }
        port_ = ntohs(address.sin_port);
    }
    ~SilentListener() { ::close(fd_); }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;

    int fd() const { return fd_; }
    std::string uri(const std::string& object = "silent") const {
        return "PYRO:" + object + "@127.0.0.1:" + std::to_string(port_);
    }

private:
    int fd_ = -1;
    int port_ = 0;
};

// Calls slow(30) through a proxy with the given timeout (0: none), kills the server 0.5 s into
// the call, and checks the call fails with ConnectionClosedError at once.
void expect_fast_failure_when_killed(Peer& server, double timeout = 30.0) {
    ASSERT_FALSE(server.uri.empty());
    Proxy proxy(server.uri, loopback_config(timeout));
    proxy.bind(); // the handshake is done before the call, so the kill lands inside the call
    std::thread killer([&] {
        std::this_thread::sleep_for(500ms);
        server.process->kill();
    });
    const auto start = Clock::now();
    try {
        (void)proxy.call<std::string>("slow", 30.0);
        ADD_FAILURE() << "the call to a killed server returned";
    } catch (const ConnectionClosedError&) {
    } catch (const std::exception& error) {
        ADD_FAILURE() << "expected ConnectionClosedError, got " << typeid(error).name() << ": "
                      << error.what();
    }
    const auto elapsed = Clock::now() - start;
    killer.join();
    EXPECT_GE(elapsed, 400ms);
    EXPECT_LT(elapsed, 3s) << "the proxy noticed the dead server late";
    EXPECT_EQ(server.process->wait(5s), 128 + SIGKILL);

    // The next call finds nobody listening: a connection error, not a hang.
    const auto again = Clock::now();
    EXPECT_THROW((void)proxy.call<std::string>("slow", 0.0), CommunicationError);
    EXPECT_LT(Clock::now() - again, 3s);
}

TEST(ServerKilledMidCall, CppServer) {
    Peer server = start_interop_server();
    expect_fast_failure_when_killed(server);
}

TEST(ServerKilledMidCall, CppServerProxyWithoutTimeout) {
    Peer server = start_interop_server();
    expect_fast_failure_when_killed(server, 0.0);
}

TEST(ServerKilledMidCall, PythonServer) {
    Peer server = start_python_peer();
    expect_fast_failure_when_killed(server);
}

TEST(NoAnswer, SilentListenerTimesOut) {
    SilentListener listener;
    Proxy proxy(listener.uri(), loopback_config(0.5));
    const auto start = Clock::now();
    EXPECT_THROW((void)proxy.invoke("anything"), TimeoutError);
    const auto elapsed = Clock::now() - start;
    EXPECT_GE(elapsed, 450ms);
    EXPECT_LT(elapsed, 3s);
    // set_timeout changes it for the next attempt.
    proxy.set_timeout(std::chrono::milliseconds(200));
    const auto again = Clock::now();
    EXPECT_THROW(proxy.bind(), TimeoutError);
    EXPECT_LT(Clock::now() - again, 2s);
}

TEST(NoAnswer, SlowMethodTimesOutAndTheProxyRecovers) {
    Peer server = start_interop_server();
    ASSERT_FALSE(server.uri.empty());
    Proxy proxy(server.uri, loopback_config(0.5));
    const auto start = Clock::now();
    EXPECT_THROW((void)proxy.call<std::string>("slow", 5.0), TimeoutError);
    const auto elapsed = Clock::now() - start;
    EXPECT_GE(elapsed, 450ms);
    EXPECT_LT(elapsed, 3s);
    // The timed-out connection is dropped; the next call reconnects and gets its own answer,
    // not the late answer of the slow call.
    EXPECT_EQ(proxy.call<std::string>("greet", std::string("again")), "Hello, again!");
    EXPECT_EQ(proxy.call<std::string>("slow", 0.0), "finally");
}

TEST(NoAnswer, PeerThatHangsUpAtOnce) {
    SilentListener listener;
    std::thread rude([&] {
        const int client = ::accept(listener.fd(), nullptr, nullptr);
        if (client >= 0) {
            char header[4];
            (void)::read(client, header, sizeof header); // part of the CONNECT, then hang up
            ::close(client);
        }
    });
    Proxy proxy(listener.uri(), loopback_config(10.0));
    const auto start = Clock::now();
    EXPECT_THROW(proxy.bind(), CommunicationError);
    EXPECT_LT(Clock::now() - start, 3s);
    rude.join();
}

} // namespace
} // namespace pyro::test
