// pyro::Stream — the items of a remote method that returns a generator (a Pyro4 item stream),
// fetched one at a time as the caller iterates, like Python's proxy iterator.
//
//   pyro::Stream numbers = proxy.call<pyro::Stream>("count", 5);
//   for (const pyro::Value& n : numbers) {
//       std::cout << n.as_int() << '\n';
//   }
//
// Each item is one call on the proxy's connection (Pyro.Daemon.get_next_stream_item); the server
// ends the stream with StopIteration, and an exception the generator raises arrives from the
// call (or ++) that asked for that item and ends the stream. A Stream dropped before its end
// tells the server so (a oneway close_stream), so the server frees the generator at once.
//
// A Stream uses the connection of the proxy it came from, as Python's iterator does: when that
// proxy has been released or destroyed, asking for the next item throws ConnectionClosedError.
// After proxy.bind() the stream goes on, within the server's PYRO_ITER_STREAM_LINGER time.
// Items are not retried (a lost reply would skip one): a lost connection throws.
//
// A result that was no stream but a list, tuple or set (a server without generators) is iterated
// the same way, from memory. A Stream is move-only and not thread-safe (the proxy it uses is).
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pyro/convert.hpp"
#include "pyro/value.hpp"

namespace pyro {

class Proxy;

class Stream {
public:
    Stream() = default; // no items
    ~Stream();          // close(), errors ignored
    Stream(Stream&& other) noexcept;
    Stream& operator=(Stream&& other) noexcept;
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // The next item, or std::nullopt once the stream has ended (and ever after). Throws what
    // the server's generator raised (that ends the stream), PyroError("item stream terminated")
    // when the server no longer has it (closed, expired, or its linger time passed),
    // ConnectionClosedError when the proxy's connection is gone.
    std::optional<Value> next();
    // The next item converted to T: next_as<int>().
    template <class T>
    std::optional<T> next_as();

    // Tells the server to drop the stream (oneway close_stream) unless it has ended; then the
    // Stream has ended. Harmless to call twice.
    void close();

    [[nodiscard]] bool ended() const noexcept { return ended_; }
    // The server's stream id (the STRM annotation); empty for a list result.
    [[nodiscard]] const std::string& id() const noexcept { return id_; }

    // A single-pass input iterator: `for (const Value& item : stream)`. Incrementing fetches.
    class iterator {
    public:
        using value_type = Value;
        using difference_type = std::ptrdiff_t;
        using iterator_concept = std::input_iterator_tag;

        iterator() = default;
        explicit iterator(Stream* stream) : stream_(stream) { ++*this; }
        const Value& operator*() const { return *item_; }
        const Value* operator->() const { return &*item_; }
        iterator& operator++() {
            item_ = stream_->next();
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) {
            return !it.item_.has_value();
        }

    private:
        Stream* stream_ = nullptr;
        std::optional<Value> item_;
    };
    iterator begin() { return iterator(this); }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    friend class Proxy;
    // Stream `id`, started by `method` on the proxy whose inside `proxy` is (proxy.cpp).
    Stream(std::weak_ptr<void> proxy, std::string id, std::string method);
    // A result that was no stream: its items if it is a list, tuple or set, else TypeError.
    static Stream from_result(std::string_view method, Value result);

    std::weak_ptr<void> proxy_;
    std::string id_;
    std::string method_;
    Value::Items local_; // the items of a plain sequence result
    std::size_t local_next_ = 0;
    bool ended_ = true;
};

template <class T>
std::optional<T> Stream::next_as() {
    std::optional<Value> item = next();
    if (!item) {
        return std::nullopt;
    }
    return reply_from_value<T>(method_, *item);
}

} // namespace pyro
