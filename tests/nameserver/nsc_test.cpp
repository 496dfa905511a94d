// pyro-nsc's command line and output: the golden pyro4-nsc runs (vectors/nsc_*.json) replayed with
// the recorded name server answers — same requests, same stdout, stderr and exit code — plus
// optparse's rules and texts, and the program end to end against an in-process name server.
#include <algorithm>
#include <sstream>

#include <gtest/gtest.h>

#include "nameserver/ns_server.hpp"
#include "nameserver/nsc.hpp"
#include "nameserver/nsc_output.hpp"
#include "pyro/remote_exception.hpp"
#include "pyro/serializer.hpp"
#include "support/process.hpp"
#include "support/vectors.hpp"
#include "tests/nameserver/ns_test_util.hpp"

namespace pyro::ns {
namespace {

namespace json = boost::json;

std::string reference_output(const std::string& command) {
    const json::value reference = test::load_vector("reference_outputs.json");
    return std::string(reference.at("commands").at(command).at("output").as_string());
}

// ---------------------------------------------------------------------------------------------
// The recorded pyro4-nsc runs

struct Recorded {
    std::vector<std::string> command; // after "pyro4-nsc -n 127.0.0.1 -p <port>"
    Value request;                    // what pyro4-nsc sent (object, method, args, kwargs)
    Value answer;                     // what pyro4-ns answered
    bool exception = false;
    std::string stdin_text;
    std::string stdout_text;
    std::string stderr_text;
    int exit_code = 0;
};

Recorded load_recorded(const std::string& scenario) {
    const json::value vector = test::load_vector(scenario + ".json");
    Recorded out;
    const auto& command = vector.at("command").as_array();
    for (std::size_t i = 5; i < command.size(); ++i) { // skip pyro4-nsc -n HOST -p PORT
        out.command.emplace_back(command[i].as_string());
    }
    if (!vector.at("stdin").is_null()) {
        out.stdin_text = vector.at("stdin").as_string();
    }
    out.stdout_text = vector.at("stdout").as_string();
    out.stderr_text = vector.at("stderr").as_string();
    out.exit_code = static_cast<int>(vector.at("exit_code").as_int64());
    for (const auto& frame : vector.at("frames").as_array()) {
        const auto& decoded = frame.at("decoded");
        const std::string type(decoded.at("header").at("type_name").as_string());
        const std::string payload(decoded.at("payload_text").as_string());
        if (type == "MSG_INVOKE") {
            out.request = from_serpent(payload);
        } else if (type == "MSG_RESULT") {
            out.answer = from_serpent(payload);
            const auto& flags = decoded.at("header").at("flag_names").as_array();
            out.exception = std::find(flags.begin(), flags.end(), json::value("FLAGS_EXCEPTION")) !=
                            flags.end();
        }
    }
    return out;
}

class NscGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(NscGolden, SameRequestSameOutput) {
    const Recorded recorded = load_recorded(GetParam());
    std::vector<std::string> args = recorded.command;
    const bool verbose = args.front() == "-v";
    if (verbose) {
        args.erase(args.begin());
    }
    int calls = 0;
    const NscCall call = [&](std::string_view method, Value::Items call_args,
                             Value::Entries kwargs) -> Value {
        ++calls;
        // The same call pyro4-nsc made; sets compare unordered (Python's set order varies).
        const Value request =
            Value::tuple({"Pyro.NameServer", Value(method), Value::tuple(std::move(call_args)),
                          Value::dict(std::move(kwargs))});
        // An empty set travels as "()" and comes back a tuple: then the text must match.
        EXPECT_TRUE(request == recorded.request ||
                    to_serpent(request) == to_serpent(recorded.request))
            << to_serpent(request) << "\n"
            << to_serpent(recorded.request);
        if (recorded.exception) {
            std::rethrow_exception(exception_from_value(recorded.answer));
        }
        return recorded.answer;
    };
    std::istringstream in(recorded.stdin_text);
    std::ostringstream out;
    std::ostringstream err;
    const int code = run_nsc_command(args, call, in, out, err);
    std::string expected = recorded.stdout_text;
    if (verbose) {
        // nsc_main prints these around the command (checked end to end below).
        const std::string before = std::string(text::locating) + "\n" +
                                   text::found("PYRO:Pyro.NameServer@127.0.0.1:47310") + "\n";
        ASSERT_TRUE(expected.starts_with(before));
        ASSERT_TRUE(expected.ends_with("Done.\n"));
        expected = expected.substr(before.size(), expected.size() - before.size() - 6);
    }
    EXPECT_EQ(out.str(), expected);
    EXPECT_EQ(err.str(), recorded.stderr_text);
    EXPECT_EQ(code, recorded.exit_code);
    EXPECT_EQ(calls, 1);
}

INSTANTIATE_TEST_SUITE_P(Vectors, NscGolden,
                         ::testing::Values("nsc_list", "nsc_list_prefix", "nsc_listmatching",
                                           "nsc_listmeta_all", "nsc_listmeta_any", "nsc_lookup",
                                           "nsc_lookup_missing", "nsc_lookup_with_meta", "nsc_ping",
                                           "nsc_register", "nsc_register_again", "nsc_remove",
                                           "nsc_remove_missing", "nsc_removematching",
                                           "nsc_setmeta", "nsc_setmeta_clear", "nsc_verbose_ping"),
                         [](const auto& info) { return info.param; });

// ---------------------------------------------------------------------------------------------
// Commands without a name server answer

struct CommandRun {
    int code;
    std::string out;
    std::string err;
    int calls;
};

CommandRun run_command(std::vector<std::string> args, const std::string& input = "",
                       Value answer = Value()) {
    int calls = 0;
    const NscCall call = [&](std::string_view, Value::Items, Value::Entries) {
        ++calls;
        return answer;
    };
    std::istringstream in(input);
    std::ostringstream out;
    std::ostringstream err;
    const int code = run_nsc_command(args, call, in, out, err);
    return {code, out.str(), err.str(), calls};
}

TEST(NscCommands, ArgumentCountsAsPyro4Nsc) {
    const std::pair<std::vector<std::string>, std::string_view> cases[] = {
        {{"lookup"}, text::needs_name},
        {{"lookup", "a", "b"}, text::needs_name},
        {{"register", "a"}, text::needs_name_uri},
        {{"remove"}, text::needs_name},
        {{"listmatching"}, text::needs_pattern},
        {{"removematching"}, text::needs_pattern},
        {{"setmeta"}, text::needs_meta_target},
        {{"listmeta_all"}, text::needs_tag},
        {{"listmeta_any"}, text::needs_tag},
    };
    for (const auto& [args, message] : cases) {
        const CommandRun run = run_command(args);
        EXPECT_EQ(run.code, 1) << args[0];
        EXPECT_EQ(run.err, std::string(message) + "\n");
        EXPECT_EQ(run.out, "");
        EXPECT_EQ(run.calls, 0);
    }
}

TEST(NscCommands, RemoveMatchingAsksFirst) {
    const std::string prompt(text::remove_prompt);
    EXPECT_EQ(run_command({"removematching", "x"}, "n\n").out, prompt);
    EXPECT_EQ(run_command({"removematching", "x"}, "n\n").calls, 0);
    EXPECT_EQ(run_command({"removematching", "x"}, "  Y  \n", Value(3)).out,
              prompt + "3 items removed.\n");
    EXPECT_EQ(run_command({"removematching", "x"}, "y", Value(0)).out,
              prompt + "0 items removed.\n");
    // Python's input() at end of file raises EOFError, which pyro4-nsc prints.
    EXPECT_EQ(run_command({"removematching", "x"}, "").out,
              prompt + "Error: EOFError - EOF when reading a line\n");
}

TEST(NscCommands, ListExtraArgumentsAreIgnored) {
    const CommandRun run = run_command({"list", "pre", "extra"}, "", Value::dict());
    EXPECT_EQ(run.out, "--------START LIST - prefix 'pre'\n--------END LIST - prefix 'pre'\n");
}

TEST(NscCommands, ListBlockSortsAndQuotesLikePython) {
    const Value answer = Value::dict({
        {"b", Value::tuple({"PYRO:b@h:2", Value::list({"it's", "x\"y", "tab\t", "é"})})},
        {"a", Value::tuple({"PYRO:a@h:1", Value::list()})},
    });
    EXPECT_EQ(run_command({"list"}, "", answer).out,
              "--------START LIST \n"
              "a --> PYRO:a@h:1\n"
              "b --> PYRO:b@h:2\n"
              "    metadata: [\"it's\", 'x\"y', 'tab\\t', 'é']\n"
              "--------END LIST \n");
}

TEST(NscOutput, PythonStr) {
    EXPECT_EQ(text::python_str(to_value(Uri::parse("PYRO:x@h:1"))), "PYRO:x@h:1");
}

// ---------------------------------------------------------------------------------------------
// The command line, as optparse reads it

NscCommandLine parse(std::vector<std::string> args) {
    return parse_nsc_command_line("pyro4-nsc", args);
}

TEST(NscCommandLine, HelpIsPyro4Nsc) {
    const auto result = parse({"--help"});
    EXPECT_FALSE(result.options);
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.out, reference_output("pyro4-nsc --help"));
    EXPECT_EQ(parse({"list", "-h"}).out, result.out); // -h anywhere
}

TEST(NscCommandLine, MissingCommandIsPyro4Nsc) {
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    const int code = nsc_main("pyro4-nsc", {}, Config(), std::nullopt, in, out, err);
    EXPECT_EQ(code, 2);
    EXPECT_EQ(out.str(), "");
    EXPECT_EQ(err.str(), reference_output("pyro4-nsc (no command)"));
    std::ostringstream err2;
    EXPECT_EQ(nsc_main("pyro4-nsc", {"bogus"}, Config(), std::nullopt, in, out, err2), 2);
    EXPECT_EQ(err2.str(), err.str());
}

TEST(NscCommandLine, OptparseRules) {
    auto result = parse({"-n", "host", "list", "-p", "5555", "-v", "prefix"});
    ASSERT_TRUE(result.options);
    EXPECT_EQ(result.options->host, "host");
    EXPECT_EQ(result.options->port, 5555);
    EXPECT_TRUE(result.options->verbose);
    EXPECT_EQ(result.options->args, (std::vector<std::string>{"list", "prefix"}));

    result = parse({"-vnhost", "--port=0x10", "--unix=/tmp/s", "--", "-v", "ping"});
    ASSERT_TRUE(result.options);
    EXPECT_EQ(result.options->host, "host");
    EXPECT_EQ(result.options->port, 16);
    EXPECT_EQ(result.options->unixsocket, "/tmp/s");
    EXPECT_EQ(result.options->args, (std::vector<std::string>{"-v", "ping"}));

    EXPECT_EQ(parse({"-p", "010", "ping"}).options->port, 8); // optparse: leading 0 is octal
    EXPECT_EQ(parse({"-k", "secret", "ping"}).options->key, "secret");
}

TEST(NscCommandLine, OptparseErrors) {
    const std::string usage = text::nsc_usage("pyro4-nsc") + "\n";
    const std::pair<std::vector<std::string>, std::string> cases[] = {
        {{"-p", "abc", "ping"}, "option -p: invalid integer value: 'abc'"},
        {{"--port=x", "ping"}, "option --port: invalid integer value: 'x'"},
        {{"ping", "-z"}, "no such option: -z"},
        {{"--zzz"}, "no such option: --zzz"},
        {{"--h"}, "ambiguous option: --h (--help, --host?)"},
        {{"ping", "-n"}, "-n option requires 1 argument"},
        {{"--host"}, "--host option requires 1 argument"},
        {{"--verbose=1", "ping"}, "--verbose option does not take a value"},
    };
    for (const auto& [args, message] : cases) {
        const auto result = parse(args);
        EXPECT_FALSE(result.options);
        EXPECT_EQ(result.exit_code, 2);
        EXPECT_EQ(result.err, usage + "pyro4-nsc: error: " + message + "\n");
    }
}

TEST(NscCommandLine, KeyFromBothPlacesIsRefused) {
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(nsc_main("pyro-nsc", {"-k", "a", "ping"}, Config(), "b", in, out, err), 1);
    EXPECT_NE(err.str().find("UserWarning: using -k"), std::string::npos);
    EXPECT_NE(err.str().find("error: don't use -k and PYRO_HMAC_KEY at the same time\n"),
              std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// End to end in one process: nsc_main against NameServerDaemon on 127.0.0.1

struct NscRun {
    int code;
    std::string out;
    std::string err;
};

NscRun nsc(std::vector<std::string> args, const std::string& input = "") {
    Config config;
    config.serializer = "serpent";
    config.comm_timeout = 5.0;
    std::istringstream in(input);
    std::ostringstream out;
    std::ostringstream err;
    const int code = nsc_main("pyro-nsc", args, config, std::nullopt, in, out, err);
    return {code, out.str(), err.str()};
}

TEST(NscEndToEnd, AgainstAnInProcessNameServer) {
    Config config;
    config.host = "127.0.0.1";
    std::ostringstream banner;
    NameServerSettings settings;
    settings.port = 0;
    NameServerDaemon ns(config, settings, banner);
    auto background = ns.daemon().run_in_background();
    const std::string port = std::to_string(ns.daemon().port());
    const std::vector<std::string> at{"-n", "127.0.0.1", "-p", port};
    const auto with = [&](std::vector<std::string> command) {
        command.insert(command.begin(), at.begin(), at.end());
        return nsc(command);
    };
    EXPECT_EQ(with({"register", "lab.x", "PYRO:x@127.0.0.1:5001"}).out, "Registered lab.x\n");
    EXPECT_EQ(with({"setmeta", "lab.x", "blue", "lab", "blue"}).out, "Metadata updated\n");
    EXPECT_EQ(with({"lookup", "lab.x"}).out, "PYRO:x@127.0.0.1:5001\nmetadata: ['blue', 'lab']\n");
    EXPECT_EQ(with({"listmeta_all", "lab", "blue"}).out,
              "--------START LIST  - searched by metadata\nlab.x --> PYRO:x@127.0.0.1:5001\n"
              "    metadata: ['blue', 'lab']\n--------END LIST  - searched by metadata\n");
    EXPECT_EQ(with({"-v", "ping"}).out,
              "Locating name server...\nName server found: PYRO:Pyro.NameServer@127.0.0.1:" + port +
                  "\nName server ping ok.\nDone.\n");
    EXPECT_EQ(with({"lookup", "nope"}).out, "Error: NamingError - unknown name: nope\n");
    EXPECT_EQ(with({"register", "b", "bogus"}).out, "Error: PyroError - invalid uri\n");
    EXPECT_EQ(with({"listmatching", "("}).out,
              "Error: NamingError - invalid regex: missing ), unterminated subpattern at "
              "position 0\n");
    const auto removed = nsc({"-n", "127.0.0.1", "-p", port, "removematching", "lab"}, "y\n");
    EXPECT_EQ(removed.out, std::string(text::remove_prompt) + "1 items removed.\n");
    EXPECT_EQ(with({"list"}).out, "--------START LIST \nPyro.NameServer --> "
                                  "PYRO:Pyro.NameServer@127.0.0.1:" +
                                      port +
                                      "\n    metadata: ['class:Pyro4.naming.NameServer']\n"
                                      "--------END LIST \n");
    EXPECT_EQ(with({"lookup"}).code, 1);
}

// A loopback client that gives up after 5 s instead of hanging a test.
Config lookup_client_config() {
    Config config;
    config.host = "127.0.0.1";
    config.comm_timeout = 5.0;
    return config;
}

// The daemon repeats lookup answers (Daemon::cache_answers) only while nothing changed: every
// registration, metadata change and removal shows in the next lookup, on any connection.
TEST(NsLookupAnswers, FollowEveryChange) {
    const Config config = lookup_client_config();
    std::ostringstream banner;
    NameServerSettings settings;
    settings.port = 0;
    NameServerDaemon ns(config, settings, banner);
    auto background = ns.daemon().run_in_background();
    for (const char* serializer : {"json", "serpent"}) {
        SCOPED_TRACE(serializer);
        Config client = config;
        client.serializer = serializer;
        NameServer first(Proxy(ns.uri(), client));
        NameServer second(Proxy(ns.uri(), client));
        const Uri one = Uri::parse("PYRO:one@127.0.0.1:5001");
        const Uri two = Uri::parse("PYRO:two@127.0.0.1:5002");
        first.register_name("lab.x", one);
        EXPECT_EQ(first.lookup("lab.x"), one);
        EXPECT_EQ(second.lookup("lab.x"), one);
        first.register_name("lab.x", two);
        EXPECT_EQ(second.lookup("lab.x"), two);
        EXPECT_EQ(first.lookup("lab.x"), two);
        first.set_metadata("lab.x", {"blue"});
        EXPECT_EQ(second.lookup_with_metadata("lab.x").metadata, std::vector<std::string>{"blue"});
        EXPECT_EQ(first.remove("lab.x"), 1);
        EXPECT_THROW((void)second.lookup("lab.x"), NamingError);
        first.register_name("lab.x", one);
        EXPECT_EQ(second.lookup("lab.x"), one);
        EXPECT_EQ(first.remove_prefix("lab."), 1);
        EXPECT_THROW((void)first.lookup("lab.x"), NamingError);
    }
}

// A storage file may be shared: another name server (pyro4-ns or pyro-ns) registering in the same
// sql file shows in this one's next lookup, as it does with Pyro4's storages, so lookups through
// a file are not repeated from the answer cache.
TEST(NsLookupAnswers, SeeAnotherServerChangingTheSameSqlFile) {
    test::ScratchDir scratch;
    const Config config = lookup_client_config();
    std::ostringstream banner;
    NameServerSettings settings;
    settings.port = 0;
    settings.storage = "sql:" + scratch.file("names.sqlite");
    NameServerDaemon ns(config, settings, banner);
    auto background = ns.daemon().run_in_background();
    NameServerDaemon other(config, settings, banner);
    auto other_background = other.daemon().run_in_background();

    NameServer here(Proxy(ns.uri(), config));
    NameServer there(Proxy(other.uri(), config));
    const Uri one = Uri::parse("PYRO:one@127.0.0.1:5001");
    const Uri two = Uri::parse("PYRO:two@127.0.0.1:5002");
    here.register_name("lab.x", one);
    EXPECT_EQ(here.lookup("lab.x").str(), one.str());
    there.register_name("lab.x", two);
    EXPECT_EQ(here.lookup("lab.x").str(), two.str());
    EXPECT_EQ(there.remove("lab.x"), 1);
    EXPECT_THROW((void)here.lookup("lab.x"), NamingError);
}

TEST(NscEndToEnd, UnixSocket) {
    test::ScratchDir scratch;
    const std::string socket = scratch.file("ns.sock");
    std::ostringstream banner;
    NameServerSettings settings;
    settings.unix_socket = socket;
    NameServerDaemon ns(Config(), settings, banner);
    auto background = ns.daemon().run_in_background();
    EXPECT_EQ(banner.str(), "NS running on ./u:" + socket +
                                " (Unix domain socket)\nWarning: HMAC key not set. Anyone can "
                                "connect to this server!\nURI = PYRO:Pyro.NameServer@./u:" +
                                socket + "\n");
    EXPECT_EQ(nsc({"-u", socket, "-v", "ping"}).out,
              "Locating name server...\nName server found: PYRO:Pyro.NameServer@./u:" + socket +
                  "\nName server ping ok.\nDone.\n");
}

TEST(NscEndToEnd, NoNameServer) {
    const auto run = nsc({"-n", "127.0.0.1", "-p", std::to_string(test::free_tcp_port()), "ping"});
    EXPECT_EQ(run.out, "Error: Failed to locate the nameserver\n");
    EXPECT_EQ(run.code, 0);
}

} // namespace
} // namespace pyro::ns
