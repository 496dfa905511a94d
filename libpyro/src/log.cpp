#include "pyro/log.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

#include <fcntl.h>
#include <unistd.h>

#include "pyro/errors.hpp"
#include "pyro/value.hpp"

namespace pyro {

namespace {

constexpr std::string_view stderr_destination = "{stderr}"; // Pyro4's spelling

constexpr std::array<std::pair<LogLevel, std::string_view>, 5> level_names{{
    {LogLevel::Debug, "DEBUG"},
    {LogLevel::Info, "INFO"},
    {LogLevel::Warning, "WARNING"},
    {LogLevel::Error, "ERROR"},
    {LogLevel::Critical, "CRITICAL"},
}};

// The whole line in one write(2): with O_APPEND the kernel places it at the end in one piece, so
// lines from other threads, Loggers or processes never land inside it.
void write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t written = ::write(fd, text.data(), text.size());
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return; // a log that cannot be written must not take the program down
        }
        text.remove_prefix(static_cast<std::size_t>(written));
    }
}

} // namespace

struct Logger::Sink {
    explicit Sink(std::string destination) : path(std::move(destination)) {}
    ~Sink() {
        if (fd > STDERR_FILENO) {
            ::close(fd);
        }
    }
    Sink(const Sink&) = delete;
    Sink& operator=(const Sink&) = delete;

    // Opened on the first line, so a Logger that never writes (most proxies) creates no file.
    int descriptor() {
        const std::lock_guard lock(mutex);
        if (fd < 0) {
            if (path.empty() || path == stderr_destination) {
                fd = STDERR_FILENO;
            } else {
                fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd < 0) {
                    const std::string note = "pyro: cannot write the log file " + path + " (" +
                                             std::strerror(errno) +
                                             "); logging to stderr instead\n";
                    fd = STDERR_FILENO;
                    write_all(fd, note);
                }
            }
        }
        return fd;
    }

    std::string path;
    std::mutex mutex;
    int fd = -1;
};

std::string_view log_level_name(LogLevel level) {
    for (const auto& [value, name] : level_names) {
        if (value == level) {
            return name;
        }
    }
    return "NOTSET"; // not one of the five: Python's name for "no level"
}

std::optional<LogLevel> parse_log_level(std::string_view name) {
    for (const auto& [value, level_name] : level_names) {
        const bool same =
            name.size() == level_name.size() &&
            std::equal(name.begin(), name.end(), level_name.begin(), [](char a, char b) {
                return (a >= 'a' && a <= 'z' ? a - 'a' + 'A' : a) == b;
            });
        if (same) {
            return value;
        }
    }
    return std::nullopt;
}

Logger::Logger(const Config& config, std::string name) : name_(std::move(name)) {
    if (!config.log_level) {
        threshold_ = LogLevel::Warning; // the notices libpyro always printed (see log.hpp)
        sink_ = std::make_shared<Sink>(std::string(stderr_destination));
        return;
    }
    const auto level = parse_log_level(*config.log_level);
    if (!level) {
        throw PyroError("PYRO_LOGLEVEL=" + Value(*config.log_level).repr() +
                        " is not a log level (DEBUG, INFO, WARNING, ERROR or CRITICAL, any case)");
    }
    threshold_ = *level;
    sink_ = std::make_shared<Sink>(config.log_file);
}

Logger::Logger(LogLevel threshold, std::string destination, std::string name)
    : sink_(std::make_shared<Sink>(std::move(destination))), threshold_(threshold),
      name_(std::move(name)) {}

Logger Logger::named(std::string name) const {
    Logger copy = *this;
    copy.name_ = std::move(name);
    return copy;
}

std::string Logger::format_line(std::chrono::system_clock::time_point when, std::string_view name,
                                LogLevel level, std::string_view message) {
    const auto since_epoch = when.time_since_epoch();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
    const std::time_t time = static_cast<std::time_t>(seconds.count());
    std::tm local{};
    ::localtime_r(&time, &local);
    std::array<char, 32> stamp{};
    const std::size_t length =
        std::strftime(stamp.data(), stamp.size(), "%Y-%m-%d %H:%M:%S", &local);
    std::array<char, 8> fraction{};
    std::snprintf(fraction.data(), fraction.size(), ".%03d", static_cast<int>(millis.count()));
    std::string line;
    line.reserve(48 + name.size() + message.size());
    line += '[';
    line.append(stamp.data(), length);
    line += fraction.data();
    line += ',';
    line += name;
    line += ',';
    line += log_level_name(level);
    line += "] ";
    line += message;
    line += '\n';
    return line;
}

void Logger::write(LogLevel level, std::string_view message) const {
    const std::string line = format_line(std::chrono::system_clock::now(), name_, level, message);
    write_all(sink_->descriptor(), line);
}

} // namespace pyro
