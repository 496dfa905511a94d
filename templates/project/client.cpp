// A client of '@NAME@', written by `./labkit new @NAME@`: calls hello(WHO) and calls().
//
//   @SLUG@-client [WHO]      (default: World)
#include <iostream>
#include <string>

#include <pyro/pyro.hpp>

int main(int argc, char** argv) {
    const std::string who = argc > 1 ? argv[1] : "World";
    try {
        const pyro::Config config = pyro::Config::from_environment();
        // Look the name up; the proxy connects to whatever address the name server gives.
        pyro::NameServer ns = pyro::locate_ns(config);
        pyro::Proxy object(ns.lookup("@NAME@"), config);

        // A remote call reads like a local one.
        std::cout << "hello('" << who << "') -> " << object.call<std::string>("hello", who)
                  << std::endl;
        std::cout << "calls() -> " << object.call<int>("calls") << std::endl;
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "@SLUG@-client: error: " << error.what() << std::endl;
        return 1;
    }
}
