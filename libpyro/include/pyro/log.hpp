// pyro::Logger — Pyro4's logging switches (PYRO_LOGLEVEL, PYRO_LOGFILE) made to work. A Logger is
// made from the Config in main() and handed to what should log; there is no global logger.
//
//   const pyro::Config config = pyro::Config::from_environment(); // PYRO_LOGLEVEL=DEBUG
//   pyro::Daemon daemon(config);     // logs through pyro::Logger(config) unless given another
//   pyro::Logger log(config);
//   log.info("serving ", daemon.location());
//
// A line has the shape Pyro4's own log has (the logging.basicConfig format in Pyro4/__init__.py),
// local time to the millisecond, the logger's name and the level:
//   [2026-12-02 07:30:01.123,Pyro4.core,INFO] daemon localhost:9999 entering requestloop
// Daemon and Proxy log as "Pyro4.core", the name server as "Pyro4.naming", like Pyro4's modules.
//
// Levels, as in Python: DEBUG < INFO < WARNING < ERROR < CRITICAL; a Logger writes its level and
// everything above. PYRO_LOGFILE is a path, appended to (default "pyro.log" in the current
// folder, as in Pyro4), or "{stderr}" (or empty) for the standard error stream. A file that cannot
// be opened is reported once on stderr, and the lines go to stderr instead (Pyro4 does the same).
//
// Without PYRO_LOGLEVEL Pyro4 logs nothing. libpyro writes no log file either, but keeps the
// notices it printed before logging existed: WARNING and above still go to stderr (as Python's
// logging does when nothing is configured), so a student sees a connection dropped on a protocol
// error or a handshake refused for a wrong HMAC key. PYRO_LOGLEVEL=ERROR silences them.
// What is logged where: DEBUG connections opened and closed, handshakes, calls' plumbing; INFO
// daemon start, servant exceptions and what was sent back, proxy retries and timeouts, name server
// registrations and removals; WARNING problems nobody else reports (a connection lost mid-request
// or closed on a protocol error, a refused handshake, a failing accept). Anything a caller also
// receives as an exception is logged at INFO or below.
//
// Cost when a level is off: one inline comparison; nothing is formatted or allocated.
// Thread safety: a Logger may be used from many threads at once. Each line is written with one
// write(2) on a descriptor opened with O_APPEND, so lines never interleave, even between
// processes sharing one file. Copies share the open file (a Logger is a cheap handle).
#pragma once

#include <chrono>
#include <concepts>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pyro/config.hpp"

namespace pyro {

enum class LogLevel { Debug = 10, Info = 20, Warning = 30, Error = 40, Critical = 50 };

// "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL".
[[nodiscard]] std::string_view log_level_name(LogLevel level);
// One of those names in any case ("debug", "Warning"); nullopt for anything else.
[[nodiscard]] std::optional<LogLevel> parse_log_level(std::string_view name);

namespace detail {
inline void append_log_part(std::string& line, std::string_view text) {
    line += text;
}
template <std::integral T>
requires(!std::same_as<T, bool> && !std::same_as<T, char>) void append_log_part(std::string& line,
                                                                                T number) {
    line += std::to_string(number);
}
} // namespace detail

class Logger {
public:
    // Logs nothing at all.
    Logger() = default;
    // As the Config says (see above): log_level and log_file, or WARNING and above on stderr
    // when log_level is unset. Opens the file only when the first line is written. Throws
    // PyroError naming PYRO_LOGLEVEL when log_level is not a level name.
    explicit Logger(const Config& config, std::string name = "Pyro4.core");
    // Lines at `threshold` and above to `destination`: a path (appended) or "{stderr}".
    Logger(LogLevel threshold, std::string destination, std::string name = "Pyro4.core");

    // The same destination and level under another logger name ("Pyro4.naming").
    [[nodiscard]] Logger named(std::string name) const;

    // Whether a line at this level would be written: check it before building costly text.
    [[nodiscard]] bool enabled(LogLevel level) const noexcept {
        return sink_ != nullptr && level >= threshold_;
    }

    // Writes one line made of the parts (strings, string_views, C strings and integers), when the
    // level is enabled; the parts are joined only then. Never throws for I/O problems.
    template <class... Parts>
    void log(LogLevel level, const Parts&... parts) const {
        if (enabled(level)) {
            std::string message;
            (detail::append_log_part(message, parts), ...);
            write(level, message);
        }
    }
    template <class... Parts>
    void debug(const Parts&... parts) const {
        log(LogLevel::Debug, parts...);
    }
    template <class... Parts>
    void info(const Parts&... parts) const {
        log(LogLevel::Info, parts...);
    }
    template <class... Parts>
    void warning(const Parts&... parts) const {
        log(LogLevel::Warning, parts...);
    }
    template <class... Parts>
    void error(const Parts&... parts) const {
        log(LogLevel::Error, parts...);
    }
    template <class... Parts>
    void critical(const Parts&... parts) const {
        log(LogLevel::Critical, parts...);
    }

    // The text of one line, newline included:
    // "[2026-12-02 07:30:01.123,Pyro4.core,INFO] message\n" (local time).
    [[nodiscard]] static std::string format_line(std::chrono::system_clock::time_point when,
                                                 std::string_view name, LogLevel level,
                                                 std::string_view message);

private:
    void write(LogLevel level, std::string_view message) const;

    struct Sink; // log.cpp
    std::shared_ptr<Sink> sink_;
    LogLevel threshold_ = LogLevel::Critical;
    std::string name_;
};

} // namespace pyro
