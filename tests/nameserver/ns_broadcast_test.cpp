// Broadcast discovery for real: inside a network namespace of its own (so nothing on the host
// answers or is disturbed), with lo up and 10.77.0.1 added to it, pyro-ns bound to 10.77.0.1
// answers GET_NSURI, and Python's Pyro4.locateNS() and pyro-nsc without -n find it.
//
// Needs CAP_SYS_ADMIN (root) or unprivileged user namespaces, and the `ip` tool. Without them
// the program says why and exits with 77, which ctest reports as skipped (SKIP_RETURN_CODE).
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "nameserver/broadcast.hpp"
#include "tests/nameserver/ns_processes.hpp"

namespace pyro::test {
namespace {

constexpr int skip_code = 77;
const Implementation Cpp = Implementation::Cpp;
const Implementation Python = Implementation::Python;

ToolRun python_locate(const std::string& code) {
    return run_tool({python_interpreter(), "-c", "import Pyro4\n" + code});
}

TEST(Broadcast, PythonAndPyroNscFindPyroNs) {
    NameServerProcess ns(Cpp, {"-n", "10.77.0.1"}); // 9090, responder on 9091
    ASSERT_TRUE(ns.started()) << ns.describe();
    EXPECT_EQ(ns.banner(), "Broadcast server running on 0.0.0.0:9091\n"
                           "NS running on 10.77.0.1:9090 (10.77.0.1)\n"
                           "Warning: HMAC key not set. Anyone can connect to this server!\n"
                           "URI = PYRO:Pyro.NameServer@10.77.0.1:9090\n");

    // No host: localhost:9090 refuses, so Pyro4 broadcasts and takes the answer.
    const ToolRun python = python_locate("ns = Pyro4.locateNS()\nns.ping()\nprint(ns._pyroUri)");
    EXPECT_EQ(python.out, "PYRO:Pyro.NameServer@10.77.0.1:9090\n") << python.err;
    const ToolRun cpp_tool = run_nsc(Cpp, {"-v", "ping"});
    EXPECT_EQ(cpp_tool.out, "Locating name server...\n"
                            "Name server found: PYRO:Pyro.NameServer@10.77.0.1:9090\n"
                            "Name server ping ok.\nDone.\n")
        << cpp_tool.err;
    EXPECT_EQ(run_nsc(Python, {"ping"}).out, "Name server ping ok.\n");
    const ToolRun proxy = python_locate("ns = Pyro4.locateNS()\n"
                                        "ns.register('bc.self', ns._pyroUri)\n"
                                        "print(Pyro4.Proxy('PYRONAME:bc.self').count())");
    EXPECT_EQ(proxy.out, "2\n") << proxy.err;

    // A second name server on the same broadcast port says who already answers there.
    NameServerProcess second(Cpp, {"-n", "10.77.0.1", "-p", "9092"});
    ASSERT_TRUE(second.started()) << second.describe();
    EXPECT_TRUE(second.banner().starts_with(
        "Warning: another name server already answers broadcasts on port 9091: "
        "PYRO:Pyro.NameServer@10.77.0.1:9090"))
        << second.banner();
}

TEST(Broadcast, AnyAddressAnswersWithTheInterfaceAddress) {
    NameServerProcess ns(Cpp, {"-n", "0.0.0.0", "-p", "9093", "--bcport", "9094"});
    ASSERT_TRUE(ns.started()) << ns.describe();
    EXPECT_NE(ns.banner().find("Broadcast server running on 0.0.0.0:9094\n"), std::string::npos)
        << ns.banner();
    const auto answer = ns::probe_broadcast(9094, {"<broadcast>"}, std::chrono::milliseconds(1000));
    ASSERT_TRUE(answer);
    EXPECT_EQ(*answer, "PYRO:Pyro.NameServer@10.77.0.1:9093"); // not 0.0.0.0
    // -p without -n is the broadcast port (and the port of the localhost attempt).
    EXPECT_EQ(run_nsc(Cpp, {"-p", "9094", "ping"}).out, "Name server ping ok.\n");
}

TEST(Broadcast, LoopbackNameServerHasNoResponder) {
    NameServerProcess ns(Cpp, {"-n", "127.0.0.1", "-p", "9095", "--bcport", "9096"});
    ASSERT_TRUE(ns.started()) << ns.describe();
    EXPECT_TRUE(ns.banner().starts_with("Not starting broadcast server for localhost.\n"));
    EXPECT_FALSE(
        ns::probe_broadcast(9096, {"<broadcast>", "0.0.0.0"}, std::chrono::milliseconds(300)));
}

TEST(Broadcast, PyroNscFindsPythonPyro4Ns) {
    NameServerProcess ns(Python, {"-n", "10.77.0.1", "-p", "9097", "--bcport", "9098"});
    ASSERT_TRUE(ns.started()) << ns.describe();
    EXPECT_EQ(run_nsc(Cpp, {"-p", "9098", "-v", "ping"}).out,
              "Locating name server...\n"
              "Name server found: PYRO:Pyro.NameServer@10.77.0.1:9097\n"
              "Name server ping ok.\nDone.\n");
}

// The namespace: a fresh network stack with only lo, brought up, plus an address that is not
// loopback (so pyro-ns starts its responder) and a route for 255.255.255.255 (so broadcasts are
// looped back to the local responders). No default route: the DNS server is then unreachable at
// once, instead of Python's reverse lookup of 127.0.1.1 in locateNS() waiting 10 s for it.
std::optional<std::string> enter_network_namespace() {
    if (::unshare(CLONE_NEWNET) != 0) {
        const std::string as_root = std::strerror(errno);
        const uid_t uid = ::getuid();
        const gid_t gid = ::getgid();
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
            return "cannot create a network namespace (" + as_root +
                   "; user namespace: " + std::strerror(errno) + ")";
        }
        std::ofstream("/proc/self/setgroups") << "deny";
        std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
        std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
    }
    for (const auto& command : std::vector<std::vector<std::string>>{
             {"ip", "link", "set", "lo", "up"},
             {"ip", "addr", "add", "10.77.0.1/24", "dev", "lo"},
             {"ip", "route", "add", "255.255.255.255/32", "dev", "lo"}}) {
        try {
            const ToolRun run = run_tool(command);
            if (run.code != 0) {
                return "`ip " + command[1] + " " + command[2] + "` failed: " + run.err;
            }
        } catch (const std::exception& error) {
            return std::string("cannot run the ip tool: ") + error.what();
        }
    }
    return std::nullopt;
}

} // namespace
} // namespace pyro::test

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    // Before any thread exists: unshare(CLONE_NEWNET) moves only the calling thread.
    if (const auto problem = pyro::test::enter_network_namespace()) {
        std::cout << "SKIPPED: broadcast tests need a network namespace: " << *problem << std::endl;
        return pyro::test::skip_code;
    }
    return RUN_ALL_TESTS();
}
