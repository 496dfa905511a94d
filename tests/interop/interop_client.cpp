// interop_client — a one-call C++ client for the process-level tests (PYRO_TRACE and friends).
//
//   interop_client URI METHOD [ARG...]     (every ARG is sent as a str)
//
// Prints the result as a Python repr on stdout and exits 0; a failure prints one line on stderr
// and exits 1. PYRO_* variables apply (PYRO_SERIALIZER, PYRO_TRACE, PYRO_COMMTIMEOUT).
#include <iostream>
#include <string>

#include <pyro/pyro.hpp>

int main(int argc, char** argv) try {
    if (argc < 3) {
        std::cerr << "usage: interop_client URI METHOD [ARG...]\n";
        return 2;
    }
    pyro::Proxy proxy(argv[1], pyro::Config::from_environment());
    pyro::Value::Items args;
    for (int i = 3; i < argc; ++i) {
        args.emplace_back(argv[i]);
    }
    std::cout << proxy.invoke(argv[2], std::move(args)).repr() << std::endl;
    return 0;
} catch (const std::exception& error) {
    std::cerr << "interop_client: " << error.what() << std::endl;
    return 1;
}
