// Batch calls (issue 15 item 1), each way: a libpyro Batch against the libpyro and the Python
// parity.calc servers (C++ -> C++, C++ -> Python), and Pyro4's own batch (calc_client.py) against
// both (Python -> C++, and the same expectations against Python -> Python), json and serpent.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "calc_peers.hpp"
#include "pyro/pyro.hpp"

namespace pyro::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class BatchParity : public CalcServerTest {};

// Four calls, the third raising: the results before it are there in order, the failed one
// rethrows the server's exception, the fourth was never run; iterating stops at the failure.
TEST_P(BatchParity, ResultsInOrderUpToTheFailureInTheMiddle) {
    Proxy calc = proxy();
    Batch batch(calc);
    batch.call("add", 1, 2).call("echo", "two").call("fail", "boom").call("add", 5, 5);
    EXPECT_EQ(batch.size(), 4u);
    const BatchResults results = batch.run();
    EXPECT_TRUE(batch.empty()) << "a batch that ran is ready for new calls";
    EXPECT_EQ(results.calls(), 4u);
    ASSERT_EQ(results.size(), 3u) << "the server stops at the failure";
    EXPECT_FALSE(results.ok());
    EXPECT_EQ(results.failed_index(), 2u);
    EXPECT_EQ(results.get<int>(0), 3);
    EXPECT_EQ(results.get<std::string>(1), "two");
    try {
        (void)results.at(2);
        ADD_FAILURE() << "the failed call did not throw";
    } catch (const RemoteError& error) {
        EXPECT_EQ(error_of(error), (std::vector<std::string>{"builtins.ValueError", "boom"}));
    }
    try {
        (void)results.at(3);
        ADD_FAILURE() << "a call after the failure did not throw";
    } catch (const RemoteError&) {
        ADD_FAILURE() << "a call after the failure threw the failure's exception";
    } catch (const PyroError& error) {
        EXPECT_NE(std::string(error.what()).find("was not run"), std::string::npos) << error.what();
    }
    // As Pyro4's result generator: the values in order, then the exception.
    std::vector<Value> seen;
    try {
        for (const Value& value : results) {
            seen.push_back(value);
        }
        ADD_FAILURE() << "iterating did not reach the failure";
    } catch (const RemoteError& error) {
        EXPECT_EQ(error.python_class(), "builtins.ValueError");
    }
    EXPECT_EQ(seen, (std::vector<Value>{Value(3), Value("two")}));

    // Reused: a batch without failures.
    batch.call("add", 20, 22).call("echo", Value::list({1, "x"}));
    const BatchResults again = batch.run();
    EXPECT_TRUE(again.ok());
    EXPECT_EQ(again.get<int>(0), 42);
    EXPECT_EQ(again.at(1), Value::list({1, "x"}));
    EXPECT_EQ(calc.call<int>("add", 1, 1), 2) << "the proxy goes on after a batch";
}

// A method the object does not have fails the whole request on the server (Pyro4 looks each
// name up before running any): run() throws AttributeError and keeps the calls.
TEST_P(BatchParity, UnknownMethodFailsTheWholeBatch) {
    Proxy calc = proxy();
    Batch batch(calc);
    batch.call("add", 1, 2).call("no_such_method");
    try {
        (void)batch.run();
        ADD_FAILURE() << "run() did not throw";
    } catch (const RemoteError& error) {
        EXPECT_EQ(error.python_class(), "builtins.AttributeError");
        EXPECT_NE(std::string(error.what()).find("no_such_method"), std::string::npos)
            << error.what();
    }
    EXPECT_EQ(batch.size(), 2u);
}

// A oneway batch: run_oneway() does not wait for the (slow) calls; the server runs them all in
// order and, as for any batch, stops at the failure.
TEST_P(BatchParity, OnewayBatchDoesNotWaitAndTheServerRunsEveryCall) {
    Proxy calc = proxy();
    Proxy watcher = proxy();
    watcher.call<void>("reset");
    Batch batch(calc);
    batch.call("slow_record", "a", 1.0)
        .call("record", "b")
        .call("fail", "ignored")
        .call("record", "never");
    const auto start = Clock::now();
    batch.run_oneway();
    EXPECT_LT(Clock::now() - start, scaled(500ms)) << "run_oneway() waited for the calls";
    EXPECT_TRUE(batch.empty());
    const auto deadline = Clock::now() + scaled(10s);
    while (watcher.call<std::vector<std::string>>("recorded").size() < 2 &&
           Clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    std::this_thread::sleep_for(300ms); // a wrongly run "never" would be recorded by now
    EXPECT_EQ(watcher.call<std::vector<std::string>>("recorded"),
              (std::vector<std::string>{"a", "b"}));
}

// Pyro4's batch(asynchronous=True): run_async() returns at once, the Future holds the results.
TEST_P(BatchParity, AsyncBatchDeliversTheResultsLater) {
    Proxy calc = proxy();
    Batch batch(calc);
    batch.call("slow_add", 1, 2, 0.5).call("fail", "late");
    Future<BatchResults> future = batch.run_async();
    EXPECT_TRUE(batch.empty());
    EXPECT_FALSE(future.ready());
    const BatchResults results = future.value();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results.get<int>(0), 3);
    EXPECT_THROW((void)results.at(1), RemoteError);
}

// Python -> this server: Pyro4's own batch sees what the C++ Batch sees.
TEST_P(BatchParity, PythonBatchSeesTheSame) {
    const auto batch = python_client("batch");
    EXPECT_EQ(boost::json::serialize(batch.at("results")), R"([3,"two"])");
    EXPECT_EQ(json_pair(batch.at("error")),
              (std::vector<std::string>{"builtins.ValueError", "boom"}));
    EXPECT_EQ(boost::json::serialize(batch.at("again")), R"([42,[1,"x"]])");
    EXPECT_TRUE(batch.at("again_error").is_null());

    const auto unknown = python_client("batch_unknown");
    EXPECT_EQ(std::string(unknown.at("raised_at").as_string()), "run")
        << boost::json::serialize(unknown);
    const auto error = json_pair(unknown.at("error"));
    ASSERT_EQ(error.size(), 2u);
    EXPECT_EQ(error[0], "builtins.AttributeError");
    EXPECT_NE(error[1].find("no_such_method"), std::string::npos) << error[1];

    const auto oneway = python_client("batch_oneway");
    EXPECT_TRUE(oneway.at("returned").is_null());
    EXPECT_LT(oneway.at("elapsed").to_number<double>(), 0.5 * time_factor);
    EXPECT_EQ(boost::json::serialize(oneway.at("recorded")), R"(["a","b"])");

    const auto later = python_client("batch_async");
    EXPECT_FALSE(later.at("ready_at_once").as_bool());
    EXPECT_EQ(boost::json::serialize(later.at("results")), "[3]");
    EXPECT_EQ(json_pair(later.at("error")),
              (std::vector<std::string>{"builtins.ValueError", "late"}));
}

INSTANTIATE_TEST_SUITE_P(Servers, BatchParity, calc_params(), calc_param_name);

} // namespace
} // namespace pyro::test
