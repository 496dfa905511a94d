// Reference solution of the introspect extension (instructor only): keyword defaults, as
// greet(name, greeting="Hello") and add(a, b=1). A trailing std::optional parameter may be left
// out by the caller; the names given to expose make keyword calls work.
#include <iostream>
#include <optional>
#include <string>

#include "lab_support.hpp"

struct RemoteObject {
    std::string greet(const std::string& name, const std::optional<std::string>& greeting) const {
        return greeting.value_or("Hello") + ", " + name + "!";
    }

    pyro::Value add(const pyro::Value& a, const std::optional<pyro::Value>& b_given) const {
        const pyro::Value b = b_given.value_or(pyro::Value(1));
        // Python's + (pyro::Value's): ints of any size exactly, never a wrapped number.
        return a + b;
    }
};

int main(int argc, char** argv) {
    return labkit::run_program("introspect-server", [&] {
        CLI::App app{"The remote object with keyword defaults (extension reference)."};
        labkit::LabOptions options;
        labkit::add_lab_options(app, options, /*serves_objects=*/true);
        labkit::add_name_options(app, options, "example.remote.object");
        labkit::parse_command_line(app, options, argc, argv);

        pyro::NameServer ns = labkit::find_name_server(options);
        pyro::Daemon daemon(options.config, labkit::daemon_options(options));
        daemon.handle_signals();
        const pyro::Uri uri =
            daemon.register_object(std::make_shared<RemoteObject>(),
                                   pyro::methods<RemoteObject>()
                                       .expose("greet", &RemoteObject::greet, {"name", "greeting"})
                                       .expose("add", &RemoteObject::add, {"a", "b"}));
        labkit::register_name(ns, uri, options);
        std::cout << "Remote object ready. Object URI: " << uri.str() << std::endl;
        daemon.request_loop();
        labkit::unregister_name(ns, options.name, uri);
        return 0;
    });
}
