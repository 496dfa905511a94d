// Plain POSIX UDP sockets: one datagram in, one out, on a thread of its own that sleeps in poll()
// until a request arrives or the responder is destroyed (a pipe wakes it).
#include "nameserver/broadcast.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pyro/errors.hpp"
#include "pyro/uri.hpp"

namespace pyro::ns {

namespace {

constexpr std::string_view request_text = "GET_NSURI";

class FileDescriptor {
public:
    explicit FileDescriptor(int fd = -1) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    [[nodiscard]] int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

std::string address_text(const sockaddr_in& address) {
    std::array<char, INET_ADDRSTRLEN> text{};
    ::inet_ntop(AF_INET, &address.sin_addr, text.data(), text.size());
    return text.data();
}

// IPv4 only: Pyro4 never runs the responder for an IPv6 name server.
sockaddr_in ipv4_address(const std::string& host, int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (host.empty()) {
        address.sin_addr.s_addr = htonl(INADDR_ANY);
        return address;
    }
    const std::string name = host == "<broadcast>" ? "255.255.255.255" : host;
    if (::inet_pton(AF_INET, name.c_str(), &address.sin_addr) == 1) {
        return address;
    }
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
        throw CommunicationError("cannot resolve broadcast host '" + host + "' to an IPv4 address");
    }
    address.sin_addr = reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr;
    ::freeaddrinfo(found);
    return address;
}

// The local address a datagram to `peer` would leave from (Pyro4's getInterfaceAddress).
std::string interface_address_for(const sockaddr_in& peer) {
    FileDescriptor probe(::socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in target = peer;
    target.sin_port = htons(53);
    sockaddr_in local{};
    socklen_t length = sizeof local;
    if (probe.get() < 0 ||
        ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0 ||
        ::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0) {
        return "0.0.0.0";
    }
    return address_text(local);
}

int broadcast_socket(bool reuse_address) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw CommunicationError(std::string("cannot open a UDP socket: ") + std::strerror(errno));
    }
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
    if (reuse_address) {
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    }
    return fd;
}

} // namespace

std::optional<std::string> broadcast_answer(std::string_view request, const std::string& ns_uri,
                                            const std::function<std::string()>& interface_address) {
    if (request != request_text) {
        return std::nullopt;
    }
    try {
        const Uri uri = Uri::parse(ns_uri);
        if (uri.host() == "0.0.0.0" && uri.port()) {
            return Uri::pyro(uri.object(), interface_address(), *uri.port()).str();
        }
    } catch (const PyroError&) {
        // Not parseable: answer with the text as it is.
    }
    return ns_uri;
}

struct BroadcastResponder::Impl {
    std::string ns_uri;
    FileDescriptor socket;
    FileDescriptor wake_read;
    FileDescriptor wake_write;
    std::string location;
    int port = 0;
    std::thread thread;

    Impl(std::string uri, int fd, int wake[2])
        : ns_uri(std::move(uri)), socket(fd), wake_read(wake[0]), wake_write(wake[1]) {}

    void run() {
        std::array<pollfd, 2> watched{{{socket.get(), POLLIN, 0}, {wake_read.get(), POLLIN, 0}}};
        for (;;) {
            if (::poll(watched.data(), watched.size(), -1) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return;
            }
            if (watched[1].revents != 0) {
                return;
            }
            if (watched[0].revents != 0) {
                answer_one();
            }
        }
    }

    void answer_one() {
        std::array<char, 100> buffer{}; // Pyro4 reads at most 100 bytes
        sockaddr_in peer{};
        socklen_t length = sizeof peer;
        const auto received = ::recvfrom(socket.get(), buffer.data(), buffer.size(), MSG_DONTWAIT,
                                         reinterpret_cast<sockaddr*>(&peer), &length);
        if (received < 0 || peer.sin_family != AF_INET) {
            return;
        }
        const auto reply =
            broadcast_answer(std::string_view(buffer.data(), static_cast<std::size_t>(received)),
                             ns_uri, [&] { return interface_address_for(peer); });
        if (reply) {
            // The URI is ASCII in practice; Pyro4 sends it ISO-8859-1 encoded.
            ::sendto(socket.get(), reply->data(), reply->size(), 0,
                     reinterpret_cast<const sockaddr*>(&peer), length);
        }
    }
};

BroadcastResponder::BroadcastResponder(std::string ns_uri, const std::string& bind_host, int port,
                                       bool reuse_address) {
    const sockaddr_in address = ipv4_address(bind_host, port);
    FileDescriptor fd(broadcast_socket(reuse_address));
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int error = errno;
        throw CommunicationError("cannot start the broadcast responder on UDP " +
                                 (bind_host.empty() ? std::string("0.0.0.0") : bind_host) + ":" +
                                 std::to_string(port) + ": " + std::strerror(error) +
                                 (error == EADDRINUSE ? " (use --bcport, or -x for none)" : ""));
    }
    sockaddr_in bound{};
    socklen_t length = sizeof bound;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length);
    int wake[2];
    if (::pipe2(wake, O_CLOEXEC) != 0) {
        throw CommunicationError(std::string("cannot create a pipe: ") + std::strerror(errno));
    }
    impl_ = std::make_unique<Impl>(std::move(ns_uri), fd.release(), wake);
    impl_->port = ntohs(bound.sin_port);
    // Pyro4's locationStr: the host as given (or the bound address), the port as given (or the
    // one chosen).
    impl_->location = (bind_host.empty() ? address_text(bound) : bind_host) + ":" +
                      std::to_string(port != 0 ? port : impl_->port);
    impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

BroadcastResponder::~BroadcastResponder() {
    const char stop = 'x';
    [[maybe_unused]] const auto ignored = ::write(impl_->wake_write.get(), &stop, 1);
    impl_->thread.join();
}

const std::string& BroadcastResponder::location() const {
    return impl_->location;
}

int BroadcastResponder::port() const {
    return impl_->port;
}

std::optional<std::string> probe_broadcast(int port, const std::vector<std::string>& addresses,
                                           std::chrono::milliseconds wait) {
    FileDescriptor fd(broadcast_socket(true));
    for (const auto& text : addresses) {
        try {
            const sockaddr_in target = ipv4_address(text, port);
            // Unreachable or unavailable addresses are skipped, as Pyro4's locateNS skips them.
            ::sendto(fd.get(), request_text.data(), request_text.size(), 0,
                     reinterpret_cast<const sockaddr*>(&target), sizeof target);
        } catch (const CommunicationError&) {
        }
    }
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return std::nullopt;
        }
        pollfd watched{fd.get(), POLLIN, 0};
        if (::poll(&watched, 1, static_cast<int>(left.count())) <= 0) {
            if (errno == EINTR) {
                continue;
            }
            return std::nullopt;
        }
        std::array<char, 100> buffer{};
        const auto received = ::recv(fd.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (received > 0) {
            std::string reply(buffer.data(), static_cast<std::size_t>(received));
            if (reply != request_text) {
                return reply;
            }
        }
    }
}

} // namespace pyro::ns
