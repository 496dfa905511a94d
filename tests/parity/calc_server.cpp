// calc_server — the libpyro twin of calc_server.py, for the batch and async parity tests.
//
//   calc_server [PORT]        (PORT 0 or absent: a free port)
//
// Serves one Calc object as "parity.calc" on 127.0.0.1, prints "URI <uri>" and serves until
// SIGINT/SIGTERM. Both servers must behave alike: the tests run the same clients against each.
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pyro/pyro.hpp>

namespace {

class Calc {
public:
    std::int64_t add(std::int64_t a, std::int64_t b) const { return a + b; }
    pyro::Value echo(pyro::Value value) const { return value; }
    // std::invalid_argument travels as builtins.ValueError, as Python's raise ValueError.
    void fail(const std::string& message) const { throw std::invalid_argument(message); }
    void slow_fail(const std::string& message, double seconds) const {
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        fail(message);
    }
    std::int64_t slow_add(std::int64_t a, std::int64_t b, double seconds) const {
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        return a + b;
    }
    std::int64_t record(const pyro::Value& item) {
        const std::lock_guard lock(mutex_);
        recorded_.push_back(item);
        return static_cast<std::int64_t>(recorded_.size());
    }
    void slow_record(const pyro::Value& item, double seconds) {
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        record(item);
    }
    pyro::Value recorded() const {
        const std::lock_guard lock(mutex_);
        return pyro::Value::list(recorded_);
    }
    void reset() {
        const std::lock_guard lock(mutex_);
        recorded_.clear();
    }

private:
    mutable std::mutex mutex_;
    pyro::Value::Items recorded_;
};

} // namespace

int main(int argc, char** argv) {
    try {
        pyro::DaemonOptions options;
        options.host = "127.0.0.1";
        options.port = argc > 1 ? std::stoi(argv[1]) : 0;
        pyro::Daemon daemon(pyro::Config::from_environment(), options);
        const pyro::Uri uri = daemon.register_object(std::make_shared<Calc>(),
                                                     pyro::methods<Calc>()
                                                         .expose("add", &Calc::add)
                                                         .expose("echo", &Calc::echo)
                                                         .expose("fail", &Calc::fail)
                                                         .expose("slow_fail", &Calc::slow_fail)
                                                         .expose("slow_add", &Calc::slow_add)
                                                         .expose("record", &Calc::record)
                                                         .expose("slow_record", &Calc::slow_record)
                                                         .expose("recorded", &Calc::recorded)
                                                         .expose("reset", &Calc::reset),
                                                     "parity.calc");
        std::cout << "URI " << uri.str() << std::endl;
        daemon.request_loop();
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "calc_server: " << error.what() << "\n";
        return 1;
    }
}
