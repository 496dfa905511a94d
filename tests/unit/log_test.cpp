// pyro::Logger: which levels write what, the line format, {stderr}, files, bad levels, threads.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "pyro/config.hpp"
#include "pyro/errors.hpp"
#include "pyro/log.hpp"

namespace pyro {
namespace {

// A fresh folder per test, removed afterwards.
class LogFolder {
public:
    LogFolder() {
        std::random_device random;
        path_ = std::filesystem::temp_directory_path() /
                ("pyro-log-test-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
        std::filesystem::create_directories(path_);
    }
    ~LogFolder() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    LogFolder(const LogFolder&) = delete;
    LogFolder& operator=(const LogFolder&) = delete;

    [[nodiscard]] std::string file(const std::string& name) const {
        return (path_ / name).string();
    }

private:
    std::filesystem::path path_;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

// "[2026-12-02 07:30:01.123,Pyro4.core,INFO] message": Pyro4's basicConfig format.
const std::regex line_shape(R"(\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3},([^,\]]+),([A-Z]+)\] (.*))");

struct Line {
    std::string name;
    std::string level;
    std::string message;
};

std::vector<Line> parse(const std::string& text) {
    std::vector<Line> parsed;
    for (const auto& line : lines_of(text)) {
        std::smatch match;
        EXPECT_TRUE(std::regex_match(line, match, line_shape)) << line;
        parsed.push_back({match[1], match[2], match[3]});
    }
    return parsed;
}

void write_one_of_each(const Logger& log) {
    log.debug("a debug line");
    log.info("an info line");
    log.warning("a warning line");
    log.error("an error line");
    log.critical("a critical line");
}

const std::vector<std::string> all_levels{"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};

// One test per level: that level and those above are written, those below are not.
class PerLevel : public ::testing::TestWithParam<std::size_t> {};

TEST_P(PerLevel, WritesItsLevelAndAboveOnly) {
    const std::size_t index = GetParam();
    const std::string& level_name = all_levels[index];
    LogFolder folder;
    Config config;
    config.log_level = level_name;
    config.log_file = folder.file("pyro.log");
    const Logger log(config);

    for (std::size_t i = 0; i < all_levels.size(); ++i) {
        EXPECT_EQ(log.enabled(*parse_log_level(all_levels[i])), i >= index) << all_levels[i];
    }
    write_one_of_each(log);

    const auto lines = parse(read_file(config.log_file));
    ASSERT_EQ(lines.size(), all_levels.size() - index);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        EXPECT_EQ(lines[i].level, all_levels[index + i]);
        EXPECT_EQ(lines[i].name, "Pyro4.core");
    }
}

INSTANTIATE_TEST_SUITE_P(Levels, PerLevel, ::testing::Range<std::size_t>(0, 5),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                             return all_levels[info.param];
                         });

TEST(LogLevel, NamesAreReadInAnyCase) {
    EXPECT_EQ(parse_log_level("debug"), LogLevel::Debug);
    EXPECT_EQ(parse_log_level("Info"), LogLevel::Info);
    EXPECT_EQ(parse_log_level("WARNING"), LogLevel::Warning);
    EXPECT_EQ(parse_log_level("error"), LogLevel::Error);
    EXPECT_EQ(parse_log_level("CriTical"), LogLevel::Critical);
    EXPECT_EQ(parse_log_level("verbose"), std::nullopt);
    EXPECT_EQ(parse_log_level("WARN"), std::nullopt);
    EXPECT_EQ(parse_log_level(""), std::nullopt);
    EXPECT_EQ(log_level_name(LogLevel::Warning), "WARNING");
}

TEST(LogLine, HasPyro4sShape) {
    // 2026-12-02 07:30:01.123 in local time, whatever the test machine's time zone.
    std::tm local{};
    local.tm_year = 2026 - 1900;
    local.tm_mon = 11;
    local.tm_mday = 2;
    local.tm_hour = 7;
    local.tm_min = 30;
    local.tm_sec = 1;
    local.tm_isdst = -1;
    const auto when = std::chrono::system_clock::from_time_t(std::mktime(&local)) +
                      std::chrono::milliseconds(123);
    EXPECT_EQ(
        Logger::format_line(when, "Pyro4.core", LogLevel::Info, "daemon entering requestloop"),
        "[2026-12-02 07:30:01.123,Pyro4.core,INFO] daemon entering requestloop\n");
    EXPECT_EQ(Logger::format_line(when + std::chrono::milliseconds(5), "Pyro4.naming",
                                  LogLevel::Critical, ""),
              "[2026-12-02 07:30:01.128,Pyro4.naming,CRITICAL] \n");
}

TEST(LogLine, JoinsPartsAndNumbers) {
    LogFolder folder;
    const Logger log(LogLevel::Debug, folder.file("pyro.log"));
    const std::string peer = "127.0.0.1:5555";
    log.info("connection from ", peer, " closed after ", 3, " calls (", std::size_t{42}, " bytes)");
    const auto lines = parse(read_file(folder.file("pyro.log")));
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].message, "connection from 127.0.0.1:5555 closed after 3 calls (42 bytes)");
}

TEST(LogDestination, StderrSpelledAsPyro4Does) {
    Config config;
    config.log_level = "INFO";
    config.log_file = "{stderr}";
    const Logger log(config);
    ::testing::internal::CaptureStderr();
    log.debug("not shown");
    log.info("shown on stderr");
    const auto lines = parse(::testing::internal::GetCapturedStderr());
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].level, "INFO");
    EXPECT_EQ(lines[0].message, "shown on stderr");
}

TEST(LogDestination, FileIsAppendedToAndCreatedOnlyWhenWritten) {
    LogFolder folder;
    const std::string path = folder.file("pyro.log");
    {
        const Logger log(LogLevel::Warning, path);
        log.info("below the level");
        EXPECT_FALSE(std::filesystem::exists(path)); // nothing written, no file
    }
    {
        std::ofstream(path) << "an earlier line\n";
        const Logger log(LogLevel::Warning, path);
        log.warning("first");
        const Logger other = log.named("Pyro4.naming"); // shares the file
        other.error("second");
    }
    const auto lines = lines_of(read_file(path));
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "an earlier line");
    EXPECT_NE(lines[1].find(",Pyro4.core,WARNING] first"), std::string::npos) << lines[1];
    EXPECT_NE(lines[2].find(",Pyro4.naming,ERROR] second"), std::string::npos) << lines[2];
}

TEST(LogDestination, UnwritableFileFallsBackToStderr) {
    const Logger log(LogLevel::Info, "/nonexistent-folder/pyro.log");
    ::testing::internal::CaptureStderr();
    log.info("still seen");
    const std::string text = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(text.find("cannot write the log file /nonexistent-folder/pyro.log"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find(",Pyro4.core,INFO] still seen\n"), std::string::npos) << text;
}

TEST(LogConfig, BadLevelIsOneClearLine) {
    const auto from = [](std::string level) {
        return Config::from_environment(
            [level](std::string_view name) -> std::optional<std::string> {
                if (name == "PYRO_LOGLEVEL") {
                    return level;
                }
                return std::nullopt;
            });
    };
    try {
        (void)from("verbose");
        FAIL() << "PYRO_LOGLEVEL=verbose was accepted";
    } catch (const PyroError& error) {
        EXPECT_STREQ(error.what(), "PYRO_LOGLEVEL='verbose' is not a log level (DEBUG, INFO, "
                                   "WARNING, ERROR or CRITICAL, any case)");
    }
    EXPECT_EQ(from("warning").log_level, "WARNING"); // any case, kept in upper case
    EXPECT_EQ(from("").log_level, std::nullopt);     // empty: unset, as in Pyro4

    Config by_hand;
    by_hand.log_level = "loud";
    EXPECT_THROW(Logger{by_hand}, PyroError);
}

TEST(LogConfig, WithoutALevelOnlyWarningsReachStderrAndNoFileIsWritten) {
    LogFolder folder;
    Config config; // PYRO_LOGLEVEL unset
    config.log_file = folder.file("pyro.log");
    const Logger log(config);
    ::testing::internal::CaptureStderr();
    write_one_of_each(log);
    const auto lines = parse(::testing::internal::GetCapturedStderr());
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].level, "WARNING");
    EXPECT_EQ(lines[1].level, "ERROR");
    EXPECT_EQ(lines[2].level, "CRITICAL");
    EXPECT_FALSE(std::filesystem::exists(config.log_file));
}

TEST(LogConfig, DefaultLoggerWritesNothing) {
    const Logger log;
    for (const auto& name : all_levels) {
        EXPECT_FALSE(log.enabled(*parse_log_level(name)));
    }
    ::testing::internal::CaptureStderr();
    write_one_of_each(log);
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(LogThreads, LinesNeverInterleave) {
    LogFolder folder;
    const std::string path = folder.file("pyro.log");
    const Logger log(LogLevel::Debug, path);
    constexpr int threads = 8;
    constexpr int per_thread = 200;
    const std::string padding(300, 'x'); // long lines make a torn write likely if there is one
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        // Every thread its own copy: copies share the file, as a daemon's sessions do.
        workers.emplace_back([log, t, &padding] {
            for (int i = 0; i < per_thread; ++i) {
                log.debug("thread ", t, " line ", i, " ", padding, " end");
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }
    const auto lines = parse(read_file(path));
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(threads * per_thread));
    const std::regex message_shape(R"(thread \d+ line \d+ x{300} end)");
    for (const auto& line : lines) {
        EXPECT_TRUE(std::regex_match(line.message, message_shape)) << line.message;
    }
}

} // namespace
} // namespace pyro
