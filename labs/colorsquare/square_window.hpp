// The SDL side of colorsquare-receive: a window with a centred square, and a way for the daemon's
// worker threads to hand work to the main thread, the only one allowed to touch the window.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <SDL.h>

#include "colour_command.hpp"

namespace colorsquare {

// A size×size window showing a square of half that size in its centre. Starts SDL's video in the
// constructor and stops it in the destructor. Not thread-safe: use it on the main thread only.
class SquareWindow {
public:
    // Opens the window; `headless` uses SDL's offscreen driver (no display needed). Throws
    // std::runtime_error with SDL's reason when no window can be opened.
    SquareWindow(int size, bool headless);
    ~SquareWindow();
    SquareWindow(const SquareWindow&) = delete;
    SquareWindow& operator=(const SquareWindow&) = delete;

    // True when there was no display to open a window on (no DISPLAY, WAYLAND_DISPLAY or
    // SDL_VIDEODRIVER), so the window is drawn in memory as with --headless.
    [[nodiscard]] bool fell_back_off_screen() const { return fell_back_off_screen_; }

    void set_title(const std::string& title);
    // Paints the background and the square in `colour`, and shows the result.
    void draw(Rgb colour);
    // The pixel at the centre of the window as it was last shown.
    [[nodiscard]] Rgb pixel_at_center();
    // Writes the window as last shown to a BMP file; throws std::runtime_error on failure.
    void save_bmp(const std::string& path);

private:
    int size_;
    bool fell_back_off_screen_ = false;
    SDL_Window* window_ = nullptr;
    SDL_Renderer* renderer_ = nullptr;
};

// Hands work from any thread to the thread that runs the SDL event loop. The hand-over is an SDL
// event (SDL_PushEvent is thread-safe), so the waiting event loop wakes up at once.
class MainThread {
public:
    MainThread(); // registers our event type: call after SDL has started (after SquareWindow)

    // Wakes the event loop with our event. Thread-safe.
    void wake() const;
    [[nodiscard]] bool is_wake_event(const SDL_Event& event) const { return event.type == type_; }

    // Runs `task` on the main thread and returns its result, blocking the calling thread until it
    // has run. Throws std::runtime_error when the main thread has stopped taking work (close()) or
    // does not get to it within 5 s.
    template <class F>
    auto run(F task) -> decltype(task()) {
        auto packaged = std::make_shared<std::packaged_task<decltype(task())()>>(std::move(task));
        auto result = packaged->get_future();
        post([packaged] { (*packaged)(); });
        if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
            throw std::runtime_error("the window's main thread did not answer within 5 s");
        }
        return result.get();
    }

    // Runs the work handed over so far. Main thread only (the event loop, on a wake event).
    void run_pending();
    // Runs what is queued and refuses new work from now on, so no thread waits for a main thread
    // that has left its event loop. Main thread only.
    void close();

private:
    void post(std::function<void()> work);

    Uint32 type_;
    std::mutex mutex_;
    std::deque<std::function<void()>> queue_;
    bool closed_ = false;
};

} // namespace colorsquare
