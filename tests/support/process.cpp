#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <ctime>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace pyro::test {

namespace {

std::string errno_text(int error) {
    return std::strerror(error);
}

void close_fd(int& fd) {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

// Looks a program name up in PATH the way a shell does; a name with a slash is used as is.
std::string resolve_program(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        return name;
    }
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        const auto colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        if (colon == std::string_view::npos) {
            return name; // exec will fail and say "No such file or directory"
        }
        dirs.remove_prefix(colon + 1);
    }
}

std::vector<std::string> make_environment(const ChildProcess::Environment& extra) {
    std::vector<std::string> out;
    for (char** entry = environ; entry && *entry; ++entry) {
        const std::string_view text(*entry);
        const std::string_view name = text.substr(0, text.find('='));
        bool replaced = false;
        for (const auto& [key, value] : extra) {
            replaced = replaced || key == name;
        }
        if (!replaced) {
            out.emplace_back(text);
        }
    }
    for (const auto& [key, value] : extra) {
        out.push_back(key + "=" + value);
    }
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

std::string shell_words(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& arg : argv) {
        if (!out.empty()) {
            out += ' ';
        }
        out += arg;
    }
    return out;
}

} // namespace

struct ChildProcess::State {
    std::string command;
    pid_t pid = -1;

    // The process itself: reaping and signalling must not race, or a signal could reach a
    // recycled pid.
    std::mutex process_mutex;
    bool reaped = false;
    int status = 0;

    std::mutex stdin_mutex;
    int stdin_fd = -1;

    // Captured output, filled by the reader thread.
    mutable std::mutex output_mutex;
    std::condition_variable output_changed;
    std::array<std::string, 2> text;
    std::array<bool, 2> ended{false, false};
    std::array<std::size_t, 2> cursor{0, 0}; // after the last line a wait returned

    std::array<int, 2> output_fd{-1, -1};
    std::array<int, 2> wake{-1, -1}; // a byte here stops the reader thread
    std::thread reader;

    void read_output();
    bool try_reap(int options); // with process_mutex held
    std::optional<std::string> next_line(Stream stream,
                                         const std::function<bool(const std::string&)>& matches,
                                         std::chrono::milliseconds timeout);
};

void ChildProcess::State::read_output() {
    std::array<char, 65536> buffer{};
    while (!(ended[0] && ended[1])) {
        std::array<pollfd, 3> fds{};
        nfds_t count = 0;
        std::array<int, 3> which{};
        for (int s = 0; s < 2; ++s) {
            if (output_fd[static_cast<std::size_t>(s)] >= 0) {
                fds[count] = {output_fd[static_cast<std::size_t>(s)], POLLIN, 0};
                which[count++] = s;
            }
        }
        fds[count] = {wake[0], POLLIN, 0};
        which[count++] = -1;
        if (::poll(fds.data(), count, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (nfds_t i = 0; i < count; ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            if (which[i] < 0) {
                // Woken by the destructor: whatever is still buffered in the pipes is dropped.
                const std::lock_guard lock(output_mutex);
                ended = {true, true};
                output_changed.notify_all();
                return;
            }
            const auto s = static_cast<std::size_t>(which[i]);
            const ssize_t n = ::read(output_fd[s], buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            const std::lock_guard lock(output_mutex);
            if (n > 0) {
                text[s].append(buffer.data(), static_cast<std::size_t>(n));
            } else {
                ended[s] = true;
                close_fd(output_fd[s]);
            }
            output_changed.notify_all();
        }
    }
}

bool ChildProcess::State::try_reap(int options) {
    if (reaped) {
        return true;
    }
    int raw = 0;
    pid_t result;
    do {
        result = ::waitpid(pid, &raw, options);
    } while (result < 0 && errno == EINTR);
    if (result == pid) {
        reaped = true;
        status = WIFSIGNALED(raw) ? 128 + WTERMSIG(raw) : WEXITSTATUS(raw);
    } else if (result < 0) {
        reaped = true; // not our child any more (ECHILD): nothing left to wait for
        status = -1;
    }
    return reaped;
}

std::optional<std::string>
ChildProcess::State::next_line(Stream stream,
                               const std::function<bool(const std::string&)>& matches,
                               std::chrono::milliseconds timeout) {
    const auto s = static_cast<std::size_t>(stream);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(output_mutex);
    std::size_t scanned = cursor[s];
    while (true) {
        const std::string& all = text[s];
        while (scanned < all.size()) {
            const auto newline = all.find('\n', scanned);
            if (newline == std::string::npos && !ended[s]) {
                break; // an incomplete line: wait for the rest
            }
            const auto end = newline == std::string::npos ? all.size() : newline;
            std::string line = all.substr(scanned, end - scanned);
            if (!line.empty() && line.back() == '\r') {
                line.pop_back();
            }
            scanned = newline == std::string::npos ? all.size() : newline + 1;
            if (matches(line)) {
                cursor[s] = scanned;
                return line;
            }
        }
        if (ended[s]) {
            return std::nullopt;
        }
        if (output_changed.wait_until(lock, deadline) == std::cv_status::timeout) {
            // One last look: the output may have arrived with the timeout.
            if (scanned >= text[s].size() || text[s].find('\n', scanned) == std::string::npos) {
                return std::nullopt;
            }
        }
    }
}

ChildProcess::ChildProcess(std::vector<std::string> argv, Environment extra_env)
    : state_(std::make_unique<State>()) {
    if (argv.empty()) {
        throw std::invalid_argument("ChildProcess: empty argv");
    }
    State& st = *state_;
    st.command = shell_words(argv);

    // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
    std::string program = resolve_program(argv[0]);
    std::vector<std::string> environment = make_environment(extra_env);
    std::vector<char*> child_argv = pointers(argv);
    std::vector<char*> child_env = pointers(environment);
    rlimit files{};
    const int max_fd = ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY
                           ? static_cast<int>(std::min<rlim_t>(files.rlim_cur, 65536))
                           : 4096;

    std::array<int, 2> in{-1, -1};
    std::array<int, 2> out{-1, -1};
    std::array<int, 2> err{-1, -1};
    std::array<int, 2> exec_report{-1, -1}; // the child writes errno here when exec fails
    const auto close_all = [&] {
        for (auto* pipe : {&in, &out, &err, &exec_report, &st.wake}) {
            close_fd((*pipe)[0]);
            close_fd((*pipe)[1]);
        }
    };
    for (auto* pipe : {&in, &out, &err, &exec_report, &st.wake}) {
        if (::pipe2(pipe->data(), O_CLOEXEC) != 0) {
            const int error = errno;
            close_all();
            throw std::runtime_error("ChildProcess: pipe: " + errno_text(error));
        }
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        close_all();
        throw std::runtime_error("ChildProcess: fork: " + errno_text(error));
    }
    if (pid == 0) {
        // The child dies with the test, even when the test process is killed.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(127);
        }
        ::dup2(in[0], STDIN_FILENO);
        ::dup2(out[1], STDOUT_FILENO);
        ::dup2(err[1], STDERR_FILENO);
        // Nothing else of the test leaks in (sockets of its own daemons, other children's pipes).
        for (int fd = STDERR_FILENO + 1; fd < max_fd; ++fd) {
            if (fd != exec_report[1]) {
                ::close(fd);
            }
        }
        // Ignored signals and the signal mask survive exec: give the program the defaults.
        for (int sig = 1; sig < NSIG; ++sig) {
            if (sig != SIGKILL && sig != SIGSTOP) {
                ::signal(sig, SIG_DFL);
            }
        }
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve(program.c_str(), child_argv.data(), child_env.data());
        const int error = errno;
        [[maybe_unused]] const ssize_t ignored = ::write(exec_report[1], &error, sizeof error);
        ::_exit(127);
    }
    st.pid = pid;
    close_fd(in[0]);
    close_fd(out[1]);
    close_fd(err[1]);
    close_fd(exec_report[1]);
    int exec_error = 0;
    ssize_t n;
    do {
        n = ::read(exec_report[0], &exec_error, sizeof exec_error);
    } while (n < 0 && errno == EINTR);
    close_fd(exec_report[0]);
    st.stdin_fd = in[1];
    st.output_fd = {out[0], err[0]};
    if (n > 0) {
        {
            const std::lock_guard lock(st.process_mutex);
            st.try_reap(0);
        }
        close_all();
        close_fd(st.stdin_fd);
        close_fd(st.output_fd[0]);
        close_fd(st.output_fd[1]);
        throw std::runtime_error("cannot start " + program + ": " + errno_text(exec_error));
    }
    st.reader = std::thread([&st] { st.read_output(); });
}

ChildProcess::~ChildProcess() {
    State& st = *state_;
    {
        const std::lock_guard lock(st.process_mutex);
        if (!st.try_reap(WNOHANG)) {
            ::kill(st.pid, SIGKILL);
            st.try_reap(0);
        }
    }
    // Grandchildren may still hold the pipes open: wake the reader instead of waiting for EOF.
    const char byte = 0;
    [[maybe_unused]] const ssize_t ignored = ::write(st.wake[1], &byte, 1);
    st.reader.join();
    close_fd(st.stdin_fd);
    close_fd(st.output_fd[0]);
    close_fd(st.output_fd[1]);
    close_fd(st.wake[0]);
    close_fd(st.wake[1]);
}

pid_t ChildProcess::pid() const {
    return state_->pid;
}

std::optional<std::string> ChildProcess::wait_for_line(std::string_view text,
                                                       std::chrono::milliseconds timeout,
                                                       Stream stream) {
    return state_->next_line(
        stream, [text](const std::string& line) { return line.find(text) != std::string::npos; },
        timeout);
}

std::optional<std::string> ChildProcess::wait_for_line(const std::regex& pattern,
                                                       std::chrono::milliseconds timeout,
                                                       Stream stream) {
    return state_->next_line(
        stream, [&pattern](const std::string& line) { return std::regex_search(line, pattern); },
        timeout);
}

std::optional<std::vector<std::string>>
ChildProcess::wait_for_match(const std::regex& pattern, std::chrono::milliseconds timeout,
                             Stream stream) {
    const auto line = wait_for_line(pattern, timeout, stream);
    if (!line) {
        return std::nullopt;
    }
    std::smatch match;
    std::regex_search(*line, match, pattern);
    std::vector<std::string> groups;
    for (const auto& group : match) {
        groups.push_back(group.str());
    }
    return groups;
}

std::string ChildProcess::read_all(Stream stream, std::chrono::milliseconds timeout) {
    State& st = *state_;
    const auto s = static_cast<std::size_t>(stream);
    std::unique_lock lock(st.output_mutex);
    st.output_changed.wait_for(lock, timeout, [&] { return st.ended[s]; });
    return st.text[s];
}

std::string ChildProcess::output(Stream stream) const {
    const std::lock_guard lock(state_->output_mutex);
    return state_->text[static_cast<std::size_t>(stream)];
}

bool ChildProcess::write_stdin(std::string_view text) {
    State& st = *state_;
    const std::lock_guard lock(st.stdin_mutex);
    if (st.stdin_fd < 0) {
        return false;
    }
    // A child that closed its stdin must not kill the test with SIGPIPE: block it on this thread
    // for the write and swallow the one the write raised.
    sigset_t pipe_signal;
    sigset_t previous;
    ::sigemptyset(&pipe_signal);
    ::sigaddset(&pipe_signal, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
    sigset_t pending;
    ::sigpending(&pending);
    const bool already_pending = ::sigismember(&pending, SIGPIPE) == 1;
    bool ok = true;
    while (!text.empty()) {
        const ssize_t n = ::write(st.stdin_fd, text.data(), text.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EPIPE && !already_pending) {
                const timespec zero{};
                ::sigtimedwait(&pipe_signal, nullptr, &zero);
            }
            ok = false;
            break;
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return ok;
}

void ChildProcess::close_stdin() {
    const std::lock_guard lock(state_->stdin_mutex);
    close_fd(state_->stdin_fd);
}

bool ChildProcess::running() {
    const std::lock_guard lock(state_->process_mutex);
    return !state_->try_reap(WNOHANG);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    State& st = *state_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        {
            const std::lock_guard lock(st.process_mutex);
            if (st.try_reap(WNOHANG)) {
                return st.status;
            }
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

void ChildProcess::send_signal(int signal) {
    const std::lock_guard lock(state_->process_mutex);
    if (!state_->try_reap(WNOHANG)) {
        ::kill(state_->pid, signal);
    }
}

void ChildProcess::kill() {
    send_signal(SIGKILL);
}

int ChildProcess::terminate(std::chrono::milliseconds grace) {
    send_signal(SIGTERM);
    if (const auto status = wait(grace)) {
        return *status;
    }
    kill();
    return wait(std::chrono::seconds(10)).value_or(-1);
}

std::string ChildProcess::describe() const {
    State& st = *state_;
    std::string out = "pid " + std::to_string(st.pid) + " `" + st.command + "`";
    {
        const std::lock_guard lock(st.process_mutex);
        out += st.reaped ? ", exit status " + std::to_string(st.status) : ", running";
    }
    out += "\n--- stdout ---\n" + output(Stream::Stdout);
    out += "\n--- stderr ---\n" + output(Stream::Stderr) + "\n--------------";
    return out;
}

int free_tcp_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error("free_tcp_port: socket: " + errno_text(errno));
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        const int error = errno;
        ::close(fd);
        throw std::runtime_error("free_tcp_port: " + errno_text(error));
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

} // namespace pyro::test
