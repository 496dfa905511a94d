// Lab 2, exercise 3 — a remote object that clients can examine.
//
// When a proxy connects, the daemon sends the object's *metadata*: which methods it has, which
// of them are oneway, which attributes. The client learns the interface at run time.
#include <iostream>

#include "lab_support.hpp"

// [handout:servant]
struct RemoteObject {
    // [handout:todo.greet]
    std::string greet(const std::string& name) const { return "Hello, " + name + "!"; }
    // [/handout:todo.greet]

    // a + b as Python would do it for numbers and text: the arguments arrive as dynamic values.
    pyro::Value add(const pyro::Value& a, const pyro::Value& b) const {
        // [handout:todo.add]
        // pyro::Value's + is Python's: ints of any size exactly (2**62 + 2**62 is 2**63, never
        // a wrapped number), int with float, str with str; any other pair raises Python's
        // TypeError "unsupported operand type(s) for +: ...".
        return a + b;
        // [/handout:todo.add]
    }
};
// [/handout:servant]

int main(int argc, char** argv) {
    return labkit::run_program("introspect-server", [&] {
        CLI::App app{"Serves 'example.remote.object' with greet(name) and add(a, b)."};
        labkit::LabOptions options;
        labkit::add_lab_options(app, options, /*serves_objects=*/true);
        labkit::add_name_options(app, options, "example.remote.object");
        labkit::parse_command_line(app, options, argc, argv);

        // [handout:todo.find_ns]
        pyro::NameServer ns = labkit::find_name_server(options);
        // [/handout:todo.find_ns]
        // [handout:register]
        pyro::Daemon daemon(options.config, labkit::daemon_options(options));
        daemon.handle_signals(); // from here on, Ctrl-C stops the server cleanly
        // [handout:todo.expose]
        const pyro::Uri uri = daemon.register_object(
            std::make_shared<RemoteObject>(), pyro::methods<RemoteObject>()
                                                  .expose("greet", &RemoteObject::greet, {"name"})
                                                  .expose("add", &RemoteObject::add, {"a", "b"}));
        // [/handout:todo.expose]
        // [/handout:register]
        // [handout:todo.register]
        labkit::register_name(ns, uri, options);
        // [/handout:todo.register]
        std::cout << "Remote object ready. Object URI: " << uri.str() << std::endl;
        std::cout << "Registered as '" << options.name << "'. Press Ctrl-C to stop." << std::endl;

        daemon.request_loop();
        std::cout << "Remote object stopped." << std::endl;
        // [handout:todo.unregister]
        labkit::unregister_name(ns, options.name, uri);
        // [/handout:todo.unregister]
        return 0;
    });
}
