// pyro-ns and pyro-nsc against the real Python Pyro4 4.82: every pyro4-nsc command run by both
// control tools against both name servers, with the same output; Python clients (serpent and
// json) getting the same answers from both name servers; sql and dbm files passed between
// pyro4-ns and pyro-ns in both directions.
#include <csignal>
#include <future>
#include <map>
#include <sstream>

#include <boost/json.hpp>

#include "tests/nameserver/ns_processes.hpp"

namespace pyro::test {
namespace {

const Implementation Cpp = Implementation::Cpp;
const Implementation Python = Implementation::Python;

std::string name_of(Implementation which, bool control_tool) {
    if (control_tool) {
        return which == Cpp ? "pyro-nsc" : "pyro4-nsc";
    }
    return which == Cpp ? "pyro-ns" : "pyro4-ns";
}

// Tags in "metadata: [...]" lines sorted: their order is Python's set order, which varies.
std::string sort_metadata_lines(const std::string& text) {
    std::istringstream lines(text);
    std::string out;
    std::string line;
    static const std::regex metadata("^(\\s*metadata: \\[)(.*)\\]$");
    while (std::getline(lines, line)) {
        std::smatch match;
        if (std::regex_match(line, match, metadata)) {
            std::vector<std::string> tags;
            std::istringstream items(match[2].str());
            std::string tag;
            while (std::getline(items, tag, ',')) {
                tags.push_back(tag.starts_with(" ") ? tag.substr(1) : tag);
            }
            std::sort(tags.begin(), tags.end());
            line = match[1].str();
            for (std::size_t i = 0; i < tags.size(); ++i) {
                line += (i == 0 ? "" : ", ") + tags[i];
            }
            line += "]";
        }
        out += line + "\n";
    }
    return out;
}

std::string normalise(std::string text, const std::string& ns_port) {
    text = replace_all(text, "pyro4-nsc", "<nsc>");
    text = replace_all(text, "pyro-nsc", "<nsc>");
    text = replace_all(text, ns_port, "<port>");
    return sort_metadata_lines(text);
}

// ---------------------------------------------------------------------------------------------
// Every command, both tools, both name servers

struct Command {
    Command(std::vector<std::string> command, std::string stdin_text = {})
        : args(std::move(command)), input(std::move(stdin_text)) {}
    std::vector<std::string> args;
    std::string input; // for removematching
};

// Leaves the name server as it found it, so each tool can run it on a fresh one.
const std::vector<Command>& scenario() {
    static const std::vector<Command> commands{
        {{"ping"}},
        {{"-v", "ping"}},
        {{"list"}},
        {{"register", "lab.one", "PYRO:one@127.0.0.1:5001"}},
        {{"register", "lab.one", "PYRO:one@127.0.0.1:5001"}},
        {{"register", "lab.two", "PYRO:two@127.0.0.1:5002"}},
        {{"register", "other.x", "pyro:x@127.0.0.1:5003"}},
        {{"register", "bad.uri", "bogus"}},
        {{"register", "bad.port", "PYRO:obj@host"}},
        {{"setmeta", "lab.one", "blue"}},
        {{"setmeta", "lab.two", "red", "green", "red"}},
        {{"list"}},
        {{"list", "lab."}},
        {{"list", "nothing.here", "extra"}},
        {{"listmatching", "lab\\..*"}},
        {{"listmatching", "two"}},
        {{"listmatching", "("}},
        {{"listmatching", "a**"}},
        {{"lookup", "lab.one"}},
        {{"lookup", "lab.two"}},
        {{"lookup", "other.x"}},
        {{"lookup", "no.such.name"}},
        {{"listmeta_all", "red", "green"}},
        {{"listmeta_all", "red", "blue"}},
        {{"listmeta_any", "blue", "nothing"}},
        {{"setmeta", "lab.two"}},
        {{"setmeta", "no.such.name", "x"}},
        {{"remove", "no.such.name"}},
        {{"remove", "lab.one"}},
        {{"remove", "Pyro.NameServer"}},
        {{"removematching", "lab"}, "n\n"},
        {{"removematching", "oth"}, "y\n"},
        {{"removematching", "x"}, ""},
        {{"lookup"}},
        {{"register", "only.name"}},
        {{"setmeta"}},
        {{"listmeta_any"}},
        {{}},
        {{"bogus"}},
        {{"-p", "abc", "ping"}},
        {{"ping", "-z"}},
        {{"remove", "lab.two"}},
        {{"-v", "list"}},
    };
    return commands;
}

std::string run_scenario(Implementation tool, const std::string& ns_port) {
    std::string transcript;
    for (const auto& command : scenario()) {
        std::vector<std::string> args{"-n", "127.0.0.1", "-p", ns_port};
        args.insert(args.end(), command.args.begin(), command.args.end());
        const ToolRun run = run_nsc(tool, args, command.input);
        std::string shown;
        for (const auto& arg : command.args) {
            shown += " " + arg;
        }
        transcript += "$ nsc" + shown + "\n" + run.out + "[stderr]\n" + run.err + "[exit " +
                      std::to_string(run.code) + "]\n";
    }
    return normalise(transcript, ns_port);
}

TEST(NscInterop, EveryCommandPrintsTheSameWithBothToolsAndBothServers) {
    // Four fresh name servers, one per (tool, server) pair, run in parallel.
    std::map<std::pair<Implementation, Implementation>, std::unique_ptr<NameServerProcess>> ns;
    for (const auto server : {Python, Cpp}) {
        for (const auto tool : {Python, Cpp}) {
            auto& process = ns[std::pair(tool, server)];
            process = std::make_unique<NameServerProcess>(
                server,
                std::vector<std::string>{"-n", "127.0.0.1", "-p", std::to_string(free_tcp_port())});
            ASSERT_TRUE(process->started()) << process->describe();
        }
    }
    std::map<std::pair<Implementation, Implementation>, std::future<std::string>> transcripts;
    for (auto& [key, server] : ns) {
        transcripts[key] =
            std::async(std::launch::async, run_scenario, key.first, port_of(server->uri()));
    }
    const std::string reference = transcripts[{Python, Python}].get();
    // The reference itself must show the commands doing something (not all "failed to locate").
    EXPECT_NE(reference.find("Registered lab.one\n"), std::string::npos) << reference;
    EXPECT_NE(reference.find("metadata: ['green', 'red']"), std::string::npos) << reference;
    for (auto& [key, transcript] : transcripts) {
        if (key == std::pair{Python, Python}) {
            continue;
        }
        EXPECT_EQ(transcript.get(), reference)
            << name_of(key.first, true) << " against " << name_of(key.second, false);
    }
}

// ---------------------------------------------------------------------------------------------
// Start-up banners

TEST(NsInterop, BannersMatchPyro4Ns) {
    for (const bool explicit_host : {true, false}) {
        std::vector<std::string> args;
        if (explicit_host) {
            args = {"-n", "127.0.0.1"};
        }
        args.push_back("-p");
        args.push_back(std::to_string(free_tcp_port()));
        NameServerProcess python(Python, args);
        args.back() = std::to_string(free_tcp_port());
        NameServerProcess cpp(Cpp, args);
        ASSERT_TRUE(python.started()) << python.describe();
        ASSERT_TRUE(cpp.started()) << cpp.describe();
        EXPECT_EQ(replace_all(cpp.banner(), port_of(cpp.uri()), "<port>"),
                  replace_all(python.banner(), port_of(python.uri()), "<port>"));
    }
}

// ---------------------------------------------------------------------------------------------
// Python clients

std::string python_client_result(const std::string& port, const std::string& serializer) {
    ChildProcess client({python_interpreter(),
                         std::string(PYRO_NAMESERVER_SCRIPTS) + "/ns_python_client.py", "127.0.0.1",
                         port, serializer},
                        python_environment());
    const auto result = client.wait_for_match(std::regex("^RESULT (.*)$"), 60s);
    client.wait(10s);
    return result ? (*result)[1] : "no result:\n" + client.describe();
}

class PythonClientInterop : public ::testing::TestWithParam<std::string> {};

TEST_P(PythonClientInterop, SameAnswersFromBothNameServers) {
    NameServerProcess python(Python, {"-n", "127.0.0.1", "-p", std::to_string(free_tcp_port())});
    NameServerProcess cpp(Cpp, {"-n", "127.0.0.1", "-p", std::to_string(free_tcp_port())});
    ASSERT_TRUE(python.started()) << python.describe();
    ASSERT_TRUE(cpp.started()) << cpp.describe();
    auto from_python =
        std::async(std::launch::async, python_client_result, port_of(python.uri()), GetParam());
    const std::string from_cpp = python_client_result(port_of(cpp.uri()), GetParam());
    const std::string reference = from_python.get();
    EXPECT_NE(reference.find("[\"PYRONAME call\", [\"returned\", \"hi\"]]"), std::string::npos)
        << reference;
    // Step by step, for a readable failure.
    const auto expected = boost::json::parse(reference).as_array();
    const auto actual = boost::json::parse(from_cpp).as_array();
    ASSERT_EQ(actual.size(), expected.size()) << from_cpp;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(boost::json::serialize(actual[i]), boost::json::serialize(expected[i]))
            << "pyro-ns (above) and pyro4-ns (below) differ";
    }
}

INSTANTIATE_TEST_SUITE_P(Serializers, PythonClientInterop, ::testing::Values("serpent", "json"),
                         [](const auto& info) { return info.param; });

TEST(NsInterop, PythonLocateNsWithoutHostFindsPyroNsOnLocalhost) {
    // locateNS() first tries NS_HOST (localhost) on NS_PORT; no broadcast needed.
    const std::string port = std::to_string(free_tcp_port());
    NameServerProcess cpp(Cpp, {"-p", port});
    ASSERT_TRUE(cpp.started()) << cpp.describe();
    auto env = python_environment();
    env.emplace_back("PYRO_NS_PORT", port);
    const ToolRun run = run_tool({python_interpreter(), "-c",
                                  "import Pyro4; ns = Pyro4.locateNS(); ns.ping(); "
                                  "print(ns._pyroUri, ns.count())"},
                                 {}, env);
    EXPECT_EQ(run.out, "PYRO:Pyro.NameServer@localhost:" + port + " 1\n") << run.err;
    const ToolRun nsc = run_tool({PYRO_NSC_PROGRAM, "-v", "ping"}, {}, {{"PYRO_NS_PORT", port}});
    EXPECT_EQ(nsc.out, "Locating name server...\nName server found: "
                       "PYRO:Pyro.NameServer@localhost:" +
                           port + "\nName server ping ok.\nDone.\n");
}

// ---------------------------------------------------------------------------------------------
// Storage files in both directions

std::string list_all(Implementation tool, const std::string& port) {
    return normalise(run_nsc(tool, {"-n", "127.0.0.1", "-p", port, "list"}).out, port);
}

void fill(Implementation tool, const std::string& port, bool with_metadata) {
    const std::vector<std::string> at{"-n", "127.0.0.1", "-p", port};
    const auto nsc = [&](std::vector<std::string> command) {
        command.insert(command.begin(), at.begin(), at.end());
        return run_nsc(tool, command).out;
    };
    EXPECT_EQ(nsc({"register", "file.plain", "PYRO:plain@127.0.0.1:5001"}),
              "Registered file.plain\n");
    EXPECT_EQ(nsc({"register", "file.tagged", "PYRO:tagged@127.0.0.1:5002"}),
              "Registered file.tagged\n");
    EXPECT_EQ(nsc({"register", "file.gone", "PYRO:gone@127.0.0.1:5003"}), "Registered file.gone\n");
    EXPECT_EQ(nsc({"remove", "file.gone"}), "Removed file.gone\n");
    if (with_metadata) {
        EXPECT_EQ(nsc({"setmeta", "file.tagged", "blue", "lab"}), "Metadata updated\n");
    }
}

struct FileCase {
    std::string kind; // "sql" or "dbm"
    Implementation writer;
};

class StorageInterop : public ::testing::TestWithParam<FileCase> {};

TEST_P(StorageInterop, FileWrittenByOneIsReadByTheOther) {
    const auto [kind, writer] = GetParam();
    const Implementation reader = writer == Cpp ? Python : Cpp;
    ScratchDir scratch;
    std::string storage = kind + ":" + scratch.file("names");
    if (kind == "dbm" && writer == Python) {
        // pyro4-ns would create a dbm.ndbm file here, which only Python reads (PYRO4-WIRE.md
        // §10.2); Python's own dbm.dumb, which it also opens, is the interchange format.
        const ToolRun made = run_tool({python_interpreter(), "-c",
                                       "import dbm.dumb, sys; dbm.dumb.open(sys.argv[1], 'c')"
                                       ".close()",
                                       scratch.file("names")});
        ASSERT_EQ(made.code, 0) << made.err;
    }
    std::string written;
    {
        NameServerProcess first(
            writer, {"-n", "127.0.0.1", "-p", std::to_string(free_tcp_port()), "-s", storage});
        ASSERT_TRUE(first.started()) << first.describe();
        fill(writer, port_of(first.uri()), kind == "sql");
        written = list_all(writer, port_of(first.uri()));
        first.process().terminate();
    }
    NameServerProcess second(
        reader, {"-n", "127.0.0.1", "-p", std::to_string(free_tcp_port()), "-s", storage});
    ASSERT_TRUE(second.started()) << second.describe();
    EXPECT_NE(second.banner().find("Persistent store contains 3 existing registrations.\n"),
              std::string::npos)
        << second.banner();
    // Both tools show the same entries (the name server's own one re-registered with its port).
    EXPECT_EQ(list_all(reader, port_of(second.uri())), written);
    EXPECT_EQ(list_all(writer, port_of(second.uri())), written);
    if (kind == "sql") {
        EXPECT_NE(written.find("file.tagged --> PYRO:tagged@127.0.0.1:5002\n"
                               "    metadata: ['blue', 'lab']\n"),
                  std::string::npos)
            << written;
    }
}

INSTANTIATE_TEST_SUITE_P(Files, StorageInterop,
                         ::testing::Values(FileCase{"sql", Cpp}, FileCase{"sql", Python},
                                           FileCase{"dbm", Cpp}, FileCase{"dbm", Python}),
                         [](const auto& info) {
                             return info.param.kind + "_written_by_" +
                                    (info.param.writer == Cpp ? "pyro_ns" : "pyro4_ns");
                         });

} // namespace
} // namespace pyro::test
