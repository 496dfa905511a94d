// pyro-bench-registry: the name server's metadata and listing costs, and how other clients' lookups
// fare while one client's slow query runs (issue 10). Measured through real client connections to
// a Pyro.NameServer served by a Daemon in this process (memory storage); the table is filled
// directly, so only the calls measured go over the wire.
//
//   build-release/bin/pyro-bench-registry            10k and 100k names, 50,000 tags
//   build-release/bin/pyro-bench-registry --quick    smaller, for the ctest smoke run
//
// Prints one line per figure: "what: value unit".
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "nameserver/name_server_object.hpp"
#include "nameserver/registry.hpp"
#include "nameserver/storage.hpp"
#include "pyro/pyro.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds of this process (server and client threads together) during the last timed():
// on a shared, loaded machine wall time overstates the cost, so both are printed.
double last_cpu = 0;

double cpu_seconds() {
    timespec now{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

template <class F>
double timed(F&& f) {
    const auto start = Clock::now();
    const double cpu = cpu_seconds();
    f();
    last_cpu = cpu_seconds() - cpu;
    return seconds_since(start);
}

struct Server {
    std::shared_ptr<pyro::ns::Registry> registry =
        std::make_shared<pyro::ns::Registry>(pyro::ns::make_memory_storage());
    pyro::Daemon daemon;
    std::unique_ptr<pyro::Daemon::Background> background;
    std::string uri;

    explicit Server(const pyro::Config& config)
        : daemon(config, [] {
              pyro::DaemonOptions options;
              options.host = "127.0.0.1";
              return options;
          }()) {
        daemon.register_object(std::make_shared<pyro::ns::NameServerObject>(registry),
                               pyro::ns::NameServerObject::interface(),
                               std::string(pyro::ns::name_server_name));
        uri = daemon.uri_for(pyro::ns::name_server_name).str();
        registry->register_name(pyro::ns::name_server_name, uri, false,
                                {std::string(pyro::ns::name_server_class_tag)});
        background = daemon.run_in_background();
    }
    void fill(int count, const std::string& prefix) {
        for (int i = 0; i < count; ++i) {
            registry->register_name(prefix + std::to_string(i),
                                    "PYRO:obj_" + std::to_string(i) + "@127.0.0.1:5555", false,
                                    {"lab", "group" + std::to_string(i % 10)});
        }
    }
};

// Lookups on another connection while `slow` runs: their p50 and p99 in milliseconds.
template <class F>
std::pair<double, double> lookups_during(const std::string& uri, const pyro::Config& config,
                                         F&& slow) {
    std::atomic<bool> done{false};
    std::vector<double> latencies;
    std::thread looker([&] {
        pyro::NameServer ns{pyro::Proxy(uri, config)};
        ns.ping();
        while (!done) {
            const auto start = Clock::now();
            (void)ns.lookup("bench.name.1");
            latencies.push_back(seconds_since(start) * 1000.0);
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    slow();
    done = true;
    looker.join();
    std::sort(latencies.begin(), latencies.end());
    if (latencies.empty()) {
        return {0, 0};
    }
    const auto at = [&](double q) {
        return latencies[std::min(
            latencies.size() - 1,
            static_cast<std::size_t>(q * static_cast<double>(latencies.size())))];
    };
    return {at(0.50), at(0.99)};
}

} // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    pyro::Config config;
    config.comm_timeout = 60.0;
    Server server(config);
    pyro::NameServer ns{pyro::Proxy(server.uri, config)};

    // Metadata: one registration with many tags, then the queries over it.
    const int tag_count = quick ? 5000 : 50000;
    std::vector<std::string> tags;
    std::vector<std::string> other_tags;
    for (int i = 0; i < tag_count; ++i) {
        tags.push_back("tag" + std::to_string(i));
        other_tags.push_back("other" + std::to_string(i));
    }
    const pyro::Uri target = pyro::Uri::parse("PYRO:obj@127.0.0.1:5555");
    {
        const double wall = timed([&] { ns.register_name("bench.tags", target, false, tags); });
        std::printf("register with %d tags: %.3f s (cpu %.3f s)\n", tag_count, wall, last_cpu);
    }
    {
        const double wall = timed([&] { ns.set_metadata("bench.tags", other_tags); });
        std::printf("set_metadata with %d tags: %.3f s (cpu %.3f s)\n", tag_count, wall, last_cpu);
    }
    pyro::ListFilter all;
    all.metadata_all = other_tags;
    std::size_t found = 0;
    {
        const double wall = timed([&] { found = ns.list(all).size(); });
        std::printf("list(metadata_all=%d tags): %.3f s (cpu %.3f s)\n", tag_count, wall, last_cpu);
    }
    pyro::ListFilter any;
    any.metadata_any = other_tags;
    {
        const double wall = timed([&] { found += ns.list(any).size(); });
        std::printf("list(metadata_any=%d tags): %.3f s (cpu %.3f s)\n", tag_count, wall, last_cpu);
    }
    if (found != 2) {
        std::fprintf(stderr, "metadata queries found %zu rows, not 2\n", found);
        return 1;
    }
    (void)ns.remove("bench.tags");

    // Listing: every name, and a regex over every name.
    int filled = 0;
    for (const int count :
         quick ? std::vector<int>{1000, 10000} : std::vector<int>{10000, 100000}) {
        server.fill(count - filled, "bench.name.");
        filled = count;
        std::size_t listed = 0;
        {
            const double wall = timed([&] { listed = ns.list().size(); });
            std::printf("list() of %d names: %.3f s (cpu %.3f s)\n", count, wall, last_cpu);
        }
        pyro::ListFilter regex;
        regex.regex = R"(bench\.name\.\d*7$)";
        {
            const double wall = timed([&] { listed += ns.list(regex).size(); });
            std::printf("list(regex) over %d names: %.3f s (cpu %.3f s)\n", count, wall, last_cpu);
        }
        pyro::ListFilter metadata;
        metadata.metadata_any = std::vector<std::string>{"group3"};
        {
            const double wall = timed([&] { listed += ns.list(metadata).size(); });
            std::printf("list(metadata_any) over %d names: %.3f s (cpu %.3f s)\n", count, wall,
                        last_cpu);
        }
        if (listed < static_cast<std::size_t>(count)) {
            std::fprintf(stderr, "listed %zu of %d names\n", listed, count);
            return 1;
        }
    }

    // Fairness: other clients' lookups while a slow query runs.
    const auto [idle50, idle99] = lookups_during(
        server.uri, config, [] { std::this_thread::sleep_for(std::chrono::milliseconds(500)); });
    std::printf("lookup while idle: p50 %.3f ms, p99 %.3f ms\n", idle50, idle99);
    // Names that cost PCRE2 a few hundred thousand backtracking steps each (within the match
    // limit): 300 of them make a query of about a second.
    for (int i = 0; i < 300; ++i) {
        server.registry->register_name(std::string(120, 'a') + "d" + std::to_string(i) + "c",
                                       "PYRO:obj@127.0.0.1:5555", false, {});
    }
    pyro::ListFilter slow;
    slow.regex = "(?:a|b)*(?:a|b)*(?:a|b)*c";
    double took = 0;
    const auto [slow50, slow99] = lookups_during(server.uri, config, [&] {
        pyro::NameServer other{pyro::Proxy(server.uri, config)};
        took = timed([&] { (void)other.list(slow); });
    });
    std::printf("slow regex over %d names: %.3f s; lookups meanwhile: p50 %.3f ms, p99 %.3f ms\n",
                filled + 300, took, slow50, slow99);
    const auto [list50, list99] = lookups_during(server.uri, config, [&] {
        pyro::NameServer other{pyro::Proxy(server.uri, config)};
        took = timed([&] {
            for (int i = 0; i < 3; ++i) {
                (void)other.list();
            }
        });
    });
    std::printf("3 x list() of %d names: %.3f s; lookups meanwhile: p50 %.3f ms, p99 %.3f ms\n",
                filled, took, list50, list99);
    return 0;
}
