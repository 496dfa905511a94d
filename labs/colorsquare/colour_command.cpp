#include "colour_command.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

namespace colorsquare {
namespace {

std::string_view trim(std::string_view text) {
    const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::string upper(std::string_view text) {
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return result;
}

std::vector<std::string_view> split_commas(std::string_view text) {
    std::vector<std::string_view> parts;
    for (std::size_t comma; (comma = text.find(',')) != std::string_view::npos;) {
        parts.push_back(trim(text.substr(0, comma)));
        text.remove_prefix(comma + 1);
    }
    parts.push_back(trim(text));
    return parts;
}

// "R,G,B" with three whole numbers 0-255, or a Mistake saying which part is wrong.
Command parse_rgb(std::string_view line) {
    const std::vector<std::string_view> parts = split_commas(line);
    const std::string quoted = "'" + std::string(line) + "'";
    if (parts.size() != 3) {
        return Mistake{quoted + ": R,G,B needs exactly three numbers, got " +
                       std::to_string(parts.size())};
    }
    int channels[3] = {};
    for (std::size_t i = 0; i < 3; ++i) {
        const std::string_view part = parts[i];
        const char* const end = part.data() + part.size();
        long value = 0;
        const auto [stop, error] = std::from_chars(part.data(), end, value);
        if (part.empty() || error == std::errc::invalid_argument || stop != end) {
            return Mistake{quoted + ": '" + std::string(part) +
                           "' is not a whole number; each of R,G,B is 0-255"};
        }
        if (error == std::errc::result_out_of_range || value < 0 || value > 255) {
            return Mistake{quoted + ": " + std::string(part) +
                           " is out of range; each of R,G,B is 0-255"};
        }
        channels[i] = static_cast<int>(value);
    }
    return SetColour{{channels[0], channels[1], channels[2]}, ""};
}

} // namespace

Command parse_command(std::string_view line) {
    line = trim(line);
    if (line.empty()) {
        return EmptyLine{};
    }
    const std::string word = upper(line);
    if (word == "RED") {
        return SetColour{{255, 0, 0}, "RED"};
    }
    if (word == "GREEN") {
        return SetColour{{0, 255, 0}, "GREEN"};
    }
    if (word == "BLUE") {
        return SetColour{{0, 0, 255}, "BLUE"};
    }
    if (word == "TIME") {
        return AskTime{};
    }
    if (word == "QUIT" || word == "EXIT") {
        return Quit{};
    }
    if (word == "HELP" || word == "?") {
        return ShowHelp{};
    }
    // A line that starts like a number, or has a comma, was meant as R,G,B.
    const bool looks_numeric = line.find(',') != std::string_view::npos ||
                               std::isdigit(static_cast<unsigned char>(line.front())) != 0 ||
                               line.front() == '-' || line.front() == '+';
    if (looks_numeric) {
        return parse_rgb(line);
    }
    return Mistake{"'" + std::string(line) + "' is not a command; type " + command_summary()};
}

std::string command_summary() {
    return "RED, GREEN, BLUE, R,G,B (three numbers 0-255, e.g. 0,128,255), TIME or QUIT";
}

std::string describe_duration(double seconds) {
    const long total = std::lround(std::floor(std::max(seconds, 0.0)));
    const long hours = total / 3600;
    const long minutes = total / 60 % 60;
    const long secs = total % 60;
    char text[64];
    if (hours > 0) {
        std::snprintf(text, sizeof text, "%ld h %02ld min %02ld s", hours, minutes, secs);
    } else if (minutes > 0) {
        std::snprintf(text, sizeof text, "%ld min %02ld s", minutes, secs);
    } else {
        std::snprintf(text, sizeof text, "%ld s", secs);
    }
    return text;
}

} // namespace colorsquare
