#include "blocking_socket.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <span>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace pyro::detail {

namespace {

using Clock = std::chrono::steady_clock;

timeval to_timeval(std::chrono::nanoseconds timeout) {
    const auto micros = std::chrono::ceil<std::chrono::microseconds>(timeout).count();
    return timeval{static_cast<time_t>(micros / 1'000'000),
                   static_cast<suseconds_t>(micros % 1'000'000)};
}

} // namespace

Clock::time_point BlockingSocket::deadline() const {
    return timeout_.count() > 0 ? Clock::now() + timeout_ : Clock::time_point::max();
}

void BlockingSocket::set_timeout(std::chrono::duration<double> timeout) {
    const auto wanted =
        timeout.count() > 0
            ? std::max(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout),
                       std::chrono::nanoseconds(1))
            : std::chrono::nanoseconds(0);
    timeout_ = wanted;
    if (fd_ >= 0 && applied_timeout_ != wanted) {
        const timeval tv = to_timeval(wanted); // {0, 0}: no limit
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        applied_timeout_ = wanted;
    }
}

int BlockingSocket::connect(const Endpoint& endpoint, std::chrono::duration<double> timeout,
                            bool nodelay) {
    close();
    const int family = endpoint.data()->sa_family;
    fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        return errno;
    }
    applied_timeout_ = std::chrono::nanoseconds(0);
    set_timeout(timeout); // SO_SNDTIMEO also limits a blocking connect
    if (nodelay && family != AF_UNIX) {
        const int on = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    int result = 0;
    if (::connect(fd_, endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0) {
        result = errno;
        if (result == EINTR && family != AF_UNIX) {
            // The TCP handshake goes on without us: wait for its end (the rest of the timeout is
            // not known here, so a whole one; a signal during connect is rare).
            result = wait(POLLOUT, deadline());
            if (result == 0) {
                socklen_t size = sizeof result;
                ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &result, &size);
            }
        } else if (result == EINPROGRESS || result == EAGAIN) {
            result = timed_out; // SO_SNDTIMEO passed (EAGAIN: a Unix listener's full backlog)
        }
    }
    if (result != 0) {
        close();
    }
    return result;
}

void BlockingSocket::close() noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    reader_.reset();
    begin_ = 0;
    end_ = 0;
    last_frame_ = {};
}

int BlockingSocket::wait(short events, Clock::time_point until) const {
    for (;;) {
        timespec left_spec{};
        timespec* limit = nullptr;
        if (until != Clock::time_point::max()) {
            const auto left = until - Clock::now();
            if (left <= Clock::duration::zero()) {
                return timed_out;
            }
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
            left_spec = {static_cast<time_t>(ns / 1'000'000'000),
                         static_cast<long>(ns % 1'000'000'000)};
            limit = &left_spec;
        }
        pollfd poll_fd{fd_, events, 0};
        const int ready = ::ppoll(&poll_fd, 1, limit, nullptr);
        if (ready > 0) {
            return 0; // ready, or an error the next call reports
        }
        if (ready == 0) {
            return timed_out;
        }
        if (errno != EINTR) {
            return errno;
        }
    }
}

int BlockingSocket::write(std::string_view head, std::string_view payload) {
    std::array<iovec, 2> parts{iovec{const_cast<char*>(head.data()), head.size()},
                               iovec{const_cast<char*>(payload.data()), payload.size()}};
    std::span<iovec> left(parts.data(), payload.empty() ? 1 : 2);
    // The whole frame within the timeout, as with Asio: SO_SNDTIMEO limits each call, the
    // deadline what a frame the socket does not take at once may wait for in all.
    const Clock::time_point until = deadline();
    for (;;) {
        msghdr message{};
        message.msg_iov = left.data();
        message.msg_iovlen = left.size();
        const ssize_t sent = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return timed_out;
            }
            if (errno != EINTR) {
                return errno;
            }
        } else {
            auto n = static_cast<std::size_t>(sent);
            while (!left.empty() && n >= left.front().iov_len) {
                n -= left.front().iov_len;
                left = left.subspan(1);
            }
            if (left.empty()) {
                return 0;
            }
            left.front().iov_base = static_cast<char*>(left.front().iov_base) + n;
            left.front().iov_len -= n;
        }
        if (const int waited = wait(POLLOUT, until); waited != 0) {
            return waited;
        }
    }
}

std::optional<Message> BlockingSocket::read(MessageLimits limits, int& error) {
    // Small for the usual small replies, larger while a big frame arrives so it comes in fewer
    // receives; the MessageReader keeps the frame itself.
    constexpr std::size_t small_buffer = 8 * 1024;
    constexpr std::size_t large_buffer = 64 * 1024;
    if (!reader_) {
        reader_.emplace(limits);
    }
    // The first receive waits with SO_RCVTIMEO, a further one (a frame in pieces, a signal)
    // only for what is left of the timeout.
    const Clock::time_point until = deadline();
    bool first = true;
    try {
        for (;;) {
            if (std::optional<Message> whole = take_whole_frame(limits)) {
                return whole;
            }
            while (!reader_->has_message() && begin_ < end_) {
                begin_ += reader_->feed(
                    std::span<const std::uint8_t>(buffer_.get() + begin_, end_ - begin_));
            }
            if (reader_->has_message()) {
                last_frame_ = Clock::now();
                return reader_->take();
            }
            begin_ = 0;
            end_ = 0;
            const std::size_t room =
                std::clamp(reader_->bytes_wanted(), small_buffer, large_buffer);
            if (capacity_ < room) {
                buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(room);
                capacity_ = room;
            }
            if (!first && until != Clock::time_point::max()) {
                if (const int waited = wait(POLLIN, until); waited != 0) {
                    error = waited;
                    return std::nullopt;
                }
            }
            first = false;
            const ssize_t n = ::recv(fd_, buffer_.get(), capacity_, 0);
            if (n == 0) {
                error = closed;
                return std::nullopt;
            }
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    error = timed_out;
                    return std::nullopt;
                }
                if (errno != EINTR) {
                    error = errno;
                    return std::nullopt;
                }
            } else {
                end_ = static_cast<std::size_t>(n);
            }
        }
    } catch (...) {
        reader_.reset(); // a reader that threw is unusable
        begin_ = 0;
        end_ = 0;
        throw;
    }
}

std::optional<Message> BlockingSocket::take_whole_frame(const MessageLimits& limits) {
    if (end_ - begin_ < message_header_size || reader_->header() ||
        reader_->bytes_wanted() != message_header_size) {
        return std::nullopt; // not a whole header, or a frame already begun in the reader
    }
    const std::uint8_t* start = buffer_.get() + begin_;
    const MessageHeader header = MessageHeader::decode(
        std::span<const std::uint8_t, message_header_size>(start, message_header_size));
    const std::size_t size =
        message_header_size + header.annotations_size + static_cast<std::size_t>(header.data_size);
    if (size > end_ - begin_) {
        return std::nullopt;
    }
    // The same checks as the reader's, on the same bytes.
    Message message =
        decode_message(std::string_view(reinterpret_cast<const char*>(start), size), limits);
    begin_ += size;
    last_frame_ = Clock::now();
    return message;
}

bool BlockingSocket::idle(bool trust_recent) const {
    if (fd_ < 0 || begin_ < end_) {
        return false;
    }
    if (trust_recent && Clock::now() - last_frame_ < recently) {
        return true;
    }
    char byte;
    const auto n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

} // namespace pyro::detail
