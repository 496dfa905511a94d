// Item streams (issue 15 item 3): a C++ servant method returning a generator is sent as Pyro4's
// item stream, and a C++ proxy iterates streams lazily; C++ -> C++, Python -> C++ (a real Pyro4
// client, stream_client.py) and C++ -> Python (a real Pyro4 daemon, stream_server.py), each with
// json and serpent: full iteration, early abandon, lifetime, linger, ITER_STREAMING off, an error
// in the middle, and the per-connection cap.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"
#include "support/process.hpp"
#include "support/python.hpp"
#include "support/vectors.hpp"

namespace pyro {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;

// Counts the generators the daemon has dropped (run to their end, closed, or expired).
struct Closed {
    explicit Closed(std::shared_ptr<std::atomic<int>> c) : count(std::move(c)) {}
    Closed(const Closed&) = delete;
    Closed& operator=(const Closed&) = delete;
    ~Closed() { ++*count; }
    std::shared_ptr<std::atomic<int>> count;
};

struct Streams {
    std::shared_ptr<std::atomic<int>> closed = std::make_shared<std::atomic<int>>(0);

    Generator<int> count(int n) {
        for (int i = 0; i < n; ++i) {
            co_yield i;
        }
    }
    // The guard is a parameter, so it lives in the coroutine frame from the call on: the count
    // moves whenever the daemon drops the generator, started or not.
    Generator<int> watched(int n) { return watched_body(n, std::make_unique<Closed>(closed)); }
    static Generator<int> watched_body(int n, std::unique_ptr<Closed> /*guard*/) {
        for (int i = 0; i < n; ++i) {
            co_yield i;
        }
    }
    Generator<int> fail_at(int n, int k) {
        for (int i = 0; i < n; ++i) {
            if (i == k) {
                throw std::invalid_argument("failed at " + std::to_string(k));
            }
            co_yield i;
        }
    }
    ItemStream letters() { return ItemStream::from_range(std::vector<std::string>{"a", "b", "c"}); }
    ItemStream ticks(int n) {
        return ItemStream::from_function([i = 0, n]() mutable -> std::optional<std::string> {
            return i < n ? std::optional<std::string>("tick " + std::to_string(i++)) : std::nullopt;
        });
    }
    int closed_count() const { return closed->load(); }
    std::vector<int> plain() const { return {1, 2, 3}; }
};

methods<Streams> streams_interface() {
    return std::move(methods<Streams>()
                         .expose("count", &Streams::count, {"n"})
                         .expose("watched", &Streams::watched, {"n"})
                         .expose("fail_at", &Streams::fail_at, {"n", "k"})
                         .expose("letters", &Streams::letters)
                         .expose("ticks", &Streams::ticks, {"n"})
                         .expose("closed_count", &Streams::closed_count)
                         .expose("plain", &Streams::plain));
}

// A libpyro daemon serving Streams as "streams" on a free 127.0.0.1 port.
struct CppServer {
    explicit CppServer(Config config = {}, DaemonOptions options = {})
        : daemon((config.host = "127.0.0.1", config), options),
          uri(daemon.register_object(servant, streams_interface(), "streams")),
          serving(daemon.run_in_background()) {}
    std::shared_ptr<Streams> servant = std::make_shared<Streams>();
    Daemon daemon;
    Uri uri;
    std::unique_ptr<Daemon::Background> serving;
};

// A real Pyro4 daemon (stream_server.py) with these PYRO_* settings.
struct PythonServer {
    explicit PythonServer(ChildProcess::Environment env)
        : process({test::python_interpreter(), std::string(STREAMS_SCRIPTS) + "/stream_server.py"},
                  test::python_environment(std::move(env))) {
        const auto match = process.wait_for_match(std::regex("^URI (\\S+)"), 20s);
        if (!match) {
            throw std::runtime_error("stream_server.py did not start: " + process.describe());
        }
        uri = (*match)[1];
    }
    ChildProcess process;
    std::string uri;
};

Config client_config(const std::string& serializer) {
    Config config;
    config.serializer = serializer;
    config.comm_timeout = 10.0;
    return config;
}

std::string daemon_uri(const std::string& streams_uri) {
    return std::regex_replace(streams_uri, std::regex("PYRO:streams@"), "PYRO:Pyro.Daemon@");
}

// Whether the server has forgotten stream `id`, asked on a connection of its own.
bool terminated(const std::string& streams_uri, const std::string& serializer,
                const std::string& id) {
    Proxy daemon(daemon_uri(streams_uri), client_config(serializer));
    try {
        (void)daemon.invoke("get_next_stream_item", {Value(id)});
    } catch (const PyroError& error) {
        return std::string(error.what()) == "item stream terminated";
    }
    return false;
}

template <class F>
bool eventually(F condition) {
    for (int i = 0; i < 200 && !condition(); ++i) {
        std::this_thread::sleep_for(25ms);
    }
    return condition();
}

std::vector<int> ints(Stream& stream) {
    std::vector<int> items;
    for (const Value& item : stream) {
        items.push_back(static_cast<int>(item.as_int()));
    }
    return items;
}

// The C++ proxy's checks, run against either server: `uri` is the "streams" object of a server
// with linger 5 s and no lifetime. `closed` reads how many generators the server dropped.
void full_iteration(const std::string& uri, const std::string& serializer) {
    Proxy proxy(uri, client_config(serializer));
    Stream stream = proxy.call<Stream>("count", 5);
    EXPECT_FALSE(stream.id().empty());
    EXPECT_EQ(ints(stream), (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_TRUE(stream.ended());
    EXPECT_EQ(stream.next(), std::nullopt);
    EXPECT_TRUE(terminated(uri, serializer, stream.id()));
    Stream empty = proxy.invoke_stream("count", {Value(0)});
    EXPECT_EQ(empty.next(), std::nullopt);
    // A list result iterates the same way.
    Stream plain = proxy.call<Stream>("plain");
    EXPECT_TRUE(plain.id().empty());
    EXPECT_EQ(ints(plain), (std::vector<int>{1, 2, 3}));
    // A plain call cannot hold a stream: it says how to iterate (and closes the stream).
    try {
        (void)proxy.call<int>("watched", 3);
        ADD_FAILURE() << "call<int> on a stream";
    } catch (const PyroError& error) {
        EXPECT_NE(std::string(error.what()).find("call<pyro::Stream>"), std::string::npos)
            << error.what();
    }
}

void early_abandon(const std::string& uri, const std::string& serializer) {
    Proxy proxy(uri, client_config(serializer));
    const int before = proxy.call<int>("closed_count");
    std::string id;
    {
        Stream stream = proxy.call<Stream>("watched", 100);
        id = stream.id();
        EXPECT_EQ(stream.next_as<int>(), 0);
        EXPECT_EQ(stream.next_as<int>(), 1);
    } // the destructor sends a oneway close_stream
    EXPECT_TRUE(eventually([&] { return proxy.call<int>("closed_count") == before + 1; }))
        << "the server did not drop the abandoned generator";
    EXPECT_TRUE(terminated(uri, serializer, id));
}

void error_midway(const std::string& uri, const std::string& serializer) {
    Proxy proxy(uri, client_config(serializer));
    Stream stream = proxy.call<Stream>("fail_at", 5, 2);
    EXPECT_EQ(stream.next_as<int>(), 0);
    EXPECT_EQ(stream.next_as<int>(), 1);
    try {
        (void)stream.next();
        ADD_FAILURE() << "no error from the generator";
    } catch (const RemoteError& error) {
        EXPECT_EQ(error.python_class(), "builtins.ValueError");
        EXPECT_STREQ(error.what(), "failed at 2");
    }
    EXPECT_TRUE(stream.ended());
    EXPECT_TRUE(terminated(uri, serializer, stream.id()));
}

void linger_reconnect(const std::string& uri, const std::string& serializer) {
    Proxy proxy(uri, client_config(serializer));
    Stream stream = proxy.call<Stream>("count", 10);
    EXPECT_EQ(stream.next_as<int>(), 0);
    proxy.release();
    EXPECT_THROW((void)stream.next(), ConnectionClosedError);
    proxy.bind(); // a new connection adopts the lingering stream
    EXPECT_EQ(ints(stream), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

class CppToCpp : public ::testing::TestWithParam<std::string> {};

TEST_P(CppToCpp, FullIteration) {
    Config config;
    config.iter_stream_linger = 5.0;
    CppServer server(config);
    full_iteration(server.uri.str(), GetParam());
    // The one stream not iterated to its end, by call<int>: closed by the proxy.
    EXPECT_TRUE(eventually([&] { return server.servant->closed_count() == 1; }));
    Proxy proxy(server.uri, client_config(GetParam()));
    std::vector<Value> ticks;
    for (const Value& tick : proxy.call<Stream>("ticks", 2)) {
        ticks.push_back(tick);
    }
    EXPECT_EQ(ticks, (std::vector<Value>{"tick 0", "tick 1"}));
}

TEST_P(CppToCpp, EarlyAbandonClosesTheGenerator) {
    CppServer server;
    early_abandon(server.uri.str(), GetParam());
    EXPECT_EQ(server.servant->closed_count(), 1);
}

TEST_P(CppToCpp, ErrorInTheMiddleEndsTheStream) {
    CppServer server;
    error_midway(server.uri.str(), GetParam());
}

TEST_P(CppToCpp, LifetimeExpiry) {
    Config config;
    config.iter_stream_lifetime = 0.5;
    CppServer server(config);
    Proxy proxy(server.uri, client_config(GetParam()));
    Stream stream = proxy.call<Stream>("watched", 10);
    EXPECT_EQ(stream.next_as<int>(), 0);
    EXPECT_EQ(stream.next_as<int>(), 1); // in use, but its age counts (as in Pyro4)
    std::this_thread::sleep_for(700ms);
    try {
        (void)stream.next();
        ADD_FAILURE() << "the stream outlived its lifetime";
    } catch (const PyroError& error) {
        EXPECT_STREQ(error.what(), "item stream terminated");
    }
    EXPECT_EQ(server.servant->closed_count(), 1);
    EXPECT_TRUE(stream.ended());
}

TEST_P(CppToCpp, LingerAfterDisconnectAndReconnect) {
    Config config;
    config.iter_stream_linger = 5.0;
    CppServer server(config);
    linger_reconnect(server.uri.str(), GetParam());
}

TEST_P(CppToCpp, LingerTimeEnds) {
    Config config;
    config.iter_stream_linger = 0.3;
    CppServer server(config);
    Proxy proxy(server.uri, client_config(GetParam()));
    Stream stream = proxy.call<Stream>("watched", 10);
    EXPECT_EQ(stream.next_as<int>(), 0);
    proxy.release();
    std::this_thread::sleep_for(600ms);
    proxy.bind();
    EXPECT_THROW((void)stream.next(), PyroError);
    EXPECT_EQ(server.servant->closed_count(), 1);
}

TEST_P(CppToCpp, NoLingerClosesWithTheConnection) {
    Config config;
    config.iter_stream_linger = 0.0;
    CppServer server(config);
    Proxy proxy(server.uri, client_config(GetParam()));
    Stream stream = proxy.call<Stream>("watched", 10);
    EXPECT_EQ(stream.next_as<int>(), 0);
    proxy.release();
    EXPECT_TRUE(eventually([&] { return server.servant->closed_count() == 1; }));
    proxy.bind();
    EXPECT_THROW((void)stream.next(), PyroError);
}

TEST_P(CppToCpp, IterStreamingOff) {
    Config config;
    config.iter_streaming = false;
    CppServer server(config);
    Proxy proxy(server.uri, client_config(GetParam()));
    try {
        (void)proxy.call<Stream>("watched", 3);
        ADD_FAILURE() << "a stream although iter_streaming is off";
    } catch (const ProtocolError& error) {
        EXPECT_STREQ(error.what(), "result of call is an iterator, but the server is not "
                                   "configured to allow streaming");
    }
    EXPECT_EQ(server.servant->closed_count(), 1); // dropped unread
    EXPECT_EQ(proxy.call<int>("closed_count"), 1);
}

TEST_P(CppToCpp, PerConnectionAndTotalCaps) {
    DaemonOptions options;
    options.max_streams_per_connection = 3;
    options.max_streams = 5;
    CppServer server({}, options);
    Proxy proxy(server.uri, client_config(GetParam()));
    std::vector<Stream> open;
    for (int i = 0; i < 3; ++i) {
        open.push_back(proxy.call<Stream>("count", 5));
    }
    try {
        (void)proxy.call<Stream>("count", 5);
        ADD_FAILURE() << "a 4th stream on one connection";
    } catch (const PyroError& error) {
        EXPECT_NE(std::string(error.what()).find("too many item streams open on this connection"),
                  std::string::npos)
            << error.what();
    }
    EXPECT_EQ(ints(open[0]), (std::vector<int>{0, 1, 2, 3, 4})); // the others still work
    open.push_back(proxy.call<Stream>("count", 5));              // room again
    Proxy other(server.uri, client_config(GetParam()));
    Stream fourth = other.call<Stream>("count", 1);
    Stream fifth = other.call<Stream>("count", 1);
    try {
        (void)other.call<Stream>("count", 1);
        ADD_FAILURE() << "a 6th stream in the daemon";
    } catch (const PyroError& error) {
        EXPECT_NE(std::string(error.what()).find("too many item streams open on the server"),
                  std::string::npos)
            << error.what();
    }
}

INSTANTIATE_TEST_SUITE_P(Serializers, CppToCpp, ::testing::Values("json", "serpent"));

// Python -> C++: the real Pyro4 client against the libpyro daemon.
class PythonToCpp : public ::testing::TestWithParam<std::string> {
protected:
    void run(const std::string& scenario, const CppServer& server) {
        ChildProcess client({test::python_interpreter(),
                             std::string(STREAMS_SCRIPTS) + "/stream_client.py", server.uri.str(),
                             GetParam(), scenario},
                            test::python_environment());
        const auto code = client.wait(60s);
        const std::string out = client.read_all(test::Stream::Stdout, 5s);
        EXPECT_EQ(code, 0) << out << client.read_all(test::Stream::Stderr, 5s);
        EXPECT_NE(out.find("PASS " + scenario), std::string::npos) << out;
    }
};

TEST_P(PythonToCpp, FullIteration) {
    CppServer server;
    run("full", server);
}

TEST_P(PythonToCpp, EarlyAbandon) {
    CppServer server;
    run("abandon", server);
    EXPECT_EQ(server.servant->closed_count(), 1);
}

TEST_P(PythonToCpp, LifetimeExpiry) {
    Config config;
    config.iter_stream_lifetime = 0.5;
    CppServer server(config);
    run("lifetime", server);
}

TEST_P(PythonToCpp, LingerAfterReconnect) {
    Config config;
    config.iter_stream_linger = 5.0;
    CppServer server(config);
    run("linger", server);
}

TEST_P(PythonToCpp, NoLinger) {
    Config config;
    config.iter_stream_linger = 0.0;
    CppServer server(config);
    run("no_linger", server);
}

TEST_P(PythonToCpp, IterStreamingOff) {
    Config config;
    config.iter_streaming = false;
    CppServer server(config);
    run("off", server);
}

TEST_P(PythonToCpp, ErrorInTheMiddle) {
    CppServer server;
    run("error", server);
}

TEST_P(PythonToCpp, NoStreamsInABatch) {
    CppServer server;
    run("batch", server);
}

TEST_P(PythonToCpp, PerConnectionCap) {
    DaemonOptions options;
    options.max_streams_per_connection = 3;
    CppServer server({}, options);
    run("cap", server);
}

INSTANTIATE_TEST_SUITE_P(Serializers, PythonToCpp, ::testing::Values("json", "serpent"));

// C++ -> Python: the libpyro proxy against the real Pyro4 daemon. PYRO_POLLTIMEOUT makes its
// housekeeping (lifetime and linger expiry) run every 0.2 s instead of 2 s.
class CppToPython : public ::testing::TestWithParam<std::string> {};

TEST_P(CppToPython, FullIteration) {
    PythonServer server(ChildProcess::Environment{{"PYRO_POLLTIMEOUT", "0.2"}});
    full_iteration(server.uri, GetParam());
}

TEST_P(CppToPython, EarlyAbandon) {
    PythonServer server(ChildProcess::Environment{{"PYRO_POLLTIMEOUT", "0.2"}});
    early_abandon(server.uri, GetParam());
}

TEST_P(CppToPython, ErrorInTheMiddle) {
    PythonServer server(ChildProcess::Environment{{"PYRO_POLLTIMEOUT", "0.2"}});
    error_midway(server.uri, GetParam());
}

TEST_P(CppToPython, LingerAfterReconnect) {
    PythonServer server(
        ChildProcess::Environment{{"PYRO_POLLTIMEOUT", "0.2"}, {"PYRO_ITER_STREAM_LINGER", "5"}});
    linger_reconnect(server.uri, GetParam());
}

TEST_P(CppToPython, LifetimeExpiry) {
    PythonServer server(ChildProcess::Environment{{"PYRO_POLLTIMEOUT", "0.2"},
                                                  {"PYRO_ITER_STREAM_LIFETIME", "0.5"}});
    Proxy proxy(server.uri, client_config(GetParam()));
    Stream stream = proxy.call<Stream>("watched", 10);
    EXPECT_EQ(stream.next_as<int>(), 0);
    EXPECT_TRUE(eventually([&] { return proxy.call<int>("closed_count") == 1; }));
    try {
        (void)stream.next();
        ADD_FAILURE() << "the stream outlived its lifetime";
    } catch (const PyroError& error) {
        EXPECT_STREQ(error.what(), "item stream terminated");
    }
}

TEST_P(CppToPython, IterStreamingOff) {
    PythonServer server(ChildProcess::Environment{{"PYRO_ITER_STREAMING", "false"}});
    Proxy proxy(server.uri, client_config(GetParam()));
    try {
        (void)proxy.call<Stream>("count", 3);
        ADD_FAILURE() << "a stream although ITER_STREAMING is off";
    } catch (const ProtocolError& error) {
        EXPECT_STREQ(error.what(), "result of call is an iterator, but the server is not "
                                   "configured to allow streaming");
    }
}

INSTANTIATE_TEST_SUITE_P(Serializers, CppToPython, ::testing::Values("json", "serpent"));

} // namespace
} // namespace pyro
