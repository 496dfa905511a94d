// pyro-nsc — the name server control tool, printing exactly what pyro4-nsc prints
// (PYRO4-WIRE.md §9.2):
//
//   pyro-nsc list                   every registration, sorted by name
//   pyro-nsc -n 127.0.0.1 lookup echo.server
//
// The commands and their texts live in the pyro_nameserver library (nsc.hpp, nsc_output.hpp).
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "nameserver/nsc.hpp"

int main(int argc, char** argv) {
    const std::string program =
        argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "pyro-nsc";
    const std::vector<std::string> arguments(argv + (argc > 0 ? 1 : 0), argv + argc);
    try {
        pyro::Config config = pyro::Config::from_environment();
        // pyro4-nsc talks serpent, Pyro4's default serializer, unless PYRO_SERIALIZER says else.
        if (std::getenv("PYRO_SERIALIZER") == nullptr) {
            config.serializer = "serpent";
        }
        std::optional<std::string> environment_key;
        if (const char* key = std::getenv("PYRO_HMAC_KEY")) {
            environment_key = key;
        }
        return pyro::ns::nsc_main(program, arguments, config, environment_key, std::cin, std::cout,
                                  std::cerr);
    } catch (const std::exception& error) {
        std::cerr << program << ": " << error.what() << std::endl;
        return 1;
    }
}
