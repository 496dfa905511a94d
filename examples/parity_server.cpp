// example.parity: one object to try what Pyro4 offers beyond plain calls, from C++ or Python.
//   count(n)               an item stream 0..n-1 (the client iterates it lazily)
//   slow_add(a, b, secs)   a + b after `secs` seconds (try it as an asynchronous call)
//   make_counter()         a new object with next(), returned as a proxy (auto-proxy)
//   fail_at(i)             raises ValueError (put it in a batch to see the calls before it)
// Start a name server first (pyro-ns); the examples example-*-client talk to this server.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <pyro/pyro.hpp>

struct Counter {
    std::atomic<int> value{0};
    int next() { return value++; }
};

struct Parity {
    pyro::Generator<int> count(int n) {
        if (n < 0) {
            throw std::invalid_argument("count(n) needs n >= 0, got " + std::to_string(n));
        }
        for (int i = 0; i < n; ++i) {
            co_yield i;
        }
    }

    // Whole numbers add as whole numbers (as in Python), anything else as floats.
    pyro::Value slow_add(pyro::Value a, pyro::Value b, double seconds) {
        // A client may ask for anything: bounded, so no call holds a worker for long.
        if (!std::isfinite(seconds) || seconds < 0 || seconds > 30) {
            throw std::invalid_argument("slow_add: seconds must be from 0 to 30");
        }
        const auto number = [](const pyro::Value& v) { return v.is_integer() || v.is_float(); };
        if (!number(a) || !number(b)) {
            throw std::invalid_argument("slow_add: a and b must be numbers");
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        if (a.is_integer() && b.is_integer()) {
            std::int64_t sum = 0;
            if (!a.is_int() || !b.is_int() ||
                __builtin_add_overflow(a.as_int(), b.as_int(), &sum)) {
                // Never a silent change of value: this example adds whole numbers in 64 bits.
                throw pyro::RemoteError(
                    "builtins.OverflowError", // Python callers get OverflowError
                    "slow_add: whole numbers beyond 64 bits are not supported");
            }
            return pyro::Value(sum);
        }
        return pyro::Value(a.as_float() + b.as_float());
    }

    std::shared_ptr<Counter> make_counter() {
        auto counter = std::make_shared<Counter>();
        pyro::current_daemon().register_object(
            counter, pyro::methods<Counter>().expose("next", &Counter::next));
        return counter; // registered with the daemon: the client gets a proxy (PYRO_AUTOPROXY)
    }

    void fail_at(int i) { throw std::invalid_argument("fail_at(" + std::to_string(i) + ")"); }
};

int main() try {
    const pyro::Config config = pyro::Config::from_environment();
    pyro::Daemon daemon(config);
    const auto uri =
        daemon.register_object(std::make_shared<Parity>(),
                               pyro::methods<Parity>()
                                   .expose("count", &Parity::count, {"n"})
                                   .expose("slow_add", &Parity::slow_add, {"a", "b", "seconds"})
                                   .expose("make_counter", &Parity::make_counter)
                                   .expose("fail_at", &Parity::fail_at, {"i"}));
    pyro::NameServer ns = pyro::locate_ns(config);
    ns.register_name("example.parity", uri);
    std::cout << "example.parity at " << uri.str() << std::endl;
    daemon.request_loop(); // until Ctrl-C
    ns.remove("example.parity");
} catch (const std::exception& error) {
    std::cerr << "example-parity-server: " << error.what() << "\n";
    return 1;
}
