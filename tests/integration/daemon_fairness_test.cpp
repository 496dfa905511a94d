// The Daemon under clients that misbehave: a flood of oneway or pipelined calls on one
// connection, clients that never read their (large) replies, a servant stuck in a long call at
// shutdown, SIGHUP. Every assertion is about behaviour (how many flood calls ran before another
// client's call, whether a client was dropped), with time limits only as generous guards.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"

namespace pyro {
namespace {

using namespace std::chrono_literals;

// Counts the flood's calls; marker() says how many had run when another client got its turn.
struct Workload {
    std::atomic<int> done{0};
    std::atomic<bool> release{false}; // lets stuck() go
    std::atomic<bool> in_stuck{false};

    void work() noexcept {
        std::this_thread::sleep_for(1ms);
        ++done;
    }
    int work2() {
        std::this_thread::sleep_for(1ms);
        return ++done;
    }
    int marker() const { return done.load(); }
    int add(int a, int b) const { return a + b; }
    std::string big(int size) const { return std::string(static_cast<std::size_t>(size), 'x'); }
    // A servant that does not return until released (at most 20 s, so a test cannot hang).
    int stuck() {
        in_stuck = true;
        for (int i = 0; i < 2000 && !release; ++i) {
            std::this_thread::sleep_for(10ms);
        }
        in_stuck = false;
        return 1;
    }
};

methods<Workload> workload_methods() {
    return methods<Workload>()
        .oneway("work", &Workload::work)
        .expose("work2", &Workload::work2)
        .expose("marker", &Workload::marker)
        .expose("add", &Workload::add)
        .expose("big", &Workload::big)
        .expose("stuck", &Workload::stuck);
}

Config loopback_config() {
    Config config;
    config.host = "127.0.0.1";
    config.comm_timeout = 10.0; // clients' guard; the daemons here set their own options
    return config;
}

// A client speaking the wire protocol by hand, so it can pipeline and refuse to read.
class RawClient {
public:
    explicit RawClient(int port, int receive_buffer = 0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) {
            throw std::runtime_error("socket failed");
        }
        if (receive_buffer > 0) { // a small window: the daemon's reply stays in the daemon
            ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
        }
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ::close(fd_);
            throw std::runtime_error("connect failed");
        }
        Message connect;
        connect.type = MessageType::Connect;
        connect.serializer_id = serializer_ids::json;
        connect.payload = R"({"handshake": "hello"})";
        send(encode_message(connect));
        if (read_frame().type != MessageType::ConnectOk) {
            throw std::runtime_error("handshake refused");
        }
    }
    ~RawClient() { ::close(fd_); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    static std::string call_frame(const std::string& method, const std::string& params,
                                  bool oneway = false) {
        Message invoke;
        invoke.type = MessageType::Invoke;
        invoke.serializer_id = serializer_ids::json;
        invoke.flags = oneway ? flags::oneway : 0;
        invoke.payload = R"({"object": "work", "method": ")" + method + R"(", "params": )" +
                         params + R"(, "kwargs": {}})";
        return encode_message(invoke);
    }
    void send(const std::string& bytes) const {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const auto n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n <= 0) {
                throw std::runtime_error("send failed");
            }
            done += static_cast<std::size_t>(n);
        }
    }
    Message read_frame() const {
        MessageReader reader;
        std::vector<std::uint8_t> chunk;
        while (!reader.has_message()) {
            chunk.resize(reader.bytes_wanted());
            std::size_t got = 0;
            while (got < chunk.size()) {
                const auto n = ::recv(fd_, chunk.data() + got, chunk.size() - got, 0);
                if (n <= 0) {
                    throw std::runtime_error("connection closed");
                }
                got += static_cast<std::size_t>(n);
            }
            reader.feed(std::span<const std::uint8_t>(chunk));
        }
        return reader.take();
    }
    // The daemon reset the connection (dropped it), seen without reading a byte.
    [[nodiscard]] bool reset_by_daemon() const {
        tcp_info info{};
        socklen_t size = sizeof info;
        return ::getsockopt(fd_, IPPROTO_TCP, TCP_INFO, &info, &size) == 0 &&
               info.tcpi_state == TCP_CLOSE;
    }

private:
    int fd_ = -1;
};

// The process's peak resident size (VmHWM), in MB.
double peak_rss_mb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            return std::stod(line.substr(6)) / 1024.0;
        }
    }
    return 0.0;
}

struct Served {
    explicit Served(DaemonOptions options) : daemon(loopback_config(), std::move(options)) {
        servant = std::make_shared<Workload>();
        uri = daemon.register_object(servant, workload_methods(), "work");
        running = daemon.run_in_background();
    }
    Daemon daemon;
    std::shared_ptr<Workload> servant;
    Uri uri;
    std::unique_ptr<Daemon::Background> running;
};

TEST(DaemonFairness, OnewayFloodDelaysAnotherClientByAFewCalls) {
    DaemonOptions options;
    options.worker_threads = 2;
    options.oneway_limit = 4;
    Served served(options);
    // Client A sends 3,000 oneway calls as fast as it can (each runs 1 ms in the servant).
    constexpr int flood = 3000;
    RawClient flooder(*served.uri.port());
    std::string frames;
    for (int i = 0; i < flood; ++i) {
        frames += RawClient::call_frame("work", "[]", true);
    }
    auto writer = std::async(std::launch::async, [&] {
        try {
            flooder.send(frames);
        } catch (const std::exception&) {
            // the daemon closed it at the end of the test
        }
    });
    for (int i = 0; i < 500 && served.servant->done < 20; ++i) {
        std::this_thread::sleep_for(2ms);
    }
    ASSERT_GE(served.servant->done, 20) << "the flood did not start";
    // Client B: one call. It may wait for the few oneway calls A has running, not for A's queue.
    Proxy other(served.uri, loopback_config());
    const int before = served.servant->done;
    const int at_marker = other.call<int>("marker");
    EXPECT_LT(at_marker - before, 40)
        << "another client's call ran only after " << (at_marker - before)
        << " more of the flood's oneway calls (limit 4 running per connection)";
    EXPECT_LT(at_marker, flood / 2) << "the other client waited for most of the flood";
    served.daemon.shutdown();
}

TEST(DaemonFairness, PipelinedCallsTakeTurnsWithAnotherClient) {
    DaemonOptions options;
    options.worker_threads = 1; // one thread: only taking turns lets the other client in
    Served served(options);
    constexpr int flood = 2000;
    RawClient pipeliner(*served.uri.port());
    std::string frames;
    for (int i = 0; i < flood; ++i) {
        frames += RawClient::call_frame("work2", "[]");
    }
    auto writer = std::async(std::launch::async, [&] {
        try {
            pipeliner.send(frames); // replies are never read: they fit the socket buffers
        } catch (const std::exception&) {
        }
    });
    for (int i = 0; i < 500 && served.servant->done < 20; ++i) {
        std::this_thread::sleep_for(2ms);
    }
    ASSERT_GE(served.servant->done, 20) << "the pipelined calls did not start";
    RawClient other(*served.uri.port());
    const int before = served.servant->done;
    other.send(RawClient::call_frame("marker", "[]"));
    const Message reply = other.read_frame();
    ASSERT_EQ(reply.type, MessageType::Result);
    const int at_marker = std::stoi(reply.payload);
    EXPECT_LE(at_marker - before, 8)
        << "with one worker thread, another client's call waited for " << (at_marker - before)
        << " pipelined calls of the first client";
    served.daemon.shutdown();
}

TEST(DaemonOutput, ClientsThatNeverReadAreDroppedAndMemoryStaysBounded) {
    DaemonOptions options;
    options.worker_threads = 2;
    options.output_budget = 16u * 1024u * 1024u;
    options.send_timeout = 300ms;
    Served served(options);
    const double peak_before = peak_rss_mb();
    // 24 clients each ask for an 8 MB answer and never read it: 192 MB if the daemon kept them.
    constexpr int clients = 24;
    constexpr int reply_size = 8 * 1024 * 1024;
    std::vector<std::unique_ptr<RawClient>> greedy;
    for (int i = 0; i < clients; ++i) {
        greedy.push_back(std::make_unique<RawClient>(*served.uri.port(), 4096));
        greedy.back()->send(RawClient::call_frame("big", "[" + std::to_string(reply_size) + "]"));
    }
    // Meanwhile a well-behaved client is served.
    Proxy polite(served.uri, loopback_config());
    EXPECT_EQ(polite.call<int>("add", 2, 3), 5);
    int dropped = 0;
    for (int i = 0; i < 300 && dropped < clients; ++i) { // at most 30 s
        std::this_thread::sleep_for(100ms);
        dropped = 0;
        for (const auto& client : greedy) {
            dropped += client->reset_by_daemon() ? 1 : 0;
        }
    }
    EXPECT_EQ(dropped, clients) << "clients that never read their replies were kept";
    EXPECT_EQ(polite.call<int>("add", 3, 4), 7);
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
    // A sanitizer's shadow memory counts in the resident size: only the drops are checked.
    (void)peak_before;
#else
    // Measured: about 105 MB (the replies being made and sent at a time, with their copies);
    // about 380 MB when the daemon keeps every reply until its client reads it.
    const double growth = peak_rss_mb() - peak_before;
    EXPECT_LT(growth, 160.0) << "the daemon's peak memory grew by " << growth
                             << " MB for replies nobody read (output budget 16 MB)";
#endif
}

TEST(DaemonShutdown, ServantStuckInACallDoesNotHoldRequestLoop) {
    DaemonOptions options;
    options.shutdown_grace = 300ms;
    Daemon daemon(loopback_config(), options);
    auto servant = std::make_shared<Workload>();
    const Uri uri = daemon.register_object(servant, workload_methods(), "work");
    auto loop = std::async(std::launch::async, [&daemon] { daemon.request_loop(false); });
    auto caller = std::async(std::launch::async, [&uri] {
        Proxy proxy(uri, loopback_config());
        try {
            (void)proxy.call<int>("stuck");
            return std::string("answered");
        } catch (const CommunicationError&) {
            return std::string("closed");
        }
    });
    for (int i = 0; i < 500 && !servant->in_stuck; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(servant->in_stuck) << "the call did not reach the servant";
    EXPECT_FALSE(daemon.stop_token().stop_requested());
    daemon.shutdown();
    EXPECT_TRUE(daemon.stop_token().stop_requested());
    const bool returned = loop.wait_for(3s) == std::future_status::ready;
    const bool client_told = caller.wait_for(3s) == std::future_status::ready;
    servant->release = true; // let the abandoned call end (and its thread with it)
    loop.wait();
    EXPECT_TRUE(returned) << "request_loop() waited for a stuck servant call (grace 300 ms)";
    ASSERT_TRUE(client_told) << "the client of the stuck call was not told the daemon stopped";
    EXPECT_EQ(caller.get(), "closed");
    for (int i = 0; i < 500 && servant->in_stuck; ++i) {
        std::this_thread::sleep_for(10ms);
    }
}

TEST(DaemonThreads, SlowCallsOnEveryStartedWorkerDoNotStopOtherClients) {
    DaemonOptions options;
    options.worker_threads = 8; // started with one per core; more are added as calls hold them
    Served served(options);
    // Four clients each hold a worker in a call that does not return until released.
    std::vector<std::future<void>> holders;
    for (int i = 0; i < 4; ++i) {
        holders.push_back(std::async(std::launch::async, [&served] {
            Proxy proxy(served.uri, loopback_config());
            (void)proxy.call<int>("stuck");
        }));
    }
    for (int i = 0; i < 300 && !served.servant->in_stuck; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    Config impatient = loopback_config();
    impatient.comm_timeout = 3.0;
    Proxy other(served.uri, impatient);
    int answer = 0;
    EXPECT_NO_THROW(answer = other.call<int>("add", 20, 22))
        << "with every started worker in a slow call, another client was not served";
    EXPECT_EQ(answer, 42);
    served.servant->release = true;
    for (auto& holder : holders) {
        holder.wait();
    }
}

TEST(DaemonSignals, SighupStopsRequestLoop) {
    Daemon daemon(loopback_config());
    (void)daemon.register_object(std::make_shared<Workload>(), workload_methods(), "work");
    daemon.handle_signals();
    auto loop = std::async(std::launch::async, [&daemon] { daemon.request_loop(); });
    // A closed terminal sends SIGHUP; the server must stop as cleanly as on Ctrl-C.
    std::raise(SIGHUP);
    if (loop.wait_for(5s) != std::future_status::ready) {
        daemon.shutdown();
        loop.wait();
        FAIL() << "request_loop() still ran 5 s after SIGHUP";
    }
    EXPECT_TRUE(daemon.stop_token().stop_requested());
}

} // namespace
} // namespace pyro
