// Lab 2, exercise 2 — the notifier: asks the observable to pass a message to all observers.
#include <iostream>

#include "lab_support.hpp"

int main(int argc, char** argv) {
    return labkit::run_program("notifier", [&] {
        CLI::App app{"Sends a message to every observer of 'example.observable'."};
        labkit::LabOptions options;
        std::string message = "Hello, Observers!";
        app.add_option("message", message, "what to send (default: \"Hello, Observers!\")");
        labkit::add_lab_options(app, options, /*serves_objects=*/false);
        labkit::parse_command_line(app, options, argc, argv);

        // [handout:notify]
        // [handout:todo.notify]
        pyro::NameServer ns = labkit::find_name_server(options);
        pyro::Proxy observable(ns.lookup("example.observable"), options.config);
        const pyro::Value notified = observable.invoke("notify_observers", {message});
        // [/handout:todo.notify]
        std::cout << "Sent: " << message << std::endl;
        if (notified.is_int()) {
            std::cout << "Observers notified: " << notified.as_int() << std::endl;
        }
        // [/handout:notify]
        return 0;
    });
}
