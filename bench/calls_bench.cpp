// Remote calls over loopback: a C++ proxy calling a C++ daemon in the same process.
#include <benchmark/benchmark.h>

#include <pyro/pyro.hpp>

namespace {

struct Calculator {
    int add(int a, int b) const { return a + b; }
    pyro::Value echo(const pyro::Value& v) const { return v; }
};

struct Server {
    pyro::Daemon daemon;
    pyro::Uri uri;
    std::unique_ptr<pyro::Daemon::Background> running;

    Server() : daemon(config()) {
        uri = daemon.register_object(std::make_shared<Calculator>(),
                                     pyro::methods<Calculator>()
                                         .expose("add", &Calculator::add)
                                         .expose("echo", &Calculator::echo),
                                     "bench.calculator");
        running = daemon.run_in_background();
    }
    static pyro::Config config() {
        pyro::Config c;
        c.host = "127.0.0.1";
        return c;
    }
};

Server& server() {
    static Server instance; // started once for all benchmarks of this program
    return instance;
}

void call_round_trip(benchmark::State& state, const char* serializer) {
    pyro::Config config = Server::config();
    config.serializer = serializer;
    pyro::Proxy proxy(server().uri, config);
    proxy.bind();
    int i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(proxy.call<int>("add", i, 1));
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
}

void echo_kilobytes(benchmark::State& state) {
    pyro::Proxy proxy(server().uri, Server::config());
    const pyro::Value payload(std::string(static_cast<std::size_t>(state.range(0)) * 1024, 'x'));
    for (auto _ : state) {
        benchmark::DoNotOptimize(proxy.call<pyro::Value>("echo", payload));
    }
    state.SetBytesProcessed(state.iterations() * state.range(0) * 1024 * 2);
}

} // namespace

BENCHMARK_CAPTURE(call_round_trip, json, "json")->UseRealTime();
BENCHMARK_CAPTURE(call_round_trip, serpent, "serpent")->UseRealTime();
BENCHMARK(echo_kilobytes)->Arg(1)->Arg(64)->Arg(1024)->UseRealTime();
// Several client threads at once, each with its own proxy: the daemon serves them in parallel.
BENCHMARK_CAPTURE(call_round_trip, json_threads, "json")->Threads(4)->UseRealTime();

BENCHMARK_MAIN();
