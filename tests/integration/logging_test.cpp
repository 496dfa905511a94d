// PYRO_LOGLEVEL and PYRO_LOGFILE end to end: a daemon and proxies in one process, configured
// through Config::from_environment as a program would be, write the lines log.hpp promises.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"

namespace pyro {
namespace {

using namespace std::chrono_literals;

struct Servant {
    int add(int a, int b) const { return a + b; }
    int fail() const { throw std::invalid_argument("no good"); }
    int slow() const {
        std::this_thread::sleep_for(400ms);
        return 1;
    }
};

methods<Servant> servant_methods() {
    return methods<Servant>()
        .expose("add", &Servant::add)
        .expose("fail", &Servant::fail)
        .expose("slow", &Servant::slow);
}

class LogFile {
public:
    LogFile() {
        std::random_device random;
        folder_ =
            std::filesystem::temp_directory_path() /
            ("pyro-logging-test-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
        std::filesystem::create_directories(folder_);
    }
    ~LogFile() {
        std::error_code ignored;
        std::filesystem::remove_all(folder_, ignored);
    }
    LogFile(const LogFile&) = delete;
    LogFile& operator=(const LogFile&) = delete;

    [[nodiscard]] std::string path() const { return (folder_ / "pyro.log").string(); }
    [[nodiscard]] std::string text() const {
        std::ifstream in(path(), std::ios::binary);
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }

private:
    std::filesystem::path folder_;
};

// The Config a program would read with these PYRO_* variables set.
Config config_from(std::map<std::string, std::string, std::less<>> variables) {
    variables.emplace("PYRO_HOST", "127.0.0.1");
    return Config::from_environment(
        [&variables](std::string_view name) -> std::optional<std::string> {
            const auto found = variables.find(name);
            return found == variables.end() ? std::nullopt : std::optional(found->second);
        });
}

// A daemon with an HMAC key; a good proxy that calls, fails a call and times out with one retry;
// a proxy asking for an object that is not there; a proxy with the wrong key. Returns the
// daemon's location ("127.0.0.1:port").
std::string run_session(const Config& config) {
    DaemonOptions options;
    options.hmac_key = "secret";
    Daemon daemon(config, options);
    const Uri uri =
        daemon.register_object(std::make_shared<Servant>(), servant_methods(), "test.servant");
    {
        const auto background = daemon.run_in_background();
        {
            Config client = config;
            client.hmac_key = "secret";
            Proxy proxy(uri, client);
            EXPECT_EQ(proxy.call<int>("add", 2, 3), 5);
            EXPECT_THROW((void)proxy.call<int>("fail"), RemoteError);

            client.max_retries = 1;
            Proxy impatient(uri, client);
            impatient.set_timeout(100ms);
            EXPECT_THROW((void)impatient.call<int>("slow"), TimeoutError);

            Proxy lost(daemon.uri_for("no.such.object"), client);
            EXPECT_THROW(lost.bind(), CommunicationError);
        }
        {
            Config intruder = config;
            intruder.hmac_key = "wrong";
            Proxy proxy(uri, intruder);
            // The CONNECTFAIL is signed with the daemon's key, so this proxy cannot trust it.
            EXPECT_THROW(proxy.bind(), SecurityError);
        }
    } // joins the daemon's thread: every line is written now
    return daemon.bound_location();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(Logging, DebugLevelWritesConnectionsHandshakesAndServantErrors) {
    LogFile log;
    const Config config = config_from({{"PYRO_LOGLEVEL", "debug"}, {"PYRO_LOGFILE", log.path()}});
    const std::string location = run_session(config);
    const std::string text = log.text();
    SCOPED_TRACE(text);

    // Every line in Pyro4's shape.
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        EXPECT_TRUE(line.starts_with("[") && contains(line, ",Pyro4.core,")) << line;
    }
    // The daemon.
    EXPECT_TRUE(contains(text, ",INFO] daemon " + location + " entering requestloop\n"));
    EXPECT_TRUE(contains(text, ",DEBUG] connection from 127.0.0.1:"));
    EXPECT_TRUE(contains(text, " accepted\n"));
    EXPECT_TRUE(contains(text, ",DEBUG] handshake from 127.0.0.1:"));
    EXPECT_TRUE(contains(text, ",WARNING] handshake from 127.0.0.1:"));
    EXPECT_TRUE(contains(text, " refused: message hmac mismatch\n"));
    EXPECT_TRUE(contains(text, ",INFO] test.servant.fail() called from 127.0.0.1:"));
    EXPECT_TRUE(contains(text, " raised: no good; sent back as builtins.ValueError\n"));
    EXPECT_TRUE(contains(text, " closed\n"));
    // The proxies.
    EXPECT_TRUE(contains(text, ",DEBUG] connecting to PYRO:test.servant@" + location + "\n"));
    EXPECT_TRUE(contains(text, ",DEBUG] connected to PYRO:test.servant@" + location + "\n"));
    EXPECT_TRUE(contains(text, ",INFO] receiving ('127.0.0.1', "));
    EXPECT_TRUE(contains(text, "): timeout after 0.1 s\n"));
    EXPECT_TRUE(contains(text, ",INFO] call slow() to PYRO:test.servant@" + location +
                                   " failed: receiving: timeout; retrying (1 of 1)\n"));
    EXPECT_TRUE(contains(text, ",INFO] connection to ('127.0.0.1', "));
    EXPECT_TRUE(contains(text, " rejected: unknown object\n"));
    EXPECT_TRUE(contains(text, " refused: unknown object\n"));
}

TEST(Logging, WarningLevelLeavesOutTheRoutine) {
    LogFile log;
    const Config config = config_from({{"PYRO_LOGLEVEL", "WARNING"}, {"PYRO_LOGFILE", log.path()}});
    (void)run_session(config);
    const std::string text = log.text();
    SCOPED_TRACE(text);
    EXPECT_TRUE(contains(text, ",WARNING] handshake from 127.0.0.1:"));
    EXPECT_FALSE(contains(text, ",DEBUG]"));
    EXPECT_FALSE(contains(text, ",INFO]"));
}

TEST(Logging, WithoutALevelNothingIsWrittenAndOnlyWarningsReachStderr) {
    LogFile log;
    const Config config = config_from({{"PYRO_LOGFILE", log.path()}});
    ::testing::internal::CaptureStderr();
    (void)run_session(config);
    const std::string stderr_text = ::testing::internal::GetCapturedStderr();
    EXPECT_FALSE(std::filesystem::exists(log.path())) << log.text();
    // The refused handshake is a problem a student should see; the routine is not.
    EXPECT_TRUE(contains(stderr_text, ",Pyro4.core,WARNING] handshake from 127.0.0.1:"))
        << stderr_text;
    EXPECT_FALSE(contains(stderr_text, ",DEBUG]")) << stderr_text;
    EXPECT_FALSE(contains(stderr_text, ",INFO]")) << stderr_text;
}

TEST(Logging, ALoggerGivenToTheDaemonIsUsedInsteadOfTheConfigs) {
    LogFile log;
    DaemonOptions options;
    options.logger = Logger(LogLevel::Debug, log.path());
    {
        const Daemon daemon(config_from({}), options); // the config alone would log nothing here
    }
    EXPECT_TRUE(contains(log.text(), ",Pyro4.core,DEBUG] daemon created on 127.0.0.1:"))
        << log.text();
}

} // namespace
} // namespace pyro
