// Auto-proxies (Pyro4's AUTOPROXY): a servant method returning a registered object sends the
// client a Pyro4 proxy for it. C++ -> C++, Python Pyro4 -> libpyro and libpyro -> Python Pyro4,
// each with json and serpent.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"
#include "support/process.hpp"
#include "support/python.hpp"
#include "support/vectors.hpp"

namespace pyro::test {
namespace {

using namespace std::chrono_literals;

struct Counter {
    std::atomic<int> n{0};
    int next() { return n++; }
    int value() const { return n; }
};

methods<Counter> counter_methods() {
    return methods<Counter>().expose("next", &Counter::next).attribute("value", &Counter::value);
}

struct Factory {
    std::shared_ptr<Counter> kept = std::make_shared<Counter>();

    std::shared_ptr<Counter> make_counter() const {
        auto counter = std::make_shared<Counter>();
        current_daemon().register_object(counter, counter_methods());
        return counter;
    }
    std::vector<std::shared_ptr<Counter>> make_counters(int count) const {
        std::vector<std::shared_ptr<Counter>> out;
        for (int i = 0; i < count; ++i) {
            out.push_back(make_counter());
        }
        return out;
    }
    // Registered by the server up front (as "kept.counter"), returned every time.
    std::shared_ptr<Counter> same_counter() const { return kept; }
    std::shared_ptr<Counter> unregistered() const { return std::make_shared<Counter>(); }
};

methods<Factory> factory_methods() {
    return methods<Factory>()
        .expose("make_counter", &Factory::make_counter)
        .expose("make_counters", &Factory::make_counters, {"count"})
        .expose("same_counter", &Factory::same_counter)
        .expose("unregistered", &Factory::unregistered);
}

Config daemon_config(bool autoproxy = true) {
    Config config;
    config.host = "127.0.0.1";
    config.comm_timeout = 20.0;
    config.autoproxy = autoproxy;
    return config;
}

Config client_config(const std::string& serializer) {
    Config config;
    config.serializer = serializer;
    config.comm_timeout = 20.0;
    return config;
}

class AutoProxy : public ::testing::TestWithParam<std::string> {};

TEST_P(AutoProxy, CppClientGetsACallableProxyFromCppServer) {
    Daemon daemon(daemon_config());
    const auto servant = std::make_shared<Factory>();
    const Uri uri = daemon.register_object(servant, factory_methods(), "fac");
    daemon.register_object(servant->kept, counter_methods(), "kept.counter");
    const auto running = daemon.run_in_background();
    Proxy factory(uri, client_config(GetParam()));

    // On the wire: Pyro4's Proxy class dict, as Daemon.proxyFor makes it.
    const Value sent = factory.invoke("make_counter");
    ASSERT_EQ(sent.at("__class__"), Value("Pyro4.core.Proxy")) << sent.repr();
    const Value::Items& state = sent.at("state").items();
    ASSERT_EQ(state.size(), 9u) << sent.repr();
    const Uri counter_uri = Uri::parse(state[0].as_string());
    EXPECT_EQ(counter_uri.location(), uri.location());
    EXPECT_TRUE(counter_uri.object().starts_with("obj_")) << counter_uri.str();
    EXPECT_EQ(state[2].items(), Value::Items{Value("next")}) << sent.repr();
    EXPECT_EQ(state[3].items(), Value::Items{Value("value")}) << sent.repr();
    EXPECT_EQ(state[6], Value("hello"));
    const auto ids = daemon.registered();
    EXPECT_NE(std::find(ids.begin(), ids.end(), counter_uri.object()), ids.end());

    Proxy counter = factory.call<Proxy>("make_counter");
    counter.set_serializer(factory.serializer());
    EXPECT_EQ(counter.call<int>("next"), 0);
    EXPECT_EQ(counter.call<int>("next"), 1);
    EXPECT_EQ(counter.get<int>("value"), 2);

    auto counters = factory.call<std::vector<Proxy>>("make_counters", 2);
    ASSERT_EQ(counters.size(), 2u);
    EXPECT_NE(counters[0].uri().object(), counters[1].uri().object());
    EXPECT_EQ(counters[1].call<int>("next"), 0);

    EXPECT_EQ(factory.call<Proxy>("same_counter").uri().str(),
              factory.call<Proxy>("same_counter").uri().str());
    EXPECT_EQ(factory.call<Proxy>("same_counter").uri().object(), "kept.counter");
}

TEST_P(AutoProxy, UnregisteredObjectIsAClearError) {
    Daemon daemon(daemon_config());
    const Uri uri = daemon.register_object(std::make_shared<Factory>(), factory_methods());
    const auto running = daemon.run_in_background();
    Proxy factory(uri, client_config(GetParam()));
    try {
        (void)factory.invoke("unregistered");
        FAIL() << "an unregistered object was sent";
    } catch (const RemoteError& error) {
        EXPECT_EQ(error.python_class(), "builtins.TypeError");
        EXPECT_NE(std::string(error.what()).find("register it first"), std::string::npos)
            << error.what();
    }
}

TEST_P(AutoProxy, OffSendsNoProxy) {
    Daemon daemon(daemon_config(false));
    const Uri uri = daemon.register_object(std::make_shared<Factory>(), factory_methods());
    const auto running = daemon.run_in_background();
    Proxy factory(uri, client_config(GetParam()));
    try {
        (void)factory.invoke("make_counter");
        FAIL() << "a proxy was sent with PYRO_AUTOPROXY off";
    } catch (const RemoteError& error) {
        EXPECT_EQ(error.python_class(), "builtins.TypeError");
        EXPECT_NE(std::string(error.what()).find("PYRO_AUTOPROXY is off"), std::string::npos)
            << error.what();
    }
}

TEST_P(AutoProxy, PythonClientGetsACallableProxyFromCppServer) {
    Daemon daemon(daemon_config());
    const Uri uri = daemon.register_object(std::make_shared<Factory>(), factory_methods());
    const auto running = daemon.run_in_background();
    ChildProcess python({python_interpreter(), AUTOPROXY_SCRIPTS "/python_client.py", uri.str()},
                        python_environment({{"PYRO_SERIALIZER", GetParam()}}));
    const std::string out = python.read_all(Stream::Stdout, 30s);
    ASSERT_EQ(python.wait(10s), 0) << python.describe();
    EXPECT_NE(out.find("TYPE Pyro4.core.Proxy\n"), std::string::npos) << out;
    EXPECT_NE(out.find("OBJECT obj_"), std::string::npos) << out;
    EXPECT_NE(out.find("METHODS next\n"), std::string::npos) << out;
    EXPECT_NE(out.find("ATTRS value\n"), std::string::npos) << out;
    EXPECT_NE(out.find("NEXT 0 1 2\n"), std::string::npos) << out;
    EXPECT_NE(out.find("LIST Proxy,Proxy 0\n"), std::string::npos) << out;
    EXPECT_NE(out.find("DONE"), std::string::npos) << out;
}

TEST_P(AutoProxy, CppClientGetsACallableProxyFromPythonServer) {
    ChildProcess python({python_interpreter(), AUTOPROXY_SCRIPTS "/python_server.py",
                         std::to_string(free_tcp_port())},
                        python_environment({{"PYRO_SERIALIZERS_ACCEPTED", "json,serpent"}}));
    const auto line = python.wait_for_match(std::regex("^URI (PYRO:\\S+)$"), 20s);
    ASSERT_TRUE(line) << python.describe();
    Proxy factory((*line)[1], client_config(GetParam()));
    const Value sent = factory.invoke("make_counter");
    ASSERT_EQ(sent.at("__class__"), Value("Pyro4.core.Proxy")) << sent.repr();
    Proxy counter = factory.call<Proxy>("make_counter");
    counter.set_serializer(factory.serializer());
    EXPECT_TRUE(counter.uri().object().starts_with("obj_")) << counter.uri().str();
    EXPECT_EQ(counter.call<int>("next"), 0);
    EXPECT_EQ(counter.call<int>("next"), 1);
    factory.release();
    counter.release();
    python.terminate();
}

// examples/autoproxy_client.cpp against both servers, with the serializer from PYRO_SERIALIZER.
TEST_P(AutoProxy, ExampleClientCountsOnBothServers) {
    Daemon daemon(daemon_config());
    const Uri uri = daemon.register_object(std::make_shared<Factory>(), factory_methods());
    const auto running = daemon.run_in_background();
    ChildProcess python({python_interpreter(), AUTOPROXY_SCRIPTS "/python_server.py",
                         std::to_string(free_tcp_port())},
                        python_environment({{"PYRO_SERIALIZERS_ACCEPTED", "json,serpent"}}));
    const auto line = python.wait_for_match(std::regex("^URI (PYRO:\\S+)$"), 20s);
    ASSERT_TRUE(line) << python.describe();
    for (const std::string& server : {uri.str(), (*line)[1]}) {
        ChildProcess example({AUTOPROXY_EXAMPLE, server, "2"}, {{"PYRO_SERIALIZER", GetParam()}});
        const std::string out = example.read_all(Stream::Stdout, 30s);
        ASSERT_EQ(example.wait(10s), 0) << example.describe();
        EXPECT_TRUE(
            std::regex_search(out, std::regex("^counter at PYRO:obj_\\w+@127\\.0\\.0\\.1:\\d+\n"
                                              "next\\(\\) = 0\nnext\\(\\) = 1\n$")))
            << out;
    }
    python.terminate();
}

INSTANTIATE_TEST_SUITE_P(Serializers, AutoProxy, ::testing::Values("json", "serpent"),
                         [](const auto& info) { return info.param; });

} // namespace
} // namespace pyro::test
