// Python -> C++: the real Pyro4 4.82 (python_client.py) against libpyro's interop_server, once
// with Pyro4's default serializer (serpent) and once with PYRO_SERIALIZER=json.
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/vectors.hpp"

namespace pyro::test {
namespace {

using namespace std::chrono_literals;

class PythonClient : public ::testing::TestWithParam<std::string> {};

TEST_P(PythonClient, AllChecksPass) {
    const std::string serializer = GetParam();
    ChildProcess server({INTEROP_SERVER, std::to_string(free_tcp_port())});
    const auto uri = server.wait_for_match(std::regex("^URI (PYRO:\\S+)$"), 10s);
    ASSERT_TRUE(uri) << server.describe();

    ChildProcess::Environment env{{"PYTHONUNBUFFERED", "1"}, {"PYTHONDONTWRITEBYTECODE", "1"}};
    if (serializer != "serpent") {
        env.emplace_back("PYRO_SERIALIZER", serializer);
    }
    ChildProcess client({python_interpreter(), std::string(INTEROP_SCRIPTS) + "/python_client.py",
                         (*uri)[1], serializer},
                        env);
    const auto summary =
        client.wait_for_match(std::regex("^SUMMARY passed=(\\d+) failed=(\\d+)$"), 120s);
    const auto status = client.wait(10s);
    ASSERT_TRUE(summary) << client.describe() << "\n" << server.describe();
    EXPECT_EQ((*summary)[2], "0") << client.describe() << "\n" << server.describe();
    // Every check ran (a check that silently vanished would hide a gap).
    EXPECT_GE(std::stoi((*summary)[1]), 31) << client.describe();
    EXPECT_EQ(status, 0) << client.describe();
    EXPECT_TRUE(server.running()) << server.describe();
}

INSTANTIATE_TEST_SUITE_P(Serializers, PythonClient, ::testing::Values("serpent", "json"),
                         [](const auto& info) { return info.param; });

} // namespace
} // namespace pyro::test
