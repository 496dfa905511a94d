#include "square_window.hpp"

#include <utility>
#include <vector>

namespace colorsquare {
namespace {

[[noreturn]] void sdl_failed(const std::string& what) {
    throw std::runtime_error(what + ": " + SDL_GetError());
}

} // namespace

SquareWindow::SquareWindow(int size, bool headless) : size_(size) {
    // Without a display SDL would probe for one (and complain) before drawing in memory anyway:
    // go straight to the offscreen driver, and let the program say so.
    const bool no_display = SDL_getenv("DISPLAY") == nullptr &&
                            SDL_getenv("WAYLAND_DISPLAY") == nullptr &&
                            SDL_getenv("SDL_VIDEODRIVER") == nullptr;
    fell_back_off_screen_ = !headless && no_display;
    if (headless || no_display) {
        // Must be set before SDL_Init: the offscreen driver draws into memory, no display needed.
        SDL_setenv("SDL_VIDEODRIVER", "offscreen", 1);
    }
    // The software renderer draws into the window's surface; keep SDL from backing that surface
    // with an OpenGL texture, which would start a GL driver (and its threads) for nothing.
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        sdl_failed("cannot start SDL video (no display? try --headless)");
    }
    window_ = SDL_CreateWindow("colorsquare", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, size,
                               size, SDL_WINDOW_SHOWN);
    // A flat square needs no GPU: the software renderer behaves the same on every machine, with
    // or without a display, and reading pixels back from it gives exactly what is shown.
    if (window_ != nullptr) {
        renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_SOFTWARE);
    }
    if (renderer_ == nullptr) {
        std::string reason = SDL_GetError();
        if (window_ != nullptr) {
            SDL_DestroyWindow(window_);
        }
        SDL_Quit();
        throw std::runtime_error("cannot open the window: " + reason);
    }
}

SquareWindow::~SquareWindow() {
    SDL_DestroyRenderer(renderer_);
    SDL_DestroyWindow(window_);
    SDL_Quit();
}

void SquareWindow::set_title(const std::string& title) {
    SDL_SetWindowTitle(window_, title.c_str());
}

void SquareWindow::draw(Rgb colour) {
    SDL_SetRenderDrawColor(renderer_, 40, 40, 40, 255);
    SDL_RenderClear(renderer_);
    const SDL_Rect square{size_ / 4, size_ / 4, size_ / 2, size_ / 2};
    SDL_SetRenderDrawColor(renderer_, static_cast<Uint8>(colour.r), static_cast<Uint8>(colour.g),
                           static_cast<Uint8>(colour.b), 255);
    SDL_RenderFillRect(renderer_, &square);
    SDL_RenderPresent(renderer_);
}

Rgb SquareWindow::pixel_at_center() {
    Uint8 pixel[4] = {};
    const SDL_Rect centre{size_ / 2, size_ / 2, 1, 1};
    if (SDL_RenderReadPixels(renderer_, &centre, SDL_PIXELFORMAT_RGBA32, pixel, 4) != 0) {
        sdl_failed("cannot read the pixel");
    }
    return {pixel[0], pixel[1], pixel[2]};
}

void SquareWindow::save_bmp(const std::string& path) {
    SDL_Surface* picture =
        SDL_CreateRGBSurfaceWithFormat(0, size_, size_, 32, SDL_PIXELFORMAT_ARGB8888);
    if (picture == nullptr) {
        sdl_failed("cannot make a picture");
    }
    const bool ok = SDL_RenderReadPixels(renderer_, nullptr, SDL_PIXELFORMAT_ARGB8888,
                                         picture->pixels, picture->pitch) == 0 &&
                    SDL_SaveBMP(picture, path.c_str()) == 0;
    SDL_FreeSurface(picture);
    if (!ok) {
        sdl_failed("cannot save '" + path + "'");
    }
}

MainThread::MainThread() : type_(SDL_RegisterEvents(1)) {
    if (type_ == static_cast<Uint32>(-1)) {
        sdl_failed("cannot register an SDL event type");
    }
}

void MainThread::wake() const {
    SDL_Event event{};
    event.type = type_;
    SDL_PushEvent(&event);
}

void MainThread::post(std::function<void()> work) {
    {
        const std::lock_guard lock(mutex_);
        if (closed_) {
            throw std::runtime_error("the receiver is shutting down");
        }
        queue_.push_back(std::move(work));
    }
    wake();
}

void MainThread::run_pending() {
    std::deque<std::function<void()>> work;
    {
        const std::lock_guard lock(mutex_);
        work.swap(queue_);
    }
    for (auto& task : work) {
        task();
    }
}

void MainThread::close() {
    {
        const std::lock_guard lock(mutex_);
        closed_ = true;
    }
    run_pending();
}

} // namespace colorsquare
