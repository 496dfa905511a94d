// pyro::Generator<T> — a C++20 coroutine that yields values one at a time (g++ 12 has no
// std::generator). A servant method returning one is sent to its caller as a Pyro4 item stream:
// the client pulls the items one by one, as from a Python generator.
//
//   pyro::Generator<int> count(int n) {
//       for (int i = 0; i < n; ++i) {
//           co_yield i;
//       }
//   }
//
// Like a Python generator, the body runs only when the first item is asked for, and runs up to
// each co_yield in turn; an exception thrown in the body reaches whoever asks for the next item.
// It is also an ordinary input range: `for (int i : count(3))` works locally.
//
// A Generator is move-only. It is not thread-safe: one thread at a time may resume it (a daemon
// serialises the get_next_stream_item calls of one stream).
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

namespace pyro {

template <class T>
class Generator {
    static_assert(!std::is_reference_v<T> && !std::is_const_v<T>,
                  "Generator<T>: yield values (T a plain type); they are copied or moved out");

public:
    using value_type = T;

    struct promise_type {
        std::optional<T> current;
        std::exception_ptr error;

        Generator get_return_object() {
            return Generator(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        template <class U = T>
        requires std::is_constructible_v<T, U&&> std::suspend_always yield_value(U&& value) {
            current.emplace(std::forward<U>(value));
            return {};
        }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { error = std::current_exception(); }
        // co_await has no meaning inside a generator.
        void await_transform() = delete;
    };
    using Handle = std::coroutine_handle<promise_type>;

    Generator() = default;
    Generator(Generator&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    Generator& operator=(Generator&& other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    Generator(const Generator&) = delete;
    Generator& operator=(const Generator&) = delete;
    ~Generator() { reset(); }

    // Runs the body up to its next co_yield: that value, or std::nullopt when the body has ended
    // (and for an empty Generator). An exception from the body is rethrown here, once; after it
    // the Generator is ended.
    std::optional<T> next() {
        if (!handle_ || handle_.done()) {
            return std::nullopt;
        }
        handle_.resume();
        promise_type& promise = handle_.promise();
        if (promise.error) {
            std::exception_ptr error = std::exchange(promise.error, nullptr);
            reset();
            std::rethrow_exception(error);
        }
        if (handle_.done()) {
            return std::nullopt;
        }
        std::optional<T> value = std::move(promise.current);
        promise.current.reset();
        return value;
    }

    // A single-pass input iterator over what next() gives.
    class iterator {
    public:
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using iterator_concept = std::input_iterator_tag;

        iterator() = default;
        explicit iterator(Generator* owner) : owner_(owner) { ++*this; }
        T& operator*() const { return *value_; }
        T* operator->() const { return &*value_; }
        iterator& operator++() {
            value_ = owner_->next();
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) {
            return !it.value_.has_value();
        }

    private:
        Generator* owner_ = nullptr;
        mutable std::optional<T> value_;
    };

    iterator begin() { return iterator(this); }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    explicit Generator(Handle handle) : handle_(handle) {}
    void reset() noexcept {
        if (handle_) {
            handle_.destroy();
            handle_ = {};
        }
    }

    Handle handle_;
};

} // namespace pyro
