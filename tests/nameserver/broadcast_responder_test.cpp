// The broadcast responder on 127.0.0.1 (the real broadcast, in a network namespace, is
// ns_broadcast_test): exactly "GET_NSURI" is answered, with the URI, and 0.0.0.0 replaced by the
// address that routes to the asker.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "locate.hpp" // libpyro's private loopback check and GET_NSURI probe
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

// The project's one loopback check (locate_ns tries a loopback NS_HOST first; pyro-ns runs no
// responder on loopback): names and addresses, not prefixes of text.
TEST(LoopbackCheck, NamesAndAddresses) {
    for (const char* host : {"localhost", "LocalHost", "localhost.", "lab.localhost", "127.0.0.1",
                             "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1"}) {
        EXPECT_TRUE(detail::is_loopback_host(host)) << host;
    }
    for (const char* host : {"", "0.0.0.0", "::", "10.0.0.5", "128.0.0.1", "127.example.org",
                             "localhost.example.org", "::ffff:10.0.0.1"}) {
        EXPECT_FALSE(detail::is_loopback_host(host)) << host;
    }
}

// Our own request coming back (a responder port we also listen on) is no answer: the probe
// waits for the URI that follows.
TEST(GetNsuriProbe, SkipsTheRequestEchoedBack) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    std::thread echo([fd] {
        pollfd watched{fd, POLLIN, 0};
        if (::poll(&watched, 1, 5000) != 1) {
            return;
        }
        char buffer[100];
        sockaddr_in peer{};
        socklen_t peer_length = sizeof peer;
        const auto n = ::recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&peer),
                                  &peer_length);
        const std::string uri = "PYRO:Pyro.NameServer@10.0.0.5:9090";
        ::sendto(fd, buffer, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&peer),
                 peer_length);
        ::sendto(fd, uri.data(), uri.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_length);
    });
    const auto answer = detail::probe_get_nsuri(ntohs(address.sin_port), {"127.0.0.1"}, 3000ms, 1);
    echo.join();
    ::close(fd);
    EXPECT_EQ(answer, "PYRO:Pyro.NameServer@10.0.0.5:9090");
}

// The responder stops at once when destroyed, whatever it was waiting for.
TEST(BroadcastResponderTest, StopsPromptly) {
    const auto start = std::chrono::steady_clock::now();
    {
        BroadcastResponder responder("PYRO:Pyro.NameServer@10.0.0.5:9090", "127.0.0.1", 0);
        EXPECT_TRUE(ask(responder.port(), "GET_NSURI", 2000ms));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

} // namespace
} // namespace pyro::ns
