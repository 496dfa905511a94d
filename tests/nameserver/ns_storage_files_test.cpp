// pyro-ns's storage files as processes see them: dbm databases passed between pyro-ns and the
// real pyro4-ns in both formats and both directions; a damaged or foreign file stopping pyro-ns
// with one line; and kill -9 during registrations from 8 clients losing nothing acknowledged,
// for sql and both dbm formats.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "pyro/pyro.hpp"
#include "tests/nameserver/ns_processes.hpp"

namespace pyro::test {
namespace {

const Implementation Cpp = Implementation::Cpp;
const Implementation Python = Implementation::Python;

Config client_config() {
    Config config;
    config.comm_timeout = 5.0;
    return config;
}

// Python's verdict on the files at `base`: "dbm.ndbm", "dbm.dumb", … (dbm.whichdb).
std::string whichdb(const std::string& base) {
    const ToolRun run = run_tool(
        {python_interpreter(), "-c", "import dbm, sys; print(dbm.whichdb(sys.argv[1]))", base});
    return run.out.empty() ? run.err : run.out.substr(0, run.out.size() - 1);
}

// An empty dbm.dumb database made by Python itself.
void python_dumb(const std::string& base) {
    const ToolRun made =
        run_tool({python_interpreter(), "-c",
                  "import dbm.dumb, sys; dbm.dumb.open(sys.argv[1], 'c').close()", base});
    ASSERT_EQ(made.code, 0) << made.err;
}

// What a Python client gets from list(return_metadata=True), one "name uri [tags]" line per
// entry, sorted; the name server's own entry left out (its port differs between runs).
std::string python_listing(const std::string& port) {
    const ToolRun run =
        run_tool({python_interpreter(), "-c",
                  "import Pyro4, sys\n"
                  "ns = Pyro4.Proxy('PYRO:Pyro.NameServer@127.0.0.1:' + sys.argv[1])\n"
                  "for name, (uri, tags) in sorted(ns.list(return_metadata=True).items()):\n"
                  "    if name != 'Pyro.NameServer':\n"
                  "        print(name, uri, sorted(tags))\n",
                  port});
    EXPECT_EQ(run.code, 0) << run.err;
    return run.out;
}

void register_with(Implementation tool, const std::string& port, const std::string& name,
                   const std::string& uri) {
    EXPECT_EQ(run_nsc(tool, {"-n", "127.0.0.1", "-p", port, "register", name, uri}).out,
              "Registered " + name + "\n");
}

// ---------------------------------------------------------------------------------------------
// dbm files between pyro4-ns and pyro-ns

struct DbmCase {
    std::string format; // "berkeley" (what pyro4-ns creates here) or "dumb"
    Implementation writer;
};

// gtest prints a parameter it cannot show as its bytes; the case's name is more use.
[[maybe_unused]] void PrintTo(const DbmCase& value, std::ostream* out) {
    *out << value.format << (value.writer == Cpp ? " by pyro-ns" : " by pyro4-ns");
}

class DbmInterop : public ::testing::TestWithParam<DbmCase> {};

TEST_P(DbmInterop, FileWrittenByOneIsListedByTheOther) {
    const auto [format, writer] = GetParam();
    const Implementation reader = writer == Cpp ? Python : Cpp;
    ScratchDir scratch;
    const std::string base = scratch.file("names");
    if (format == "dumb") {
        python_dumb(base);
    }
    const std::string storage = "dbm:" + base;
    std::string written;
    {
        NameServerProcess first(
            writer, {"-n", "127.0.0.1", "-p", std::to_string(free_tcp_port()), "-s", storage});
        ASSERT_TRUE(first.started()) << first.describe();
        const std::string port = port_of(first.uri());
        register_with(writer, port, "file.plain", "PYRO:plain@127.0.0.1:5001");
        // The rest from one Python client (one interpreter start instead of hundreds).
        const ToolRun fill =
            run_tool({python_interpreter(), "-c",
                      "import Pyro4, sys\n"
                      "ns = Pyro4.Proxy('PYRO:Pyro.NameServer@127.0.0.1:' + sys.argv[1])\n"
                      "ns.register('file.caf\\u00e9', 'PYRO:cafe@127.0.0.1:5002')\n"
                      "ns.register('file.gone', 'PYRO:gone@127.0.0.1:5003')\n"
                      "for i in range(200):\n" // a few bucket splits in a hash file
                      "    ns.register('many.%d' % i, 'PYRO:m%d@127.0.0.1:6000' % i)\n"
                      "assert ns.remove('file.gone') == 1\n"
                      // Neither name server keeps metadata in dbm files: accepted, then dropped.
                      "ns.set_metadata('file.plain', {'x'})\n",
                      port});
        EXPECT_EQ(fill.code, 0) << fill.err;
        written = python_listing(port);
        first.process().terminate(); // stopped by PID; its exit status is not this test's concern
    }
    EXPECT_NE(written.find("file.plain PYRO:plain@127.0.0.1:5001 []\n"), std::string::npos)
        << written;
    EXPECT_NE(written.find("file.caf\xc3\xa9 PYRO:cafe@127.0.0.1:5002 []\n"), std::string::npos)
        << written;
    EXPECT_EQ(written.find("file.gone"), std::string::npos) << written;
    // The files are what Python's dbm module finds there.
    EXPECT_EQ(whichdb(base), format == "berkeley" ? "dbm.ndbm" : "dbm.dumb");
    EXPECT_EQ(std::filesystem::exists(base + ".db"), format == "berkeley");
    EXPECT_EQ(std::filesystem::exists(base + ".dat"), format == "dumb");

    NameServerProcess second(
        reader, {"-n", "127.0.0.1", "-p", std::to_string(free_tcp_port()), "-s", storage});
    ASSERT_TRUE(second.started()) << second.describe();
    EXPECT_NE(second.banner().find("Persistent store contains 203 existing registrations.\n"),
              std::string::npos)
        << second.banner();
    const std::string port = port_of(second.uri());
    EXPECT_EQ(python_listing(port), written);
    // And the reader goes on writing to the other's file.
    register_with(reader, port, "file.later", "PYRO:later@127.0.0.1:5004");
    EXPECT_EQ(run_nsc(Cpp, {"-n", "127.0.0.1", "-p", port, "lookup", "file.later"}).out,
              "PYRO:later@127.0.0.1:5004\n");
    second.process().terminate();
    EXPECT_EQ(whichdb(base), format == "berkeley" ? "dbm.ndbm" : "dbm.dumb");
}

INSTANTIATE_TEST_SUITE_P(Formats, DbmInterop,
                         ::testing::Values(DbmCase{"berkeley", Cpp}, DbmCase{"berkeley", Python},
                                           DbmCase{"dumb", Cpp}, DbmCase{"dumb", Python}),
                         [](const auto& info) {
                             return info.param.format + "_written_by_" +
                                    (info.param.writer == Cpp ? "pyro_ns" : "pyro4_ns");
                         });

// ---------------------------------------------------------------------------------------------
// Damaged and foreign files stop pyro-ns with one line

struct BadFile {
    std::string label;
    std::string storage_kind; // "dbm" or "sql"
    std::string file;         // relative to the scratch folder, written with `bytes`
    std::string bytes;
    std::string storage_name; // what -s names (relative)
};

std::string noise(std::size_t size) {
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        out += static_cast<char>((i * 167 + 13) % 256);
    }
    return out;
}

[[maybe_unused]] void PrintTo(const BadFile& value, std::ostream* out) {
    *out << value.label;
}

class DamagedFile : public ::testing::TestWithParam<BadFile> {};

TEST_P(DamagedFile, PyroNsSaysWhichFileAndWhatToDoInOneLine) {
    const BadFile bad = GetParam();
    ScratchDir scratch;
    {
        std::ofstream out(scratch.file(bad.file), std::ios::binary);
        out << bad.bytes;
    }
    if (bad.label == "dumb_index_garbage") {
        std::ofstream(scratch.file("names.dat"), std::ios::binary) << "PYRO:x@h:1";
    }
    ChildProcess ns({PYRO_NS_PROGRAM, "-n", "127.0.0.1", "-p", std::to_string(free_tcp_port()),
                     "-s", bad.storage_kind + ":" + scratch.file(bad.storage_name)});
    ns.close_stdin();
    const std::string err = ns.read_all(Stream::Stderr, 15s);
    EXPECT_EQ(ns.wait(15s).value_or(-1), 1) << err;
    const std::string out = ns.output();
    ASSERT_FALSE(err.empty());
    EXPECT_EQ(err.find('\n'), err.size() - 1) << "not one line: " << err;
    EXPECT_TRUE(err.starts_with("pyro-ns: " + bad.storage_kind +
                                " storage: " + scratch.file(bad.file) + " "))
        << err;
    EXPECT_NE(err.find("; "), std::string::npos) << "no advice on what to do: " << err;
    for (const char c : err.substr(0, err.size() - 1)) {
        const auto byte = static_cast<unsigned char>(c);
        EXPECT_TRUE(byte >= 0x20 && byte != 0x7F) << "raw byte " << int(byte) << " in " << err;
    }
    EXPECT_EQ(out.find("URI ="), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, DamagedFile,
    ::testing::Values(BadFile{"berkeley_garbage", "dbm", "names.db", noise(6000), "names"},
                      BadFile{"dumb_index_garbage", "dbm", "names.dir", noise(3000), "names"},
                      BadFile{"gnu_dbm", "dbm", "names",
                              std::string("\xcf\x9a\x57\x13", 4) + noise(500), "names"},
                      BadFile{"sql_garbage", "sql", "names.sqlite", noise(9000), "names.sqlite"}),
    [](const auto& info) { return info.param.label; });

// ---------------------------------------------------------------------------------------------
// kill -9 while 8 clients register: nothing acknowledged is lost

struct ClientLog {
    std::set<std::string> registered;                  // register answered
    std::set<std::string> removed;                     // remove answered
    std::set<std::string> uncertain;                   // the call in flight when the server died
    std::map<std::string, std::set<std::string>> tags; // set_metadata answered
};

class KillDuringRegistrations : public ::testing::TestWithParam<std::string> {};

TEST_P(KillDuringRegistrations, EveryAcknowledgedChangeIsThereAfterRestart) {
    const std::string kind = GetParam();
    ScratchDir scratch;
    const std::string base = scratch.file("kill");
    std::string storage = "sql:" + base + ".sqlite";
    if (kind != "sql") {
        storage = "dbm:" + base;
        if (kind == "dumb") {
            python_dumb(base);
        }
    }
    constexpr int clients = 8;
    std::vector<ClientLog> logs(clients);
    std::atomic<int> acknowledged{0};
    double seconds = 0;
    {
        NameServerProcess ns(
            Cpp, {"-n", "127.0.0.1", "-p", std::to_string(free_tcp_port()), "-s", storage});
        ASSERT_TRUE(ns.started()) << ns.describe();
        const int port = std::stoi(port_of(ns.uri()));
        std::vector<std::thread> threads;
        const auto start = std::chrono::steady_clock::now();
        for (int t = 0; t < clients; ++t) {
            threads.emplace_back([&, t] {
                ClientLog& log = logs[static_cast<std::size_t>(t)];
                std::string in_flight;
                try {
                    NameServer client = locate_ns(client_config(), "127.0.0.1", port);
                    for (int i = 0;; ++i) {
                        const std::string name = "c" + std::to_string(t) + ".n" + std::to_string(i);
                        in_flight = name;
                        client.register_name(name,
                                             Uri::parse("PYRO:o" + std::to_string(i) +
                                                        "@127.0.0.1:" + std::to_string(5000 + t)),
                                             false, {"client" + std::to_string(t)});
                        log.registered.insert(name);
                        ++acknowledged;
                        if (i % 5 == 4) { // drop an earlier one
                            in_flight = "c" + std::to_string(t) + ".n" + std::to_string(i - 2);
                            EXPECT_EQ(client.remove(in_flight), 1);
                            log.removed.insert(in_flight);
                        }
                        if (i % 4 == 3) { // retag this one
                            in_flight = name;
                            client.set_metadata(name, {"retagged", std::to_string(i)});
                            log.tags[name] = {"retagged", std::to_string(i)};
                        }
                        in_flight.clear();
                    }
                } catch (const PyroError&) {
                    // The name server was killed.
                    if (!in_flight.empty()) {
                        log.uncertain.insert(in_flight);
                    }
                }
            });
        }
        const auto deadline = start + 20s;
        while (acknowledged < 400 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(2ms);
        }
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const int at_kill = acknowledged;
        ns.process().kill(); // SIGKILL: no chance to flush or close anything
        for (auto& thread : threads) {
            thread.join();
        }
        std::cout << kind << ": kill -9 after " << at_kill << " acknowledged registrations in "
                  << seconds << " s (" << static_cast<int>(at_kill / seconds)
                  << " registrations/s with removes and set_metadata, 8 clients)\n";
    }
    ASSERT_GE(acknowledged.load(), 400) << "too slow to reach the kill point";

    NameServerProcess again(
        Cpp, {"-n", "127.0.0.1", "-p", std::to_string(free_tcp_port()), "-s", storage});
    ASSERT_TRUE(again.started()) << again.describe();
    NameServer client = locate_ns(client_config(), "127.0.0.1", std::stoi(port_of(again.uri())));
    std::map<std::string, Registration> found;
    for (auto& row : client.list()) {
        found[row.name] = row;
    }
    int checked = 0;
    for (const auto& log : logs) {
        for (const auto& name : log.registered) {
            if (log.uncertain.contains(name)) {
                continue;
            }
            if (log.removed.contains(name)) {
                EXPECT_FALSE(found.contains(name)) << "acknowledged remove of " << name << " lost";
                continue;
            }
            ASSERT_TRUE(found.contains(name)) << "acknowledged registration " << name << " lost";
            ++checked;
            const auto& tags = found[name].metadata;
            const std::set<std::string> stored(tags.begin(), tags.end());
            if (kind != "sql") {
                EXPECT_TRUE(stored.empty()) << name; // dbm keeps no metadata (as Pyro4)
            } else if (log.tags.contains(name)) {
                EXPECT_EQ(stored, log.tags.at(name)) << "acknowledged set_metadata lost: " << name;
            } else {
                EXPECT_EQ(stored.size(), 1u) << name;
            }
        }
    }
    EXPECT_GT(checked, 300);
    // A real Pyro4 client's lookup of an acknowledged name answers within a second.
    ASSERT_FALSE(logs[0].registered.empty());
    const std::string some_name = *logs[0].registered.begin(); // c0.n0: never removed
    const ToolRun lookup =
        run_tool({python_interpreter(), "-c",
                  "import Pyro4, sys, time\n"
                  "ns = Pyro4.Proxy('PYRO:Pyro.NameServer@127.0.0.1:' + sys.argv[1])\n"
                  "ns._pyroBind()\n"
                  "start = time.monotonic()\n"
                  "uri = ns.lookup(sys.argv[2])\n"
                  "print('%.3f' % (time.monotonic() - start), uri)\n",
                  port_of(again.uri()), some_name});
    ASSERT_EQ(lookup.code, 0) << lookup.err;
    EXPECT_LT(std::stod(lookup.out), 1.0) << lookup.out;
    EXPECT_NE(lookup.out.find(" PYRO:o"), std::string::npos) << lookup.out;
    again.process().terminate();
}

INSTANTIATE_TEST_SUITE_P(Storages, KillDuringRegistrations,
                         ::testing::Values("sql", "berkeley", "dumb"),
                         [](const auto& info) { return info.param; });

} // namespace
} // namespace pyro::test
