// Lab 2, exercise 3 — calling a remote object, then asking what it offers.
#include <iostream>

#include "lab_support.hpp"

namespace {
std::string joined(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& name : names) {
        text += (text.empty() ? "" : ", ") + name;
    }
    return text.empty() ? "(none)" : text;
}
} // namespace

int main(int argc, char** argv) {
    return labkit::run_program("introspect-client", [&] {
        CLI::App app{"Calls greet and add on 'example.remote.object', then lists its interface."};
        labkit::LabOptions options;
        std::string name = "World";
        app.add_option("--name", name, "who to greet (default: World)");
        labkit::add_lab_options(app, options, /*serves_objects=*/false);
        labkit::parse_command_line(app, options, argc, argv);

        // [handout:todo.lookup]
        pyro::NameServer ns = labkit::find_name_server(options);
        pyro::Proxy remote(ns.lookup("example.remote.object"), options.config);
        // [/handout:todo.lookup]

        // [handout:calls]
        // [handout:todo.calls]
        // 1. Ordinary remote calls.
        std::cout << "greet('" << name << "') -> " << remote.call<std::string>("greet", name)
                  << std::endl;
        std::cout << "add(2, 3) -> " << remote.invoke("add", {2, 3}).repr() << std::endl;
        // [/handout:todo.calls]

        // 2. What the handshake told the proxy (Pyro4: _pyroMethods, _pyroOneway, _pyroAttrs).
        const pyro::ObjectMetadata& meta = remote.metadata();
        std::cout << "Remote methods: " << joined(meta.methods) << std::endl;
        std::cout << "Oneway methods: " << joined(meta.oneway) << std::endl;
        std::cout << "Attributes: " << joined(meta.attrs) << std::endl;
        // [/handout:calls]
        return 0;
    });
}
