// Starting name servers (pyro-ns, or Python's pyro4-ns) and running name server control tools
// (pyro-nsc, pyro4-nsc) as processes, for the black-box and interop tests.
#pragma once

#include <algorithm>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/python.hpp"
#include "support/vectors.hpp"
#include "tests/nameserver/ns_test_util.hpp"

namespace pyro::test {

using namespace std::chrono_literals;

enum class Implementation { Cpp, Python };

inline std::vector<std::string> ns_command(Implementation which) {
    if (which == Implementation::Cpp) {
        return {PYRO_NS_PROGRAM};
    }
    return {python_interpreter(), "/usr/bin/pyro4-ns"};
}

inline std::vector<std::string> nsc_command(Implementation which) {
    if (which == Implementation::Cpp) {
        return {PYRO_NSC_PROGRAM};
    }
    return {python_interpreter(), "/usr/bin/pyro4-nsc"};
}

// A running name server: started with `args` and waited for until it printed its URI line.
class NameServerProcess {
public:
    NameServerProcess(Implementation which, std::vector<std::string> args,
                      ChildProcess::Environment env = {})
        : which_(which) {
        std::vector<std::string> argv = ns_command(which);
        argv.insert(argv.end(), args.begin(), args.end());
        process_ = std::make_unique<ChildProcess>(argv, python_environment(std::move(env)));
        const auto uri = process_->wait_for_match(std::regex("^(?:external )?URI = (\\S+)$"), 15s);
        if (uri) {
            uri_ = (*uri)[1];
        }
    }

    [[nodiscard]] bool started() const { return !uri_.empty(); }
    [[nodiscard]] const std::string& uri() const { return uri_; }
    [[nodiscard]] ChildProcess& process() { return *process_; }
    [[nodiscard]] std::string banner() const { return process_->output(); }
    [[nodiscard]] std::string describe() const { return process_->describe(); }
    // SIGINT (Ctrl-C), then the exit status.
    int interrupt() {
        process_->send_signal(SIGINT);
        return process_->wait(10s).value_or(-1);
    }

private:
    Implementation which_;
    std::unique_ptr<ChildProcess> process_;
    std::string uri_;
};

struct ToolRun {
    int code = -1;
    std::string out;
    std::string err;
};

// Runs a control tool to its end: stdin gets `input` (then end of file).
inline ToolRun run_tool(std::vector<std::string> argv, const std::string& input = {},
                        ChildProcess::Environment env = {}) {
    ChildProcess process(std::move(argv), python_environment(std::move(env)));
    if (!input.empty()) {
        process.write_stdin(input);
    }
    process.close_stdin();
    ToolRun run;
    run.out = process.read_all(Stream::Stdout, 30s);
    run.err = process.read_all(Stream::Stderr, 5s);
    run.code = process.wait(30s).value_or(-1);
    return run;
}

inline ToolRun run_nsc(Implementation which, std::vector<std::string> args,
                       const std::string& input = {}) {
    std::vector<std::string> argv = nsc_command(which);
    argv.insert(argv.end(), args.begin(), args.end());
    return run_tool(argv, input);
}

inline std::string port_of(const std::string& uri) {
    return uri.substr(uri.rfind(':') + 1);
}

} // namespace pyro::test
