// A client built against the installed libpyro only: echo(MESSAGE) on the object at URI.
#include <iostream>
#include <string>

#include <pyro/pyro.hpp>

int main(int argc, char** argv) try {
    if (argc != 3) {
        std::cerr << "usage: consumer-echo-client URI MESSAGE\n";
        return 2;
    }
    pyro::Proxy echo(argv[1], pyro::Config::from_environment());
    std::cout << echo.call<std::string>("echo", std::string(argv[2])) << std::endl;
    return 0;
} catch (const std::exception& error) {
    std::cerr << "consumer-echo-client: " << error.what() << "\n";
    return 1;
}
