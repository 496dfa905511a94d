// pyro::Future<T> — the result of an asynchronous call, as Pyro4's FutureResult.
//
//   pyro::AsyncProxy calc(proxy);                       // async_proxy.hpp
//   pyro::Future<int> sum = calc.call<int>("slow_add", 2, 3, 1.5);
//   auto doubled = sum.then([](int s) { return 2 * s; }); // runs when the sum arrives
//   if (!sum.wait(0.1s)) { /* still running */ }
//   int four_x = doubled.then([](int d) { return 2 * d; }).value(); // blocks; rethrows
//
// Like FutureResult: ready() and wait(timeout) do not block (or block at most the timeout);
// value() blocks and rethrows the remote exception as its C++ class; then(f) runs f with the
// previous result once it is there (at once, in the caller's thread, if it already is; else in
// the thread that delivers the result), and an exception skips the rest of the chain: every later
// Future holds that exception. iferror(handler) sees the exception of a failed call.
//
// Unlike FutureResult, which changes itself, then() returns a new Future of f's result type, so
// each step of a chain is typed; the Future it was called on keeps its own result. A Future is a
// cheap handle: copies share one result, and every member may be called from any thread.
// Dropping every handle does not cancel the call (Pyro4 cannot cancel one either): it finishes in
// the background.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "pyro/errors.hpp"

namespace pyro {

template <class T>
class Future;

namespace detail {

// What a Future<void> stores: only that it completed.
template <class T>
using FutureSlot = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// The result shared by a Future's copies, the continuations waiting for it and, for a call
// running on its own thread, that thread.
template <class T>
class FutureState {
public:
    FutureState() = default;
    FutureState(const FutureState&) = delete;
    FutureState& operator=(const FutureState&) = delete;
    ~FutureState() {
        // The worker owns a reference until it has delivered, so the last one may go on the worker
        // itself: a thread cannot join itself, and it is ending anyway.
        if (worker_.joinable()) {
            if (worker_.get_id() == std::this_thread::get_id()) {
                worker_.detach();
            } else {
                worker_.join();
            }
        }
    }

    void adopt(std::thread worker) {
        const std::lock_guard lock(mutex_);
        worker_ = std::move(worker);
    }

    void set_value(FutureSlot<T> value) {
        deliver([&] { value_.emplace(std::move(value)); });
    }
    void set_error(std::exception_ptr error) {
        deliver([&] { error_ = std::move(error); });
    }

    [[nodiscard]] bool ready() const {
        const std::lock_guard lock(mutex_);
        return done_;
    }
    bool wait_for(std::chrono::duration<double> timeout) const {
        std::unique_lock lock(mutex_);
        return done_changed_.wait_for(lock, timeout, [this] { return done_; });
    }
    void wait() const {
        std::unique_lock lock(mutex_);
        done_changed_.wait(lock, [this] { return done_; });
    }

    // Blocks, then the value or the exception.
    const FutureSlot<T>& get() const {
        wait();
        // done_ never goes back: value_ and error_ are not written again.
        if (error_) {
            std::rethrow_exception(error_);
        }
        return *value_;
    }

    // Runs `step` once the result is there: now (outside the lock) if it already is.
    void on_done(std::function<void()> step) {
        {
            const std::lock_guard lock(mutex_);
            if (!done_) {
                waiting_.push_back(std::move(step));
                return;
            }
        }
        step();
    }

    [[nodiscard]] std::exception_ptr error() const {
        wait();
        return error_;
    }

private:
    template <class Store>
    void deliver(Store store) {
        std::vector<std::function<void()>> steps;
        {
            const std::lock_guard lock(mutex_);
            if (done_) {
                return; // a result is delivered once
            }
            store();
            done_ = true;
            steps.swap(waiting_);
        }
        done_changed_.notify_all();
        for (auto& step : steps) {
            step(); // each guards itself: a continuation's exception goes to its own Future
        }
    }

    mutable std::mutex mutex_;
    mutable std::condition_variable done_changed_;
    bool done_ = false;
    std::optional<FutureSlot<T>> value_;
    std::exception_ptr error_;
    std::vector<std::function<void()>> waiting_;
    std::thread worker_;
};

// Calls f(previous result) (or f() after a Future<void>) and stores what it returns in `into`,
// or the exception it throws.
template <class T, class U, class F>
void run_step(const FutureState<T>& from, FutureState<U>& into, F& f) {
    try {
        if constexpr (std::is_void_v<T>) {
            from.get();
            if constexpr (std::is_void_v<U>) {
                f();
                into.set_value({});
            } else {
                into.set_value(f());
            }
        } else {
            if constexpr (std::is_void_v<U>) {
                f(from.get());
                into.set_value({});
            } else {
                into.set_value(f(from.get()));
            }
        }
    } catch (...) {
        into.set_error(std::current_exception());
    }
}

template <class T, class F>
struct ThenResult {
    using type = std::invoke_result_t<F&, const T&>;
};
template <class F>
struct ThenResult<void, F> {
    using type = std::invoke_result_t<F&>;
};

} // namespace detail

template <class T>
class Future {
public:
    using value_type = T;

    // An empty handle; every member but valid() throws PyroError on it.
    Future() = default;
    explicit Future(std::shared_ptr<detail::FutureState<T>> state) : state_(std::move(state)) {}

    [[nodiscard]] bool valid() const noexcept { return state_ != nullptr; }

    // Pyro4's FutureResult.ready: whether the result (or exception) has arrived.
    [[nodiscard]] bool ready() const { return state().ready(); }

    // Pyro4's wait(timeout): true once the result is there, false when the timeout passed first.
    bool wait(std::chrono::duration<double> timeout) const { return state().wait_for(timeout); }
    void wait() const { state().wait(); }

    // Pyro4's .value: blocks until the result is there; rethrows the call's exception (the remote
    // one as its C++ class, see proxy.hpp). May be read any number of times.
    [[nodiscard]] T value() const {
        if constexpr (std::is_void_v<T>) {
            state().get();
        } else {
            return state().get();
        }
    }

    // Pyro4's then(): f receives this Future's result (nothing for Future<void>) when it arrives;
    // returns the Future of f's result. Not run when this Future fails: the exception passes on.
    template <class F>
    [[nodiscard]] auto then(F f) const {
        using U = std::remove_cvref_t<typename detail::ThenResult<T, F>::type>;
        auto next = std::make_shared<detail::FutureState<U>>();
        auto from = shared_state();
        from->on_done(
            [from, next, f = std::move(f)]() mutable { detail::run_step(*from, *next, f); });
        return Future<U>(std::move(next));
    }

    // Pyro4's iferror(): handler(exception) runs when this Future's call fails (at once if it
    // already has; Pyro4 would then skip it). What the handler throws is dropped. Returns *this,
    // to go on chaining.
    const Future& iferror(std::function<void(const std::exception&)> handler) const {
        auto from = shared_state();
        from->on_done([from, handler = std::move(handler)] {
            if (std::exception_ptr error = from->error()) {
                try {
                    std::rethrow_exception(error);
                } catch (const std::exception& failure) {
                    try {
                        handler(failure);
                    } catch (...) {
                        // Nowhere to go: it would stop the continuations after it.
                    }
                } catch (...) {
                    // Not a std::exception: nothing a handler could be given.
                }
            }
        });
        return *this;
    }

private:
    detail::FutureState<T>& state() const { return *shared_state(); }
    const std::shared_ptr<detail::FutureState<T>>& shared_state() const {
        if (!state_) {
            throw PyroError("this pyro::Future is empty (default-constructed or moved from); "
                            "take one from AsyncProxy::call or Batch::run_async");
        }
        return state_;
    }

    std::shared_ptr<detail::FutureState<T>> state_;
};

namespace detail {

// Runs `work` on a thread of its own and returns the Future of its result: Pyro4 runs each
// asynchronous call in a thread too.
template <class T, class Work>
Future<T> launch(Work work) {
    auto state = std::make_shared<FutureState<T>>();
    // The worker holds a reference until it has delivered; the state keeps the thread object.
    std::thread worker([state, work = std::move(work)]() mutable {
        try {
            if constexpr (std::is_void_v<T>) {
                work();
                state->set_value({});
            } else {
                state->set_value(work());
            }
        } catch (...) {
            state->set_error(std::current_exception());
        }
    });
    state->adopt(std::move(worker));
    return Future<T>(std::move(state));
}

} // namespace detail

} // namespace pyro
