#include "net.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string_view>
#include <vector>

#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "pyro/errors.hpp"
#include "transport.hpp"

namespace pyro::detail {

namespace asio = boost::asio;
using asio::ip::tcp;

Endpoint unix_endpoint(const std::string& path) {
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
        throw CommunicationError("Unix socket path too long (" + std::to_string(path.size()) +
                                 " bytes, at most " +
                                 std::to_string(sizeof(sockaddr_un::sun_path) - 1) + "): " + path);
    }
    return Endpoint(asio::local::stream_protocol::endpoint(path));
}

namespace {

bool is_localhost(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower == "localhost" || lower == "localhost." || lower.ends_with(".localhost");
}

std::vector<tcp::endpoint> resolve(const std::string& host, int port, int prefer_ip_version,
                                   bool passive) {
    const auto flags = passive ? tcp::resolver::passive : tcp::resolver::flags();
    const std::string name = host.empty() ? "0.0.0.0" : host;
    // Bracketed IPv6 literals are how URIs write them; the resolver wants them bare.
    std::string bare = name;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
        bare = bare.substr(1, bare.size() - 2);
    }
    std::vector<tcp::endpoint> endpoints;
    if (is_localhost(bare)) {
        // RFC 6761 reserves "localhost" for the loopback addresses. Resolving it ourselves gives
        // what /etc/hosts says on any normal system, and still works on a minimal one without
        // that file (a fresh container or debootstrap root), where Pyro4's default host would
        // otherwise fail to resolve.
        const auto service = static_cast<unsigned short>(port);
        endpoints = {tcp::endpoint(asio::ip::address_v4::loopback(), service),
                     tcp::endpoint(asio::ip::address_v6::loopback(), service)};
    } else {
        asio::io_context io; // only the resolver's: a name above needs none
        tcp::resolver resolver(io);
        boost::system::error_code error;
        const auto results = resolver.resolve(bare, std::to_string(port), flags, error);
        if (error) {
            throw CommunicationError("cannot resolve host '" + name + "': " + error.message());
        }
        for (const auto& result : results) {
            endpoints.push_back(result.endpoint());
        }
    }
    // Pyro4's PREFER_IP_VERSION (default 4): IPv4 addresses first, as "localhost" may also
    // resolve to ::1 and a Python peer listens on IPv4.
    std::stable_partition(endpoints.begin(), endpoints.end(), [&](const tcp::endpoint& e) {
        return prefer_ip_version == 6 ? e.address().is_v6() : e.address().is_v4();
    });
    if (endpoints.empty()) {
        throw CommunicationError("host '" + name + "' has no address");
    }
    return endpoints;
}

} // namespace

Endpoint resolve_bind_endpoint(const std::string& host, int port, int prefer_ip_version) {
    return Endpoint(resolve(host, port, prefer_ip_version, true).front());
}

std::vector<Endpoint> resolve_connect_endpoints(const std::string& host, int port,
                                                int prefer_ip_version) {
    // An address ("127.0.0.1", "[::1]") is its only endpoint: no resolver, no getaddrinfo.
    const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
    boost::system::error_code not_address;
    const auto address = asio::ip::make_address(
        bracketed ? std::string_view(host).substr(1, host.size() - 2) : std::string_view(host),
        not_address);
    if (!not_address) {
        return {Endpoint(tcp::endpoint(address, static_cast<unsigned short>(port)))};
    }
    std::vector<Endpoint> out;
    for (const auto& endpoint : resolve(host, port, prefer_ip_version, false)) {
        out.emplace_back(endpoint);
    }
    return out;
}

void open_and_listen(Acceptor& acceptor, const Endpoint& endpoint, const std::string& what,
                     bool reuse_address) {
    boost::system::error_code error;
    acceptor.open(endpoint.protocol(), error);
    if (!error && reuse_address && endpoint.protocol().family() != AF_UNIX) {
        acceptor.set_option(asio::socket_base::reuse_address(true), error);
    }
    if (!error) {
        acceptor.bind(endpoint, error);
    }
    if (!error) {
        acceptor.listen(asio::socket_base::max_listen_connections, error);
    }
    if (error == asio::error::address_in_use) {
        throw CommunicationError("cannot listen on " + what +
                                 ": the address is already in use — another program (perhaps a "
                                 "server or name server left running) holds it; stop that "
                                 "program or choose another port");
    }
    if (error) {
        throw CommunicationError("cannot listen on " + what + ": " + error.message());
    }
}

std::optional<tcp::endpoint> ip_endpoint(const Endpoint& endpoint) {
    const int family = endpoint.data()->sa_family;
    if (family != AF_INET && family != AF_INET6) {
        return std::nullopt;
    }
    tcp::endpoint ip;
    std::memcpy(ip.data(), endpoint.data(), std::min<std::size_t>(endpoint.size(), ip.capacity()));
    return ip;
}

std::string host_port_text(const std::string& host, int port) {
    if (host.find(':') != std::string::npos && !host.starts_with("[")) {
        return "[" + host + "]:" + std::to_string(port);
    }
    return host + ":" + std::to_string(port);
}

std::string describe_endpoint(const Endpoint& endpoint) {
    if (endpoint.data()->sa_family == AF_INET) {
        // Written here rather than by inet_ntop (a sprintf per byte): every accepted connection
        // names its peer, about 2,000 instructions of a connection's set-up otherwise.
        sockaddr_in address{};
        std::memcpy(&address, endpoint.data(),
                    std::min<std::size_t>(endpoint.size(), sizeof address));
        const auto* bytes = reinterpret_cast<const unsigned char*>(&address.sin_addr.s_addr);
        std::string text;
        text.reserve(sizeof "255.255.255.255:65535");
        std::array<char, 8> digits{};
        const auto append = [&](unsigned number) {
            const auto written =
                std::to_chars(digits.data(), digits.data() + digits.size(), number);
            text.append(digits.data(), written.ptr);
        };
        for (std::size_t i = 0; i < 4; ++i) {
            if (i > 0) {
                text += '.';
            }
            append(bytes[i]);
        }
        text += ':';
        append(ntohs(address.sin_port));
        return text;
    }
    if (const auto ip = ip_endpoint(endpoint)) {
        return host_port_text(ip->address().to_string(), ip->port());
    }
    if (endpoint.data()->sa_family == AF_UNIX) {
        return "./u:" +
               std::string(reinterpret_cast<const sockaddr_un*>(endpoint.data())->sun_path);
    }
    return "?";
}

void set_nodelay(Socket& socket) {
    const int on = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

bool is_normal_disconnect(const boost::system::error_code& error) {
    return error == asio::error::eof || error == asio::error::connection_reset ||
           error == asio::error::operation_aborted || error == asio::error::broken_pipe ||
           error == asio::error::bad_descriptor ||
           error == asio::ssl::error::stream_truncated; // a TLS peer closing without notify
}

asio::awaitable<Message> async_read_message(Transport& socket, const MessageLimits& limits) {
    MessageReader reader(limits);
    std::array<std::uint8_t, message_header_size> header{};
    co_await asio::async_read(socket, asio::buffer(header), asio::use_awaitable);
    reader.feed(std::span<const std::uint8_t>(header));
    std::vector<std::uint8_t> chunk;
    while (!reader.has_message()) {
        chunk.resize(std::min<std::size_t>(reader.bytes_wanted(), 64 * 1024));
        co_await asio::async_read(socket, asio::buffer(chunk), asio::use_awaitable);
        reader.feed(std::span<const std::uint8_t>(chunk));
    }
    co_return reader.take();
}

bool FrameReader::parse() {
    while (!reader_.has_message() && begin_ < end_) {
        begin_ +=
            reader_.feed(std::span<const std::uint8_t>(buffer_.get() + begin_, end_ - begin_));
    }
    return reader_.has_message();
}

asio::awaitable<Message> FrameReader::read(Transport& socket) {
    std::optional<Message> message = co_await read_unless_closed(socket);
    if (!message) {
        throw boost::system::system_error(asio::error::eof);
    }
    co_return std::move(*message);
}

asio::awaitable<std::optional<Message>> FrameReader::read_unless_closed(Transport& socket) {
    // Small for the usual small requests (memory per connection), larger while a big frame
    // arrives so it comes in fewer receives; the MessageReader keeps the frame itself.
    constexpr std::size_t small_buffer = 8 * 1024;
    constexpr std::size_t large_buffer = 64 * 1024;
    while (!parse()) {
        begin_ = 0; // parse() took every buffered byte
        end_ = 0;
        const std::size_t room = std::clamp(reader_.bytes_wanted(), small_buffer, large_buffer);
        if (capacity_ < room) {
            buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(room);
            capacity_ = room;
        }
        auto [error, n] = co_await socket.async_read_some(asio::buffer(buffer_.get(), capacity_),
                                                          asio::as_tuple(asio::use_awaitable));
        if ((error == asio::error::eof || error == asio::ssl::error::stream_truncated) &&
            !reader_.header() && reader_.bytes_wanted() == message_header_size) {
            co_return std::nullopt; // nothing of a next frame had arrived
        }
        if (error) {
            throw boost::system::system_error(error);
        }
        end_ = n;
    }
    co_return reader_.take();
}

} // namespace pyro::detail
