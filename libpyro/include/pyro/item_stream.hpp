// pyro::ItemStream — what a servant method returns to send its result as a Pyro4 item stream
// (the C++ side of a Python method that returns a generator or an iterator). The client pulls
// the items one at a time (Pyro.Daemon.get_next_stream_item), so a stream may be long or endless
// and costs the server one item at a time.
//
// A method exposed with methods<T> (methods.hpp) that returns a pyro::Generator<T> (generator.hpp)
// or an ItemStream is streamed; any other result, a std::vector included, is sent whole:
//
//   pyro::Generator<int> count(int n);                         // a coroutine
//   pyro::ItemStream lines() {                                 // a range the stream owns
//       return pyro::ItemStream::from_range(std::vector<std::string>{"a", "b"});
//   }
//   pyro::ItemStream ticks() {                                 // a function, nullopt ends it
//       return pyro::ItemStream::from_function([i = 0]() mutable -> std::optional<int> {
//           return i < 3 ? std::optional<int>(i++) : std::nullopt;
//       });
//   }
//
// Each item converts with pyro::convert (convert.hpp) when it is asked for. As in Pyro4, nothing
// of the stream runs before the first item is asked for; an exception the source throws goes to
// the client that asked for that item, and ends the stream. The daemon's limits (Config's
// iter_streaming, iter_stream_lifetime, iter_stream_linger; DaemonOptions' stream caps) decide
// how long a stream lives.
#pragma once

#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>

#include "pyro/convert.hpp"
#include "pyro/generator.hpp"
#include "pyro/value.hpp"

namespace pyro {

namespace detail {
template <class T>
struct is_std_optional : std::false_type {};
template <class T>
struct is_std_optional<std::optional<T>> : std::true_type {};
} // namespace detail

class ItemStream {
public:
    ItemStream() = default; // a stream with no items

    // A coroutine's items (implicit, so a method may `return generator;`).
    template <class T>
    ItemStream(Generator<T> generator) // NOLINT(google-explicit-constructor)
        : source_(std::make_unique<FunctionSource<Pull<T>>>(Pull<T>{std::move(generator)})) {
        static_assert(Convertible<T>, "Generator<T>: T has no pyro::convert specialisation");
    }

    // Calls `produce` once per item; it returns std::optional<T>, std::nullopt ending the stream.
    template <class F>
    static ItemStream from_function(F produce) {
        using Result = std::remove_cvref_t<std::invoke_result_t<F&>>;
        static_assert(detail::is_std_optional<Result>::value,
                      "ItemStream::from_function: the function must return std::optional<T>");
        static_assert(Convertible<typename Result::value_type>,
                      "ItemStream::from_function: T has no pyro::convert specialisation");
        ItemStream stream;
        stream.source_ = std::make_unique<FunctionSource<F>>(std::move(produce));
        return stream;
    }

    // The items of a range the stream takes over (moved or copied in), walked one per item.
    template <std::ranges::input_range R>
    static ItemStream from_range(R range) {
        static_assert(Convertible<std::remove_cvref_t<std::ranges::range_reference_t<R>>>,
                      "ItemStream::from_range: the element type has no pyro::convert "
                      "specialisation");
        ItemStream stream;
        stream.source_ = std::make_unique<RangeSource<R>>(std::move(range));
        return stream;
    }

    // The items [first, last) of a range that must outlive the stream (the client may ask for
    // the last item long after the method returned: prefer the owning form above).
    template <std::input_iterator I, std::sentinel_for<I> S>
    static ItemStream from_range(I first, S last) {
        return from_range(std::ranges::subrange<I, S>(std::move(first), std::move(last)));
    }

    // The next item as a Value, or std::nullopt at the end (and ever after).
    std::optional<Value> next() {
        if (!source_) {
            return std::nullopt;
        }
        std::optional<Value> item = source_->next();
        if (!item) {
            source_.reset(); // ended: release what the source holds at once
        }
        return item;
    }

private:
    struct Source {
        virtual ~Source() = default;
        virtual std::optional<Value> next() = 0;
    };

    template <class T>
    struct Pull {
        Generator<T> generator;
        std::optional<T> operator()() { return generator.next(); }
    };

    template <class F>
    struct FunctionSource final : Source {
        explicit FunctionSource(F f) : produce(std::move(f)) {}
        std::optional<Value> next() override {
            auto item = produce();
            if (!item) {
                return std::nullopt;
            }
            return to_value(*item);
        }
        F produce;
    };

    template <class R>
    struct RangeSource final : Source {
        explicit RangeSource(R r) : range(std::move(r)) {}
        std::optional<Value> next() override {
            // begin() only now: a view's begin() may do work, which belongs to the first item.
            if (!position) {
                position.emplace(std::ranges::begin(range));
            } else {
                ++*position;
            }
            if (*position == std::ranges::end(range)) {
                return std::nullopt;
            }
            return to_value(**position);
        }
        R range;
        std::optional<std::ranges::iterator_t<R>> position;
    };

    std::unique_ptr<Source> source_;
};

namespace detail {

// What makes make_invoker (methods.hpp) stream a method's result instead of sending it whole.
template <class R>
inline constexpr bool is_item_stream_v = false;
template <class T>
inline constexpr bool is_item_stream_v<Generator<T>> = true;
template <>
inline constexpr bool is_item_stream_v<ItemStream> = true;

// Hands a stream a servant method returned to the daemon running the call (daemon_streams.cpp)
// and returns the placeholder result the invoker passes back. Throws PyroError when no daemon
// call is running on this thread (detail::invoke called directly).
Value offer_item_stream(ItemStream stream);

} // namespace detail

} // namespace pyro
