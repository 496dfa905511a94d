// A 1 MB call reuses the memory of the call before it (issue 12): libpyro raises glibc's mmap
// and trim thresholds, so the megabyte buffers of a large message stay in the heap between calls
// instead of going back to the kernel and being faulted in afresh (~1,000 page faults per 1 MB
// echo with glibc's defaults, more time than the serialization itself). Counted as page faults of
// this process, where both the daemon and the proxy run.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <sys/resource.h>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"

extern char** environ;

namespace pyro {
namespace {

struct Echo {
    Value echo(Value v) const { return v; }
};

long minor_faults() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

bool sanitized_build() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return true;
#else
    return false;
#endif
}

bool malloc_tuned_by_environment() {
    if (std::getenv("GLIBC_TUNABLES") != nullptr) {
        return true;
    }
    for (char** entry = environ; *entry != nullptr; ++entry) {
        if (std::strncmp(*entry, "MALLOC_", 7) == 0) {
            return true;
        }
    }
    return false;
}

class LargeMessageMemory : public ::testing::TestWithParam<const char*> {};

TEST_P(LargeMessageMemory, OneMegabyteCallsReuseTheirPages) {
    if (sanitized_build()) {
        GTEST_SKIP()
            << "the sanitizer's allocator replaces glibc's malloc, whose policy this checks";
    }
    if (malloc_tuned_by_environment()) {
        GTEST_SKIP()
            << "MALLOC_* or GLIBC_TUNABLES is set: libpyro leaves malloc as the user tuned it";
    }
    Config config;
    config.host = "127.0.0.1";
    config.serializer = GetParam();
    Daemon daemon(config);
    const Uri uri = daemon.register_object(std::make_shared<Echo>(),
                                           methods<Echo>().expose("echo", &Echo::echo), "echo");
    auto running = daemon.run_in_background();

    Proxy proxy(uri, config);
    const std::string payload(1024 * 1024, 'x');
    for (int i = 0; i < 3; ++i) { // the first calls grow the heap to what a call needs
        ASSERT_EQ(proxy.call<std::string>("echo", payload).size(), payload.size());
    }
    constexpr int calls = 20;
    const long before = minor_faults();
    for (int i = 0; i < calls; ++i) {
        ASSERT_EQ(proxy.call<std::string>("echo", payload).size(), payload.size());
    }
    const long per_call = (minor_faults() - before) / calls;
    // A fresh megabyte is 256 pages; each call handles several (frame, value, reply, both ends).
    EXPECT_LT(per_call, 64) << "page faults per 1 MB echo: the heap gives its pages back after "
                               "each call";
}

INSTANTIATE_TEST_SUITE_P(Serializers, LargeMessageMemory, ::testing::Values("serpent", "json"),
                         [](const auto& info) { return std::string(info.param); });

} // namespace
} // namespace pyro
