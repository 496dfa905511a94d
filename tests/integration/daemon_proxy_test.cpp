// C++ proxy <-> C++ daemon, in one process over loopback: every runtime feature.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <map>
#include <mutex>
#include <thread>

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

struct Calculator {
    std::atomic<int> oneway_calls{0};
    std::atomic<bool> poke_released{true}; // OnewayDoesNotWait holds poke() until it lets go
    int scale = 1;

    int add(int a, int b) const { return (a + b) * scale; }
    std::string greet(const std::string& name) const noexcept { return "Hello, " + name + "!"; }
    void poke() noexcept {
        for (int i = 0; i < 500 && !poke_released; ++i) { // at most 5 s, so a test cannot hang
            std::this_thread::sleep_for(10ms);
        }
        ++oneway_calls;
    }
    double divide(double a, double b) const {
        if (b == 0) {
            throw std::invalid_argument("division by zero");
        }
        return a / b;
    }
    std::vector<int> range(int n) const {
        std::vector<int> out;
        for (int i = 0; i < n; ++i) {
            out.push_back(i);
        }
        return out;
    }
    Value echo(Value v) const { return v; }
    std::optional<std::string> maybe(std::optional<int> x) const {
        return x ? std::optional<std::string>(std::to_string(*x)) : std::nullopt;
    }
    int get_scale() const { return scale; }
    void set_scale(int s) { scale = s; }
};

methods<Calculator> calculator_methods() {
    return methods<Calculator>()
        .expose("add", &Calculator::add, {"a", "b"})
        .expose("greet", &Calculator::greet)
        .oneway("poke", &Calculator::poke)
        .expose("divide", &Calculator::divide)
        .expose("range", &Calculator::range)
        .expose("echo", &Calculator::echo)
        .expose("maybe", &Calculator::maybe)
        .expose("twice", [](Calculator& c, int x) { return c.add(x, x); })
        .attribute("scale", &Calculator::get_scale, &Calculator::set_scale);
}

Config loopback_config() {
    Config config;
    config.host = "127.0.0.1";
    config.comm_timeout = 5.0;
    return config;
}

class DaemonProxy : public ::testing::TestWithParam<SerializerKind> {
protected:
    DaemonProxy() : daemon(loopback_config()) {
        servant = std::make_shared<Calculator>();
        uri = daemon.register_object(servant, calculator_methods(), "test.calculator");
        background = daemon.run_in_background();
    }
    Proxy proxy() {
        Config config = loopback_config();
        config.serializer = std::string(serializer_name(GetParam()));
        return Proxy(uri, config);
    }

    Daemon daemon;
    std::shared_ptr<Calculator> servant;
    Uri uri;
    std::unique_ptr<Daemon::Background> background;
};

TEST_P(DaemonProxy, TypedCalls) {
    Proxy p = proxy();
    EXPECT_EQ(p.call<int>("add", 2, 3), 5);
    EXPECT_EQ(p.call<std::string>("greet", std::string("Ada")), "Hello, Ada!");
    EXPECT_EQ(p.call<std::vector<int>>("range", 3), (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(p.call<int>("twice", 21), 42);
    EXPECT_EQ(p.call<std::optional<std::string>>("maybe", Value()), std::nullopt);
    EXPECT_EQ(p.call<std::optional<std::string>>("maybe", 7), "7");
    EXPECT_EQ(p.invoke("add", {}, {{"a", 1}, {"b", 2}}), Value(3));
}

TEST_P(DaemonProxy, EchoKeepsValues) {
    Proxy p = proxy();
    const Value nested = Value::dict({{"list", Value::list({1, 2.5, "x", Value(), true})},
                                      {"big", Value::big_int("123456789012345678901234567890")}});
    EXPECT_EQ(p.call<Value>("echo", nested), nested);
}

// invoke_serialized hands over the result's bytes as the server serialized them (what
// NameServer::lookup remembers decodings of); errors still arrive as exceptions.
TEST_P(DaemonProxy, SerializedResultsAreTheServersBytes) {
    Proxy p = proxy();
    const std::string bytes = p.invoke_serialized("range", {Value(3)});
    EXPECT_EQ(deserialize(GetParam(), bytes), p.invoke("range", {Value(3)}));
    EXPECT_EQ(bytes, serialize(GetParam(), p.invoke("range", {Value(3)})));
    EXPECT_THROW((void)p.invoke_serialized("divide", {Value(1.0), Value(0.0)}), RemoteError);
    EXPECT_EQ(deserialize(GetParam(), p.invoke_serialized("add", {Value(2), Value(3)})), Value(5));
}

TEST_P(DaemonProxy, Metadata) {
    Proxy p = proxy();
    const ObjectMetadata& meta = p.metadata();
    EXPECT_EQ(meta.methods.size(), 8u);
    EXPECT_EQ(meta.oneway, std::vector<std::string>{"poke"});
    EXPECT_EQ(meta.attrs, std::vector<std::string>{"scale"});
}

// The daemon makes the handshake's metadata answer once per object and serializer: clients of
// either serializer, in turn, each get it in their own.
TEST(DaemonHandshake, MetadataAnswersEachClientInItsSerializer) {
    Daemon daemon(loopback_config());
    const Uri uri = daemon.register_object(std::make_shared<Calculator>(), calculator_methods(),
                                           "test.calculator");
    const auto background = daemon.run_in_background();
    const auto handshake = [&uri](SerializerKind kind, std::uint16_t id) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(*uri.port()));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            throw std::runtime_error("cannot connect");
        }
        Message connect;
        connect.type = MessageType::Connect;
        connect.serializer_id = id;
        connect.flags = flags::meta_on_connect;
        connect.payload =
            serialize(kind, Value::dict({{"handshake", "hello"}, {"object", "test.calculator"}}));
        const std::string frame = encode_message(connect);
        (void)::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
        MessageReader reader;
        while (!reader.has_message()) {
            std::string buffer(reader.bytes_wanted(), '\0');
            const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
            if (n <= 0) {
                ::close(fd);
                throw std::runtime_error("the daemon closed the connection during the handshake");
            }
            reader.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        }
        ::close(fd);
        return reader.take();
    };
    for (int round = 0; round < 2; ++round) {
        const Message json = handshake(SerializerKind::Json, serializer_ids::json);
        EXPECT_EQ(json.type, MessageType::ConnectOk);
        EXPECT_TRUE(json.payload.starts_with("{")) << json.payload;
        const Message serpent = handshake(SerializerKind::Serpent, serializer_ids::serpent);
        EXPECT_EQ(serpent.type, MessageType::ConnectOk);
        EXPECT_TRUE(serpent.payload.starts_with("# serpent")) << serpent.payload;
    }
    for (const SerializerKind kind : {SerializerKind::Serpent, SerializerKind::Json}) {
        Config config = loopback_config();
        config.serializer = std::string(serializer_name(kind));
        Proxy p(uri, config);
        EXPECT_EQ(p.metadata().methods.size(), 8u) << serializer_name(kind);
    }
}

// Daemon::cache_answers: a call repeated with the same arguments is answered without the servant
// while the version stays, anew once it moves; calls that raise and other methods always run,
// and unregister() forgets what was remembered.
struct Table {
    std::atomic<int> calls{0};
    std::atomic<std::uint64_t> version{0};
    std::mutex mutex;
    std::map<std::string, int> values;

    int get(const std::string& key) {
        ++calls;
        const std::lock_guard lock(mutex);
        const auto found = values.find(key);
        if (found == values.end()) {
            throw std::out_of_range("no " + key);
        }
        return found->second;
    }
    std::string blob(int size) {
        ++calls;
        return std::string(static_cast<std::size_t>(size), 'x');
    }
    void put(const std::string& key, int value) {
        const std::lock_guard lock(mutex);
        values[key] = value;
        ++version;
    }
};

TEST_P(DaemonProxy, CachedAnswersFollowTheVersion) {
    const auto table_methods = [] {
        return methods<Table>()
            .expose("get", &Table::get)
            .expose("put", &Table::put)
            .expose("blob", &Table::blob);
    };
    auto table = std::make_shared<Table>();
    const Uri table_uri = daemon.register_object(table, table_methods(), "test.table");
    daemon.cache_answers("test.table", "get", [table] { return table->version.load(); });
    Config config = loopback_config();
    config.serializer = std::string(serializer_name(GetParam()));
    Proxy p(table_uri, config);
    (void)p.invoke("put", {"a", 1});
    EXPECT_EQ(p.call<int>("get", "a"), 1);
    EXPECT_EQ(p.call<int>("get", "a"), 1);
    EXPECT_EQ(Proxy(table_uri, config).call<int>("get", "a"), 1); // another connection
    EXPECT_EQ(table->calls, 1);
    (void)p.invoke("put", {"a", 2});
    EXPECT_EQ(p.call<int>("get", "a"), 2);
    EXPECT_EQ(table->calls, 2);
    EXPECT_THROW((void)p.call<int>("get", "b"), RemoteError);
    EXPECT_THROW((void)p.call<int>("get", "b"), RemoteError);
    EXPECT_EQ(table->calls, 4);
    // Large answers are not kept (memory), small ones of the same method are.
    daemon.cache_answers("test.table", "blob", [table] { return table->version.load(); });
    for (const int size : {100, 100, 100 * 1024, 100 * 1024}) {
        EXPECT_EQ(p.call<std::string>("blob", size).size(), static_cast<std::size_t>(size));
    }
    EXPECT_EQ(table->calls, 7);

    // Registered again under the id, at the same version: answers of the old object are gone.
    daemon.unregister("test.table");
    auto again = std::make_shared<Table>();
    again->values["a"] = 7;
    again->version = table->version.load();
    (void)daemon.register_object(again, table_methods(), "test.table");
    daemon.cache_answers("test.table", "get", [again] { return again->version.load(); });
    EXPECT_EQ(Proxy(table_uri, config).call<int>("get", "a"), 7);
    EXPECT_EQ(again->calls, 1);
}

// A CONNECT like one seen before is not parsed again, but its object is looked up anew: gone
// after unregister(), and registered again under the id it answers with its new metadata.
TEST(DaemonHandshake, RepeatedConnectFindsTheObjectAnew) {
    Daemon daemon(loopback_config());
    const Uri uri =
        daemon.register_object(std::make_shared<Calculator>(), calculator_methods(), "again");
    auto background = daemon.run_in_background();
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(Proxy(uri, loopback_config()).metadata().methods.size(), 8u);
    }
    daemon.unregister("again");
    EXPECT_ANY_THROW((void)Proxy(uri, loopback_config()).metadata());
    (void)daemon.register_object(std::make_shared<Table>(),
                                 methods<Table>().expose("get", &Table::get), "again");
    EXPECT_EQ(Proxy(uri, loopback_config()).metadata().methods, std::vector<std::string>{"get"});
}

// PYRO_SOCK_NODELAY: every connection the daemon accepts has TCP_NODELAY, the first and the
// later ones (set once on the listening socket, which they inherit); without it none has.
TEST(DaemonSockets, AcceptedConnectionsHaveNoDelayAsConfigured) {
    for (const bool nodelay : {true, false}) {
        SCOPED_TRACE(nodelay ? "PYRO_SOCK_NODELAY=1" : "PYRO_SOCK_NODELAY=0");
        Config config = loopback_config();
        config.sock_nodelay = nodelay;
        Daemon daemon(config);
        const Uri uri =
            daemon.register_object(std::make_shared<Calculator>(), calculator_methods(), "calc");
        auto background = daemon.run_in_background();
        for (int round = 0; round < 3; ++round) {
            Proxy p(uri, loopback_config());
            EXPECT_EQ(p.call<int>("add", 2, 3), 5);
            // The daemon's end of the connection, found among this process's sockets.
            int accepted = 0;
            for (int fd = 0; fd < 4096; ++fd) {
                sockaddr_in local{};
                socklen_t size = sizeof local;
                if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size) != 0 ||
                    local.sin_family != AF_INET || ntohs(local.sin_port) != daemon.port()) {
                    continue;
                }
                sockaddr_in peer{};
                size = sizeof peer;
                if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &size) != 0) {
                    continue; // the listening socket
                }
                int on = -1;
                size = sizeof on;
                ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &size), 0);
                EXPECT_EQ(on != 0, nodelay) << "connection " << round;
                ++accepted;
            }
            EXPECT_GE(accepted, 1) << "connection " << round; // earlier ones may be closing
        }
    }
}

TEST_P(DaemonProxy, RemoteErrorsCarryTypeAndTraceback) {
    Proxy p = proxy();
    try {
        (void)p.call<double>("divide", 1.0, 0.0);
        FAIL() << "no exception";
    } catch (const RemoteError& e) {
        EXPECT_EQ(e.python_class(), "builtins.ValueError");
        EXPECT_STREQ(e.what(), "division by zero");
        EXPECT_FALSE(e.remote_traceback().empty());
    }
    try {
        (void)p.call<int>("add", "two", 3);
        FAIL() << "no exception";
    } catch (const TypeError& e) {
        EXPECT_STREQ(e.what(), "add() argument 1: expected int, got str");
    }
    EXPECT_THROW((void)p.call<int>("add", 1), TypeError);
    // The connection survives remote errors.
    EXPECT_EQ(p.call<int>("add", 1, 1), 2);
}

TEST_P(DaemonProxy, UnknownMethodFailsLocally) {
    Proxy p = proxy();
    try {
        (void)p.invoke("no_such_method");
        FAIL() << "no exception";
    } catch (const RemoteError& e) {
        EXPECT_EQ(e.python_class(), "builtins.AttributeError");
    }
}

TEST_P(DaemonProxy, OnewayDoesNotWait) {
    Proxy p = proxy();
    p.bind();
    // The servant is held inside poke() for up to 5 s; oneway callers must go on at once.
    servant->poke_released = false;
    const auto start = std::chrono::steady_clock::now();
    p.call<void>("poke");
    p.call<void>("poke");
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_LT(waited, 1s) << "a oneway call waited for its servant to finish";
    EXPECT_EQ(servant->oneway_calls, 0) << "the servant finished before it was let go";
    servant->poke_released = true;
    for (int i = 0; i < 200 && servant->oneway_calls < 2; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(servant->oneway_calls, 2) << "both oneway calls reach the servant";
}

TEST_P(DaemonProxy, Attributes) {
    Proxy p = proxy();
    EXPECT_EQ(p.get<int>("scale"), 1);
    p.set_attribute("scale", 10);
    EXPECT_EQ(p.get<int>("scale"), 10);
    EXPECT_EQ(p.call<int>("add", 1, 2), 30);
    EXPECT_THROW((void)p.get_attribute("nope"), RemoteError);
}

TEST_P(DaemonProxy, PingAndDaemonObject) {
    Proxy p = proxy();
    p.ping();
    Proxy d(daemon.uri_for("Pyro.Daemon"), loopback_config());
    EXPECT_EQ(d.call<std::vector<std::string>>("registered"),
              (std::vector<std::string>{"Pyro.Daemon", "test.calculator"}));
}

TEST_P(DaemonProxy, ManyConcurrentClients) {
    std::vector<std::thread> clients;
    std::atomic<int> good{0};
    for (int c = 0; c < 16; ++c) {
        clients.emplace_back([&, c] {
            Proxy p = proxy();
            for (int i = 0; i < 50; ++i) {
                if (p.call<int>("add", c, i) == c + i) {
                    ++good;
                }
            }
        });
    }
    for (auto& t : clients) {
        t.join();
    }
    EXPECT_EQ(good, 16 * 50);
}

INSTANTIATE_TEST_SUITE_P(Serializers, DaemonProxy,
                         ::testing::Values(SerializerKind::Json, SerializerKind::Serpent),
                         [](const auto& info) { return std::string(serializer_name(info.param)); });

TEST(Hmac, SignedBothWaysAndRefusedWithoutTheKey) {
    Config server_config = loopback_config();
    server_config.hmac_key = "lab-secret";
    Daemon daemon(server_config);
    const Uri uri =
        daemon.register_object(std::make_shared<Calculator>(), calculator_methods(), "calc");
    auto running = daemon.run_in_background();

    Config client_config = loopback_config();
    client_config.hmac_key = "lab-secret";
    Proxy good(uri, client_config);
    EXPECT_EQ(good.call<int>("add", 20, 22), 42);

    // §3.2: a client without the key, or with another one, is refused at the handshake.
    Proxy keyless(uri, loopback_config());
    EXPECT_THROW((void)keyless.call<int>("add", 1, 1), PyroError);
    client_config.hmac_key = "wrong";
    Proxy wrong(uri, client_config);
    EXPECT_THROW((void)wrong.call<int>("add", 1, 1), PyroError);
}

// A bare TCP client: connects to 127.0.0.1:port, does Pyro4's handshake for `object` (json), then
// says nothing. Closes its socket on destruction.
class SilentClient {
public:
    SilentClient(int port, const std::string& object) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
        }
        Message connect;
        connect.type = MessageType::Connect;
        connect.serializer_id = serializer_ids::json;
        connect.payload = serialize(SerializerKind::Json,
                                    Value::dict({{"handshake", "hello"}, {"object", object}}));
        const std::string frame = encode_message(connect);
        if (::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(frame.size())) {
            throw std::runtime_error("cannot send the handshake");
        }
        MessageReader reader;
        while (!reader.has_message()) {
            std::string buffer(reader.bytes_wanted(), '\0');
            const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
            if (n <= 0) {
                throw std::runtime_error("the daemon closed the connection during the handshake");
            }
            reader.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        }
        if (reader.take().type != MessageType::ConnectOk) {
            throw std::runtime_error("the daemon refused the handshake");
        }
    }
    SilentClient(const SilentClient&) = delete;
    SilentClient& operator=(const SilentClient&) = delete;
    ~SilentClient() { ::close(fd_); }

    // Whether the daemon closed the connection (end of stream) within `limit`.
    [[nodiscard]] bool closed_by_daemon_within(std::chrono::milliseconds limit) const {
        pollfd waiting{fd_, POLLIN, 0};
        if (::poll(&waiting, 1, static_cast<int>(limit.count())) <= 0) {
            return false;
        }
        char byte = 0;
        return ::recv(fd_, &byte, 1, 0) <= 0;
    }

private:
    int fd_;
};

TEST(CommTimeout, DaemonDropsSilentClientsAndProxiesReconnect) {
    Config server_config = loopback_config();
    server_config.comm_timeout = 0.2;
    Daemon daemon(server_config);
    const Uri uri =
        daemon.register_object(std::make_shared<Calculator>(), calculator_methods(), "calc");
    auto running = daemon.run_in_background();

    // Seen from the wire: a client that stays silent longer than PYRO_COMMTIMEOUT is dropped.
    const SilentClient silent(*uri.port(), "calc");
    EXPECT_TRUE(silent.closed_by_daemon_within(2s))
        << "the daemon kept a client that said nothing for 2 s (PYRO_COMMTIMEOUT 0.2 s)";

    Proxy proxy(uri, loopback_config());
    EXPECT_EQ(proxy.call<int>("add", 1, 2), 3);
    std::this_thread::sleep_for(600ms); // longer than the daemon's PYRO_COMMTIMEOUT
    // The daemon closed the idle connection; the proxy notices and connects again.
    EXPECT_EQ(proxy.call<int>("add", 2, 3), 5);
}

TEST(CommTimeout, WithoutATimeoutTheDaemonKeepsSilentClients) {
    // The control for the test above: the same silent client stays connected.
    Daemon daemon(loopback_config()); // comm_timeout 5 s
    const Uri uri =
        daemon.register_object(std::make_shared<Calculator>(), calculator_methods(), "calc");
    auto running = daemon.run_in_background();
    const SilentClient silent(*uri.port(), "calc");
    EXPECT_FALSE(silent.closed_by_daemon_within(600ms));
}

TEST(Signals, CtrlCBeforeTheLoopStillStopsItCleanly) {
    Daemon daemon(loopback_config());
    (void)daemon.register_object(std::make_shared<Calculator>(), calculator_methods(), "calc");
    daemon.handle_signals();
    // A server prints "ready" before it enters its loop; a Ctrl-C right then must not kill it.
    std::raise(SIGINT);
    // request_loop() must return at once: the signal was remembered. On a thread, so that a
    // loop that forgot it fails this test instead of hanging it.
    auto loop = std::async(std::launch::async, [&daemon] { daemon.request_loop(); });
    if (loop.wait_for(5s) != std::future_status::ready) {
        daemon.shutdown();
        loop.wait();
        FAIL() << "request_loop() still ran 5 s after a Ctrl-C that came just before it";
    }
    EXPECT_NO_THROW(loop.get());
}

// The first call outlasts the client's timeout; every later one answers at once.
struct SlowOnce {
    std::atomic<bool> slept{false};
    int echo_int(int x) {
        if (!slept.exchange(true)) {
            std::this_thread::sleep_for(800ms);
        }
        return x;
    }
};

TEST(MaxRetries, RetriedCallSendsItsArgumentsAgain) {
    Daemon daemon(loopback_config());
    const Uri uri =
        daemon.register_object(std::make_shared<SlowOnce>(),
                               methods<SlowOnce>().expose("echo_int", &SlowOnce::echo_int), "slow");
    auto running = daemon.run_in_background();
    Config config = loopback_config();
    config.comm_timeout = 0.3;
    config.max_retries = 1; // PYRO_MAX_RETRIES: a timeout is retried once, on a new connection
    Proxy proxy(uri, config);
    EXPECT_EQ(proxy.call<int>("echo_int", 42), 42);
}

// A stand-in for Pyro.NameServer with just what PYRONAME resolution uses.
struct TinyNameServer {
    std::mutex mutex;
    std::map<std::string, Uri> names;
    void ping() const noexcept {}
    Uri lookup(const std::string& name) {
        const std::lock_guard lock(mutex);
        const auto found = names.find(name);
        if (found == names.end()) {
            throw NamingError("unknown name: " + name);
        }
        return found->second;
    }
    void set(const std::string& name, const Uri& uri) {
        const std::lock_guard lock(mutex);
        names.insert_or_assign(name, uri);
    }
    // PYROMETA: Pyro4's list(metadata_all=...), answering {name: (uri, metadata)}.
    std::map<std::string, std::vector<std::string>> metadata;
    Value list(std::optional<Value> prefix, std::optional<Value> regex,
               std::optional<Value> metadata_all, std::optional<Value> metadata_any,
               std::optional<bool> return_metadata) {
        (void)prefix, (void)regex, (void)metadata_any, (void)return_metadata;
        const std::lock_guard lock(mutex);
        Value::Entries found;
        for (const auto& [name, uri] : names) {
            const auto& tags = metadata[name];
            bool all = true;
            for (const Value& wanted : metadata_all ? metadata_all->items() : Value::Items{}) {
                all = all && std::find(tags.begin(), tags.end(), wanted.as_string()) != tags.end();
            }
            if (all) {
                Value::Items listed(tags.begin(), tags.end());
                found.emplace_back(name, Value::list({uri.str(), Value::list(listed)}));
            }
        }
        return Value::dict(std::move(found));
    }
};

methods<TinyNameServer> tiny_name_server_methods() {
    return methods<TinyNameServer>()
        .expose("ping", &TinyNameServer::ping)
        .expose("lookup", &TinyNameServer::lookup, {"name"})
        .expose("list", &TinyNameServer::list,
                {"prefix", "regex", "metadata_all", "metadata_any", "return_metadata"});
}

TEST_P(DaemonProxy, PyroMetaResolvesThroughTheNameServer) {
    Daemon ns_daemon(loopback_config());
    auto ns = std::make_shared<TinyNameServer>();
    const Uri ns_uri = ns_daemon.register_object(ns, tiny_name_server_methods(), "Pyro.NameServer");
    auto ns_running = ns_daemon.run_in_background();
    ns->set("test.calculator", uri);
    ns->metadata["test.calculator"] = {"lab.calculator", "fast"};
    ns->set("test.other", daemon.uri_for("Pyro.Daemon"));
    ns->metadata["test.other"] = {"lab.calculator"};
    const std::string at = "@127.0.0.1:" + std::to_string(*ns_uri.port());

    Config config = loopback_config();
    config.serializer = std::string(serializer_name(GetParam()));
    // Only test.calculator carries both tags: the proxy must land on it, whatever it picks.
    Proxy meta("PYROMETA:fast,lab.calculator" + at, config);
    EXPECT_EQ(meta.call<int>("add", 2, 3), 5);
    EXPECT_EQ(meta.resolved_uri(), uri);
    EXPECT_THROW((void)Proxy("PYROMETA:no.such.tag" + at, config).bind(), NamingError);
    // And with no name server at all.
    EXPECT_THROW((void)Proxy("PYROMETA:no.such.tag@127.0.0.1:1", config).bind(), NamingError);
}

TEST(PyroName, ProxyFollowsTheNameWhenTheServerMoves) {
    Daemon ns_daemon(loopback_config());
    auto ns = std::make_shared<TinyNameServer>();
    const Uri ns_uri = ns_daemon.register_object(ns, tiny_name_server_methods(), "Pyro.NameServer");
    auto ns_running = ns_daemon.run_in_background();

    Proxy calculator("PYRONAME:lab.calculator@127.0.0.1:" + std::to_string(*ns_uri.port()),
                     loopback_config());
    {
        Daemon first(loopback_config());
        ns->set("lab.calculator", first.register_object(std::make_shared<Calculator>(),
                                                        calculator_methods(), "calc"));
        auto running = first.run_in_background();
        EXPECT_EQ(calculator.call<int>("add", 1, 2), 3);
    } // the first server stops; its connections close

    Daemon second(loopback_config());
    ns->set("lab.calculator",
            second.register_object(std::make_shared<Calculator>(), calculator_methods(), "calc"));
    auto running = second.run_in_background();
    // The proxy notices its idle connection died, looks the name up again and reconnects.
    EXPECT_EQ(calculator.call<int>("add", 2, 2), 4);
    EXPECT_EQ(calculator.resolved_uri().port(), second.port());
}

} // namespace
} // namespace pyro
