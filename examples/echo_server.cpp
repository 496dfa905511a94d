// The smallest libpyro server: one object with one method, registered under a fixed id.
#include <iostream>

#include <pyro/pyro.hpp>

struct Echo {
    pyro::Value echo(pyro::Value message) const { return message; }
};

int main() {
    pyro::Daemon daemon(pyro::Config::from_environment());
    auto uri = daemon.register_object(std::make_shared<Echo>(),
                                      pyro::methods<Echo>().expose("echo", &Echo::echo), "echo");
    std::cout << "echo object at " << uri.str() << std::endl;
    daemon.request_loop(); // until Ctrl-C
}
