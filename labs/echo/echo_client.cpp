// Lab 2, exercise 1 — the echo client.
//
// A *proxy* stands in for the remote object: calling a method on it sends the call over the
// network and waits for the answer. "PYRONAME:echo.server" asks the name server where that is.
#include <iostream>

#include "lab_support.hpp"

int main(int argc, char** argv) {
    return labkit::run_program("echo-client", [&] {
        CLI::App app{"Sends a message to 'echo.server' and prints the reply."};
        labkit::LabOptions options;
        std::string message = "HOLA";
        app.add_option("message", message, "what to send (default: HOLA)");
        labkit::add_lab_options(app, options, /*serves_objects=*/false);
        labkit::parse_command_line(app, options, argc, argv);

        // [handout:client]
        // 1. Look the name up; the proxy connects to whatever address the name server gives.
        // [handout:todo.lookup]
        pyro::NameServer ns = labkit::find_name_server(options);
        pyro::Proxy echo(ns.lookup("echo.server"), options.config);
        // [/handout:todo.lookup]

        // 2. A remote call reads like a local one.
        // [handout:todo.call]
        const auto reply = echo.call<std::string>("echo", message);
        // [/handout:todo.call]
        std::cout << "Sent: " << message << std::endl;
        std::cout << "Reply: " << reply << std::endl;
        // [/handout:client]
        return 0;
    });
}
