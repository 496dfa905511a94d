// Asynchronous calls (issue 15 item 2), each way: pyro::AsyncProxy and Future against the
// libpyro and the Python parity.calc servers (C++ -> C++, C++ -> Python), and Pyro4's asyncproxy
// (calc_client.py) against both (Python -> C++, and the same expectations against Python ->
// Python), json and serpent.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "calc_peers.hpp"
#include "pyro/pyro.hpp"

namespace pyro::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class AsyncParity : public CalcServerTest {};

// The call returns at once; ready() and wait(timeout) say "not yet" while the slow call runs;
// value() blocks until the result is there.
TEST_P(AsyncParity, ReadyAndWaitReportASlowCallUntilItsValueArrives) {
    Proxy calc = proxy();
    const AsyncProxy async(calc);
    const auto start = Clock::now();
    Future<int> sum = async.call<int>("slow_add", 1, 2, 1.5);
    EXPECT_LT(Clock::now() - start, scaled(500ms)) << "call() waited for the result";
    EXPECT_FALSE(sum.ready());
    EXPECT_FALSE(sum.wait(200ms)) << "wait(timeout) on a call still running";
    EXPECT_EQ(sum.value(), 3);
    EXPECT_TRUE(sum.ready());
    EXPECT_TRUE(sum.wait(0s));
    EXPECT_EQ(sum.value(), 3) << "value() can be read again";
}

// Each then() gets the previous result, once it is there, and its Future holds what it returns;
// a then() on a Future already ready runs at once.
TEST_P(AsyncParity, ThenChainsPassEachResultOn) {
    Proxy calc = proxy();
    const AsyncProxy async(calc);
    Future<int> sum = async.call<int>("slow_add", 2, 3, 0.3);
    Future<int> chained = sum.then([](int x) { return x * 10; }).then([](int x) { return x + 1; });
    Future<std::string> text = chained.then([](int x) { return "=" + std::to_string(x); });
    EXPECT_EQ(chained.value(), 51);
    EXPECT_EQ(text.value(), "=51");
    EXPECT_EQ(sum.value(), 5) << "then() leaves the Future it was called on as it was";
    Future<int> late = sum.then([](int x) { return x - 5; });
    EXPECT_TRUE(late.ready()) << "then() on a ready Future runs at once";
    EXPECT_EQ(late.value(), 0);
    // A then() that calls the server again: the chain orders the two calls.
    Future<int> nested = async.call<int>("add", 1, 1).then([&async](int x) {
        return async.call<int>("add", x, 40).value();
    });
    EXPECT_EQ(nested.value(), 42);
}

// A remote exception: value() rethrows it as its C++ class, the rest of the chain is skipped
// (each later Future holds the same exception) and iferror() handlers see it.
TEST_P(AsyncParity, ValueRethrowsTheRemoteExceptionAndSkipsTheChain) {
    Proxy calc = proxy();
    const AsyncProxy async(calc);
    std::mutex mutex;
    std::vector<std::string> handled;
    std::atomic<int> chain_runs = 0;
    Future<void> failing = async.call<void>("slow_fail", "bad", 0.5);
    failing.iferror([&](const std::exception& error) {
        const std::lock_guard lock(mutex);
        handled.emplace_back(error.what());
    });
    Future<int> after = failing.then([&] {
        ++chain_runs;
        return 1;
    });
    try {
        failing.value();
        ADD_FAILURE() << "value() did not rethrow";
    } catch (const RemoteError& error) {
        EXPECT_EQ(error_of(error), (std::vector<std::string>{"builtins.ValueError", "bad"}));
    }
    EXPECT_THROW((void)after.value(), RemoteError);
    EXPECT_EQ(chain_runs, 0);
    const std::lock_guard lock(mutex);
    EXPECT_EQ(handled, std::vector<std::string>{"bad"});
}

// Pyro4's order rules: each asynchronous call has a connection of its own, so two slow calls
// run at the same time, and the proxy the AsyncProxy was made from answers meanwhile.
TEST_P(AsyncParity, AsyncCallsHaveTheirOwnConnections) {
    Proxy calc = proxy();
    calc.bind();
    const AsyncProxy async(calc);
    const auto start = Clock::now();
    Future<int> first = async.call<int>("slow_add", 1, 1, 1.0);
    Future<int> second = async.call<int>("slow_add", 2, 2, 1.0);
    EXPECT_EQ(calc.call<int>("add", 3, 3), 6);
    EXPECT_LT(Clock::now() - start, scaled(700ms)) << "the plain proxy waited for the async calls";
    EXPECT_EQ(first.value() + second.value(), 6);
    EXPECT_LT(Clock::now() - start, scaled(1800ms)) << "the two slow calls ran one after the other";
}

// Python -> this server: Pyro4's own async proxy sees what AsyncProxy sees.
TEST_P(AsyncParity, PythonAsyncSeesTheSame) {
    const auto async = python_client("async");
    EXPECT_LT(async.at("call_took").to_number<double>(), 0.5 * time_factor);
    EXPECT_FALSE(async.at("ready_at_once").as_bool());
    EXPECT_FALSE(async.at("short_wait").as_bool());
    EXPECT_EQ(async.at("value").to_number<int>(), 3);
    EXPECT_EQ(async.at("chained").to_number<int>(), 51);
    EXPECT_EQ(json_pair(async.at("raised")),
              (std::vector<std::string>{"builtins.ValueError", "bad"}));
    EXPECT_EQ(boost::json::serialize(async.at("handled")), R"([["builtins.ValueError","bad"]])");

    const auto concurrent = python_client("async_concurrent");
    EXPECT_EQ(boost::json::serialize(concurrent.at("values")), "[2,4]");
    EXPECT_EQ(concurrent.at("quick").to_number<int>(), 6);
    EXPECT_LT(concurrent.at("quick_took").to_number<double>(), 0.7 * time_factor);
    EXPECT_LT(concurrent.at("both_took").to_number<double>(), 1.8 * time_factor);
}

INSTANTIATE_TEST_SUITE_P(Servers, AsyncParity, calc_params(), calc_param_name);

} // namespace
} // namespace pyro::test
