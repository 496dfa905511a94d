// The runtime's less travelled paths, over real sockets and checked on the wire where the path is
// about bytes: HMAC with compression, compressed requests and replies, IPv6, Unix sockets, NAT
// addresses, PYRO_MAX_MESSAGE_SIZE, and the session/percall instance modes under concurrent
// clients. A recording relay between proxy and daemon shows what each side really sent. HMAC and
// Unix sockets are also tried against the real Python Pyro4, both ways.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"
#include "support/process.hpp"
#include "support/python.hpp"
#include "support/vectors.hpp"

namespace pyro {
namespace {

using namespace std::chrono_literals;

struct Store {
    std::atomic<int> calls{0};
    std::string echo(const std::string& text) { return text; }
    int count() { return ++calls; }
};

methods<Store> store_methods() {
    return methods<Store>().expose("echo", &Store::echo).expose("count", &Store::count);
}

Config loopback_config() {
    Config config;
    config.host = "127.0.0.1";
    config.comm_timeout = 5.0;
    return config;
}

// A TCP relay on 127.0.0.1: forwards one client connection at a time to `target_port`, byte for
// byte, and keeps what each direction carried.
class RecordingRelay {
public:
    explicit RecordingRelay(int target_port) : target_port_(target_port) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address = loopback(0);
        socklen_t size = sizeof address;
        if (listener_ < 0 || ::bind(listener_, as_sockaddr(address), size) != 0 ||
            ::listen(listener_, 4) != 0 || ::getsockname(listener_, as_sockaddr(address), &size)) {
            throw std::runtime_error("cannot listen on 127.0.0.1");
        }
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    RecordingRelay(const RecordingRelay&) = delete;
    RecordingRelay& operator=(const RecordingRelay&) = delete;
    ~RecordingRelay() {
        stop_ = true;
        thread_.join();
        ::close(listener_);
    }

    [[nodiscard]] int port() const { return port_; }

    // The frames one direction carried so far, decoded (HMAC not checked here).
    [[nodiscard]] std::vector<Message> frames(bool to_daemon) const {
        std::string bytes;
        {
            const std::lock_guard lock(mutex_);
            bytes = to_daemon ? to_daemon_ : to_client_;
        }
        std::vector<Message> out;
        MessageLimits limits;
        limits.max_inflated_size = 64u * 1024u * 1024u;
        MessageReader reader(limits);
        std::size_t at = 0;
        while (at < bytes.size()) {
            at += reader.feed(std::string_view(bytes).substr(at, reader.bytes_wanted()));
            if (reader.has_message()) {
                out.push_back(reader.take());
            }
        }
        return out;
    }

private:
    static sockaddr_in loopback(int port) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return address;
    }
    static sockaddr* as_sockaddr(sockaddr_in& address) {
        return reinterpret_cast<sockaddr*>(&address);
    }

    void serve() {
        while (!stop_) {
            pollfd waiting{listener_, POLLIN, 0};
            if (::poll(&waiting, 1, 50) <= 0) {
                continue;
            }
            const int client = ::accept(listener_, nullptr, nullptr);
            const int daemon = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in target = loopback(target_port_);
            if (client >= 0 && daemon >= 0 &&
                ::connect(daemon, as_sockaddr(target), sizeof target) == 0) {
                pump(client, daemon);
            }
            ::close(client);
            ::close(daemon);
        }
    }

    // Copies both ways until either side closes or the relay stops.
    void pump(int client, int daemon) {
        while (!stop_) {
            pollfd ends[2] = {{client, POLLIN, 0}, {daemon, POLLIN, 0}};
            if (::poll(ends, 2, 50) <= 0) {
                continue;
            }
            for (int i = 0; i < 2; ++i) {
                if ((ends[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                    continue;
                }
                char buffer[65536];
                const ssize_t n = ::recv(ends[i].fd, buffer, sizeof buffer, 0);
                if (n <= 0) {
                    return;
                }
                // Kept before it is passed on: once the proxy has its reply, the test reads it.
                {
                    const std::lock_guard lock(mutex_);
                    (i == 0 ? to_daemon_ : to_client_).append(buffer, static_cast<std::size_t>(n));
                }
                const int other = i == 0 ? daemon : client;
                (void)::send(other, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL);
            }
        }
    }

    int target_port_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::string to_daemon_;
    std::string to_client_;
    std::thread thread_;
};

// The last frame of a kind that one direction carried; points into `frames`.
const Message* last_of(const std::vector<Message>& frames, MessageType type) {
    const Message* found = nullptr;
    for (const Message& frame : frames) {
        if (frame.type == type) {
            found = &frame;
        }
    }
    return found;
}

TEST(Compression, LibpyroSendsCompressedRequestsAndReplies) {
    Config config = loopback_config();
    config.compression = true;
    Daemon daemon(config);
    (void)daemon.register_object(std::make_shared<Store>(), store_methods(), "store");
    auto running = daemon.run_in_background();
    const RecordingRelay relay(daemon.port());

    Proxy proxy("PYRO:store@127.0.0.1:" + std::to_string(relay.port()), config);
    const std::string big(20000, 'x');
    EXPECT_EQ(proxy.call<std::string>("echo", big), big);

    const std::vector<Message> requests = relay.frames(true);
    const std::vector<Message> replies = relay.frames(false);
    const Message* request = last_of(requests, MessageType::Invoke);
    const Message* reply = last_of(replies, MessageType::Result);
    ASSERT_NE(request, nullptr);
    ASSERT_NE(reply, nullptr);
    EXPECT_TRUE(request->has_flag(flags::compressed)) << "the proxy sent the request uncompressed";
    EXPECT_TRUE(reply->has_flag(flags::compressed)) << "the daemon sent the reply uncompressed";
    EXPECT_LT(request->payload.size(), 1000u);
    EXPECT_NE(payload_bytes(*request).find(big), std::string::npos);
}

TEST(Compression, HmacSignsTheCompressedBytes) {
    Config config = loopback_config();
    config.compression = true;
    config.hmac_key = "lab-secret";
    Daemon daemon(config);
    (void)daemon.register_object(std::make_shared<Store>(), store_methods(), "store");
    auto running = daemon.run_in_background();
    const RecordingRelay relay(daemon.port());

    Proxy proxy("PYRO:store@127.0.0.1:" + std::to_string(relay.port()), config);
    const std::string big(20000, 'y');
    EXPECT_EQ(proxy.call<std::string>("echo", big), big);

    for (const bool to_daemon : {true, false}) {
        const std::vector<Message> frames = relay.frames(to_daemon);
        const Message* frame =
            last_of(frames, to_daemon ? MessageType::Invoke : MessageType::Result);
        ASSERT_NE(frame, nullptr);
        SCOPED_TRACE(to_daemon ? "request" : "reply");
        EXPECT_TRUE(frame->has_flag(flags::compressed));
        ASSERT_NE(frame->annotation("HMAC"), nullptr);
        EXPECT_NO_THROW(verify_hmac(*frame, "lab-secret"));
        EXPECT_THROW(verify_hmac(*frame, "another key"), PyroError);
    }
    // A peer with another key is refused, compressed or not.
    Config wrong = config;
    wrong.hmac_key = "another key";
    Proxy refused("PYRO:store@127.0.0.1:" + std::to_string(daemon.port()), wrong);
    EXPECT_THROW((void)refused.call<std::string>("echo", big), PyroError);
}

TEST(Ipv6, DaemonAndProxyOnTheLoopback) {
    Config config = loopback_config();
    config.host = "::1";
    std::unique_ptr<Daemon> daemon;
    try {
        daemon = std::make_unique<Daemon>(config);
    } catch (const CommunicationError& error) {
        GTEST_SKIP() << "no IPv6 loopback here: " << error.what();
    }
    const Uri uri = daemon->register_object(std::make_shared<Store>(), store_methods(), "store");
    auto running = daemon->run_in_background();
    EXPECT_EQ(daemon->bound_address(), "::1");
    EXPECT_EQ(uri.str(), "PYRO:store@[::1]:" + std::to_string(daemon->port()));
    Proxy proxy(uri.str(), config);
    EXPECT_EQ(proxy.call<std::string>("echo", std::string("over IPv6")), "over IPv6");
}

TEST(UnixSocket, DaemonAndProxy) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("pyro-wire-" + std::to_string(::getpid()) + ".sock");
    std::filesystem::remove(path);
    {
        DaemonOptions options;
        options.unix_socket = path.string();
        Daemon daemon(loopback_config(), options);
        const Uri uri = daemon.register_object(std::make_shared<Store>(), store_methods(), "store");
        auto running = daemon.run_in_background();
        EXPECT_EQ(uri.str(), "PYRO:store@./u:" + path.string());
        EXPECT_TRUE(std::filesystem::is_socket(path));
        Proxy proxy(uri.str(), loopback_config());
        EXPECT_EQ(proxy.call<std::string>("echo", std::string("over a Unix socket")),
                  "over a Unix socket");
    }
    std::filesystem::remove(path);
}

TEST(NatHost, UrisCarryTheNatAddressWhileTheRealOneServes) {
    Config config = loopback_config();
    config.nathost = "lab-gateway.example";
    config.natport = 4711;
    Daemon daemon(config);
    const Uri uri = daemon.register_object(std::make_shared<Store>(), store_methods(), "store");
    auto running = daemon.run_in_background();
    EXPECT_EQ(uri.str(), "PYRO:store@lab-gateway.example:4711");
    EXPECT_EQ(daemon.location(), "lab-gateway.example:4711");
    EXPECT_EQ(daemon.bound_location(), "127.0.0.1:" + std::to_string(daemon.port()));
    // The daemon accepts handshakes for its objects on the real address.
    Proxy proxy("PYRO:store@127.0.0.1:" + std::to_string(daemon.port()), loopback_config());
    EXPECT_EQ(proxy.call<std::string>("echo", std::string("behind NAT")), "behind NAT");
}

TEST(MaxMessageSize, DaemonRefusesAnOversizedRequest) {
    Config server_config = loopback_config();
    server_config.max_message_size = 2000;
    Daemon daemon(server_config);
    const Uri uri = daemon.register_object(std::make_shared<Store>(), store_methods(), "store");
    auto running = daemon.run_in_background();
    Proxy proxy(uri, loopback_config());
    EXPECT_EQ(proxy.call<std::string>("echo", std::string(100, 'a')), std::string(100, 'a'));
    EXPECT_THROW((void)proxy.call<std::string>("echo", std::string(5000, 'a')), PyroError);
    // The daemon goes on serving others.
    Proxy next(uri, loopback_config());
    EXPECT_EQ(next.call<int>("count"), 1);
}

// A servant whose reply size the test chooses.
struct Sized {
    std::string make(int n) const { return std::string(static_cast<std::size_t>(n), 'c'); }
};

TEST(MaxMessageSize, ProxyRefusesAnOversizedReply) {
    Daemon daemon(loopback_config());
    const Uri uri = daemon.register_object(std::make_shared<Sized>(),
                                           methods<Sized>().expose("make", &Sized::make), "maker");
    auto running = daemon.run_in_background();
    Config client_config = loopback_config();
    client_config.max_message_size = 2000;
    Proxy limited(uri, client_config);
    EXPECT_EQ(limited.call<std::string>("make", 10), std::string(10, 'c'));
    EXPECT_THROW((void)limited.call<std::string>("make", 5000), MessageTooLargeError);
}

// Each client counts on the instance it is given; the factory counts instances made.
struct Counter {
    int calls = 0;
    int count() { return ++calls; }
};

struct InstanceModes : ::testing::Test {
    static constexpr int clients = 8;
    static constexpr int calls = 20;

    // Runs `clients` proxies at once, each making `calls` calls; returns every answer per client.
    std::vector<std::vector<int>> run(InstanceMode mode, std::atomic<int>& made) {
        Daemon daemon(loopback_config());
        const Uri uri = daemon.register_class<Counter>(
            methods<Counter>().expose("count", &Counter::count), mode, "counter", [&made] {
                ++made;
                return std::make_shared<Counter>();
            });
        auto running = daemon.run_in_background();
        std::vector<std::vector<int>> answers(clients);
        std::vector<std::thread> threads;
        for (int c = 0; c < clients; ++c) {
            threads.emplace_back([&, c] {
                Proxy proxy(uri, loopback_config());
                for (int i = 0; i < calls; ++i) {
                    answers[static_cast<std::size_t>(c)].push_back(proxy.call<int>("count"));
                }
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
        return answers;
    }
};

TEST_F(InstanceModes, SessionGivesEachConnectionItsOwnInstance) {
    std::atomic<int> made{0};
    const auto answers = run(InstanceMode::Session, made);
    std::vector<int> expected;
    for (int i = 1; i <= calls; ++i) {
        expected.push_back(i);
    }
    for (const auto& client : answers) {
        EXPECT_EQ(client, expected) << "another client's calls reached this client's instance";
    }
    EXPECT_EQ(made, clients);
}

TEST_F(InstanceModes, PerCallMakesAFreshInstanceForEveryCall) {
    std::atomic<int> made{0};
    const auto answers = run(InstanceMode::PerCall, made);
    for (const auto& client : answers) {
        EXPECT_EQ(client, std::vector<int>(calls, 1));
    }
    EXPECT_EQ(made, clients * calls);
}

// The real Pyro4 as the other end: `serve KEY WHERE` runs a daemon (WHERE "tcp" or a Unix socket
// path) with one object and prints its URI; `call KEY URI` echoes 24 kB once and prints "ANSWER
// same" or ERROR. An empty KEY means no HMAC key.
constexpr const char* python_peer = R"(
import sys, Pyro4
@Pyro4.expose
class Echo(object):
    def echo(self, text):
        return text
mode, key, where = sys.argv[1:4]
key = key.encode() if key else None
if mode == "serve":
    daemon = Pyro4.Daemon(host="127.0.0.1") if where == "tcp" else Pyro4.Daemon(unixsocket=where)
    daemon._pyroHmacKey = key
    print("URI", daemon.register(Echo(), "py.echo"), flush=True)
    daemon.requestLoop()
else:
    with Pyro4.Proxy(where) as proxy:
        proxy._pyroHmacKey = key
        text = "from Python " * 2000  # big enough that compression pays, so it happens
        try:
            print("ANSWER", "same" if proxy.echo(text) == text else "different", flush=True)
        except Exception as error:
            print("ERROR", type(error).__name__, error, flush=True)
)";

// Runs the Python peer to completion as a client of `uri`; returns its first line of output.
std::string python_call(const std::string& key, const std::string& uri,
                        test::ChildProcess::Environment env = {}) {
    test::ChildProcess client({test::python_interpreter(), "-c", python_peer, "call", key, uri},
                              test::python_environment(std::move(env)));
    const std::string out = client.read_all(test::Stream::Stdout, 30s);
    (void)client.wait(10s);
    return out.substr(0, out.find('\n')) + (out.empty() ? client.describe() : "");
}

// Starts the Python peer as a server; `uri` gets what it printed (empty if it did not start).
std::unique_ptr<test::ChildProcess> python_serve(const std::string& key, const std::string& where,
                                                 std::string& uri,
                                                 test::ChildProcess::Environment env = {}) {
    auto server = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{test::python_interpreter(), "-c", python_peer, "serve", key,
                                 where},
        test::python_environment(std::move(env)));
    const auto match = server->wait_for_match(std::regex("^URI (PYRO:\\S+)$"), 20s);
    uri = match ? (*match)[1] : "";
    EXPECT_TRUE(match) << server->describe();
    return server;
}

TEST(PythonPeer, PythonProxyCallsAnHmacDaemon) {
    Config config = loopback_config();
    config.hmac_key = "lab-secret";
    config.compression = true;
    Daemon daemon(config);
    const Uri uri = daemon.register_object(std::make_shared<Store>(), store_methods(), "store");
    auto running = daemon.run_in_background();
    // Compressed both ways: PYRO_COMPRESSION on the Python side, config.compression on ours.
    EXPECT_EQ(python_call("lab-secret", uri.str(), {{"PYRO_COMPRESSION", "true"}}), "ANSWER same");
    EXPECT_EQ(python_call("lab-secret", uri.str()), "ANSWER same");
    EXPECT_TRUE(python_call("another key", uri.str()).starts_with("ERROR"));
    EXPECT_TRUE(python_call("", uri.str()).starts_with("ERROR"));
}

TEST(PythonPeer, ProxyCallsAnHmacPythonDaemon) {
    std::string uri;
    const auto server = python_serve("lab-secret", "tcp", uri, {{"PYRO_COMPRESSION", "true"}});
    ASSERT_FALSE(uri.empty());
    Config config = loopback_config();
    config.hmac_key = "lab-secret";
    config.compression = true;
    Proxy proxy(uri, config);
    const std::string big(20000, 'h');
    EXPECT_EQ(proxy.call<std::string>("echo", big), big);
    Config wrong = loopback_config();
    wrong.hmac_key = "another key";
    Proxy refused(uri, wrong);
    EXPECT_THROW((void)refused.call<std::string>("echo", big), PyroError);
    Proxy keyless(uri, loopback_config());
    EXPECT_THROW((void)keyless.call<std::string>("echo", big), PyroError);
    server->terminate();
}

TEST(PythonPeer, UnixSocketBothWays) {
    const auto folder =
        std::filesystem::temp_directory_path() / ("pyro-wire-py-" + std::to_string(::getpid()));
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    {
        // C++ proxy -> Python daemon.
        std::string uri;
        const auto server = python_serve("", (folder / "python.sock").string(), uri);
        EXPECT_EQ(uri, "PYRO:py.echo@./u:" + (folder / "python.sock").string());
        if (!uri.empty()) {
            Proxy proxy(uri, loopback_config());
            EXPECT_EQ(proxy.call<std::string>("echo", std::string("to Python")), "to Python");
        }
        server->terminate();

        // Python proxy -> C++ daemon.
        DaemonOptions options;
        options.unix_socket = (folder / "libpyro.sock").string();
        Daemon daemon(loopback_config(), options);
        const Uri ours =
            daemon.register_object(std::make_shared<Store>(), store_methods(), "store");
        auto running = daemon.run_in_background();
        EXPECT_EQ(python_call("", ours.str()), "ANSWER same");
    }
    std::filesystem::remove_all(folder);
}

} // namespace
} // namespace pyro
