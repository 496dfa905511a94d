// interop_server — the C++ side of the interop tests: one daemon on 127.0.0.1 serving every
// feature a Python Pyro4 client can use (PYRO4-WIRE.md §5), so python_client.py can check them
// against the real Pyro4.
//
//   interop_server [PORT]        (PORT 0 or absent: a free port)
//
// Prints "URI <uri of interop.server>" and flushes, then serves until SIGINT/SIGTERM. The other
// objects live on the same daemon: interop.session (instance mode session) and interop.percall
// (instance mode percall). PYRO_* variables apply (PYRO_TRACE=1 prints every frame), except
// the host, which is always 127.0.0.1.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pyro/pyro.hpp>

namespace {

// The main servant: one instance for every client (instance mode single).
class Interop {
public:
    pyro::Value echo(pyro::Value value) const { return value; }

    std::int64_t add(std::int64_t a, std::int64_t b) const { return a + b; }
    std::string greet(const std::string& name) const { return "Hello, " + name + "!"; }
    std::vector<std::int64_t> reverse(std::vector<std::int64_t> items) const {
        return {items.rbegin(), items.rend()};
    }
    std::map<std::string, std::int64_t> word_lengths(const std::vector<std::string>& words) const {
        std::map<std::string, std::int64_t> out;
        for (const auto& word : words) {
            out[word] = static_cast<std::int64_t>(word.size());
        }
        return out;
    }
    std::optional<std::int64_t> maybe_double(std::optional<std::int64_t> x) const {
        if (!x) {
            return std::nullopt;
        }
        return *x * 2;
    }

    // std::invalid_argument travels as builtins.ValueError.
    void fail_value(const std::string& message) const { throw std::invalid_argument(message); }
    // Pyro4's own errors keep their class: Pyro4.errors.NamingError.
    void fail_naming(const std::string& name) const {
        throw pyro::NamingError("unknown name: " + name);
    }

    // Oneway: the caller does not wait; recorded() shows the effect.
    void record(const std::string& message) {
        const std::lock_guard lock(mutex_);
        recorded_.push_back(message);
    }
    void record_slowly(const std::string& message) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        record(message);
    }
    std::vector<std::string> recorded() const {
        const std::lock_guard lock(mutex_);
        return recorded_;
    }

    // Answers after `seconds`: for timeouts and for killing the server during a call.
    std::string slow(double seconds) const {
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        return "finally";
    }

    // A read-write attribute and a read-only one.
    std::string label() const {
        const std::lock_guard lock(mutex_);
        return label_;
    }
    void set_label(const std::string& label) {
        const std::lock_guard lock(mutex_);
        label_ = label;
    }
    std::string version() const { return "interop-1"; }

    // The observer pattern (§5.10): the argument may be a URI string, a URI or a Proxy.
    std::int64_t register_callback(pyro::Proxy callback) {
        // A callback that hangs must not hang fire() forever.
        callback.set_timeout(std::chrono::seconds(10));
        const std::lock_guard lock(callbacks_mutex_);
        callbacks_.push_back(std::move(callback));
        return static_cast<std::int64_t>(callbacks_.size());
    }
    // Calls update(message) on every registered callback; one that cannot be reached any more is
    // dropped. Returns how many were notified.
    std::int64_t fire(const std::string& message) {
        const std::lock_guard lock(callbacks_mutex_);
        std::int64_t notified = 0;
        std::vector<pyro::Proxy> alive;
        for (auto& callback : callbacks_) {
            try {
                callback.call<void>("update", message);
                ++notified;
                alive.push_back(std::move(callback));
            } catch (const pyro::CommunicationError& error) {
                std::cerr << "interop_server: dropping callback " << callback.uri().str() << ": "
                          << error.what() << std::endl;
            }
        }
        callbacks_ = std::move(alive);
        return notified;
    }
    std::int64_t callback_count() const {
        const std::lock_guard lock(callbacks_mutex_);
        return static_cast<std::int64_t>(callbacks_.size());
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> recorded_;
    std::string label_ = "initial";

    mutable std::mutex callbacks_mutex_;
    std::vector<pyro::Proxy> callbacks_;
};

// Registered as a class: the daemon makes the instances, as the mode says. Each instance has a
// serial number, so a client can tell which instance answered.
class Counter {
public:
    Counter() : serial_(next_serial++) {}
    std::int64_t increment() {
        const std::lock_guard lock(mutex_);
        return ++count_;
    }
    std::int64_t serial() const { return serial_; }

private:
    static inline std::atomic<std::int64_t> next_serial{1};
    std::mutex mutex_;
    std::int64_t count_ = 0;
    std::int64_t serial_;
};

pyro::methods<Interop> interop_methods() {
    return pyro::methods<Interop>()
        .expose("echo", &Interop::echo)
        .expose("add", &Interop::add, {"a", "b"})
        .expose("greet", &Interop::greet, {"name"})
        .expose("reverse", &Interop::reverse)
        .expose("word_lengths", &Interop::word_lengths)
        .expose("maybe_double", &Interop::maybe_double)
        .expose("fail_value", &Interop::fail_value)
        .expose("fail_naming", &Interop::fail_naming)
        .oneway("record", &Interop::record)
        .oneway("record_slowly", &Interop::record_slowly)
        .expose("recorded", &Interop::recorded)
        .expose("slow", &Interop::slow)
        .expose("register_callback", &Interop::register_callback)
        .expose("fire", &Interop::fire)
        .expose("callback_count", &Interop::callback_count)
        .attribute("label", &Interop::label, &Interop::set_label)
        .attribute("version", &Interop::version);
}

pyro::methods<Counter> counter_methods() {
    return pyro::methods<Counter>()
        .expose("increment", &Counter::increment)
        .expose("serial", &Counter::serial);
}

} // namespace

int main(int argc, char** argv) try {
    if (argc > 2) {
        std::cerr << "usage: interop_server [PORT]\n";
        return 2;
    }
    pyro::DaemonOptions options;
    options.host = "127.0.0.1";
    options.port = argc == 2 ? std::stoi(argv[1]) : 0;
    pyro::Daemon daemon(pyro::Config::from_environment(), options);
    const auto uri =
        daemon.register_object(std::make_shared<Interop>(), interop_methods(), "interop.server");
    daemon.register_class(counter_methods(), pyro::InstanceMode::Session, "interop.session");
    daemon.register_class(counter_methods(), pyro::InstanceMode::PerCall, "interop.percall");
    std::cout << "URI " << uri.str() << std::endl;
    daemon.request_loop();
    return 0;
} catch (const std::exception& error) {
    std::cerr << "interop_server: " << error.what() << std::endl;
    return 1;
}
