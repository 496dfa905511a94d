// pyro-ns as a process: its banner, options and errors, Ctrl-C, persistence across restarts and
// kill -9, and thousands of idle connections that must never delay a new client.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "pyro/pyro.hpp"
#include "support/time_limits.hpp"
#include "tests/nameserver/ns_processes.hpp"

namespace pyro::test {
namespace {

const Implementation Cpp = Implementation::Cpp;

std::string expected_banner(const std::string& location, const std::string& ip) {
    return "Not starting broadcast server for localhost.\nNS running on " + location + " (" + ip +
           ")\nWarning: HMAC key not set. Anyone can connect to this server!\nURI = "
           "PYRO:Pyro.NameServer@" +
           location + "\n";
}

Config client_config() {
    Config config;
    config.comm_timeout = 5.0;
    return config;
}

TEST(PyroNs, BannerAndCtrlC) {
    const std::string port = std::to_string(free_tcp_port());
    NameServerProcess ns(Cpp, {"-n", "127.0.0.1", "-p", port});
    ASSERT_TRUE(ns.started()) << ns.describe();
    EXPECT_EQ(ns.banner(), expected_banner("127.0.0.1:" + port, "127.0.0.1"));
    EXPECT_EQ(ns.interrupt(), 0);
    EXPECT_EQ(ns.process().read_all(),
              expected_banner("127.0.0.1:" + port, "127.0.0.1") + "NS shut down.\n");
    EXPECT_EQ(ns.process().read_all(Stream::Stderr), "");
}

TEST(PyroNs, DefaultHostIsLocalhostAndSigtermStops) {
    const std::string port = std::to_string(free_tcp_port());
    NameServerProcess ns(Cpp, {"-p", port});
    ASSERT_TRUE(ns.started()) << ns.describe();
    // The URI carries the host as given ("localhost"), the banner the address bound.
    EXPECT_EQ(ns.banner(), expected_banner("localhost:" + port, "127.0.0.1"));
    EXPECT_EQ(ns.process().terminate(), 0);
    EXPECT_NE(ns.process().read_all().find("NS shut down.\n"), std::string::npos);
}

TEST(PyroNs, PortFromEnvironmentAndRandomPort) {
    const std::string port = std::to_string(free_tcp_port());
    NameServerProcess from_env(Cpp, {"-n", "127.0.0.1"}, {{"PYRO_NS_PORT", port}});
    ASSERT_TRUE(from_env.started()) << from_env.describe();
    EXPECT_EQ(from_env.uri(), "PYRO:Pyro.NameServer@127.0.0.1:" + port);
    NameServerProcess random(Cpp, {"-n", "127.0.0.1", "-p", "0"});
    ASSERT_TRUE(random.started()) << random.describe();
    EXPECT_NE(port_of(random.uri()), "0");
    EXPECT_EQ(run_nsc(Cpp, {"-n", "127.0.0.1", "-p", port_of(random.uri()), "ping"}).out,
              "Name server ping ok.\n");
}

TEST(PyroNs, PortInUseSaysWhoAndWhatToDo) {
    const std::string port = std::to_string(free_tcp_port());
    NameServerProcess first(Cpp, {"-n", "127.0.0.1", "-p", port});
    ASSERT_TRUE(first.started()) << first.describe();
    const ToolRun second = run_tool({PYRO_NS_PROGRAM, "-n", "127.0.0.1", "-p", port});
    EXPECT_EQ(second.code, 1);
    EXPECT_EQ(second.out, "");
    // One line: which program holds the port (by pid) and which option to use instead.
    EXPECT_EQ(std::count(second.err.begin(), second.err.end(), '\n'), 1) << second.err;
    EXPECT_NE(second.err.find("port " + port + " is already in use by pyro-ns (pid " +
                              std::to_string(first.process().pid()) + ")"),
              std::string::npos)
        << second.err;
    EXPECT_NE(second.err.find("-p "), std::string::npos) << second.err;
}

TEST(PyroNs, HelpIsPyro4Ns) {
    const auto reference = load_vector("reference_outputs.json");
    const std::string help(reference.at("commands").at("pyro4-ns --help").at("output").as_string());
    const ToolRun run = run_tool({PYRO_NS_PROGRAM, "--help"});
    EXPECT_EQ(run.code, 0);
    EXPECT_EQ(run.out, replace_all(help, "pyro4-ns", "pyro-ns"));
}

TEST(PyroNs, OptionMistakes) {
    const ToolRun bad_storage = run_tool({PYRO_NS_PROGRAM, "-p", "0", "-s", "bogus"});
    EXPECT_EQ(bad_storage.code, 1);
    EXPECT_EQ(bad_storage.err, "pyro-ns: invalid storage type 'bogus'\n");
    const ToolRun bad_option = run_tool({PYRO_NS_PROGRAM, "--bogus"});
    EXPECT_EQ(bad_option.code, 2);
    EXPECT_TRUE(bad_option.err.starts_with("Usage: pyro-ns [options]\n\npyro-ns: error: "))
        << bad_option.err;
    const ToolRun half_nat = run_tool({PYRO_NS_PROGRAM, "-p", "0", "--nathost", "example.org"});
    EXPECT_EQ(half_nat.code, 1);
    EXPECT_EQ(half_nat.err, "pyro-ns: must provide natport with nathost\n");
    const ToolRun two_keys =
        run_tool({PYRO_NS_PROGRAM, "-p", "0", "-k", "a"}, {}, {{"PYRO_HMAC_KEY", "b"}});
    EXPECT_EQ(two_keys.code, 1);
    EXPECT_TRUE(two_keys.err.ends_with("error: don't use -k and PYRO_HMAC_KEY at the same time\n"))
        << two_keys.err;
}

TEST(PyroNs, KeyAndNat) {
    const std::string port = std::to_string(free_tcp_port());
    NameServerProcess ns(Cpp, {"-n", "127.0.0.1", "-p", port, "-k", "secret", "--nathost",
                               "ns.example.org", "--natport", "5555"});
    ASSERT_TRUE(ns.started()) << ns.describe();
    EXPECT_EQ(ns.banner(), "Not starting broadcast server for localhost.\n"
                           "NS running on 127.0.0.1:" +
                               port +
                               " (127.0.0.1)\n"
                               "internal URI = PYRO:Pyro.NameServer@127.0.0.1:" +
                               port +
                               "\nexternal URI = PYRO:Pyro.NameServer@ns.example.org:5555\n");
    EXPECT_NE(ns.process().read_all(Stream::Stderr).find("UserWarning: using -k"),
              std::string::npos);
    // The key is required: without it the handshake fails, and pyro-nsc says why (pyro4-nsc's
    // "Failed to locate the nameserver" would send the student off to start another one); with
    // it the call works.
    EXPECT_EQ(run_nsc(Cpp, {"-n", "127.0.0.1", "-p", port, "ping"}).out,
              "Error: cannot use the name server at 127.0.0.1:" + port +
                  ": connection to ('127.0.0.1', " + port +
                  ") rejected: the server needs an HMAC key and this program has none (hmac key "
                  "config not symmetric); set PYRO_HMAC_KEY to the server's key\n");
    const ToolRun with_key =
        run_tool({PYRO_NSC_PROGRAM, "-n", "127.0.0.1", "-p", port, "lookup", "Pyro.NameServer"}, {},
                 {{"PYRO_HMAC_KEY", "secret"}});
    EXPECT_EQ(with_key.out, "PYRO:Pyro.NameServer@ns.example.org:5555\n"
                            "metadata: ['class:Pyro4.naming.NameServer']\n");
}

TEST(PyroNs, UnixSocket) {
    ScratchDir scratch;
    const std::string socket = scratch.file("ns.sock");
    NameServerProcess ns(Cpp, {"-u", socket});
    ASSERT_TRUE(ns.started()) << ns.describe();
    EXPECT_EQ(ns.uri(), "PYRO:Pyro.NameServer@./u:" + socket);
    EXPECT_EQ(run_nsc(Cpp, {"-u", socket, "ping"}).out, "Name server ping ok.\n");
}

TEST(PyroNs, SqlRestartKeepsRegistrations) {
    ScratchDir scratch;
    const std::string storage = "sql:" + scratch.file("ns.sqlite");
    std::string port = std::to_string(free_tcp_port());
    {
        NameServerProcess ns(Cpp, {"-n", "127.0.0.1", "-p", port, "-s", storage});
        ASSERT_TRUE(ns.started()) << ns.describe();
        NameServer client = locate_ns(client_config(), "127.0.0.1", std::stoi(port));
        client.register_name("kept.one", Uri::parse("PYRO:one@127.0.0.1:5001"), false, {"lab"});
        client.register_name("kept.two", Uri::parse("PYRO:two@127.0.0.1:5002"));
        EXPECT_EQ(ns.interrupt(), 0);
    }
    port = std::to_string(free_tcp_port());
    NameServerProcess again(Cpp, {"-n", "127.0.0.1", "-p", port, "-s", storage});
    ASSERT_TRUE(again.started()) << again.describe();
    EXPECT_NE(again.banner().find("Not starting broadcast server for localhost.\n"
                                  "Persistent store contains 3 existing registrations.\n"
                                  "NS running on 127.0.0.1:" +
                                  port),
              std::string::npos)
        << again.banner();
    EXPECT_EQ(run_nsc(Cpp, {"-n", "127.0.0.1", "-p", port, "list", "kept."}).out,
              "--------START LIST - prefix 'kept.'\n"
              "kept.one --> PYRO:one@127.0.0.1:5001\n    metadata: ['lab']\n"
              "kept.two --> PYRO:two@127.0.0.1:5002\n"
              "--------END LIST - prefix 'kept.'\n");
    // Its own entry was registered again with the new port.
    EXPECT_EQ(run_nsc(Cpp, {"-n", "127.0.0.1", "-p", port, "lookup", "Pyro.NameServer"}).out,
              "PYRO:Pyro.NameServer@127.0.0.1:" + port +
                  "\nmetadata: ['class:Pyro4.naming.NameServer']\n");
}

TEST(PyroNs, DbmBannerAndRestart) {
    ScratchDir scratch;
    const std::string storage = "dbm:" + scratch.file("ns");
    std::string port = std::to_string(free_tcp_port());
    {
        NameServerProcess ns(Cpp, {"-n", "127.0.0.1", "-p", port, "-s", storage});
        ASSERT_TRUE(ns.started()) << ns.describe();
        EXPECT_TRUE(ns.banner().starts_with("Warning: the DbmStorage doesn't support metadata.\n"
                                            "Not starting broadcast server for localhost.\n"))
            << ns.banner();
        EXPECT_EQ(run_nsc(Cpp, {"-n", "127.0.0.1", "-p", port, "register", "d.one",
                                "PYRO:one@127.0.0.1:5001"})
                      .out,
                  "Registered d.one\n");
        EXPECT_EQ(run_nsc(Cpp, {"-n", "127.0.0.1", "-p", port, "listmeta_any", "x"}).out,
                  "Error: NamingError - DbmStorage doesn't support metadata\n");
        EXPECT_EQ(ns.interrupt(), 0);
    }
    port = std::to_string(free_tcp_port());
    NameServerProcess again(Cpp, {"-n", "127.0.0.1", "-p", port, "-s", storage});
    ASSERT_TRUE(again.started()) << again.describe();
    EXPECT_NE(again.banner().find("Persistent store contains 2 existing registrations.\n"),
              std::string::npos)
        << again.banner();
    EXPECT_EQ(run_nsc(Cpp, {"-n", "127.0.0.1", "-p", port, "lookup", "d.one"}).out,
              "PYRO:one@127.0.0.1:5001\n");
}

TEST(PyroNs, KillDuringABurstLosesNothingAcknowledged) {
    ScratchDir scratch;
    const std::string storage = "sql:" + scratch.file("burst.sqlite");
    std::string port = std::to_string(free_tcp_port());
    std::atomic<int> acknowledged{0};
    {
        NameServerProcess ns(Cpp, {"-n", "127.0.0.1", "-p", port, "-s", storage});
        ASSERT_TRUE(ns.started()) << ns.describe();
        std::thread burst([&, port] {
            try {
                NameServer client = locate_ns(client_config(), "127.0.0.1", std::stoi(port));
                for (int i = 0;; ++i) {
                    client.register_name(
                        "burst." + std::to_string(i),
                        Uri::parse("PYRO:obj" + std::to_string(i) + "@127.0.0.1:5000"), false,
                        {"burst"});
                    acknowledged = i + 1; // the name server answered: it must be on disk
                }
            } catch (const PyroError&) {
                // The name server was killed mid-burst.
            }
        });
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (acknowledged < 100 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(5ms);
        }
        ns.process().kill(); // SIGKILL: no chance to flush or close anything
        burst.join();
    }
    ASSERT_GE(acknowledged.load(), 100);
    port = std::to_string(free_tcp_port());
    NameServerProcess again(Cpp, {"-n", "127.0.0.1", "-p", port, "-s", storage});
    ASSERT_TRUE(again.started()) << again.describe();
    NameServer client = locate_ns(client_config(), "127.0.0.1", std::stoi(port));
    ListFilter filter;
    filter.prefix = "burst.";
    const auto kept = client.list(filter);
    std::set<std::string> names;
    for (const auto& row : kept) {
        names.insert(row.name);
    }
    for (int i = 0; i < acknowledged; ++i) {
        ASSERT_TRUE(names.contains("burst." + std::to_string(i))) << "lost burst." << i;
    }
    // At most the one registration in flight may have been stored without its answer.
    EXPECT_LE(static_cast<int>(names.size()), acknowledged + 1);
    std::cout << "kill -9 after " << acknowledged << " acknowledged registrations: " << names.size()
              << " found after restart\n";
}

// A TCP connection that stays open and says nothing (or only part of a header).
class IdleConnection {
public:
    IdleConnection(int port, bool partial_header) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<const sockaddr*>(&address),
                                           sizeof address) == 0;
        if (connected_ && partial_header) {
            connected_ = ::send(fd_, "PYRO\x00\x30", 6, MSG_NOSIGNAL) == 6;
        }
    }
    ~IdleConnection() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    IdleConnection(const IdleConnection&) = delete;
    IdleConnection& operator=(const IdleConnection&) = delete;
    [[nodiscard]] bool connected() const { return connected_; }

private:
    int fd_ = -1;
    bool connected_ = false;
};

double lookup_milliseconds(int port) {
    const auto start = std::chrono::steady_clock::now();
    NameServer client = locate_ns(client_config(), "127.0.0.1", port); // connect + handshake
    EXPECT_EQ(client.lookup("Pyro.NameServer").port(), port);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

// Started from a shell, pyro-ns gets the usual soft limit of 1024 open files; it must raise it
// itself, or a large class would exhaust it (the test below raises its own limit, which the
// child would otherwise inherit).
TEST(PyroNs, RaisesItsOpenFileLimitForManyClients) {
    rlimit own{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &own), 0);
    const auto hard = std::min<rlim_t>(own.rlim_max, 8192);
    ASSERT_GT(hard, 256u) << "the test needs a hard limit above 256";
    const std::string port = std::to_string(free_tcp_port());
    ChildProcess ns({"/usr/bin/prlimit", "--nofile=256:" + std::to_string(hard), PYRO_NS_PROGRAM,
                     "-n", "127.0.0.1", "-p", port});
    ASSERT_TRUE(ns.wait_for_line("URI = ", 10s)) << ns.describe();
    std::ifstream limits("/proc/" + std::to_string(ns.pid()) + "/limits");
    std::string line;
    bool found = false;
    while (std::getline(limits, line)) {
        if (line.starts_with("Max open files")) {
            found = true;
            std::istringstream fields(line.substr(std::string("Max open files").size()));
            rlim_t soft = 0;
            fields >> soft;
            EXPECT_EQ(soft, hard) << line;
        }
    }
    EXPECT_TRUE(found) << "no 'Max open files' line in /proc/PID/limits";
}

TEST(PyroNs, TwoThousandIdleConnectionsNeverBlockANewClient) {
    constexpr int idle_count = 2000;
    // Both this process and pyro-ns (which inherits the limit) need a descriptor per connection.
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < idle_count + 200) {
        limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, idle_count + 1000);
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
    }
    ASSERT_GE(limit.rlim_cur, idle_count + 200u) << "raise the hard limit of open files";
    const int port = free_tcp_port();
    NameServerProcess ns(Cpp, {"-n", "127.0.0.1", "-p", std::to_string(port)});
    ASSERT_TRUE(ns.started()) << ns.describe();
    const double baseline = lookup_milliseconds(port);
    std::vector<std::unique_ptr<IdleConnection>> idle;
    for (int i = 0; i < idle_count; ++i) {
        idle.push_back(std::make_unique<IdleConnection>(port, i % 100 == 0));
        ASSERT_TRUE(idle.back()->connected()) << "connection " << i;
    }
    std::this_thread::sleep_for(200ms); // let the name server accept them all
    double worst = 0;
    for (int i = 0; i < 5; ++i) {
        worst = std::max(worst, lookup_milliseconds(port));
    }
    std::cout << "lookup by a new client: " << baseline << " ms alone, worst of 5 with "
              << idle_count << " idle connections open: " << worst << " ms\n";
    EXPECT_LT(worst, 100.0 * test::time_factor); // sanitizer builds are slower
    EXPECT_TRUE(ns.process().running()) << ns.describe();
}

// ---------------------------------------------------------------------------------------------
// A name server one student cannot break (issue 10). After each case a fresh client's lookup
// answers within a second and every registration is still there.

using Clock = std::chrono::steady_clock;

// A new connection's lookup of Pyro.NameServer within 1 s, `names` all still registered, and
// `count` registrations besides the name server's own (default: just `names`).
void expect_healthy(int port, const std::vector<std::string>& names,
                    std::optional<std::size_t> count = std::nullopt) {
    const auto start = Clock::now();
    NameServer client = locate_ns(client_config(), "127.0.0.1", port);
    EXPECT_EQ(client.lookup("Pyro.NameServer").port(), port);
    EXPECT_LT(Clock::now() - start, scaled(1s)) << "a lookup took longer than a second";
    for (const auto& name : names) {
        EXPECT_NO_THROW((void)client.lookup(name)) << name.substr(0, 40);
    }
    EXPECT_EQ(client.count(), static_cast<int>(count.value_or(names.size())) + 1);
}

std::string naming_error_of(const std::function<void()>& call) {
    try {
        call();
    } catch (const NamingError& error) {
        return error.what();
    }
    return "no NamingError";
}

TEST(PyroNsRobust, LongNamesAndPatternsAcrossASqlRestart) {
    ScratchDir scratch;
    const std::string storage = "sql:" + scratch.file("long.sqlite");
    const std::string long_name = "long." + std::string(50'000, 'n');
    const std::vector<std::string> names{long_name, "echo.server"};
    const std::string long_pattern(100'000, 'a');
    std::string port = std::to_string(free_tcp_port());
    {
        NameServerProcess ns(Cpp, {"-n", "127.0.0.1", "-p", port, "-s", storage});
        ASSERT_TRUE(ns.started()) << ns.describe();
        NameServer client = locate_ns(client_config(), "127.0.0.1", std::stoi(port));
        client.register_name(long_name, Uri::parse("PYRO:long@127.0.0.1:5001"));
        client.register_name("echo.server", Uri::parse("PYRO:echo@127.0.0.1:5002"));
        // A 100,000-character pattern is refused with the limit named, in list and remove alike.
        ListFilter filter;
        filter.regex = long_pattern;
        EXPECT_NE(naming_error_of([&] { (void)client.list(filter); }).find("limit"),
                  std::string::npos);
        EXPECT_NE(naming_error_of([&] { (void)client.remove_regex(long_pattern); }).find("limit"),
                  std::string::npos);
        filter.regex = "long\\.n{50000}$";
        EXPECT_EQ(client.list(filter).size(), 1u);
        const ToolRun listed = run_nsc(Cpp, {"-n", "127.0.0.1", "-p", port, "listmatching", ".*"});
        EXPECT_EQ(listed.code, 0) << listed.err;
        EXPECT_NE(listed.out.find(long_name + " --> PYRO:long@127.0.0.1:5001"), std::string::npos);
        expect_healthy(std::stoi(port), names);
        EXPECT_EQ(ns.interrupt(), 0);
    }
    port = std::to_string(free_tcp_port());
    NameServerProcess again(Cpp, {"-n", "127.0.0.1", "-p", port, "-s", storage});
    ASSERT_TRUE(again.started()) << again.describe();
    const ToolRun listed = run_nsc(Cpp, {"-n", "127.0.0.1", "-p", port, "listmatching", ".*"});
    EXPECT_EQ(listed.code, 0) << listed.err;
    EXPECT_NE(listed.out.find(long_name + " --> PYRO:long@127.0.0.1:5001"), std::string::npos);
    expect_healthy(std::stoi(port), names);
    EXPECT_EQ(again.interrupt(), 0);
}

TEST(PyroNsRobust, BacktrackingPatternGetsTheLimitNotAStall) {
    const int port = free_tcp_port();
    NameServerProcess ns(Cpp, {"-n", "127.0.0.1", "-p", std::to_string(port)});
    ASSERT_TRUE(ns.started()) << ns.describe();
    NameServer client = locate_ns(client_config(), "127.0.0.1", port);
    const std::string name = std::string(30, 'a') + "cb";
    client.register_name(name, Uri::parse("PYRO:a@127.0.0.1:5001"));
    const auto start = Clock::now();
    const std::string error = naming_error_of([&] { (void)client.remove_regex("(a*)*b"); });
    EXPECT_LT(Clock::now() - start, scaled(2s));
    EXPECT_TRUE(error.starts_with("regex too costly: match limit of 1000000 reached on name '"))
        << error;
    expect_healthy(port, {name});
    EXPECT_EQ(ns.interrupt(), 0);
}

// Each stop signal ends pyro-ns within a second while a client's long regex query runs (a few
// hundred thousand steps for each name: seconds of work), and an sql file keeps every
// registration.
struct StopCase {
    int signal;
    const char* storage; // "memory" or "sql"
    int names;           // registering to sql costs a disk sync each: fewer there
};

void PrintTo(const StopCase& stop, std::ostream* out) {
    *out << sigabbrev_np(stop.signal) << " with " << stop.storage << " storage, " << stop.names
         << " names";
}

class PyroNsStops : public ::testing::TestWithParam<StopCase> {};

TEST_P(PyroNsStops, WithinASecondDuringASlowQuery) {
    const StopCase& stop = GetParam();
    ScratchDir scratch;
    const bool sql = std::string_view(stop.storage) == "sql";
    const std::string storage = sql ? "sql:" + scratch.file("stop.sqlite") : "memory";
    std::vector<std::string> names;
    for (int i = 0; i < stop.names; ++i) {
        names.push_back(std::string(150, 'a') + "d" + std::to_string(i) + "c");
    }
    int port = free_tcp_port();
    {
        NameServerProcess ns(Cpp, {"-n", "127.0.0.1", "-p", std::to_string(port), "-s", storage});
        ASSERT_TRUE(ns.started()) << ns.describe();
        {
            NameServer client = locate_ns(client_config(), "127.0.0.1", port);
            for (const auto& name : names) {
                client.register_name(name, Uri::parse("PYRO:obj@127.0.0.1:5001"));
            }
        }
        std::atomic<bool> answered{false};
        std::jthread slow([port, &answered] {
            try {
                NameServer client = locate_ns(client_config(), "127.0.0.1", port);
                ListFilter filter;
                filter.regex = "(?:a|b)*(?:a|b)*(?:a|b)*c";
                (void)client.list(filter);
                answered = true;
            } catch (const PyroError&) {
                // the connection closes under it: expected
            }
        });
        std::this_thread::sleep_for(300ms);
        expect_healthy(port, {names.front()}, names.size()); // others are served meanwhile
        const auto start = Clock::now();
        ns.process().send_signal(stop.signal);
        const auto code = ns.process().wait(5s);
        EXPECT_LT(Clock::now() - start, scaled(1s)) << ns.describe();
        EXPECT_FALSE(answered) << "the query ended before the signal: the test shows nothing";
        EXPECT_EQ(code, 0) << ns.describe();
        EXPECT_NE(ns.process().read_all().find("NS shut down.\n"), std::string::npos);
    }
    if (!sql) {
        return;
    }
    port = free_tcp_port();
    NameServerProcess again(Cpp, {"-n", "127.0.0.1", "-p", std::to_string(port), "-s", storage});
    ASSERT_TRUE(again.started()) << again.describe();
    expect_healthy(port, names);
    EXPECT_EQ(again.interrupt(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Signals, PyroNsStops,
    ::testing::Values(StopCase{SIGINT, "memory", 1000}, StopCase{SIGTERM, "memory", 1000},
                      StopCase{SIGHUP, "memory", 1000}, StopCase{SIGTERM, "sql", 600}),
    [](const auto& info) {
        return std::string(sigabbrev_np(info.param.signal)) + "_" + info.param.storage;
    });

TEST(PyroNsRobust, PortsAreCheckedAsPyro4NsOptionsAre) {
    for (const auto& [args, line] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"-p", "88888"}, "option -p: port must be 0-65535, not 88888"},
             {{"-p", "-1"}, "option -p: port must be 0-65535, not -1"},
             {{"--port=65536"}, "option --port: port must be 0-65535, not 65536"},
             {{"-p", "abc"}, "option -p: invalid integer value: 'abc'"},
             {{"-p", "0", "--bcport", "70000"}, "option --bcport: port must be 0-65535, not 70000"},
             {{"-p", "0", "--nathost", "x", "--natport", "99999"},
              "option --natport: port must be 0-65535, not 99999"},
             {{"-p", "99999999999999999999999"},
              "option -p: port must be 0-65535, not 99999999999999999999999"}}) {
        std::vector<std::string> argv{PYRO_NS_PROGRAM};
        argv.insert(argv.end(), args.begin(), args.end());
        const ToolRun run = run_tool(argv);
        EXPECT_EQ(run.code, 2) << args.back();
        EXPECT_EQ(run.err, "Usage: pyro-ns [options]\n\npyro-ns: error: " + line + "\n");
        EXPECT_EQ(run.out, "");
    }
    // optparse's integers: hexadecimal, octal and a sign are ports too.
    const int port = free_tcp_port();
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", port);
    NameServerProcess ns(Cpp, {"-n", "127.0.0.1", "-p", hex});
    ASSERT_TRUE(ns.started()) << ns.describe();
    EXPECT_EQ(ns.uri(), "PYRO:Pyro.NameServer@127.0.0.1:" + std::to_string(port));
    expect_healthy(port, {});
    EXPECT_EQ(ns.interrupt(), 0);
}

TEST(PyroNsRobust, AutoCleanTooSmallIsRefusedAsPyro4Does) {
    const ToolRun run =
        run_tool({PYRO_NS_PROGRAM, "-n", "127.0.0.1", "-p", "0"}, {}, {{"PYRO_NS_AUTOCLEAN", "2"}});
    EXPECT_EQ(run.code, 1);
    EXPECT_EQ(run.err, "pyro-ns: NS_AUTOCLEAN cannot be smaller than 3\n");
}

TEST(PyroNsRobust, AutoCleanRemovesTheUnreachableAfterPyro4sGrace) {
    ScratchDir scratch;
    const std::string log = scratch.file("ns.log");
    const int port = free_tcp_port();
    NameServerProcess ns(
        Cpp, {"-n", "127.0.0.1", "-p", std::to_string(port)},
        {{"PYRO_NS_AUTOCLEAN", "3"}, {"PYRO_LOGLEVEL", "INFO"}, {"PYRO_LOGFILE", log}});
    ASSERT_TRUE(ns.started()) << ns.describe();
    Daemon alive_daemon(client_config(), [] {
        DaemonOptions options;
        options.host = "127.0.0.1";
        return options;
    }());
    const std::string dead_uri = "PYRO:gone@127.0.0.1:" + std::to_string(free_tcp_port());
    const std::string alive_uri = alive_daemon.uri_for("here").str();
    NameServer client = locate_ns(client_config(), "127.0.0.1", port);
    const auto registered = Clock::now();
    client.register_name("lab.gone", Uri::parse(dead_uri));
    client.register_name("lab.here", Uri::parse(alive_uri));
    // Pyro4: checked every 3 s (looked at every 2 s), removed once unreachable for 20 s.
    bool removed = false;
    while (!removed && Clock::now() - registered < 40s) {
        std::this_thread::sleep_for(500ms);
        removed = client.count() == 2;
    }
    ASSERT_TRUE(removed) << ns.describe();
    EXPECT_GT(Clock::now() - registered, 20s) << "removed before Pyro4's grace";
    expect_healthy(port, {"lab.here"});
    EXPECT_EQ(ns.interrupt(), 0);
    EXPECT_NE(read_text_file(log).find("autoclean: unregistering lab.gone; cannot connect uri " +
                                       dead_uri + " for 20 sec"),
              std::string::npos)
        << read_text_file(log);
}

} // namespace
} // namespace pyro::test
