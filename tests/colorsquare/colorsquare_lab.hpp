// The colorsquare lab as real processes on loopback: a name server on a free port, the receiver,
// the transmitter. Which programs run is read when the test runs: the environment variables
// LAB_COLORSQUARE_RECEIVE and LAB_COLORSQUARE_TRANSMIT, else the ones CMake built
// (COLORSQUARE_RECEIVE, COLORSQUARE_TRANSMIT), so another program needs no rebuild. A student's
// programs are graded by tests/labs/lab_tests.py (the colorsquare_* scenarios); these tests use
// the kit receiver's --test-hooks.
// Every process is a ChildProcess: stopped by its PID when the test ends, pass or fail.
#pragma once

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <pyro/pyro.hpp>

#include "support/process.hpp"

namespace colorsquare::test {

using namespace std::chrono_literals;

// The program to run: the environment variable `variable` when set, else `built`.
inline std::string program_path(const char* variable, const char* built) {
    const char* chosen = std::getenv(variable);
    return chosen != nullptr && *chosen != '\0' ? chosen : built;
}
using pyro::test::ChildProcess;

class ColorsquareLab {
public:
    // Starts the name server on a free 127.0.0.1 port and waits until it answers.
    ColorsquareLab() {
        config_.broadcast_addrs = {"127.0.0.1"};
        ns_port_ = pyro::test::free_tcp_port();
        name_server_ = std::make_unique<ChildProcess>(
            std::vector<std::string>{LAB_NAME_SERVER, "-n", "127.0.0.1", "-p",
                                     std::to_string(ns_port_)},
            environment());
        const auto deadline = std::chrono::steady_clock::now() + 15s;
        while (true) {
            try {
                name_server().ping();
                break;
            } catch (const pyro::PyroError&) {
                if (std::chrono::steady_clock::now() > deadline || !name_server_->running()) {
                    throw std::runtime_error("the name server did not start: " +
                                             name_server_->describe());
                }
                std::this_thread::sleep_for(100ms);
            }
        }
    }

    [[nodiscard]] pyro::NameServer name_server() const {
        return pyro::locate_ns(config_, "127.0.0.1", ns_port_);
    }

    // The options that point a lab program at this name server.
    [[nodiscard]] std::vector<std::string> ns_options() const {
        return {"--ns-host", "127.0.0.1", "--ns-port", std::to_string(ns_port_)};
    }

    [[nodiscard]] static ChildProcess::Environment environment() {
        return {{"PYRO_BROADCAST_ADDRS", "127.0.0.1"}};
    }

    // Starts colorsquare-receive with the test hooks and waits until it has registered.
    std::unique_ptr<ChildProcess> start_receiver(std::vector<std::string> extra,
                                                 ChildProcess::Environment env = environment()) {
        std::vector<std::string> argv{program_path("LAB_COLORSQUARE_RECEIVE", COLORSQUARE_RECEIVE),
                                      "--test-hooks", "--host", "127.0.0.1"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        const auto ns = ns_options();
        argv.insert(argv.end(), ns.begin(), ns.end());
        auto receiver = std::make_unique<ChildProcess>(argv, std::move(env));
        if (!receiver->wait_for_line("Registered as 'example.colorsquare'", 20s)) {
            ADD_FAILURE() << "the receiver did not register\n" << receiver->describe();
        }
        return receiver;
    }

    [[nodiscard]] std::vector<std::string> transmitter_argv() const {
        std::vector<std::string> argv{
            program_path("LAB_COLORSQUARE_TRANSMIT", COLORSQUARE_TRANSMIT)};
        const auto ns = ns_options();
        argv.insert(argv.end(), ns.begin(), ns.end());
        return argv;
    }

    // Starts colorsquare-transmit (stdin is a pipe) and waits for its first prompt.
    std::unique_ptr<ChildProcess> start_transmitter() {
        auto transmitter = std::make_unique<ChildProcess>(transmitter_argv(), environment());
        if (!transmitter->wait_for_line("Connected to 'example.colorsquare'", 15s)) {
            ADD_FAILURE() << "the transmitter did not connect\n" << transmitter->describe();
        }
        return transmitter;
    }

    // A proxy to the receiver's object, found through the name server.
    [[nodiscard]] pyro::Proxy receiver_proxy() const {
        pyro::Proxy proxy(name_server().lookup("example.colorsquare"), config_);
        proxy.set_timeout(10s);
        return proxy;
    }

    [[nodiscard]] const pyro::Config& config() const { return config_; }

private:
    pyro::Config config_;
    int ns_port_ = 0;
    std::unique_ptr<ChildProcess> name_server_;
};

} // namespace colorsquare::test
