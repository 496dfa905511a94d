// On Boost.Asio, as libpyro's sockets are: the responder is one asynchronous receive loop on an
// io_context of its own, run by one thread until the responder is destroyed. The client's side,
// the GET_NSURI probe, is libpyro's (locate.hpp), so both sides share one implementation.
#include "nameserver/broadcast.hpp"

#include <array>
#include <thread>
#include <utility>

#include <boost/asio.hpp>

#include "locate.hpp"
#include "pyro/errors.hpp"
#include "pyro/uri.hpp"

namespace pyro::ns {

namespace {

namespace asio = boost::asio;
using asio::ip::udp;

// IPv4 only: Pyro4 never runs the responder for an IPv6 name server.
udp::endpoint ipv4_endpoint(asio::io_context& io, const std::string& host, int port) {
    const auto service = static_cast<unsigned short>(port);
    if (host.empty()) {
        return {asio::ip::address_v4::any(), service};
    }
    const std::string name = host == "<broadcast>" ? "255.255.255.255" : host;
    udp::resolver resolver(io);
    boost::system::error_code error;
    const auto found = resolver.resolve(udp::v4(), name, std::to_string(port), error);
    if (error || found.empty()) {
        throw CommunicationError("cannot resolve broadcast host '" + host + "' to an IPv4 address");
    }
    return found.begin()->endpoint();
}

// The local address a datagram to `peer` would leave from (Pyro4's getInterfaceAddress).
std::string interface_address_for(asio::io_context& io, const asio::ip::address& peer) {
    udp::socket probe(io);
    boost::system::error_code error;
    probe.connect(udp::endpoint(peer, 53), error); // connect() on UDP sends nothing
    if (!error) {
        const auto local = probe.local_endpoint(error);
        if (!error) {
            return local.address().to_string();
        }
    }
    return "0.0.0.0";
}

} // namespace

std::optional<std::string> broadcast_answer(std::string_view request, const std::string& ns_uri,
                                            const std::function<std::string()>& interface_address) {
    if (request != detail::get_nsuri_request) {
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
    asio::io_context io{1};
    udp::socket socket{io};
    std::array<char, 100> request{}; // Pyro4 reads at most 100 bytes
    udp::endpoint peer;
    std::string location;
    int port = 0;
    std::thread thread;

    explicit Impl(std::string uri) : ns_uri(std::move(uri)) {}

    void receive_next() {
        socket.async_receive_from(asio::buffer(request), peer,
                                  [this](const boost::system::error_code& error, std::size_t n) {
                                      if (error == asio::error::operation_aborted) {
                                          return; // the responder is going away
                                      }
                                      if (!error && peer.address().is_v4()) {
                                          answer(std::string_view(request.data(), n));
                                      }
                                      receive_next();
                                  });
    }

    void answer(std::string_view text) {
        const auto reply = broadcast_answer(
            text, ns_uri, [&] { return interface_address_for(io, peer.address()); });
        if (reply) {
            // The URI is ASCII in practice; Pyro4 sends it ISO-8859-1 encoded. A requester that
            // is gone already is no concern of ours.
            boost::system::error_code ignored;
            socket.send_to(asio::buffer(*reply), peer, 0, ignored);
        }
    }
};

BroadcastResponder::BroadcastResponder(std::string ns_uri, const std::string& bind_host, int port,
                                       bool reuse_address)
    : impl_(std::make_unique<Impl>(std::move(ns_uri))) {
    const udp::endpoint address = ipv4_endpoint(impl_->io, bind_host, port);
    boost::system::error_code error;
    impl_->socket.open(udp::v4(), error);
    if (!error) {
        impl_->socket.set_option(asio::socket_base::broadcast(true), error);
    }
    if (!error && reuse_address) {
        impl_->socket.set_option(asio::socket_base::reuse_address(true), error);
    }
    if (!error) {
        impl_->socket.bind(address, error);
    }
    if (error) {
        throw CommunicationError(
            "cannot start the broadcast responder on UDP " +
            (bind_host.empty() ? std::string("0.0.0.0") : bind_host) + ":" + std::to_string(port) +
            ": " + error.message() +
            (error == asio::error::address_in_use ? " (use --bcport, or -x for none)" : ""));
    }
    const udp::endpoint bound = impl_->socket.local_endpoint(error);
    impl_->port = bound.port();
    // Pyro4's locationStr: the host as given (or the bound address), the port as given (or the
    // one chosen).
    impl_->location = (bind_host.empty() ? bound.address().to_string() : bind_host) + ":" +
                      std::to_string(port != 0 ? port : impl_->port);
    impl_->receive_next();
    impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

BroadcastResponder::~BroadcastResponder() {
    impl_->io.stop();
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
    return detail::probe_get_nsuri(port, addresses, wait, 1);
}

} // namespace pyro::ns
