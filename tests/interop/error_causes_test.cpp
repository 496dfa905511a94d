// Errors that name their cause (issue 13): nothing listening, no answer in time, HMAC keys that
// differ or are missing on either side, a serializer the peer refuses or that libpyro does not
// speak, a peer that is not a Pyro server, an unknown name. Each is its own class with its own
// text, from libpyro's proxy and locate_ns() against pyro-ns and the real pyro4-ns; the lab
// programs and pyro-nsc print that text, never "start one with 'pyro-ns'" when one is running;
// and a Python Pyro4 client against pyro-ns is refused for the same causes as against pyro4-ns.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <typeinfo>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"
#include "support/process.hpp"
#include "support/python.hpp"
#include "support/vectors.hpp"
#include "tests/nameserver/ns_processes.hpp"

namespace pyro::test {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

// Runs `body`, which must throw exactly `Expected` (or a subclass); returns its message.
template <class Expected, class Body>
std::string error_of(Body&& body) {
    try {
        body();
        ADD_FAILURE() << "no error; expected " << typeid(Expected).name();
    } catch (const Expected& error) {
        return error.what();
    } catch (const std::exception& error) {
        ADD_FAILURE() << "expected " << typeid(Expected).name() << ", got " << typeid(error).name()
                      << ": " << error.what();
    }
    return {};
}

Config client_config(std::optional<std::string> key = {}, std::string serializer = "serpent") {
    Config config;
    config.hmac_key = std::move(key);
    config.serializer = std::move(serializer);
    config.comm_timeout = 10.0; // a wrong answer must never become a hang
    return config;
}

// A TCP server on 127.0.0.1 that answers every connection with `reply` and hangs up, or (empty
// reply) accepts and never answers.
class FakePeer {
public:
    explicit FakePeer(std::string reply) : reply_(std::move(reply)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(fd_, 8) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::runtime_error("FakePeer: cannot listen");
        }
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakePeer() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR); // wakes accept()
        thread_.join();
        ::close(fd_);
        for (const int client : clients_) {
            ::close(client);
        }
    }
    FakePeer(const FakePeer&) = delete;
    FakePeer& operator=(const FakePeer&) = delete;

    [[nodiscard]] int port() const { return port_; }

private:
    void serve() {
        while (!stop_) {
            const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) {
                return;
            }
            if (reply_.empty()) {
                clients_.push_back(client); // kept open, never answered
                continue;
            }
            std::array<char, 256> request{};
            [[maybe_unused]] const auto got = ::recv(client, request.data(), request.size(), 0);
            [[maybe_unused]] const auto sent =
                ::send(client, reply_.data(), reply_.size(), MSG_NOSIGNAL);
            ::close(client);
        }
    }

    std::string reply_;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::vector<int> clients_;
    std::thread thread_;
};

std::string pyro_uri(int port, const std::string& object = "thing") {
    return "PYRO:" + object + "@127.0.0.1:" + std::to_string(port);
}

// ---- causes libpyro finds without any name server --------------------------------------------

TEST(ErrorCauses, NothingListening) {
    const int port = free_tcp_port();
    const std::string text =
        error_of<ConnectionRefusedError>([&] { Proxy(pyro_uri(port), client_config()).bind(); });
    EXPECT_TRUE(contains(text, "Connection refused")) << text;
    // No name server there: the one case where starting one is the advice.
    const std::string located =
        error_of<NamingError>([&] { (void)locate_ns(client_config(), "127.0.0.1", port); });
    EXPECT_TRUE(contains(located, "start one with 'pyro-ns'")) << located;
}

TEST(ErrorCauses, NoAnswerInTime) {
    const FakePeer silent("");
    Config config = client_config();
    config.comm_timeout = 0.5;
    const std::string text =
        error_of<TimeoutError>([&] { Proxy(pyro_uri(silent.port()), config).bind(); });
    EXPECT_TRUE(contains(text, "did not answer the Pyro handshake")) << text;
    EXPECT_TRUE(contains(text, "PYRO_COMMTIMEOUT")) << text;
    const std::string located =
        error_of<TimeoutError>([&] { (void)locate_ns(config, "127.0.0.1", silent.port()); });
    EXPECT_TRUE(contains(located, "cannot use the name server at 127.0.0.1:" +
                                      std::to_string(silent.port())))
        << located;
    EXPECT_FALSE(contains(located, "pyro-ns")) << located;
}

// A connection nobody takes: a listener whose backlog is full drops further SYNs, as an
// unreachable host would, so the connect itself times out.
TEST(ErrorCauses, NoAnswerWhileConnecting) {
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener, 0), 0);
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
    ASSERT_EQ(::connect(filler, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    const int port = ntohs(address.sin_port);
    Config config = client_config();
    config.comm_timeout = 0.5;
    const std::string text = error_of<TimeoutError>([&] { Proxy(pyro_uri(port), config).bind(); });
    ::close(filler);
    ::close(listener);
    EXPECT_EQ(text, "cannot connect to ('127.0.0.1', " + std::to_string(port) +
                        "): no answer within 0.5 s (PYRO_COMMTIMEOUT); is the host on the "
                        "network, and is its address right?");
}

TEST(ErrorCauses, NotAPyroPeer) {
    const FakePeer http("HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    const std::string text =
        error_of<NotPyroPeerError>([&] { Proxy(pyro_uri(http.port()), client_config()).bind(); });
    EXPECT_TRUE(contains(text, "is not a Pyro4 server")) << text;
    EXPECT_TRUE(contains(text, "magic 'HTTP'")) << text;
    const std::string located = error_of<NotPyroPeerError>(
        [&] { (void)locate_ns(client_config(), "127.0.0.1", http.port()); });
    EXPECT_TRUE(contains(located, "cannot use the name server at")) << located;
    EXPECT_FALSE(contains(located, "pyro-ns")) << located;

    // Another protocol version: "PYRO", version 47, then zeros.
    std::string old_header = "PYRO";
    old_header += std::string("\x00\x2f", 2) + std::string(18, '\0');
    const FakePeer old_pyro(old_header);
    const std::string old = error_of<NotPyroPeerError>(
        [&] { Proxy(pyro_uri(old_pyro.port()), client_config()).bind(); });
    EXPECT_TRUE(contains(old, "version 47, expected 48")) << old;
}

// A student's --ns-port pointing at a web server: never a hang, even with PYRO_COMMTIMEOUT 0 (wait
// forever). Serpent's CONNECT has a line end, so Python's http.server answers its error page;
// json's has none, so it waits for more and the search gives up after its own limit.
TEST(ErrorCauses, AWebServerWhereTheNameServerShouldBe) {
    const int port = free_tcp_port();
    ChildProcess web(
        {python_interpreter(), "-m", "http.server", std::to_string(port), "--bind", "127.0.0.1"},
        python_environment());
    ASSERT_TRUE(web.wait_for_line("Serving HTTP", 20s)) << web.describe();
    Config config = client_config();
    config.comm_timeout = 0;
    const std::string serpent =
        error_of<NotPyroPeerError>([&] { (void)locate_ns(config, "127.0.0.1", port); });
    // (Its answer starts "<!DOCTYPE" or "HTTP/", as the Python version has it.)
    EXPECT_TRUE(contains(serpent, "is not a Pyro4 server (invalid data or unsupported protocol "
                                  "version: magic '"))
        << serpent;
    config.serializer = "json";
    const auto start = std::chrono::steady_clock::now();
    const std::string json =
        error_of<TimeoutError>([&] { (void)locate_ns(config, "127.0.0.1", port); });
    EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
    EXPECT_TRUE(contains(json, "no answer to the Pyro handshake within 5 s")) << json;
    EXPECT_TRUE(contains(json, "it is not a Pyro server (a web server, say)")) << json;
}

TEST(ErrorCauses, SerializerNotKnownHere) {
    // At once, even with no name server anywhere: no search can help.
    const std::string pickle = error_of<UnknownSerializerError>(
        [&] { (void)locate_ns(client_config({}, "pickle"), "127.0.0.1", free_tcp_port()); });
    EXPECT_TRUE(contains(pickle, "serializer 'pickle' (PYRO_SERIALIZER) is one only Python has"))
        << pickle;
    const std::string typo = error_of<UnknownSerializerError>(
        [&] { (void)Proxy(pyro_uri(1), client_config({}, "serpnt")); });
    EXPECT_TRUE(contains(typo, "serializer 'serpnt' (PYRO_SERIALIZER) does not exist")) << typo;
}

TEST(ErrorCauses, PyroServerThatIsNoNameServer) {
    Config config;
    config.host = "127.0.0.1";
    Daemon daemon(config);
    auto background = daemon.run_in_background();
    const std::string located = error_of<HandshakeError>(
        [&] { (void)locate_ns(client_config(), "127.0.0.1", daemon.port()); });
    EXPECT_TRUE(contains(located, "it is not a name server")) << located;
    // A stale object id: the daemon runs, the object does not.
    const std::string stale = error_of<HandshakeError>(
        [&] { Proxy(daemon.uri_for("obj_gone"), client_config()).bind(); });
    EXPECT_TRUE(contains(stale, "has no object 'obj_gone'")) << stale;
}

// ---- against a name server: pyro-ns and the real pyro4-ns ------------------------------------

class NameServerCauses : public ::testing::TestWithParam<Implementation> {
protected:
    // A name server on a free 127.0.0.1 port; `key` given with -k, `env` added.
    static NameServerProcess start(const std::optional<std::string>& key,
                                   ChildProcess::Environment env = {}) {
        std::vector<std::string> args{"-n", "127.0.0.1", "-p", std::to_string(free_tcp_port())};
        if (key) {
            args.insert(args.end(), {"-k", *key});
        }
        return NameServerProcess(GetParam(), args, std::move(env));
    }
    static int port(const NameServerProcess& ns) { return std::stoi(port_of(ns.uri())); }
};

TEST_P(NameServerCauses, ClientWithoutKeyServerWithKey) {
    NameServerProcess ns = start("secret");
    ASSERT_TRUE(ns.started()) << ns.describe();
    const std::string text =
        error_of<HmacKeyError>([&] { (void)locate_ns(client_config(), "127.0.0.1", port(ns)); });
    EXPECT_TRUE(contains(text, "cannot use the name server at 127.0.0.1:" + port_of(ns.uri())))
        << text;
    EXPECT_TRUE(contains(text, "the server needs an HMAC key and this program has none")) << text;
    EXPECT_FALSE(contains(text, "pyro-ns")) << text;
    // With the key it works: the error was the key and nothing else.
    locate_ns(client_config("secret"), "127.0.0.1", port(ns)).ping();
}

TEST_P(NameServerCauses, ClientKeyDiffers) {
    NameServerProcess ns = start("secret");
    ASSERT_TRUE(ns.started()) << ns.describe();
    const std::string text = error_of<HmacKeyError>(
        [&] { (void)locate_ns(client_config("wrong"), "127.0.0.1", port(ns)); });
    EXPECT_TRUE(contains(text, "the HMAC keys of this program and the server differ")) << text;
}

TEST_P(NameServerCauses, ClientWithKeyServerWithout) {
    NameServerProcess ns = start(std::nullopt);
    ASSERT_TRUE(ns.started()) << ns.describe();
    const std::string text = error_of<HmacKeyError>(
        [&] { (void)locate_ns(client_config("secret"), "127.0.0.1", port(ns)); });
    EXPECT_TRUE(contains(text, "this program has an HMAC key (PYRO_HMAC_KEY) but the server has "
                               "none"))
        << text;
}

TEST_P(NameServerCauses, UnknownName) {
    NameServerProcess ns = start(std::nullopt);
    ASSERT_TRUE(ns.started()) << ns.describe();
    NameServer found = locate_ns(client_config(), "127.0.0.1", port(ns));
    EXPECT_EQ(error_of<UnknownNameError>([&] { (void)found.lookup("no.such.name"); }),
              "unknown name: no.such.name");
    const std::string text = error_of<UnknownNameError>([&] {
        Proxy("PYRONAME:no.such.name@127.0.0.1:" + port_of(ns.uri()), client_config()).bind();
    });
    EXPECT_EQ(text, "unknown name: no.such.name");
}

TEST_P(NameServerCauses, LabProgramAndNscSayWhatIsWrong) {
    NameServerProcess ns = start("secret");
    ASSERT_TRUE(ns.started()) << ns.describe();
    const std::vector<std::string> where{"--ns-host", "127.0.0.1", "--ns-port", port_of(ns.uri())};
    const auto echo_client = [&](ChildProcess::Environment env) {
        std::vector<std::string> argv{ECHO_CLIENT_PROGRAM};
        argv.insert(argv.end(), where.begin(), where.end());
        return run_tool(argv, {}, std::move(env));
    };
    const ToolRun wrong_key = echo_client({{"PYRO_HMAC_KEY", "wrong"}});
    EXPECT_EQ(wrong_key.code, 1) << wrong_key.err;
    EXPECT_TRUE(contains(wrong_key.err, "HMAC keys of this program and the server differ"))
        << wrong_key.err;
    EXPECT_FALSE(contains(wrong_key.err, "start one with")) << wrong_key.err;

    const ToolRun pickle =
        echo_client({{"PYRO_SERIALIZER", "pickle"}, {"PYRO_HMAC_KEY", "secret"}});
    EXPECT_EQ(pickle.code, 1) << pickle.err;
    EXPECT_TRUE(contains(pickle.err, "serializer 'pickle' (PYRO_SERIALIZER)")) << pickle.err;
    EXPECT_FALSE(contains(pickle.err, "start one with")) << pickle.err;

    const ToolRun nsc =
        run_tool({PYRO_NSC_PROGRAM, "-n", "127.0.0.1", "-p", port_of(ns.uri()), "ping"});
    EXPECT_EQ(nsc.out, "Error: cannot use the name server at 127.0.0.1:" + port_of(ns.uri()) +
                           ": connection to ('127.0.0.1', " + port_of(ns.uri()) +
                           ") rejected: the server needs an HMAC key and this program has none "
                           "(hmac key config not symmetric); set PYRO_HMAC_KEY to the server's "
                           "key\n");
}

// The other direction: a Python Pyro4 proxy, refused by the name server for the same causes, and
// in the same words, whichever implementation runs it.
TEST_P(NameServerCauses, PythonClientIsRefusedForTheSameCauses) {
    NameServerProcess ns = start("secret");
    ASSERT_TRUE(ns.started()) << ns.describe();
    const auto python_bind = [&](const std::string& key, const std::string& serializer) {
        return run_tool({python_interpreter(),
                         std::string(INTEROP_SCRIPTS) + "/error_causes_client.py",
                         "PYRO:Pyro.NameServer@127.0.0.1:" + port_of(ns.uri()), key, serializer})
            .out;
    };
    EXPECT_EQ(python_bind("secret", "serpent"), "OK\n");
    const std::string no_key = python_bind("", "serpent");
    EXPECT_TRUE(contains(no_key, "CommunicationError")) << no_key;
    EXPECT_TRUE(contains(no_key, "hmac key config not symmetric")) << no_key;
    const std::string wrong_key = python_bind("wrong", "serpent");
    EXPECT_TRUE(contains(wrong_key, "CommunicationError")) << wrong_key;
    EXPECT_TRUE(contains(wrong_key, "hmac")) << wrong_key;
    const std::string pickle = python_bind("secret", "pickle");
    EXPECT_TRUE(contains(pickle, "rejected: message used serializer that is not accepted: 4"))
        << pickle;
}

INSTANTIATE_TEST_SUITE_P(BothNameServers, NameServerCauses,
                         ::testing::Values(Implementation::Cpp, Implementation::Python),
                         [](const auto& info) {
                             return info.param == Implementation::Cpp ? "PyroNs" : "Pyro4Ns";
                         });

// pyro4-ns told to accept serpent only refuses libpyro's json: the refusal is recognised.
TEST(ErrorCauses, SerializerNotAcceptedByPyro4Ns) {
    NameServerProcess ns(Implementation::Python,
                         {"-n", "127.0.0.1", "-p", std::to_string(free_tcp_port())},
                         {{"PYRO_SERIALIZERS_ACCEPTED", "serpent"}});
    ASSERT_TRUE(ns.started()) << ns.describe();
    const std::string text = error_of<SerializerNotAcceptedError>([&] {
        (void)locate_ns(client_config({}, "json"), "127.0.0.1", std::stoi(port_of(ns.uri())));
    });
    EXPECT_TRUE(contains(text, "the server does not accept json")) << text;
    EXPECT_TRUE(contains(text, "set PYRO_SERIALIZER to one it accepts")) << text;
    locate_ns(client_config({}, "serpent"), "127.0.0.1", std::stoi(port_of(ns.uri()))).ping();
}

} // namespace
} // namespace pyro::test
