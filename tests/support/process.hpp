// Child processes for black-box tests: start a program, read what it prints, stop it.
//
//   pyro::test::ChildProcess server({server_path, "--port", std::to_string(port)},
//                                   {{"PYRO_TRACE", "1"}});
//   auto uri = server.wait_for_match(std::regex("^URI (\\S+)"), 10s); // [0] line, [1] the URI
//   ASSERT_TRUE(uri) << server.describe();
//   ...
//   server.terminate();                         // optional: the destructor kills it anyway
//
// The guarantee tests rely on: a child never outlives its ChildProcess. The destructor sends
// SIGKILL to the child's pid (never to a name or a process group) and reaps it, whatever state
// the test is in; and the child is started with PR_SET_PDEATHSIG, so even a test process that
// crashes or is killed takes its children with it. (PR_SET_PDEATHSIG fires when the *thread*
// that started the child ends: start children from the test's own thread, not from a short-lived
// helper thread.)
//
// Thread safety: every member may be called from any thread (a test may kill a server from one
// thread while another thread waits in a remote call to it). Output is read by a background
// thread, so a chatty child never blocks on a full pipe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pyro::test {

// Which captured output a query looks at.
enum class Stream { Stdout, Stderr };

class ChildProcess {
public:
    using Environment = std::vector<std::pair<std::string, std::string>>;

    // Starts argv[0] (a path, or a name looked up in PATH) with the given arguments and the test's
    // environment plus `extra_env` (NAME, VALUE pairs; they replace variables of the same name).
    // stdin is a pipe (see write_stdin), stdout and stderr are captured separately. Returns once
    // the program has been exec'd. Throws std::runtime_error when it cannot be started (not
    // found, not executable), naming the program and the reason.
    explicit ChildProcess(std::vector<std::string> argv, Environment extra_env = {});
    // Kills the child (SIGKILL by pid) if it is still running, reaps it, stops the reader thread.
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    [[nodiscard]] pid_t pid() const;

    // Waits until a line of the stream that contains `text` (or matches `pattern`, searched with
    // std::regex_search) has been printed, and returns it without its newline; std::nullopt when
    // the timeout passes or the stream ends first. Each call looks only at lines after the one
    // the previous successful wait on that stream returned, so successive waits follow the output
    // in order. A last line without a newline counts once the stream has ended.
    [[nodiscard]] std::optional<std::string> wait_for_line(std::string_view text,
                                                           std::chrono::milliseconds timeout,
                                                           Stream stream = Stream::Stdout);
    [[nodiscard]] std::optional<std::string> wait_for_line(const std::regex& pattern,
                                                           std::chrono::milliseconds timeout,
                                                           Stream stream = Stream::Stdout);
    // Like the regex wait_for_line, but returns the match: [0] the matched text, then the groups.
    [[nodiscard]] std::optional<std::vector<std::string>>
    wait_for_match(const std::regex& pattern, std::chrono::milliseconds timeout,
                   Stream stream = Stream::Stdout);

    // Waits until the stream ends (normally: the child exited) or the timeout passes, and returns
    // everything captured on it.
    [[nodiscard]] std::string
    read_all(Stream stream = Stream::Stdout,
             std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Everything captured on the stream so far; does not wait.
    [[nodiscard]] std::string output(Stream stream = Stream::Stdout) const;

    // Writes to the child's stdin (SIGPIPE-safe: returns false if the child closed it).
    bool write_stdin(std::string_view text);
    // Closes the child's stdin, so it reads end-of-file.
    void close_stdin();

    // Whether the child has not exited yet (reaps it if it has).
    [[nodiscard]] bool running();
    // Waits for the child to exit; returns its exit code, or 128 + the signal number when a
    // signal ended it (as shells report it); std::nullopt when the timeout passes first.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    // Sends a signal to the child's pid (ignored once the child has been reaped).
    void send_signal(int signal);
    // SIGKILL now, without waiting.
    void kill();
    // SIGTERM, then SIGKILL if it has not exited after `grace`; waits for it and returns the exit
    // status as wait() does.
    int terminate(std::chrono::milliseconds grace = std::chrono::seconds(3));

    // "pid 1234 `prog arg`, exit status …" followed by the captured stdout and stderr: for
    // assertion messages.
    [[nodiscard]] std::string describe() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

// A TCP port on 127.0.0.1 that was free a moment ago: binds port 0, reads the port the system
// chose and closes the socket. (Another process could take it in between; tests accept that.)
// Throws std::runtime_error when no socket can be bound.
[[nodiscard]] int free_tcp_port();

} // namespace pyro::test
