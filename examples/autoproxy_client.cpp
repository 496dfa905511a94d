// Auto-proxies: make_counter() on example.parity returns a new remote object, which arrives as a
// proxy (Pyro4's AUTOPROXY); calling next() on it runs on the server. Every call of
// make_counter() makes a counter of its own, counting from 0.
#include <cstdlib>
#include <iostream>
#include <string>

#include <pyro/pyro.hpp>

int main(int argc, char** argv) try {
    if (argc > 3) {
        std::cerr
            << "usage: autoproxy_client [URI [COUNT]]   (default PYRONAME:example.parity 3)\n";
        return 2;
    }
    const std::string uri = argc > 1 ? argv[1] : "PYRONAME:example.parity";
    const int count = argc > 2 ? std::atoi(argv[2]) : 3;
    if (count < 1) {
        std::cerr << "autoproxy_client: COUNT must be a whole number of at least 1\n";
        return 2;
    }
    pyro::Proxy parity(uri, pyro::Config::from_environment());
    pyro::Proxy counter = parity.call<pyro::Proxy>("make_counter");
    std::cout << "counter at " << counter.uri().str() << "\n";
    for (int i = 0; i < count; ++i) {
        std::cout << "next() = " << counter.call<int>("next") << "\n";
    }
} catch (const std::exception& error) {
    std::cerr << "autoproxy_client: " << error.what() << "\n";
    return 1;
}
