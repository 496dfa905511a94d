// fault_client URI SECONDS — libpyro's side of the kill -9 fault (tests/faults/fault_tests.py):
// calls echo() on URI (a PYRONAME: URI) over and over for at most SECONDS, and prints a line
// each time what it sees changes: "ok", or the error's class and message. It stops early once it
// has seen an error and then calls that succeed again, and prints "recovered" (exit 0), or
// "not recovered" (exit 1) when the time runs out first.
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include <pyro/pyro.hpp>

namespace {

// The most specific class the driver asserts on; the order matters (derived classes first).
std::string class_of(const pyro::PyroError& error) {
    if (dynamic_cast<const pyro::ConnectionClosedError*>(&error) != nullptr) {
        return "ConnectionClosedError";
    }
    if (dynamic_cast<const pyro::TimeoutError*>(&error) != nullptr) {
        return "TimeoutError";
    }
    if (dynamic_cast<const pyro::ConnectionRefusedError*>(&error) != nullptr) {
        return "ConnectionRefusedError";
    }
    if (dynamic_cast<const pyro::CommunicationError*>(&error) != nullptr) {
        return "CommunicationError";
    }
    if (dynamic_cast<const pyro::NamingError*>(&error) != nullptr) {
        return "NamingError";
    }
    return "PyroError";
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: fault_client URI SECONDS" << std::endl;
        return 2;
    }
    pyro::Config config = pyro::Config::from_environment();
    config.comm_timeout = 5.0; // a call that hangs fails the driver's check instead of stalling
    pyro::Proxy echo(argv[1], config);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(std::stoi(argv[2]));
    std::string last;
    bool failed = false;
    while (std::chrono::steady_clock::now() < deadline) {
        std::string seen;
        try {
            (void)echo.call<std::string>("echo", "from libpyro");
            seen = "ok";
        } catch (const pyro::PyroError& error) {
            seen = class_of(error) + ": " + error.what();
            failed = true;
        }
        const std::string kind = seen.substr(0, seen.find(':'));
        if (kind != last.substr(0, last.find(':'))) {
            std::cout << seen << std::endl;
        }
        last = seen;
        if (failed && seen == "ok") {
            std::cout << "recovered" << std::endl;
            return 0;
        }
        if (seen != "ok") {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    std::cout << "not recovered" << std::endl;
    return 1;
}
