// The connection of a plain (not TLS) proxy: one blocking TCP or Unix stream socket driven by
// direct system calls. A proxy makes one call at a time and waits for its answer, so the Asio
// machinery (an io_context per proxy: eventfd, epoll, timers, and several system calls per frame)
// buys it nothing; here a call costs one sendmsg and usually one recv. Timeouts are the socket's
// own (SO_SNDTIMEO / SO_RCVTIMEO, which Linux also applies to connect), with poll() only for the
// rest of a frame that needs more than one system call.
//
// Errors are returned, not thrown, as errno values (plus `closed` for the peer's end of stream
// and `timed_out`), so the proxy keeps saying what it said with Asio (proxy.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "net.hpp"
#include "pyro/message.hpp"

namespace pyro::detail {

class BlockingSocket {
public:
    // Results besides 0 (done) and an errno value.
    static constexpr int closed = -1;    // the peer ended the stream
    static constexpr int timed_out = -2; // the timeout passed first

    BlockingSocket() = default;
    BlockingSocket(const BlockingSocket&) = delete;
    BlockingSocket& operator=(const BlockingSocket&) = delete;
    ~BlockingSocket() { close(); }

    // Opens a socket for the endpoint's family and connects it within `timeout` (0: no limit);
    // TCP_NODELAY when `nodelay`. On failure the socket is closed again.
    [[nodiscard]] int connect(const Endpoint& endpoint, std::chrono::duration<double> timeout,
                              bool nodelay);
    // Shutdown and close; a later I/O call gives EBADF. Keeps any buffered bytes out of the
    // next connection.
    void close() noexcept;
    [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
    [[nodiscard]] int native_handle() const noexcept { return fd_; }

    // The timeout of the following sends and receives (0: no limit).
    void set_timeout(std::chrono::duration<double> timeout);

    // Sends head then payload, all of it (one sendmsg unless the socket buffer is full).
    [[nodiscard]] int write(std::string_view head, std::string_view payload);
    // The next frame: nullopt and the error in `error` when it did not arrive. Throws
    // ProtocolError / MessageTooLargeError for a bad header (the reader is reset for the next
    // connection's frames).
    [[nodiscard]] std::optional<Message> read(MessageLimits limits, int& error);

    // Neither closed by the peer nor with unread bytes (received but not asked for: a stale
    // frame) waiting: safe to send a request on. With `trust_recent`, the kernel is asked (a
    // MSG_PEEK receive) only when the last frame arrived `recently` or longer ago: a peer closes
    // a connection when it has been idle (the server's timeout) or when it goes away, not
    // microseconds after answering, and a call made straight after the last one's answer is
    // spared a system call. A close within that window is then found as a close just after the
    // check always was: the call fails (ConnectionClosedError) and the next one connects afresh.
    [[nodiscard]] bool idle(bool trust_recent) const;
    static constexpr std::chrono::microseconds recently{50};

private:
    // The next frame when all of it is in the buffer and the reader has none begun: decoded
    // where it lies (decode_message) rather than copied into the reader a part at a time.
    [[nodiscard]] std::optional<Message> take_whole_frame(const MessageLimits& limits);
    // Waits until fd_ can do `events` within what is left until `deadline`.
    [[nodiscard]] int wait(short events, std::chrono::steady_clock::time_point deadline) const;
    [[nodiscard]] std::chrono::steady_clock::time_point deadline() const;

    int fd_ = -1;
    std::chrono::nanoseconds timeout_{0};                // what the proxy wants
    std::chrono::nanoseconds applied_timeout_{0};        // what the socket has (SO_*TIMEO)
    std::chrono::steady_clock::time_point last_frame_{}; // when read() last returned a frame
    std::optional<MessageReader> reader_;
    // Received bytes: one receive usually holds a whole reply. Not a vector: growing one
    // zero-fills bytes the socket writes anyway.
    std::unique_ptr<std::uint8_t[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

} // namespace pyro::detail
