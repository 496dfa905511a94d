// C++ -> Python: libpyro proxies against the real Pyro4 4.82 — the stock pyro4-test-echoserver
// and python_peer_server.py — with json and with serpent, and a C++ callback object called back
// by the Python server.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "interop/peers.hpp"
#include "pyro/pyro.hpp"

namespace pyro {

// Readable values in GoogleTest failure messages.
static void PrintTo(const Value& value, std::ostream* out) {
    *out << value.repr();
}

namespace test {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

// The C++ callback object the Python server calls back (the observer of §5.10).
class Listener {
public:
    std::string update(const std::string& message) {
        const std::lock_guard lock(mutex_);
        received_.push_back(message);
        return "got " + message;
    }
    std::vector<std::string> received() const {
        const std::lock_guard lock(mutex_);
        return received_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> received_;
};

Config loopback_config(const std::string& serializer) {
    Config config;
    config.host = "127.0.0.1";
    config.serializer = serializer;
    config.comm_timeout = 20.0;
    return config;
}

// What a Python proxy learns in the handshake: [methods, oneway, attrs], each sorted.
std::vector<std::vector<std::string>> python_metadata(const std::string& uri) {
    ChildProcess python({python_interpreter(), "-c",
                         "import json, sys, Pyro4\n"
                         "p = Pyro4.Proxy(sys.argv[1])\n"
                         "p._pyroBind()\n"
                         "print(json.dumps([sorted(p._pyroMethods), sorted(p._pyroOneway), "
                         "sorted(p._pyroAttrs)]))\n",
                         uri},
                        python_environment());
    const std::string out = python.read_all(Stream::Stdout, 20s);
    EXPECT_EQ(python.wait(10s), 0) << python.describe();
    std::vector<std::vector<std::string>> lists;
    const boost::json::value parsed = boost::json::parse(out);
    for (const auto& list : parsed.as_array()) {
        auto& names = lists.emplace_back();
        for (const auto& name : list.as_array()) {
            names.emplace_back(name.as_string());
        }
    }
    return lists;
}

std::vector<std::string> sorted(std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    return names;
}

class PythonPeer : public ::testing::TestWithParam<std::string> {
protected:
    static void SetUpTestSuite() {
        echo_ = std::make_unique<Peer>(start_echo_server());
        peer_serpent_ = std::make_unique<Peer>(start_python_peer("serpent"));
        peer_json_ = std::make_unique<Peer>(start_python_peer("json"));
    }
    static void TearDownTestSuite() {
        echo_.reset();
        peer_serpent_.reset();
        peer_json_.reset();
    }
    void SetUp() override {
        ASSERT_FALSE(echo_->uri.empty());
        ASSERT_FALSE(peer_serpent_->uri.empty());
        ASSERT_FALSE(peer_json_->uri.empty());
    }

    bool serpent() const { return GetParam() == "serpent"; }
    Config config() const { return loopback_config(GetParam()); }
    Proxy echo_server() const { return Proxy(echo_->uri, config()); }
    // The peer whose callbacks speak the serializer under test too.
    const Peer& peer_process() const { return serpent() ? *peer_serpent_ : *peer_json_; }
    Proxy peer() const { return Proxy(peer_process().uri, config()); }

    // What a value comes back as after a trip through Python and json: tuples and sets become
    // lists (PYRO4-WIRE.md §6.5).
    Value via_json(const Value& value) const {
        if (serpent()) {
            return value;
        }
        switch (value.kind()) {
        case Value::Kind::Tuple:
        case Value::Kind::Set:
        case Value::Kind::List: {
            Value::Items items;
            for (const auto& item : value.items()) {
                items.push_back(via_json(item));
            }
            return Value::list(std::move(items));
        }
        case Value::Kind::Dict: {
            Value::Entries entries;
            for (const auto& [key, item] : value.entries()) {
                entries.emplace_back(key, via_json(item));
            }
            return Value::dict(std::move(entries));
        }
        default:
            return value;
        }
    }

    static std::unique_ptr<Peer> echo_;
    static std::unique_ptr<Peer> peer_serpent_;
    static std::unique_ptr<Peer> peer_json_;
};

std::unique_ptr<Peer> PythonPeer::echo_;
std::unique_ptr<Peer> PythonPeer::peer_serpent_;
std::unique_ptr<Peer> PythonPeer::peer_json_;

std::vector<Value> every_value_kind() {
    const double inf = std::numeric_limits<double>::infinity();
    return {
        Value(),
        Value(true),
        Value(false),
        Value(0),
        Value(-1),
        Value(std::numeric_limits<std::int64_t>::max()),
        Value(std::numeric_limits<std::int64_t>::min()),
        Value::big_int("18446744073709551616"),
        Value::big_int("-1267650600228229401496703205376"),
        Value(0.1),
        Value(-0.0),
        Value(1e300),
        Value(5e-324),
        Value(inf),
        Value(-inf),
        Value(std::nan("")),
        Value(""),
        Value("hello"),
        Value("quotes ' \" and \\ backslash"),
        Value("non-ASCII: \xc3\xb1"
              "and\xc3\xba \xe2\x82\xac \xe2\x98\x83 \xf0\x9f\x98\x80"),
        Value("control \n\t\r\x01\x7f and NUL \0 inside"s),
        Value::list(),
        Value::list({1, "two", 3.5, Value(), true}),
        Value::tuple({1, "two"}),
        Value::tuple({7}),
        Value::set({1, 2, 3}),
        Value::dict(),
        Value::dict({{"a", 1}, {"b", Value::list({2, 3})}, {"\xc3\xb1", Value()}}),
        Value::dict(
            {{"nested",
              Value::list(
                  {1, Value::list({2, Value::dict({{"deep", Value::tuple({"t", 1.5})}})})})},
             {"big", Value::big_int("1267650600228229401496703205376")}}),
    };
}

TEST_P(PythonPeer, EchoEveryValueKind) {
    Proxy echo = echo_server();
    for (const Value& value : every_value_kind()) {
        EXPECT_EQ(echo.call<Value>("echo", value), via_json(value)) << "sent " << value.repr();
    }
    if (serpent()) {
        // Only serpent has these: int keys, complex numbers, bytes (sent as a base64 dict, which
        // the Python side echoes as that dict).
        const Value int_keys = Value::dict({{1, "one"}, {-2, Value()}});
        EXPECT_EQ(echo.call<Value>("echo", int_keys), int_keys);
        const Value complex(Complex{1.5, -2.0});
        EXPECT_EQ(echo.call<Value>("echo", complex), complex);
        const Bytes bytes{0, 1, 2, 0xff, 'x'};
        EXPECT_EQ(echo.call<Bytes>("echo", bytes), bytes);
    }
}

TEST_P(PythonPeer, TypedCalls) {
    Proxy echo = echo_server();
    EXPECT_EQ(echo.call<std::string>("echo", std::string("hi")), "hi");
    EXPECT_EQ(echo.call<int>("echo", 42), 42);
    EXPECT_EQ(echo.call<std::vector<int>>("echo", std::vector<int>{1, 2, 3}),
              (std::vector<int>{1, 2, 3}));
    const std::map<std::string, double> map{{"x", 1.5}, {"y", -2.0}};
    EXPECT_EQ((echo.call<std::map<std::string, double>>("echo", map)), map);
    EXPECT_EQ(echo.call<std::optional<int>>("echo", Value()), std::nullopt);
    EXPECT_TRUE(std::isnan(echo.call<double>("nan")));
    EXPECT_EQ(echo.call<double>("inf"), std::numeric_limits<double>::infinity());
    EXPECT_EQ(echo.call<std::string>("__dunder__"), "should be allowed (dunder)");
}

TEST_P(PythonPeer, ValuesMadeByPython) {
    Proxy p = peer();
    const Value values = p.call<Value>("values");
    ASSERT_TRUE(values.is_dict()) << values.repr();
    const auto at = [&](const char* key) { return values.at(key); };
    EXPECT_EQ(at("str"), Value("\xc3\xb1"
                               "and\xc3\xba \"quoted\" 'single' \\ \xe2\x82\xac "
                               "\xf0\x9f\x98\x80"));
    EXPECT_EQ(at("empty"), Value(""));
    EXPECT_EQ(at("int"), Value(42));
    EXPECT_EQ(at("negative"), Value(-7));
    EXPECT_EQ(at("int64max"), Value(std::numeric_limits<std::int64_t>::max()));
    EXPECT_EQ(at("big"), Value::big_int("1267650600228229401496703205376"));
    EXPECT_EQ(at("negbig"), Value::big_int("-1208925819614629174706176"));
    EXPECT_EQ(at("float"), Value(1.5));
    EXPECT_EQ(at("inf"), Value(std::numeric_limits<double>::infinity()));
    EXPECT_EQ(at("neginf"), Value(-std::numeric_limits<double>::infinity()));
    EXPECT_TRUE(std::isnan(at("nan").as_float()));
    EXPECT_EQ(at("negzero"), Value(-0.0));
    EXPECT_TRUE(std::signbit(at("negzero").as_float()));
    EXPECT_EQ(at("true"), Value(true));
    EXPECT_EQ(at("false"), Value(false));
    EXPECT_EQ(at("none"), Value());
    EXPECT_EQ(at("list"), Value::list({1, "two", 3.0, Value()}));
    EXPECT_EQ(at("tuple"), via_json(Value::tuple({1, 2})));
    EXPECT_EQ(at("set"), via_json(Value::set({3})));
    EXPECT_EQ(at("dict"),
              Value::dict(
                  {{"a", Value::dict({{"b", Value::list({1, Value::dict({{"c", Value()}})})}})}}));
    if (serpent()) {
        EXPECT_EQ(at("intkeys"), Value::dict({{1, "one"}, {2, "two"}}));
    } else {
        EXPECT_EQ(at("intkeys"), Value::dict({{"1", "one"}, {"2", "two"}}));
    }
    // What Python receives from C++: the types it sees.
    EXPECT_EQ(p.call<std::string>("type_of", Value::tuple({1})), serpent() ? "tuple" : "list");
    EXPECT_EQ(p.call<std::string>("type_of", Value::set({1})), serpent() ? "set" : "list");
    EXPECT_EQ(p.call<std::string>("type_of", Value::big_int("1267650600228229401496703205376")),
              "int");
    EXPECT_EQ(p.call<std::string>("type_of", Value(1.0)), "float");
}

TEST_P(PythonPeer, RemoteExceptions) {
    Proxy echo = echo_server();
    try {
        echo.call<void>("error");
        FAIL() << "no exception";
    } catch (const RemoteError& e) {
        EXPECT_EQ(e.python_class(), "builtins.ValueError");
        EXPECT_STREQ(e.what(), "expected error from echoserver error() method");
        ASSERT_FALSE(e.remote_traceback().empty());
        EXPECT_EQ(e.remote_traceback().front(), "Traceback (most recent call last):\n");
        const std::string formatted = e.formatted_remote_traceback();
        EXPECT_NE(formatted.find("Remote traceback"), std::string::npos) << formatted;
        EXPECT_NE(formatted.find("echoserver.py"), std::string::npos) << formatted;
        EXPECT_NE(formatted.find("ValueError: expected error"), std::string::npos) << formatted;
    }
    Proxy p = peer();
    const std::string message = "bad value: \xc3\xb1 'quoted' \"double\"";
    try {
        p.call<void>("fail", message);
        FAIL() << "no exception";
    } catch (const RemoteError& e) {
        EXPECT_EQ(e.python_class(), "builtins.ValueError");
        EXPECT_EQ(e.what(), message);
        EXPECT_FALSE(e.remote_traceback().empty());
    }
    // Python's own TypeError for a wrong argument count.
    try {
        (void)echo.invoke("echo", {});
        FAIL() << "no exception";
    } catch (const RemoteError& e) {
        EXPECT_EQ(e.python_class(), "builtins.TypeError");
        EXPECT_NE(std::string(e.what()).find("echo()"), std::string::npos) << e.what();
    }
    // Not exposed: refused by the proxy, from the metadata, without a round trip.
    try {
        (void)echo.invoke("_private");
        FAIL() << "no exception";
    } catch (const RemoteError& e) {
        EXPECT_EQ(e.python_class(), "builtins.AttributeError");
    }
    // A Python generator result is an item stream: a plain invoke() cannot hold it and says
    // how to iterate it (call<pyro::Stream>, tests/parity/streams).
    try {
        (void)echo.invoke("generator");
        FAIL() << "no exception";
    } catch (const PyroError& e) {
        EXPECT_NE(std::string(e.what()).find("item stream"), std::string::npos) << e.what();
    }
    // The connection survives all of that.
    EXPECT_EQ(echo.call<int>("echo", 5), 5);
}

TEST_P(PythonPeer, Oneway) {
    Proxy echo = echo_server();
    const auto start = std::chrono::steady_clock::now();
    echo.call<void>("oneway_slow"); // sleeps 5 s in the server
    echo.call<void>("oneway_echo", "ignored");
    EXPECT_EQ(echo.call<std::string>("echo", std::string("right away")), "right away");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);

    Proxy p = peer();
    const std::string marker = "oneway " + GetParam();
    const auto sent = std::chrono::steady_clock::now();
    p.call<void>("record", marker); // sleeps 0.5 s before recording
    EXPECT_LT(std::chrono::steady_clock::now() - sent, 400ms);
    std::vector<std::string> recorded;
    for (int i = 0; i < 100; ++i) {
        recorded = p.call<std::vector<std::string>>("recorded");
        if (std::find(recorded.begin(), recorded.end(), marker) != recorded.end()) {
            break;
        }
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_NE(std::find(recorded.begin(), recorded.end(), marker), recorded.end());
}

TEST_P(PythonPeer, Attributes) {
    Proxy echo = echo_server();
    EXPECT_EQ(echo.get<bool>("verbose"), false);
    echo.set_attribute("verbose", true);
    EXPECT_EQ(echo.get<bool>("verbose"), true);
    echo.set_attribute("verbose", false);
    EXPECT_EQ(echo.get_attribute("verbose"), Value(false));

    Proxy p = peer();
    p.set_attribute("label", "set from C++ " + GetParam());
    EXPECT_EQ(p.get<std::string>("label"), "set from C++ " + GetParam());
    EXPECT_THROW((void)p.get_attribute("no_such_attribute"), RemoteError);
    EXPECT_THROW(p.set_attribute("no_such_attribute", 1), RemoteError);
}

TEST_P(PythonPeer, MetadataEqualsWhatPythonSees) {
    for (const std::string& uri : {echo_->uri, peer_process().uri}) {
        Proxy proxy(uri, config());
        const ObjectMetadata& meta = proxy.metadata();
        const auto python = python_metadata(uri);
        ASSERT_EQ(python.size(), 3u);
        EXPECT_EQ(sorted(meta.methods), python[0]) << uri;
        EXPECT_EQ(sorted(meta.oneway), python[1]) << uri;
        EXPECT_EQ(sorted(meta.attrs), python[2]) << uri;
    }
    // And what the echo server is known to expose (reference_outputs, PYRO4-WIRE.md §5.5).
    Proxy echo = echo_server();
    EXPECT_EQ(sorted(echo.metadata().oneway),
              (std::vector<std::string>{"oneway_echo", "oneway_slow"}));
    EXPECT_EQ(echo.metadata().attrs, std::vector<std::string>{"verbose"});
}

TEST_P(PythonPeer, DaemonObjectAndPing) {
    Proxy echo = echo_server();
    echo.ping();
    Proxy daemon("PYRO:Pyro.Daemon@" + Uri::parse(echo_->uri).location(), config());
    const auto registered = daemon.call<std::vector<std::string>>("registered");
    EXPECT_NE(std::find(registered.begin(), registered.end(), "test.echoserver"), registered.end());
}

TEST_P(PythonPeer, CallbackToCppObject) {
    Config daemon_config = loopback_config(GetParam());
    Daemon daemon(daemon_config);
    auto listener = std::make_shared<Listener>();
    const Uri uri = daemon.register_object(
        listener, methods<Listener>().expose("update", &Listener::update), "cpp.listener");
    const auto background = daemon.run_in_background();

    Proxy p = peer();
    // The callback as a Proxy (not yet bound, so without metadata), a bound Proxy (metadata
    // included), a URI object and a URI string (§5.10).
    Proxy unbound(uri, daemon_config);
    EXPECT_EQ(p.call<std::string>("type_of", unbound), "Proxy");
    EXPECT_EQ(p.call<std::string>("call_back", unbound, "via proxy"), "got via proxy");
    Proxy bound(uri, daemon_config);
    bound.bind();
    EXPECT_EQ(p.call<std::string>("call_back", bound, "via bound proxy"), "got via bound proxy");
    EXPECT_EQ(p.call<std::string>("type_of", uri), "URI");
    EXPECT_EQ(p.call<std::string>("call_back", uri, "via uri"), "got via uri");
    EXPECT_EQ(p.call<std::string>("call_back", uri.str(), "via text"), "got via text");
    EXPECT_EQ(listener->received(),
              (std::vector<std::string>{"via proxy", "via bound proxy", "via uri", "via text"}));
}

INSTANTIATE_TEST_SUITE_P(Serializers, PythonPeer, ::testing::Values("json", "serpent"),
                         [](const auto& info) { return info.param; });

} // namespace
} // namespace test
} // namespace pyro
