// A Pyro4 server cut down to what the proxy request tests need, on a loopback port: CONNECT gets
// a CONNECTOK (handshake "hello", no metadata: give the proxy Config::metadata = false), each
// INVOKE a RESULT of None (a oneway one nothing), and the payload of every INVOKE is kept as its
// bytes arrived, so a test can compare them with what the codec writes for the request.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pyro/message.hpp"
#include "pyro/serializer.hpp"
#include "pyro/value.hpp"

namespace pyro::test {

struct RecordingOptions {
    bool drop_first_invoke = false; // close the first INVOKE's connection instead of answering
    bool close_after_reply = false; // close each connection after its first RESULT
};

class RecordingServer {
public:
    using Options = RecordingOptions;

    explicit RecordingServer(SerializerKind kind, Options options = {})
        : kind_(kind), options_(options) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
            ::listen(listener_, 8) != 0 ||
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
            throw std::runtime_error("RecordingServer: no loopback listener");
        }
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~RecordingServer() {
        ::shutdown(listener_, SHUT_RDWR); // wakes the accept
        thread_.join();
        ::close(listener_);
    }
    RecordingServer(const RecordingServer&) = delete;
    RecordingServer& operator=(const RecordingServer&) = delete;

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string uri(const std::string& object = "obj") const {
        return "PYRO:" + object + "@127.0.0.1:" + std::to_string(port_);
    }
    [[nodiscard]] std::vector<std::string> invokes() const {
        const std::lock_guard lock(mutex_);
        return invokes_;
    }
    [[nodiscard]] int connections() const { return connections_.load(); }

private:
    void serve() {
        for (;;) {
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) {
                return;
            }
            ++connections_;
            serve_connection(fd);
            ::close(fd);
        }
    }

    // Until the client closes, or this server does what its options say.
    void serve_connection(int fd) {
        MessageReader reader;
        std::vector<std::uint8_t> buffer(64 * 1024);
        for (;;) {
            const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
            if (n <= 0) {
                return;
            }
            std::span<const std::uint8_t> data(buffer.data(), static_cast<std::size_t>(n));
            while (!data.empty()) {
                data = data.subspan(reader.feed(data));
                if (!reader.has_message()) {
                    continue;
                }
                const Message request = reader.take();
                Message reply;
                reply.seq = request.seq;
                reply.serializer_id = static_cast<std::uint16_t>(kind_);
                if (request.type == MessageType::Connect) {
                    reply.type = MessageType::ConnectOk;
                    reply.payload = serialize(kind_, Value("hello"));
                } else {
                    bool drop = false;
                    {
                        const std::lock_guard lock(mutex_);
                        invokes_.push_back(request.payload);
                        drop = options_.drop_first_invoke && invokes_.size() == 1;
                    }
                    if (drop) {
                        return;
                    }
                    if (request.has_flag(flags::oneway)) {
                        continue;
                    }
                    reply.type = MessageType::Result;
                    reply.payload = serialize(kind_, Value());
                }
                const std::string frame = encode_message(reply);
                if (::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) !=
                    static_cast<ssize_t>(frame.size())) {
                    return;
                }
                if (reply.type == MessageType::Result && options_.close_after_reply) {
                    return;
                }
            }
        }
    }

    SerializerKind kind_;
    Options options_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<int> connections_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> invokes_;
    std::thread thread_;
};

} // namespace pyro::test
