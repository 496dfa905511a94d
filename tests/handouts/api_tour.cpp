// api-tour — the libpyro API in one program, quoted by handouts/overview.md.
//
// A server part (servant, daemon, name server registration) and a client part (proxy, calls,
// metadata, errors) in one process, so the whole tour runs with a single command while a name
// server is running. The regions between the [handout:…] markers appear in the handout, and
// the handout test checks both the quoted code and this program's output.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <pyro/pyro.hpp>

// [handout:servant]
// A plain class: no base class, no network code.
struct Thermometer {
    std::string unit = "celsius";
    double read() const { return 21.5; }
    void reset() noexcept {}
};
// [/handout:servant]

namespace {
std::string joined(std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    std::string text;
    for (const auto& name : names) {
        text += (text.empty() ? "" : ", ") + name;
    }
    return text;
}
} // namespace

int main() try {
    const pyro::Config config = pyro::Config::from_environment(); // PYRO_* read once

    // [handout:serve]
    pyro::Daemon daemon(config); // binds a free port on localhost
    const pyro::Uri uri = daemon.register_object(std::make_shared<Thermometer>(),
                                                 pyro::methods<Thermometer>()
                                                     .expose("read", &Thermometer::read)
                                                     .oneway("reset", &Thermometer::reset)
                                                     .attribute("unit", &Thermometer::unit));
    pyro::NameServer ns = pyro::locate_ns(config);
    ns.register_name("tour.thermometer", uri);
    const auto serving = daemon.run_in_background(); // request_loop() would block here
    // [/handout:serve]
    std::cout << "registered tour.thermometer -> " << uri.str() << std::endl;

    // [handout:call]
    pyro::Proxy thermometer("PYRONAME:tour.thermometer", config);
    std::cout << "read() -> " << thermometer.call<double>("read") << std::endl;
    std::cout << "unit -> " << thermometer.get<std::string>("unit") << std::endl;
    thermometer.call<void>("reset");                           // oneway: returns without waiting
    const pyro::ObjectMetadata& meta = thermometer.metadata(); // Pyro4: _pyroMethods etc.
    std::cout << "methods: " << joined(meta.methods) << "; oneway: " << joined(meta.oneway)
              << "; attrs: " << joined(meta.attrs) << std::endl;
    // [/handout:call]

    // [handout:errors]
    try {
        thermometer.call<double>("write", 30.0); // not exposed: refused by the proxy itself
    } catch (const pyro::RemoteError& error) {
        std::cout << error.python_class() << ": " << error.what() << std::endl;
    }
    try {
        (void)ns.lookup("tour.nothing");
    } catch (const pyro::NamingError& error) {
        std::cout << error.python_class() << ": " << error.what() << std::endl;
    }
    try {
        pyro::Proxy nobody("PYRO:obj_0@localhost:1", config); // nothing listens on port 1
        nobody.ping();
    } catch (const pyro::CommunicationError& error) {
        std::cout << error.python_class() << ": " << error.what() << std::endl;
    }
    // [/handout:errors]

    ns.remove("tour.thermometer");
    return 0;
} catch (const std::exception& error) {
    std::cerr << "api-tour: " << error.what() << std::endl;
    return 1;
}
