// The liveness check before a call (a MSG_PEEK receive that finds a connection its server closed
// while it was idle, so the call goes to a fresh one): skipped when the connection's last
// answer came microseconds ago (BlockingSocket::idle, issue 12), made after any pause, and always
// made with PYRO_FAULTS, whose duplicated answers it must find. recv() is interposed here to
// count the checks, so these tests have an executable of their own.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <dlfcn.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"
#include "recording_server.hpp"
#include "support/time_limits.hpp"

namespace {
std::atomic<int> liveness_checks{0};
} // namespace

// Every recv() of the process, libpyro's included, comes here first.
extern "C" ssize_t recv(int fd, void* buffer, size_t size, int flags) {
    using Recv = ssize_t (*)(int, void*, size_t, int);
    static const auto real = reinterpret_cast<Recv>(::dlsym(RTLD_NEXT, "recv"));
    if ((flags & MSG_PEEK) != 0 && size == 1) {
        ++liveness_checks;
    }
    return real(fd, buffer, size, flags);
}

namespace pyro {
namespace {

using namespace std::chrono_literals;
using test::RecordingServer;

Config plain_config() {
    Config config;
    config.serializer = "json";
    config.comm_timeout = 5.0;
    config.metadata = false;
    return config;
}

TEST(ProxyLiveness, BackToBackCallsSkipTheCheckAPauseDoesNot) {
    if (test::time_factor > 1) {
        GTEST_SKIP() << "a sanitizer build's calls are too slow to come within the window";
    }
    RecordingServer server(SerializerKind::Json);
    Proxy proxy(server.uri(), plain_config());
    proxy.bind();
    constexpr int calls = 200;
    liveness_checks = 0;
    for (int i = 0; i < calls; ++i) {
        (void)proxy.invoke("echo", {Value(i)});
    }
    // Now and then the scheduler may stretch a gap past the window.
    EXPECT_LT(liveness_checks.load(), calls / 4);

    liveness_checks = 0;
    for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(2ms);
        (void)proxy.invoke("echo", {Value(i)});
    }
    EXPECT_EQ(liveness_checks.load(), 3);
}

TEST(ProxyLiveness, AConnectionClosedDuringAPauseIsReplaced) {
    RecordingServer server(SerializerKind::Json, {.close_after_reply = true});
    Config config = plain_config();
    config.max_retries = 0; // the check, not a retry, must save the second call
    Proxy proxy(server.uri(), config);
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(proxy.invoke("echo", {Value(i)}).is_none());
        std::this_thread::sleep_for(20ms); // the server's close arrives
    }
    EXPECT_EQ(server.connections(), 3);
}

TEST(ProxyLiveness, WithFaultsConfiguredEveryCallChecks) {
    RecordingServer server(SerializerKind::Json);
    Config config = plain_config();
    config.faults = "seed=1";
    Proxy proxy(server.uri(), config);
    proxy.bind();
    liveness_checks = 0;
    for (int i = 0; i < 20; ++i) {
        (void)proxy.invoke("echo", {Value(i)});
    }
    EXPECT_EQ(liveness_checks.load(), 20);
}

} // namespace
} // namespace pyro
