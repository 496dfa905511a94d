// The test helper ChildProcess: output capture, waiting for lines, exit codes, and above all that
// no child outlives its ChildProcess.
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/vectors.hpp"

namespace pyro::test {
namespace {

using namespace std::chrono_literals;

bool process_exists(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno != ESRCH;
}

TEST(ChildProcess, CapturesStdoutAndStderrSeparately) {
    ChildProcess child({"/bin/sh", "-c", "echo one; echo two >&2; echo three"});
    EXPECT_EQ(child.read_all(Stream::Stdout, 10s), "one\nthree\n");
    EXPECT_EQ(child.read_all(Stream::Stderr, 10s), "two\n");
    EXPECT_EQ(child.wait(10s), 0);
}

TEST(ChildProcess, WaitForLineFollowsTheOutputInOrder) {
    ChildProcess child(
        {"/bin/sh", "-c", "echo 'URI PYRO:a@h:1'; echo skip; echo 'URI PYRO:b@h:2'"});
    EXPECT_EQ(child.wait_for_line("URI", 10s), "URI PYRO:a@h:1");
    const auto match = child.wait_for_match(std::regex("^URI (\\S+)$"), 10s);
    ASSERT_TRUE(match);
    EXPECT_EQ((*match)[1], "PYRO:b@h:2");
    // The stream ends without another match: no waiting for the timeout.
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(child.wait_for_line("URI", 30s), std::nullopt);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(ChildProcess, WaitForLineTimesOut) {
    ChildProcess child({"sleep", "30"}); // looked up in PATH
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(child.wait_for_line("never", 200ms), std::nullopt);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
}

TEST(ChildProcess, LastLineWithoutNewline) {
    ChildProcess child({"/bin/sh", "-c", "printf 'partial'"});
    EXPECT_EQ(child.wait_for_line("part", 10s), "partial");
}

TEST(ChildProcess, ExtraEnvironmentReplacesVariables) {
    ChildProcess child({"/bin/sh", "-c", "echo \"$PATH|$PYRO_TEST_VALUE\""},
                       {{"PYRO_TEST_VALUE", "x y"}, {"PATH", "/bin:/usr/bin"}});
    EXPECT_EQ(child.read_all(Stream::Stdout, 10s), "/bin:/usr/bin|x y\n");
}

TEST(ChildProcess, ExitCodesAndSignals) {
    ChildProcess failing({"/bin/sh", "-c", "exit 3"});
    EXPECT_EQ(failing.wait(10s), 3);
    EXPECT_FALSE(failing.running());
    ChildProcess sleeper({"sleep", "30"});
    EXPECT_TRUE(sleeper.running());
    EXPECT_EQ(sleeper.wait(50ms), std::nullopt);
    sleeper.kill();
    EXPECT_EQ(sleeper.wait(10s), 128 + SIGKILL);
}

TEST(ChildProcess, TerminateEscalatesToSigkill) {
    ChildProcess stubborn({python_interpreter(), "-c",
                           "import signal, time\n"
                           "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                           "print('ready', flush=True)\n"
                           "time.sleep(60)\n"});
    ASSERT_TRUE(stubborn.wait_for_line("ready", 20s)) << stubborn.describe();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(stubborn.terminate(300ms), 128 + SIGKILL);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);

    ChildProcess polite({"sleep", "30"});
    EXPECT_EQ(polite.terminate(), 128 + SIGTERM);
}

TEST(ChildProcess, DestructorKillsAndReaps) {
    pid_t pid = 0;
    {
        ChildProcess child({"sleep", "30"});
        pid = child.pid();
        EXPECT_TRUE(process_exists(pid));
    }
    EXPECT_FALSE(process_exists(pid)); // killed and reaped: not even a zombie is left
}

TEST(ChildProcess, Stdin) {
    ChildProcess cat({"cat"});
    EXPECT_TRUE(cat.write_stdin("hello\n"));
    EXPECT_EQ(cat.wait_for_line("hello", 10s), "hello");
    cat.close_stdin();
    EXPECT_EQ(cat.wait(10s), 0);
    EXPECT_FALSE(cat.write_stdin("too late\n"));

    ChildProcess gone({"/bin/sh", "-c", "exec 0<&-; exec sleep 30"});
    std::this_thread::sleep_for(100ms);
    // The child closed its stdin: a failed write, not a SIGPIPE that kills the test.
    EXPECT_FALSE(gone.write_stdin(std::string(1 << 20, 'x')));
}

TEST(ChildProcess, MissingProgramThrows) {
    EXPECT_THROW(ChildProcess({"/nonexistent/program"}), std::runtime_error);
    EXPECT_THROW(ChildProcess({"no-such-program-anywhere"}), std::runtime_error);
}

TEST(ChildProcess, DescribeNamesTheCommandAndOutput) {
    ChildProcess child({"/bin/sh", "-c", "echo out; echo err >&2; exit 4"});
    EXPECT_EQ(child.wait(10s), 4);
    (void)child.read_all(Stream::Stderr, 10s);
    (void)child.read_all(Stream::Stdout, 10s);
    const std::string text = child.describe();
    EXPECT_NE(text.find("`/bin/sh -c"), std::string::npos) << text;
    EXPECT_NE(text.find("exit status 4"), std::string::npos) << text;
    EXPECT_NE(text.find("out\n"), std::string::npos) << text;
    EXPECT_NE(text.find("err\n"), std::string::npos) << text;
}

TEST(FreeTcpPort, GivesABindablePort) {
    const int port = free_tcp_port();
    EXPECT_GT(port, 0);
    EXPECT_LT(port, 65536);
    // A server can take it.
    ChildProcess server({python_interpreter(), "-c",
                         "import socket, sys\n"
                         "s = socket.socket()\n"
                         "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
                         "print('bound', flush=True)\n",
                         std::to_string(port)});
    EXPECT_EQ(server.wait_for_line("bound", 20s), "bound") << server.describe();
}

} // namespace
} // namespace pyro::test
