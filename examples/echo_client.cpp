// The smallest libpyro client: call one remote method, given the object's URI.
#include <iostream>

#include <pyro/pyro.hpp>

int main(int argc, char** argv) try {
    if (argc != 3) {
        std::cerr << "usage: echo_client URI MESSAGE   (URI as the server printed it)\n";
        return 2;
    }
    pyro::Proxy echo(argv[1], pyro::Config::from_environment());
    std::cout << echo.call<std::string>("echo", std::string(argv[2])) << std::endl;
} catch (const std::exception& error) {
    std::cerr << "echo_client: " << error.what() << "\n";
    return 1;
}
