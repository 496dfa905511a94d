// The one place where a connection is either plain or TLS (PYRO_SSL): the daemon's sessions and
// the proxy read and write frames through a Transport over their socket. The socket stays theirs
// (addresses, shutdown, cancel, the monitor); only the bytes go through here, so plain
// connections pay one pointer test per I/O and nothing else.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "net.hpp"
#include "pyro/config.hpp"

namespace pyro::detail {

using TlsContext = boost::asio::ssl::context;

// The contexts Pyro4's getSSLcontext makes, from the PYRO_SSL_* settings. Server: its
// certificate and key (passphrase from SSL_SERVERKEYPASSWD), client certificates required and
// checked against SSL_CACERTS when SSL_REQUIRECLIENTCERT. Client: the server's certificate
// checked against SSL_CACERTS (else the system's CAs), its own certificate when SSL_CLIENTCERT
// is set. A missing or unreadable file, or a wrong passphrase, throws PyroError naming the
// setting and the file.
[[nodiscard]] std::shared_ptr<TlsContext> make_server_tls(const Config& config);
[[nodiscard]] std::shared_ptr<TlsContext> make_client_tls(const Config& config);

// An error of the TLS layer (as opposed to the socket's).
[[nodiscard]] bool is_tls_error(const boost::system::error_code& error);

class Transport {
public:
    using executor_type = Socket::executor_type;

    // `tls` null: the bytes go straight to the socket. The socket must outlive the Transport.
    Transport(Socket& socket, TlsContext* tls);
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;
    ~Transport();

    [[nodiscard]] bool is_tls() const noexcept { return tls_ != nullptr; }
    [[nodiscard]] executor_type get_executor() { return socket_.get_executor(); }

    // Client side: the name the server's certificate must carry (SNI and the host check, as
    // Python's check_hostname: a DNS name or an IP address). Before the handshake.
    void expect_server_name(const std::string& host);
    // The TLS handshake (the caller applies the timeout by cancelling the socket).
    template <typename Token>
    auto async_handshake(bool server, Token&& token) {
        using Stream = boost::asio::ssl::stream_base;
        return tls_->async_handshake(server ? Stream::server : Stream::client,
                                     std::forward<Token>(token));
    }

    template <typename Buffers, typename Token>
    auto async_read_some(const Buffers& buffers, Token&& token) {
        if (tls_) {
            return tls_->async_read_some(buffers, std::forward<Token>(token));
        }
        return socket_.async_read_some(buffers, std::forward<Token>(token));
    }
    template <typename Buffers, typename Token>
    auto async_write_some(const Buffers& buffers, Token&& token) {
        if (tls_) {
            return tls_->async_write_some(buffers, std::forward<Token>(token));
        }
        return socket_.async_write_some(buffers, std::forward<Token>(token));
    }
    // What a non-blocking socket takes at once. TLS takes nothing here (would_block): a record
    // half written by a synchronous call could not be finished by an asynchronous one.
    template <typename Buffers>
    std::size_t write_some_now(const Buffers& buffers, boost::system::error_code& error) {
        if (tls_) {
            error = boost::asio::error::would_block;
            return 0;
        }
        return socket_.write_some(buffers, error);
    }

    // One line for a failed handshake or TLS read: the cause and what to do. `client` says
    // which side this program is; `peer` names the other one.
    [[nodiscard]] std::string failure_text(const boost::system::error_code& error, bool client,
                                           std::string_view peer) const;

private:
    Socket& socket_;
    std::unique_ptr<boost::asio::ssl::stream<Socket&>> tls_;
    std::string server_name_; // what the client expects, for the messages
};

} // namespace pyro::detail
