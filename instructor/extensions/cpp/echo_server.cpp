// Reference solution of the echo extension (instructor only): echo, echo_upper and count(), the
// number of echo and echo_upper calls served, exact while several clients call at once.
#include <atomic>
#include <cctype>
#include <iostream>
#include <string>

#include "lab_support.hpp"

class EchoServer {
public:
    pyro::Value echo(const pyro::Value& message) {
        ++calls_; // std::atomic: the daemon runs calls on several worker threads at once
        std::cout << "echo(" + message.repr() + ")\n" << std::flush;
        return message;
    }

    // ASCII letters in capitals; other bytes (UTF-8 sequences included) stay as they are.
    std::string echo_upper(std::string message) {
        ++calls_;
        for (char& c : message) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        std::cout << "echo_upper(" + message + ")\n" << std::flush;
        return message;
    }

    int count() const { return calls_.load(); }

private:
    std::atomic<int> calls_{0};
};

int main(int argc, char** argv) {
    return labkit::run_program("echo-server", [&] {
        CLI::App app{"The echo server with echo_upper and count (extension reference)."};
        labkit::LabOptions options;
        labkit::add_lab_options(app, options, /*serves_objects=*/true);
        labkit::add_name_options(app, options, "echo.server");
        labkit::parse_command_line(app, options, argc, argv);

        pyro::NameServer ns = labkit::find_name_server(options);
        pyro::Daemon daemon(options.config, labkit::daemon_options(options));
        daemon.handle_signals();
        const pyro::Uri uri =
            daemon.register_object(std::make_shared<EchoServer>(),
                                   pyro::methods<EchoServer>()
                                       .expose("echo", &EchoServer::echo, {"message"})
                                       .expose("echo_upper", &EchoServer::echo_upper, {"message"})
                                       .expose("count", &EchoServer::count));
        labkit::register_name(ns, uri, options);
        std::cout << "Echo server ready. Object URI: " << uri.str() << std::endl;
        daemon.request_loop();
        labkit::unregister_name(ns, options.name, uri);
        return 0;
    });
}
