// PYRO_MONITOR's reporter: what a datagram says, that nothing is made when the variable is unset,
// and that reporting never blocks, whoever listens or not.
#include "monitor_reporter.hpp"

#include <chrono>
#include <ctime>
#include <map>

#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "protocol.hpp"
#include "pyro/config.hpp"
#include "pyro/serializer.hpp"
#include "support/time_limits.hpp"

namespace {

namespace json = boost::json;
using pyro::Message;
using pyro::MessageType;
using pyro::detail::MonitorDirection;
using pyro::detail::MonitorReporter;

const pyro::detail::MonitorOrigin origin{"echo-client", 4242, "proxy"};

Message invoke(const pyro::Value::Items& params) {
    Message message;
    message.type = MessageType::Invoke;
    message.seq = 7;
    message.serializer_id = pyro::serializer_ids::json;
    message.payload =
        pyro::serialize(pyro::SerializerKind::Json,
                        pyro::detail::invoke_payload(pyro::SerializerKind::Json, "echo.server",
                                                     "echo", params, pyro::Value::Entries{}));
    return message;
}

json::object parse(const std::string& datagram) {
    return json::parse(datagram).as_object();
}

TEST(MonitorDatagram, DescribesAnInvoke) {
    const auto out =
        parse(pyro::detail::monitor_datagram(origin, MonitorDirection::Sent, "127.0.0.1:50000",
                                             "127.0.0.1:9999", invoke({"hi", 3}), 1700000000.25));
    EXPECT_EQ(out.at("v").as_int64(), 1);
    EXPECT_EQ(out.at("process").as_string(), "echo-client");
    EXPECT_EQ(out.at("pid").as_int64(), 4242);
    EXPECT_EQ(out.at("role").as_string(), "proxy");
    EXPECT_EQ(out.at("dir").as_string(), "out");
    EXPECT_EQ(out.at("local").as_string(), "127.0.0.1:50000");
    EXPECT_EQ(out.at("peer").as_string(), "127.0.0.1:9999");
    EXPECT_EQ(out.at("type").as_string(), "MSG_INVOKE");
    EXPECT_EQ(out.at("seq").as_int64(), 7);
    EXPECT_EQ(out.at("flags").as_int64(), 0);
    EXPECT_EQ(out.at("serializer").as_string(), "json");
    EXPECT_EQ(out.at("object").as_string(), "echo.server");
    EXPECT_EQ(out.at("method").as_string(), "echo");
    EXPECT_EQ(out.at("args").as_string(), "('hi', 3)");
    EXPECT_FALSE(out.contains("kwargs"));
    EXPECT_EQ(out.at("time").as_double(), 1700000000.25);
    EXPECT_GT(out.at("size").as_int64(), 24);
}

TEST(MonitorDatagram, DescribesResultsErrorsAndOneway) {
    Message result;
    result.type = MessageType::Result;
    result.seq = 7;
    result.flags = pyro::flags::exception;
    result.payload =
        pyro::serialize(pyro::SerializerKind::Json,
                        pyro::Value::dict({{"__class__", "Pyro4.errors.NamingError"},
                                           {"__exception__", true},
                                           {"args", pyro::Value::list({"unknown name: x"})},
                                           {"attributes", pyro::Value::dict()}}));
    auto out = parse(
        pyro::detail::monitor_datagram(origin, MonitorDirection::Received, "a", "b", result, 0.0));
    EXPECT_EQ(out.at("dir").as_string(), "in");
    EXPECT_EQ(out.at("error").as_string(), "Pyro4.errors.NamingError: unknown name: x");
    EXPECT_EQ(out.at("flag_names").as_string(), "FLAGS_EXCEPTION");

    result.flags = 0;
    result.payload = pyro::serialize(pyro::SerializerKind::Json, pyro::Value::list({1, "two"}));
    out = parse(
        pyro::detail::monitor_datagram(origin, MonitorDirection::Received, "a", "b", result, 0.0));
    EXPECT_EQ(out.at("result").as_string(), "[1, 'two']");

    Message oneway = invoke({});
    oneway.flags = pyro::flags::oneway;
    out = parse(
        pyro::detail::monitor_datagram(origin, MonitorDirection::Sent, "a", "b", oneway, 0.0));
    EXPECT_EQ(out.at("flags").as_int64(), pyro::flags::oneway);
    EXPECT_EQ(out.at("flag_names").as_string(), "FLAGS_ONEWAY");

    Message garbage = invoke({});
    garbage.payload = "{not json";
    out = parse(
        pyro::detail::monitor_datagram(origin, MonitorDirection::Sent, "a", "b", garbage, 0.0));
    EXPECT_TRUE(out.contains("decode_error"));
    EXPECT_FALSE(out.contains("method"));
}

TEST(MonitorDatagram, LongArgumentsAreCutAtACharacterBoundary) {
    std::string long_text;
    for (int i = 0; i < 5000; ++i) {
        long_text += "é";
    }
    const std::string datagram = pyro::detail::monitor_datagram(origin, MonitorDirection::Sent, "a",
                                                                "b", invoke({long_text}), 0.0);
    EXPECT_LT(datagram.size(), 4000u);
    // Boost.JSON refuses invalid UTF-8, so a cut inside a character would fail here.
    const auto out = parse(datagram);
    const auto args = std::string(out.at("args").as_string());
    EXPECT_LE(args.size(), pyro::detail::monitor_text_limit + 3);
    EXPECT_TRUE(args.ends_with("…"));
}

TEST(MonitorReporter, NothingIsMadeWhenPyroMonitorIsUnset) {
    const auto lookup = [](std::map<std::string, std::string> variables) {
        return [variables](std::string_view name) -> std::optional<std::string> {
            const auto found = variables.find(std::string(name));
            if (found == variables.end()) {
                return std::nullopt;
            }
            return found->second;
        };
    };
    const pyro::Config unset = pyro::Config::from_environment(lookup({}));
    EXPECT_TRUE(unset.monitor.empty());
    EXPECT_EQ(MonitorReporter::from_config(unset, "proxy"), nullptr);
    const pyro::Config set =
        pyro::Config::from_environment(lookup({{"PYRO_MONITOR", "127.0.0.1:8090"}}));
    EXPECT_EQ(set.monitor, "127.0.0.1:8090");
    EXPECT_NE(MonitorReporter::from_config(set, "proxy"), nullptr);
}

TEST(MonitorReporter, AMalformedAddressGivesNoReporter) {
    pyro::Config config;
    for (const char* bad : {"nonsense", "127.0.0.1:", "127.0.0.1:notaport"}) {
        config.monitor = bad;
        EXPECT_EQ(MonitorReporter::from_config(config, "proxy"), nullptr) << bad;
    }
}

// A UDP socket on 127.0.0.1 that the test reads (or deliberately never reads).
struct Listener {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    int port = 0;
    Listener() {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        socklen_t size = sizeof address;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
        port = ntohs(address.sin_port);
    }
    ~Listener() { ::close(fd); }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    std::optional<std::string> receive() const {
        pollfd wanted{fd, POLLIN, 0};
        if (::poll(&wanted, 1, 2000) != 1) {
            return std::nullopt;
        }
        std::string buffer(65536, '\0');
        const auto n = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (n < 0) {
            return std::nullopt;
        }
        buffer.resize(static_cast<std::size_t>(n));
        return buffer;
    }
};

TEST(MonitorReporter, SendsOneDatagramPerMessage) {
    const Listener listener;
    pyro::Config config;
    config.monitor = "127.0.0.1:" + std::to_string(listener.port);
    const auto reporter = MonitorReporter::from_config(config, "daemon");
    ASSERT_NE(reporter, nullptr);
    reporter->report(MonitorDirection::Received, "127.0.0.1:1", "127.0.0.1:2", invoke({"x"}));
    const auto datagram = listener.receive();
    ASSERT_TRUE(datagram);
    const auto out = parse(*datagram);
    EXPECT_EQ(out.at("role").as_string(), "daemon");
    EXPECT_EQ(out.at("dir").as_string(), "in");
    EXPECT_EQ(out.at("pid").as_int64(), static_cast<std::int64_t>(::getpid()));
    EXPECT_EQ(out.at("args").as_string(), "('x',)");
    EXPECT_EQ(reporter->sent(), 1u);
}

// What the calling thread has used so far: CPU time, and how often it gave the CPU up because it
// waited (a blocking send sleeps: a voluntary context switch).
struct ThreadUsage {
    std::chrono::nanoseconds cpu{};
    long waits = 0;
};

ThreadUsage thread_usage() {
    timespec cpu{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    return {std::chrono::seconds(cpu.tv_sec) + std::chrono::nanoseconds(cpu.tv_nsec),
            usage.ru_nvcsw};
}

// 20,000 reports must take well under a second of a call's time in total, whether nobody
// listens or a monitor listens but never reads (its buffer full, the kernel drops), and never
// wait. Counted on the calling thread, not by the wall clock: on a loaded machine (a sanitizer
// suite under nice beside other builds) the thread waits for a CPU a good part of the time,
// which is not the reporter's doing (seen: 1.4 s of CPU, 9 s of wall clock).
void expect_never_blocks(const std::string& where) {
    pyro::Config config;
    config.monitor = where;
    const auto reporter = MonitorReporter::from_config(config, "proxy");
    ASSERT_NE(reporter, nullptr);
    const Message message = invoke({std::string(1000, 'x')});
    const ThreadUsage before = thread_usage();
    for (int i = 0; i < 20000; ++i) {
        reporter->report(MonitorDirection::Sent, "a", "b", message);
    }
    const ThreadUsage after = thread_usage();
    EXPECT_LT(after.cpu - before.cpu, pyro::test::scaled(std::chrono::seconds(3))) << where;
    // A few for the allocator or page faults; a send that waits even 1 in 100 times shows here.
    EXPECT_LT(after.waits - before.waits, 200) << where;
    EXPECT_EQ(reporter->sent() + reporter->dropped(), 20000u);
}

TEST(MonitorReporter, NeverBlocksWhenNobodyListens) {
    int port = 0;
    {
        const Listener gone; // bound, then closed: nobody listens there
        port = gone.port;
    }
    expect_never_blocks("127.0.0.1:" + std::to_string(port));
}

TEST(MonitorReporter, NeverBlocksWhenTheMonitorDoesNotRead) {
    const Listener stuck;
    expect_never_blocks("127.0.0.1:" + std::to_string(stuck.port));
}

} // namespace
