// PYRO_FAULTS end to end: a live daemon and proxy over loopback, each fault as a client sees it.
// The seeds are not magic numbers: each test computes the connection ordinal its faulty
// connection will get and picks the first seed whose generator gives the pattern it needs,
// which is also the proof that the faults are a function of seed + ordinal.
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fault_injector.hpp"
#include "monitor_reporter.hpp"
#include "pyro/pyro.hpp"
#include "support/time_limits.hpp"

namespace pyro {
namespace {

using namespace std::chrono_literals;

struct Counter {
    std::atomic<int> calls{0};
    int increment() { return ++calls; }
    void poke() { ++calls; }
    int count() const { return calls; }
    // The timeout of a proxy made from an argument: the receiving daemon's, not the default.
    double timeout_of(Proxy observer) const {
        return observer.to_value().find("state")->items()[4].as_float();
    }
};

methods<Counter> counter_methods() {
    return methods<Counter>()
        .expose("increment", &Counter::increment)
        .oneway("poke", &Counter::poke)
        .expose("count", &Counter::count)
        .expose("timeout_of", &Counter::timeout_of);
}

Config loopback(std::string faults = {}) {
    Config config;
    config.host = "127.0.0.1";
    config.comm_timeout = 5.0;
    config.faults = std::move(faults);
    return config;
}

// A pattern letter per message: '.' passes, 'D' drop, '2' duplicate (no delay), 'C' cut.
char letter(const detail::FaultDecision& decision) {
    if (decision.cut) {
        return 'C';
    }
    if (decision.drop) {
        return 'D';
    }
    if (decision.duplicate) {
        return '2';
    }
    return decision.any() ? '?' : '.';
}

// `rest` with the first seed whose connections `ordinal`, `ordinal` + 1, … start with
// `patterns`.
std::string seeded(const std::string& rest, std::uint64_t ordinal,
                   const std::vector<std::string>& patterns) {
    for (std::uint64_t seed = 0; seed < 100000; ++seed) {
        const std::string spec = "seed=" + std::to_string(seed) + "," + rest;
        bool all = true;
        for (std::size_t k = 0; k < patterns.size() && all; ++k) {
            detail::FaultConnection connection(detail::parse_fault_spec(spec), ordinal + k, false);
            std::string got;
            for (std::size_t i = 0; i < patterns[k].size(); ++i) {
                got += letter(connection.next());
            }
            all = got == patterns[k];
        }
        if (all) {
            return spec;
        }
    }
    ADD_FAILURE() << "no seed gives " << patterns.front();
    return rest;
}

// The ordinal the next faulty connection of this process will get (nothing else opens one
// while a test runs).
std::uint64_t next_ordinal() {
    return detail::next_fault_connection_ordinal() + 1;
}

struct Served {
    explicit Served(Config config) : daemon(std::move(config)) {
        uri = daemon.register_object(counter, counter_methods(), "counter");
        running = daemon.run_in_background();
    }
    std::shared_ptr<Counter> counter = std::make_shared<Counter>();
    Daemon daemon;
    Uri uri;
    std::unique_ptr<Daemon::Background> running;
};

bool eventually(const std::function<bool()>& condition) {
    for (int i = 0; i < 200 && !condition(); ++i) {
        std::this_thread::sleep_for(10ms);
    }
    return condition();
}

TEST(Faults, DroppedRequestTimesTheCallOut) {
    // Server side: CONNECT and CONNECTOK pass, the INVOKE is lost.
    Served server(loopback(seeded("drop=0.5", next_ordinal(), {"..D"})));
    Config client = loopback();
    client.comm_timeout = 0.5;
    Proxy proxy(server.uri, client);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW((void)proxy.call<int>("increment"), TimeoutError);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 500ms);
    EXPECT_EQ(server.counter->count(), 0);
}

TEST(Faults, OnewayCallIsLostSilently) {
    // Server side: the oneway INVOKE (message 3) is lost, the next call and its reply pass.
    Served server(loopback(seeded("drop=0.5", next_ordinal(), {"..D.."})));
    Proxy proxy(server.uri, loopback());
    proxy.invoke_oneway("poke"); // returns at once: a oneway call has no answer to miss
    // Sent after the poke on the same connection, so it is served after the poke would be.
    EXPECT_EQ(proxy.call<int>("count"), 0);
}

TEST(Faults, CloseAfterIsAConnectionClosedErrorThenARetrySucceeds) {
    // Server side: its first connection is cut after message 3, the INVOKE, before running it.
    Served server(loopback("close-after=3"));
    Proxy proxy(server.uri, loopback());
    EXPECT_THROW((void)proxy.call<int>("increment"), ConnectionClosedError);
    EXPECT_EQ(server.counter->count(), 0);
    EXPECT_EQ(proxy.call<int>("increment"), 1); // a fresh connection is not cut

    Served again(loopback("close-after=3"));
    Config retrying = loopback();
    retrying.max_retries = 1;
    Proxy patient(again.uri, retrying);
    EXPECT_EQ(patient.call<int>("increment"), 1);
}

TEST(Faults, ClientCutAfterSendingRunsTheCallTwiceOnRetry) {
    // Client side: the INVOKE is sent, then the connection cut; the retry sends it again. The
    // server has no way to tell: the call ran twice (at-least-once).
    Served server(loopback());
    Config client = loopback("close-after=3");
    client.max_retries = 1;
    Proxy proxy(server.uri, client);
    // The cut connection's call and the retry's arrive on two connections, which the daemon's
    // worker threads serve side by side: either may run first.
    const int result = proxy.call<int>("increment");
    EXPECT_TRUE(result == 1 || result == 2) << result;
    for (int i = 0; i < 200 && server.counter->count() < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(server.counter->count(), 2);
}

TEST(Faults, DuplicatedRequestRunsTwiceAndTheExtraReplyIsDiscarded) {
    // Client side: the INVOKE goes twice, so the server runs it twice and answers twice. The
    // connection made afresh afterwards passes its messages untouched.
    Served server(loopback());
    Proxy proxy(server.uri, loopback(seeded("dup=0.5", next_ordinal(), {"..2.", "...."})));
    EXPECT_EQ(proxy.call<int>("increment"), 1);
    EXPECT_TRUE(eventually([&] { return server.counter->count() == 2; }));
    std::this_thread::sleep_for(100ms); // the second reply reaches the client's socket
    // The stale reply is found before the next request and the connection started afresh, so
    // the next call gets its own answer, not the duplicate (with seq 1).
    EXPECT_EQ(proxy.call<int>("increment"), 3);
}

TEST(Faults, DelayedMessagesAddTheirLatency) {
    Served server(loopback());
    Proxy proxy(server.uri, loopback("seed=5,delay=100-150ms"));
    proxy.bind(); // the handshake's two messages, delayed too
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(proxy.call<int>("increment"), 1);
    const auto took = std::chrono::steady_clock::now() - start;
    // Two delayed messages, the INVOKE and its RESULT.
    EXPECT_GE(took, 200ms);
    EXPECT_LT(took, test::scaled(300ms + 250ms)); // slack for a loaded machine
}

TEST(Faults, MonitorDatagramNamesTheFault) {
    Message message;
    message.type = MessageType::Ping;
    message.serializer_id = 4;
    const std::string datagram = detail::monitor_datagram(
        {"t", 1, "proxy"}, detail::MonitorDirection::Sent, "a:1", "b:2", message, 0.0, "drop");
    EXPECT_NE(datagram.find(R"("fault":"drop")"), std::string::npos);
    EXPECT_EQ(detail::monitor_datagram({"t", 1, "proxy"}, detail::MonitorDirection::Sent, "a:1",
                                       "b:2", message, 0.0)
                  .find("fault"),
              std::string::npos);
}

TEST(ReceivedProxies, TakeTheReceivingDaemonsConfig) {
    Config daemon_config = loopback();
    daemon_config.comm_timeout = 7.5;
    Served server(daemon_config);
    Proxy proxy(server.uri, loopback());
    // The argument is a URI string; the servant makes a Proxy of it (convert<Proxy>).
    EXPECT_DOUBLE_EQ(proxy.call<double>("timeout_of", server.uri.str()), 7.5);
    // Outside a servant call, the defaults.
    EXPECT_DOUBLE_EQ(server.counter->timeout_of(convert<Proxy>::from(Value(server.uri.str()))),
                     0.0);
}

} // namespace
} // namespace pyro
