// An echo server built against the installed libpyro only. Prints its URI, serves until Ctrl-C.
#include <iostream>
#include <memory>
#include <string>

#include <pyro/pyro.hpp>

struct Echo {
    std::string echo(std::string message) const { return message; }
};

int main() {
    pyro::Daemon daemon(pyro::Config::from_environment());
    const auto uri =
        daemon.register_object(std::make_shared<Echo>(),
                               pyro::methods<Echo>().expose("echo", &Echo::echo), "consumer.echo");
    std::cout << "libpyro " << pyro::version << " echo at " << uri.str() << std::endl;
    daemon.request_loop(); // until Ctrl-C or SIGTERM
}
