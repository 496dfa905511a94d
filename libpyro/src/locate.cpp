#include "locate.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>

#include <boost/asio.hpp>

namespace pyro::detail {

namespace asio = boost::asio;
using asio::ip::udp;

bool is_loopback_host(std::string_view host) {
    std::string name(host);
    if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
        name = name.substr(1, name.size() - 2);
    }
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name == "localhost" || name == "localhost." || name.ends_with(".localhost")) {
        return true;
    }
    boost::system::error_code error;
    const asio::ip::address address = asio::ip::make_address(name, error);
    if (error) {
        return false;
    }
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
    }
    return address.is_loopback();
}

namespace {

// IPv4 only: Pyro4 broadcasts only over IPv4.
std::vector<udp::endpoint> broadcast_targets(asio::io_context& io, int port,
                                             const std::vector<std::string>& addresses) {
    udp::resolver resolver(io);
    std::vector<udp::endpoint> targets;
    for (const auto& text : addresses) {
        const std::string name = text == "<broadcast>" ? "255.255.255.255"
                                 : text.empty()        ? "0.0.0.0"
                                                       : text;
        boost::system::error_code error;
        const auto found = resolver.resolve(udp::v4(), name, std::to_string(port), error);
        if (!error && !found.empty()) {
            targets.push_back(found.begin()->endpoint());
        }
    }
    return targets;
}

} // namespace

std::optional<std::string> probe_get_nsuri(int port, const std::vector<std::string>& addresses,
                                           std::chrono::milliseconds wait, int rounds) {
    asio::io_context io(1);
    udp::socket socket(io);
    boost::system::error_code error;
    socket.open(udp::v4(), error);
    if (error) {
        return std::nullopt;
    }
    socket.set_option(asio::socket_base::broadcast(true), error);
    const std::vector<udp::endpoint> targets = broadcast_targets(io, port, addresses);
    if (targets.empty()) {
        return std::nullopt;
    }
    for (int round = 0; round < rounds; ++round) {
        for (const auto& target : targets) {
            socket.send_to(asio::buffer(get_nsuri_request), target, 0, error); // unreachable: skip
        }
        const auto deadline = std::chrono::steady_clock::now() + wait;
        std::array<char, 100> reply{};
        udp::endpoint sender;
        std::optional<std::string> answer;
        // Keep reading until the round's time is up: our own request echoed back (a name server
        // port we also listen on) is no answer.
        std::function<void()> receive_next = [&] {
            socket.async_receive_from(asio::buffer(reply), sender,
                                      [&](const boost::system::error_code& e, std::size_t n) {
                                          if (e) {
                                              return;
                                          }
                                          std::string text(reply.data(), n);
                                          if (text == get_nsuri_request) {
                                              receive_next();
                                              return;
                                          }
                                          answer = std::move(text);
                                      });
        };
        receive_next();
        io.restart();
        io.run_until(deadline);
        if (!io.stopped()) {
            socket.cancel(error);
            io.restart();
            io.run(); // the cancelled receive ends before its buffers go
        }
        if (answer) {
            return answer;
        }
    }
    return std::nullopt;
}

} // namespace pyro::detail
