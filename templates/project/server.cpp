// @NAME@: a remote object of your own, written by `./labkit new @NAME@`.
//
// Serves one @CLASS@ under the name '@NAME@' until Ctrl-C. Like Pyro4, it takes its settings
// from the environment: PYRO_NS_HOST and PYRO_NS_PORT (where the name server is), PYRO_HOST and
// PYRO_PORT (where this server listens; default localhost and a free port).
#include <atomic>
#include <iostream>
#include <memory>
#include <string>

#include <pyro/pyro.hpp>

// The remote object: a plain class, nothing here knows about the network. The daemon may run
// its methods on several threads at once, so its state must be safe for that (std::atomic, or a
// std::mutex around anything bigger).
class @CLASS@ {
public:
    // Replace these two with your object's methods, and expose each one in main().
    std::string hello(const std::string& who) {
        ++calls_;
        return "Hello, " + who + ", from @NAME@!";
    }

    int calls() const { return calls_.load(); }

private:
    std::atomic<int> calls_{0};
};

int main() {
    try {
        const pyro::Config config = pyro::Config::from_environment();
        // 1. Find the name server first: without it no client could find the object.
        pyro::NameServer ns = pyro::locate_ns(config);

        // 2. A daemon makes the object reachable; each exposed method is one line (with its
        //    parameter names, so Python callers may also pass them by keyword).
        pyro::Daemon daemon(config);
        daemon.handle_signals(); // from here on, Ctrl-C stops the server cleanly
        const pyro::Uri uri = daemon.register_object(std::make_shared<@CLASS@>(),
                                                     pyro::methods<@CLASS@>()
                                                         .expose("hello", &@CLASS@::hello, {"who"})
                                                         .expose("calls", &@CLASS@::calls));

        // 3. Publish the URI under the object's name, serve until Ctrl-C, take the name back.
        ns.register_name("@NAME@", uri);
        std::cout << "@NAME@ ready. Object URI: " << uri.str() << std::endl;
        daemon.request_loop();
        try {
            if (ns.lookup("@NAME@") == uri) { // still ours, not taken over by another server
                ns.remove("@NAME@");
            }
        } catch (const pyro::NamingError&) {
            // already gone
        }
        std::cout << "@NAME@ stopped." << std::endl;
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "@SLUG@-server: error: " << error.what() << std::endl;
        return 1;
    }
}
