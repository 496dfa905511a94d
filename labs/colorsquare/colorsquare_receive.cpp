// Lab 2, exercise 4 — the colour square receiver.
//
// A window shows a square; remote clients change its colour. Two kinds of thread meet here. The
// daemon runs remote calls on its worker threads, but SDL (like most GUI toolkits) wants the
// window touched only by the main thread. So the remote object only *stores* the colour and
// wakes the main thread, and the main thread's event loop does the drawing.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "lab_support.hpp"
#include "square_window.hpp"

using colorsquare::Rgb;

namespace {
// SDL turns Ctrl-C (SIGINT) and SIGTERM into SDL_QUIT, but not SIGHUP (the terminal closing),
// whose default would end the program with its name left behind. The handler only sets a flag
// (all a signal handler may safely do); the event loop reads it each time it wakes.
volatile std::sig_atomic_t hung_up = 0;
extern "C" void on_hangup(int /*signal*/) {
    hung_up = 1;
}
} // namespace

// [handout:set_color]
// The remote object. Its methods run on the daemon's worker threads, possibly several at once,
// so the colour is guarded by a mutex.
class ColorSquare {
public:
    explicit ColorSquare(colorsquare::MainThread& main_thread) : main_thread_(main_thread) {}

    // Changes the colour. A bad value throws std::invalid_argument, which reaches a Python client
    // as ValueError and a C++ client as pyro::RemoteError("builtins.ValueError").
    void set_color(int r, int g, int b) {
        // [handout:todo.set_color]
        check("r", r);
        check("g", g);
        check("b", b);
        {
            const std::lock_guard lock(mutex_);
            colour_ = {r, g, b};
        }
        std::cout << "set_color(" << r << ", " << g << ", " << b << ")" << std::endl;
        main_thread_.wake(); // the main thread redraws; we never touch the window here
        // [/handout:todo.set_color]
    }
    // [/handout:set_color]

    std::vector<int> get_color() const {
        // [handout:todo.get_color]
        const Rgb now = colour();
        return {now.r, now.g, now.b};
        // [/handout:todo.get_color]
    }

    // Seconds since the receiver started.
    double elapsed() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    }

    Rgb colour() const {
        const std::lock_guard lock(mutex_);
        return colour_;
    }

private:
    static void check(const char* channel, int value) {
        if (value < 0 || value > 255) {
            throw std::invalid_argument("set_color: " + std::string(channel) + "=" +
                                        std::to_string(value) +
                                        " is out of range; r, g and b must each be 0-255");
        }
    }

    colorsquare::MainThread& main_thread_;
    const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    mutable std::mutex mutex_;
    Rgb colour_{255, 255, 255};
};

int main(int argc, char** argv) {
    return labkit::run_program("colorsquare-receive", [&] {
        CLI::App app{"Shows a square that remote clients recolour, as 'example.colorsquare'."};
        labkit::LabOptions options;
        int size = 400;
        bool headless = false;
        bool test_hooks = false;
        app.add_option("--size", size, "window width and height in pixels (default: 400)")
            ->check(CLI::Range(40, 4000));
        app.add_flag("--headless", headless, "draw off screen (SDL offscreen driver), no display");
        app.add_flag("--test-hooks", test_hooks,
                     "also expose pixel_at_center() and save_screenshot(path), for tests");
        labkit::add_lab_options(app, options, /*serves_objects=*/true);
        labkit::add_name_options(app, options, "example.colorsquare");
        labkit::parse_command_line(app, options, argc, argv);
        const std::string& name = options.name;

        std::signal(SIGHUP, on_hangup);

        // 1. Find the name server first: without it no transmitter could find us.
        // [handout:todo.find_ns]
        pyro::NameServer ns = labkit::find_name_server(options);
        // [/handout:todo.find_ns]

        // 2. Open the window on the main thread, which from now on owns it.
        colorsquare::SquareWindow window(size, headless);
        colorsquare::MainThread main_thread;
        // A hint for the person at the terminal (scripts and tests read the output unchanged).
        if (window.fell_back_off_screen() && isatty(STDOUT_FILENO) != 0) {
            std::cout << "Note: no display found, so the square is drawn off screen, as with "
                         "--headless."
                      << std::endl;
        }

        // [handout:expose]
        // 3. Give the remote object to a daemon; each exposed method is one line.
        auto square = std::make_shared<ColorSquare>(main_thread);
        // [handout:todo.expose]
        auto interface = pyro::methods<ColorSquare>()
                             .expose("set_color", &ColorSquare::set_color, {"r", "g", "b"})
                             .expose("get_color", &ColorSquare::get_color)
                             .expose("elapsed", &ColorSquare::elapsed);
        // [/handout:todo.expose]
        // [/handout:expose]
        if (test_hooks) {
            // For tests: look at the window itself. SDL calls must run on the main thread, so a
            // worker thread hands them over and waits for the answer.
            interface.expose("pixel_at_center", [&](ColorSquare&) {
                const Rgb pixel = main_thread.run([&] { return window.pixel_at_center(); });
                return std::vector<int>{pixel.r, pixel.g, pixel.b};
            });
            interface.expose("save_screenshot",
                             [&](ColorSquare&, const std::string& path) {
                                 main_thread.run([&] { window.save_bmp(path); });
                             },
                             {"path"});
        }
        pyro::Daemon daemon(options.config, labkit::daemon_options(options));
        const pyro::Uri uri = daemon.register_object(square, interface);
        window.set_title(name + " - " + uri.str());

        // 4. Publish the URI under a well-known name, then serve calls on background threads.
        // [handout:todo.register]
        labkit::register_name(ns, uri, options);
        // [/handout:todo.register]
        auto serving = daemon.run_in_background();
        std::cout << "Colour square ready. Object URI: " << uri.str() << std::endl;
        std::cout << "Registered as '" << name << "'. Close the window or press Ctrl-C to stop."
                  << std::endl;

        // [handout:event-loop]
        // 5. The event loop: redraw when woken, stop when the window closes. SDL turns Ctrl-C
        //    (SIGINT) and SIGTERM into the same SDL_QUIT event as the window's close button;
        //    SIGHUP (the terminal closed) sets `hung_up`.
        window.draw(square->colour());
        for (bool running = true; running && hung_up == 0;) {
            SDL_Event event;
            if (SDL_WaitEventTimeout(&event, 250) == 0) {
                continue; // nothing happened; waking up now and then lets a signal through
            }
            if (event.type == SDL_QUIT) {
                running = false;
            } else if (main_thread.is_wake_event(event)) {
                window.draw(square->colour()); // first the colour, as it is now,
                main_thread.run_pending();     // then any work handed over (the test hooks)
            } else if (event.type == SDL_WINDOWEVENT) {
                window.draw(square->colour()); // shown, uncovered, moved: paint again
            }
        }
        // [/handout:event-loop]

        // 6. Leave cleanly: no more work for the window, stop serving, take the name back out.
        main_thread.close();
        serving.reset();
        std::cout << "Colour square stopped." << std::endl;
        // [handout:todo.unregister]
        labkit::unregister_name(ns, name, uri);
        // [/handout:todo.unregister]
        return 0;
    });
}
