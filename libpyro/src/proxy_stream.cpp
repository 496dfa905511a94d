// pyro::Stream: a remote item stream pulled through its proxy (stream.hpp, PYRO4-WIRE.md §5.9).
#include <utility>

#include "pyro/errors.hpp"
#include "pyro/proxy.hpp"
#include "pyro/stream.hpp"

namespace pyro {

namespace {

// Python's iterator protocol ends on StopIteration (the server's end marker) and GeneratorExit.
bool is_end_marker(const PyroError& error) {
    const std::string name = error.python_class();
    return name == "builtins.StopIteration" || name == "exceptions.StopIteration" ||
           name == "builtins.GeneratorExit" || name == "exceptions.GeneratorExit";
}

} // namespace

Stream::Stream(std::weak_ptr<void> proxy, std::string id, std::string method)
    : proxy_(std::move(proxy)), id_(std::move(id)), method_(std::move(method)), ended_(false) {}

Stream Stream::from_result(std::string_view method, Value result) {
    if (!result.is_sequence()) {
        throw TypeError(std::string(method) + "() returned " + std::string(result.type_name()) +
                        ", not an item stream or a sequence; call it with call<T>() instead");
    }
    Stream stream;
    stream.method_ = method;
    stream.local_ = std::move(result.items());
    stream.ended_ = stream.local_.empty();
    return stream;
}

Stream::~Stream() {
    try {
        close();
    } catch (...) {
        // A destructor cannot report it; the server drops the stream with the connection, or
        // after its lifetime.
    }
}

Stream::Stream(Stream&& other) noexcept
    : proxy_(std::move(other.proxy_)), id_(std::move(other.id_)), method_(std::move(other.method_)),
      local_(std::move(other.local_)), local_next_(other.local_next_),
      ended_(std::exchange(other.ended_, true)) {}

Stream& Stream::operator=(Stream&& other) noexcept {
    if (this != &other) {
        try {
            close();
        } catch (...) {
            // As in the destructor.
        }
        proxy_ = std::move(other.proxy_);
        id_ = std::move(other.id_);
        method_ = std::move(other.method_);
        local_ = std::move(other.local_);
        local_next_ = other.local_next_;
        ended_ = std::exchange(other.ended_, true);
    }
    return *this;
}

std::optional<Value> Stream::next() {
    if (ended_) {
        return std::nullopt;
    }
    if (id_.empty()) {
        std::optional<Value> item(std::move(local_[local_next_++]));
        if (local_next_ == local_.size()) {
            ended_ = true;
            local_.clear();
        }
        return item;
    }
    try {
        return Proxy::stream_request(proxy_, "get_next_stream_item", id_, false);
    } catch (const PyroError& error) {
        // Whatever the server answered with an exception, it has dropped the stream (§5.9): its
        // end, an error of the generator, or "item stream terminated". A local failure (the
        // connection) leaves it open on the server, lingering for a reconnect.
        if (error.remote_value() != nullptr) {
            ended_ = true;
            if (is_end_marker(error)) {
                return std::nullopt;
            }
        }
        throw;
    }
}

void Stream::close() {
    if (ended_) {
        return;
    }
    ended_ = true;
    local_.clear();
    if (id_.empty()) {
        return;
    }
    try {
        (void)Proxy::stream_request(proxy_, "close_stream", id_, true);
    } catch (const ConnectionClosedError&) {
        // No connection to tell it on, as in Python: the server's linger time ends it.
    }
}

} // namespace pyro
