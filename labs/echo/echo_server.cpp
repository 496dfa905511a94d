// Lab 2, exercise 1 — the echo server.
//
// A remote object is an ordinary C++ object that a *daemon* makes reachable over the network.
// Clients find it by name through the *name server*, so they need not know its address.
#include <iostream>

#include "lab_support.hpp"

// [handout:servant]
// The remote object. Nothing here knows about the network: it is a plain class.
struct EchoServer {
    // Returns the message unchanged, whatever its type (text, number, list, ...).
    pyro::Value echo(const pyro::Value& message) const {
        // [handout:todo.echo]
        // One write per line: two calls served at the same moment never mix their lines.
        std::cout << "echo(" + message.repr() + ")\n" << std::flush;
        return message;
        // [/handout:todo.echo]
    }
};
// [/handout:servant]

int main(int argc, char** argv) {
    return labkit::run_program("echo-server", [&] {
        CLI::App app{"Serves an echo object under the name 'echo.server'."};
        labkit::LabOptions options;
        labkit::add_lab_options(app, options, /*serves_objects=*/true);
        labkit::add_name_options(app, options, "echo.server");
        labkit::parse_command_line(app, options, argc, argv);

        // [handout:server]
        // 1. Find the name server first: without it no client could find us.
        // [handout:todo.find_ns]
        pyro::NameServer ns = labkit::find_name_server(options);
        // [/handout:todo.find_ns]

        // 2. Start a daemon and give it the object; each exposed method is one line.
        pyro::Daemon daemon(options.config, labkit::daemon_options(options));
        daemon.handle_signals(); // from here on, Ctrl-C stops the server cleanly
        // [handout:todo.register]
        const pyro::Uri uri = daemon.register_object(
            std::make_shared<EchoServer>(),
            pyro::methods<EchoServer>().expose("echo", &EchoServer::echo, {"message"}));

        // 3. Publish the object's URI under a well-known name.
        labkit::register_name(ns, uri, options);
        // [/handout:todo.register]
        std::cout << "Echo server ready. Object URI: " << uri.str() << std::endl;
        std::cout << "Registered as '" << options.name << "'. Press Ctrl-C to stop." << std::endl;
        // [/handout:server]

        // [handout:serve]
        // 4. Serve calls until Ctrl-C, then take the name back out of the name server (unless
        //    another server has taken it over meanwhile).
        daemon.request_loop();
        std::cout << "Echo server stopped." << std::endl;
        // [handout:todo.unregister]
        labkit::unregister_name(ns, options.name, uri);
        // [/handout:todo.unregister]
        // [/handout:serve]
        return 0;
    });
}
