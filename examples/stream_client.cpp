// Iterating a remote generator (a Pyro4 item stream): each item is fetched when the loop asks for
// it. Against example-parity-server (or any Pyro4 server whose count(n) yields 0..n-1):
//   example-stream-client PYRONAME:example.parity 5
#include <cstdlib>
#include <iostream>

#include <pyro/pyro.hpp>

int main(int argc, char** argv) try {
    if (argc < 2 || argc > 3) {
        std::cerr << "usage: stream_client URI [N]   (e.g. PYRONAME:example.parity 5)\n";
        return 2;
    }
    int n = 5;
    if (argc == 3) {
        char* end = nullptr;
        const long given = std::strtol(argv[2], &end, 10);
        if (*argv[2] == '\0' || *end != '\0' || given < 0 || given > 1000000) {
            std::cerr << "stream_client: N must be a whole number from 0 to 1000000, got '"
                      << argv[2] << "'\n";
            return 2;
        }
        n = static_cast<int>(given);
    }
    pyro::Proxy parity(argv[1], pyro::Config::from_environment());
    for (const pyro::Value& item : parity.call<pyro::Stream>("count", n)) {
        std::cout << item.repr() << std::endl;
    }
} catch (const std::exception& error) {
    std::cerr << "stream_client: " << error.what() << "\n";
    return 1;
}
