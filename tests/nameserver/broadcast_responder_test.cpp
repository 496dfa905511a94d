// The broadcast responder on 127.0.0.1 (the real broadcast, in a network namespace, is
// ns_broadcast_test): exactly "GET_NSURI" is answered, with the URI, and 0.0.0.0 replaced by the
// address that routes to the asker.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "nameserver/broadcast.hpp"
#include "pyro/errors.hpp"

namespace pyro::ns {
namespace {

using namespace std::chrono_literals;

TEST(BroadcastAnswer, OnlyTheExactRequest) {
    const auto no_interface = [] { return std::string("unused"); };
    const std::string uri = "PYRO:Pyro.NameServer@10.0.0.5:9090";
    EXPECT_EQ(broadcast_answer("GET_NSURI", uri, no_interface), uri);
    EXPECT_FALSE(broadcast_answer("GET_NSURI\n", uri, no_interface));
    EXPECT_FALSE(broadcast_answer("get_nsuri", uri, no_interface));
    EXPECT_FALSE(broadcast_answer("", uri, no_interface));
}

TEST(BroadcastAnswer, AnyAddressBecomesTheInterfaceAddress) {
    EXPECT_EQ(broadcast_answer("GET_NSURI", "PYRO:Pyro.NameServer@0.0.0.0:9090",
                               [] { return std::string("192.168.1.7"); }),
              "PYRO:Pyro.NameServer@192.168.1.7:9090");
}

// One datagram to 127.0.0.1:port; the answer within `wait`, if any.
std::optional<std::string> ask(int port, std::string_view request, std::chrono::milliseconds wait) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(static_cast<std::uint16_t>(port));
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(fd, request.data(), request.size(), 0, reinterpret_cast<const sockaddr*>(&target),
             sizeof target);
    pollfd watched{fd, POLLIN, 0};
    std::optional<std::string> answer;
    if (::poll(&watched, 1, static_cast<int>(wait.count())) == 1) {
        char buffer[200];
        const auto received = ::recv(fd, buffer, sizeof buffer, 0);
        if (received >= 0) {
            answer = std::string(buffer, static_cast<std::size_t>(received));
        }
    }
    ::close(fd);
    return answer;
}

TEST(BroadcastResponderTest, AnswersOnLoopback) {
    BroadcastResponder responder("PYRO:Pyro.NameServer@0.0.0.0:9090", "127.0.0.1", 0);
    ASSERT_NE(responder.port(), 0);
    EXPECT_EQ(responder.location(), "127.0.0.1:" + std::to_string(responder.port()));
    EXPECT_FALSE(ask(responder.port(), "HELLO", 200ms));
    EXPECT_EQ(ask(responder.port(), "GET_NSURI", 2000ms), "PYRO:Pyro.NameServer@127.0.0.1:9090");
    EXPECT_EQ(probe_broadcast(responder.port(), {"127.0.0.1"}, 2000ms),
              "PYRO:Pyro.NameServer@127.0.0.1:9090");
}

TEST(BroadcastResponderTest, AllInterfacesLocation) {
    BroadcastResponder responder("PYRO:Pyro.NameServer@10.0.0.5:9090", "", 0);
    EXPECT_EQ(responder.location(), "0.0.0.0:" + std::to_string(responder.port()));
    EXPECT_EQ(ask(responder.port(), "GET_NSURI", 2000ms), "PYRO:Pyro.NameServer@10.0.0.5:9090");
}

TEST(BroadcastResponderTest, PortTakenWithoutReuse) {
    BroadcastResponder first("PYRO:Pyro.NameServer@10.0.0.5:9090", "127.0.0.1", 0, false);
    EXPECT_THROW(BroadcastResponder("PYRO:x@h:1", "127.0.0.1", first.port(), false),
                 CommunicationError);
}

} // namespace
} // namespace pyro::ns
