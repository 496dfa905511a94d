// C++ proxy <-> C++ daemon, in one process over loopback: every runtime feature.
#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"

namespace pyro {
namespace {

using namespace std::chrono_literals;

struct Calculator {
    std::atomic<int> oneway_calls{0};
    int scale = 1;

    int add(int a, int b) const { return (a + b) * scale; }
    std::string greet(const std::string& name) const noexcept { return "Hello, " + name + "!"; }
    void poke() noexcept { ++oneway_calls; }
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

TEST_P(DaemonProxy, Metadata) {
    Proxy p = proxy();
    const ObjectMetadata& meta = p.metadata();
    EXPECT_EQ(meta.methods.size(), 8u);
    EXPECT_EQ(meta.oneway, std::vector<std::string>{"poke"});
    EXPECT_EQ(meta.attrs, std::vector<std::string>{"scale"});
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
    p.call<void>("poke");
    p.call<void>("poke");
    for (int i = 0; i < 200 && servant->oneway_calls < 2; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(servant->oneway_calls, 2);
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

TEST_P(DaemonProxy, PyroMetaResolvesThroughTheNameServer) {
    EXPECT_THROW((void)Proxy("PYROMETA:no.such.tag@127.0.0.1:1", loopback_config()).bind(),
                 NamingError);
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

TEST(CommTimeout, DaemonDropsSilentClientsAndProxiesReconnect) {
    Config server_config = loopback_config();
    server_config.comm_timeout = 0.2;
    Daemon daemon(server_config);
    const Uri uri =
        daemon.register_object(std::make_shared<Calculator>(), calculator_methods(), "calc");
    auto running = daemon.run_in_background();

    Proxy proxy(uri, loopback_config());
    EXPECT_EQ(proxy.call<int>("add", 1, 2), 3);
    std::this_thread::sleep_for(600ms); // longer than the daemon's PYRO_COMMTIMEOUT
    // The daemon closed the idle connection; the proxy notices and connects again.
    EXPECT_EQ(proxy.call<int>("add", 2, 3), 5);
}

TEST(Signals, CtrlCBeforeTheLoopStillStopsItCleanly) {
    Daemon daemon(loopback_config());
    (void)daemon.register_object(std::make_shared<Calculator>(), calculator_methods(), "calc");
    daemon.handle_signals();
    // A server prints "ready" before it enters its loop; a Ctrl-C right then must not kill it.
    std::raise(SIGINT);
    daemon.request_loop(); // returns at once: the signal was remembered
    SUCCEED();
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
};

TEST(PyroName, ProxyFollowsTheNameWhenTheServerMoves) {
    Daemon ns_daemon(loopback_config());
    auto ns = std::make_shared<TinyNameServer>();
    const Uri ns_uri =
        ns_daemon.register_object(ns,
                                  methods<TinyNameServer>()
                                      .expose("ping", &TinyNameServer::ping)
                                      .expose("lookup", &TinyNameServer::lookup, {"name"}),
                                  "Pyro.NameServer");
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
