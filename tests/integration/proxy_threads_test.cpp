// One Proxy shared by 8 threads, as proxy.hpp allows: calls, metadata(), serializer(),
// set_serializer(), to_value() and resolved_uri() from every thread at once, while the daemon is
// restarted under them and the connection is cut (release()). Meant to run under ThreadSanitizer
// too (PYRO_TSAN): a member that hands out a reference into state a reconnect replaces, or reads
// a field outside the proxy's lock, is a data race there.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"
#include "support/process.hpp"

namespace pyro {
namespace {

using namespace std::chrono_literals;

struct Echo {
    Value echo(Value v) const { return v; }
};

constexpr int thread_count = 8;

class RestartableDaemon {
public:
    RestartableDaemon(Config config, int port) : config_(std::move(config)), port_(port) {
        start();
    }
    ~RestartableDaemon() { stop(); }
    RestartableDaemon(const RestartableDaemon&) = delete;
    RestartableDaemon& operator=(const RestartableDaemon&) = delete;

    void start() {
        DaemonOptions options;
        options.port = port_;
        daemon_ = std::make_unique<Daemon>(config_, options);
        daemon_->register_object(std::make_shared<Echo>(),
                                 methods<Echo>().expose("echo", &Echo::echo), "threads.echo");
        background_ = daemon_->run_in_background();
    }
    void stop() {
        background_.reset();
        daemon_.reset();
    }

private:
    Config config_;
    int port_;
    std::unique_ptr<Daemon> daemon_;
    std::unique_ptr<Daemon::Background> background_;
};

TEST(ProxyThreads, EightThreadsShareOneProxyAcrossRestartsAndCuts) {
    Config config;
    config.host = "127.0.0.1";
    config.comm_timeout = 5.0;
    const int port = test::free_tcp_port();
    RestartableDaemon daemon(config, port);
    Proxy proxy("PYRO:threads.echo@127.0.0.1:" + std::to_string(port), config);

    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::vector<std::atomic<int>> successes(thread_count);
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; !stop; ++i) {
                try {
                    const int sent = t * 1'000'000 + i;
                    EXPECT_EQ(proxy.call<int>("echo", sent), sent);
                    const ObjectMetadata meta = proxy.metadata();
                    EXPECT_EQ(meta.methods, std::vector<std::string>{"echo"});
                    EXPECT_EQ(proxy.serializer(), SerializerKind::Json);
                    proxy.set_serializer(SerializerKind::Json);
                    EXPECT_TRUE(proxy.to_value().find("state") != nullptr);
                    EXPECT_EQ(proxy.resolved_uri().port(), port);
                    if (t == 0 && i % 7 == 0) {
                        proxy.release(); // the connection cut under the others
                    }
                    ++successes[t];
                } catch (const CommunicationError&) {
                    ++failures; // the daemon is being restarted: expected now and then
                }
            }
        });
    }
    for (int restart = 0; restart < 3; ++restart) {
        std::this_thread::sleep_for(300ms);
        daemon.stop();
        std::this_thread::sleep_for(50ms);
        daemon.start();
    }
    // After the last restart every thread must get through again.
    for (auto& count : successes) {
        count = 0;
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    const auto all_through = [&] {
        for (const auto& count : successes) {
            if (count < 5) {
                return false;
            }
        }
        return true;
    };
    while (!all_through() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    stop = true;
    for (auto& thread : threads) {
        thread.join();
    }
    for (int t = 0; t < thread_count; ++t) {
        EXPECT_GE(successes[t], 5) << "thread " << t << " after the last restart";
    }
    EXPECT_GT(failures, 0) << "the restarts were not seen: the test did not test them";
}

} // namespace
} // namespace pyro
