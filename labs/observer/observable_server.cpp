// Lab 2, exercise 2 — the observable (the subject of the observer pattern).
//
// Observers register a reference to an object of their own. When a notification comes in, the
// server calls each of them back: here the *server* acts as a client of every observer.
#include <iostream>
#include <memory>
#include <mutex>
#include <vector>

#include "lab_support.hpp"

class Observable {
public:
    // [handout:register_observer]
    // `observer` may arrive as a URI string, a URI object or a proxy: all become a Proxy.
    void register_observer(pyro::Proxy observer) {
        // [handout:todo.register_observer]
        const std::string address = observer.uri().str();
        observer.set_timeout(std::chrono::seconds(5)); // a stuck observer must not stall us
        const std::lock_guard lock(mutex_);
        std::erase_if(observers_, [&](const auto& o) { return o->uri().str() == address; });
        observers_.push_back(std::make_shared<pyro::Proxy>(std::move(observer)));
        std::cout << "Observer registered: " << address << " (" << observers_.size() << " in total)"
                  << std::endl;
        // [/handout:todo.register_observer]
    }
    // [/handout:register_observer]

    void unregister_observer(const pyro::Proxy& observer) {
        // [handout:todo.unregister_observer]
        const std::string address = observer.uri().str();
        const std::lock_guard lock(mutex_);
        std::erase_if(observers_, [&](const auto& o) { return o->uri().str() == address; });
        std::cout << "Observer unregistered: " << address << " (" << observers_.size() << " left)"
                  << std::endl;
        // [/handout:todo.unregister_observer]
    }

    // [handout:notify]
    // Calls update(message) on every observer; those that are gone are dropped. Returns how
    // many were notified.
    int notify_observers(const pyro::Value& message) {
        // [handout:todo.notify]
        std::vector<std::shared_ptr<pyro::Proxy>> current;
        {
            const std::lock_guard lock(mutex_); // copy, so calls happen without the lock
            current = observers_;
        }
        std::cout << "Notifying " << current.size() << " observer(s): " << message.repr()
                  << std::endl;
        int notified = 0;
        for (const auto& observer : current) {
            try {
                observer->call<void>("update", message);
                ++notified;
            } catch (const pyro::CommunicationError& error) {
                std::cout << "Observer " << observer->uri().str() << " is gone (" << error.what()
                          << "); dropping it" << std::endl;
                const std::lock_guard lock(mutex_);
                std::erase(observers_, observer);
            }
        }
        return notified;
        // [/handout:todo.notify]
    }
    // [/handout:notify]

private:
    std::mutex mutex_; // calls arrive on several daemon threads at once
    std::vector<std::shared_ptr<pyro::Proxy>> observers_;
};

int main(int argc, char** argv) {
    return labkit::run_program("observable-server", [&] {
        CLI::App app{"Serves 'example.observable': observers register, a notifier notifies."};
        labkit::LabOptions options;
        labkit::add_lab_options(app, options, /*serves_objects=*/true);
        labkit::add_name_options(app, options, "example.observable");
        labkit::parse_command_line(app, options, argc, argv);

        // [handout:todo.find_ns]
        pyro::NameServer ns = labkit::find_name_server(options);
        // [/handout:todo.find_ns]
        pyro::Daemon daemon(options.config, labkit::daemon_options(options));
        daemon.handle_signals(); // from here on, Ctrl-C stops the server cleanly

        // [handout:expose]
        // One Observable for everybody (Pyro4's instance_mode "single").
        // [handout:todo.expose]
        const pyro::Uri uri = daemon.register_object(
            std::make_shared<Observable>(),
            pyro::methods<Observable>()
                .expose("register_observer", &Observable::register_observer, {"observer"})
                .expose("unregister_observer", &Observable::unregister_observer, {"observer"})
                .expose("notify_observers", &Observable::notify_observers, {"message"}));
        // [/handout:todo.expose]
        // [/handout:expose]
        // [handout:todo.register]
        labkit::register_name(ns, uri, options);
        // [/handout:todo.register]
        std::cout << "Observable ready. Object URI: " << uri.str() << std::endl;
        std::cout << "Registered as '" << options.name << "'. Press Ctrl-C to stop." << std::endl;

        daemon.request_loop();
        std::cout << "Observable stopped." << std::endl;
        // [handout:todo.unregister]
        labkit::unregister_name(ns, options.name, uri);
        // [/handout:todo.unregister]
        return 0;
    });
}
