// The two parity.calc servers the batch and async parity tests talk to — calc_server.cpp
// (libpyro) and calc_server.py (Python Pyro4 4.82) — started on free 127.0.0.1 ports, and the
// Python client calc_client.py, run against either. Every test runs once per server and
// serializer: {cpp, python} x {json, serpent}.
#pragma once

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "pyro/pyro.hpp"
#include "support/process.hpp"
#include "support/python.hpp"
#include "support/time_limits.hpp"
#include "support/vectors.hpp"

namespace pyro::test {

// (server, serializer): server "cpp" or "python", serializer "json" or "serpent".
using CalcParam = std::tuple<std::string, std::string>;

inline std::string calc_param_name(const ::testing::TestParamInfo<CalcParam>& info) {
    return std::get<0>(info.param) + "_" + std::get<1>(info.param);
}

inline auto calc_params() {
    return ::testing::Combine(::testing::Values("cpp", "python"),
                              ::testing::Values("json", "serpent"));
}

// The server of the test's parameter, running for the fixture's lifetime (killed by pid after).
class CalcServerTest : public ::testing::TestWithParam<CalcParam> {
protected:
    void SetUp() override {
        const auto& [server, serializer] = GetParam();
        const std::string port = std::to_string(free_tcp_port());
        std::vector<std::string> argv =
            server == "cpp"
                ? std::vector<std::string>{PARITY_CALC_SERVER, port}
                : std::vector<std::string>{python_interpreter(),
                                           std::string(PARITY_SCRIPTS) + "/calc_server.py", port};
        process_ = std::make_unique<ChildProcess>(std::move(argv), python_environment());
        const auto match = process_->wait_for_match(std::regex("^URI (PYRO:\\S+)$"),
                                                    scaled(std::chrono::seconds(20)));
        ASSERT_TRUE(match) << "the " << server << " server did not start: " << process_->describe();
        uri_ = (*match)[1];
    }

    [[nodiscard]] std::string serializer() const { return std::get<1>(GetParam()); }

    [[nodiscard]] Config config() const {
        Config config;
        config.serializer = serializer();
        config.comm_timeout = 20.0;
        return config;
    }

    [[nodiscard]] Proxy proxy() const { return Proxy(uri_, config()); }

    // calc_client.py's JSON line for a scenario, run with this test's serializer.
    [[nodiscard]] boost::json::object python_client(const std::string& scenario) const {
        ChildProcess client(
            {python_interpreter(), std::string(PARITY_SCRIPTS) + "/calc_client.py", uri_, scenario},
            python_environment({{"PYRO_SERIALIZER", serializer()}}));
        const std::string out = client.read_all(Stream::Stdout, scaled(std::chrono::seconds(30)));
        const auto status = client.wait(scaled(std::chrono::seconds(10)));
        EXPECT_EQ(status, 0) << client.describe();
        boost::system::error_code error;
        const boost::json::value parsed = boost::json::parse(out, error);
        if (error || !parsed.is_object()) {
            ADD_FAILURE() << "calc_client.py " << scenario
                          << " printed no JSON object: " << client.describe();
            return {};
        }
        return parsed.as_object();
    }

    // What the server says its exception is: [python class, message].
    static std::vector<std::string> error_of(const RemoteError& error) {
        return {error.python_class(), error.what()};
    }

    std::unique_ptr<ChildProcess> process_;
    std::string uri_;
};

// A JSON ["class", "message"] pair as a vector, to compare with error_of().
inline std::vector<std::string> json_pair(const boost::json::value& value) {
    std::vector<std::string> out;
    for (const auto& item : value.as_array()) {
        out.emplace_back(item.as_string());
    }
    return out;
}

} // namespace pyro::test
