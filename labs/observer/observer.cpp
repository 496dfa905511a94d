// Lab 2, exercise 2 — an observer.
//
// To be called back, a client needs a daemon of its own: it registers its observer object there
// and hands the observable that object's URI. Then it waits for calls like any server.
#include <iostream>

#include "lab_support.hpp"

// [handout:servant]
struct Observer {
    // Called remotely by the observable for every notification.
    void update(const pyro::Value& message) const {
        // [handout:todo.update]
        std::cout << "Update received: "
                  << (message.is_string() ? message.as_string() : message.repr()) << std::endl;
        // [/handout:todo.update]
    }
};
// [/handout:servant]

int main(int argc, char** argv) {
    return labkit::run_program("observer", [&] {
        CLI::App app{"Registers with 'example.observable' and prints every update."};
        labkit::LabOptions options;
        labkit::add_lab_options(app, options, /*serves_objects=*/true);
        labkit::parse_command_line(app, options, argc, argv);

        // [handout:observer]
        // 1. Our own daemon, with our observer object in it.
        pyro::Daemon daemon(options.config, labkit::daemon_options(options));
        daemon.handle_signals(); // from here on, Ctrl-C stops the observer cleanly
        // [handout:todo.expose]
        const pyro::Uri me = daemon.register_object(
            std::make_shared<Observer>(),
            pyro::methods<Observer>().expose("update", &Observer::update, {"message"}));
        // [/handout:todo.expose]

        // [handout:todo.register]
        // 2. Tell the observable where to find us.
        pyro::NameServer ns = labkit::find_name_server(options);
        pyro::Proxy observable(ns.lookup("example.observable"), options.config);
        observable.call<void>("register_observer", me);
        // [/handout:todo.register]
        std::cout << "Observer " << me.str() << " registered; waiting for updates." << std::endl;
        std::cout << "Press Ctrl-C to stop." << std::endl;

        // 3. Serve the callbacks until Ctrl-C, then say goodbye to the observable.
        daemon.request_loop();
        try {
            // [handout:todo.unregister]
            observable.call<void>("unregister_observer", me);
            // [/handout:todo.unregister]
            std::cout << "Observer unregistered." << std::endl;
        } catch (const pyro::CommunicationError&) {
            std::cout << "The observable is gone; nothing to unregister." << std::endl;
        }
        // [/handout:observer]
        return 0;
    });
}
