// Socket plumbing shared by the daemon and the proxy: one generic stream socket type for TCP
// (IPv4/IPv6) and Unix sockets, address texts, friendly bind errors and frame I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio.hpp>

#include "pyro/message.hpp"

namespace pyro::detail {

using Protocol = boost::asio::generic::stream_protocol;
using Socket = Protocol::socket;
using Acceptor = boost::asio::basic_socket_acceptor<Protocol>;
using Endpoint = Protocol::endpoint;
class Transport; // transport.hpp: the socket's bytes, plain or TLS

[[nodiscard]] Endpoint unix_endpoint(const std::string& path);
// The address to listen on for a host name ("localhost", "0.0.0.0", "::1", "" = all IPv4);
// IPv4 first unless prefer_ip_version is 6. Throws CommunicationError naming the host.
[[nodiscard]] Endpoint resolve_bind_endpoint(const std::string& host, int port,
                                             int prefer_ip_version);
// Every address a client may connect to for host:port, preferred family first.
[[nodiscard]] std::vector<Endpoint> resolve_connect_endpoints(const std::string& host, int port,
                                                              int prefer_ip_version);
// Opens, binds and listens; an address in use gives one line saying what to do.
void open_and_listen(Acceptor& acceptor, const Endpoint& endpoint, const std::string& what,
                     bool reuse_address);
// The IP address and port of a TCP endpoint; nullopt for a Unix socket.
[[nodiscard]] std::optional<boost::asio::ip::tcp::endpoint> ip_endpoint(const Endpoint& endpoint);
// "host:port", "[::1]:port".
[[nodiscard]] std::string host_port_text(const std::string& host, int port);
// "127.0.0.1:5555", "[::1]:5555", "./u:/tmp/x.sock".
[[nodiscard]] std::string describe_endpoint(const Endpoint& endpoint);
void set_nodelay(Socket& socket);
// EOF, reset, aborted: a peer that went away, not worth a log line.
[[nodiscard]] bool is_normal_disconnect(const boost::system::error_code& error);

// Reads one frame: the header first, then the rest in pieces, so memory follows the bytes that
// really arrive.
[[nodiscard]] boost::asio::awaitable<Message> async_read_message(Transport& transport,
                                                                 const MessageLimits& limits);

// Reads the frames of one connection through a small buffer: one receive usually brings a whole
// request (header and body together), and the daemon sees when the client has already sent the
// next one (pipelining) so it can let other connections go first. Belongs to one connection.
class FrameReader {
public:
    explicit FrameReader(const MessageLimits& limits) : reader_(limits) {}

    // The next frame, from the bytes already buffered first. Throws ProtocolError /
    // MessageTooLargeError for a bad header, boost::system::system_error for I/O errors.
    [[nodiscard]] boost::asio::awaitable<Message> read(Transport& transport);
    // The same, but nullopt when the peer closed the connection between two frames: the usual
    // end of a connection, without the cost of an exception.
    [[nodiscard]] boost::asio::awaitable<std::optional<Message>>
    read_unless_closed(Transport& transport);
    // Bytes of a further frame have already been received.
    [[nodiscard]] bool has_buffered_bytes() const { return begin_ < end_; }

private:
    bool parse();

    MessageReader reader_;
    // Not a vector: growing one zero-fills it, a cost per connection for bytes the socket writes.
    std::unique_ptr<std::uint8_t[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

} // namespace pyro::detail
