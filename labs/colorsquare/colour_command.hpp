// What a line typed at the colorsquare-transmit prompt means. Pure functions, no I/O: the
// transmitter decides what to do with the result, and a unit test checks every case.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace colorsquare {

// A colour as three channels, each 0-255.
struct Rgb {
    int r = 0;
    int g = 0;
    int b = 0;
    friend bool operator==(const Rgb&, const Rgb&) = default;
};

// "RED", "green", "0,128,255": paint the square. `name` is the colour's name when one was typed.
struct SetColour {
    Rgb rgb;
    std::string name;
    friend bool operator==(const SetColour&, const SetColour&) = default;
};
struct AskTime {};   // "TIME": how long has the receiver been running?
struct Quit {};      // "QUIT"
struct ShowHelp {};  // "HELP" or "?"
struct EmptyLine {}; // nothing typed: just prompt again
// Anything else: one line that says what was wrong and what to type instead.
struct Mistake {
    std::string explanation;
};

using Command = std::variant<SetColour, AskTime, Quit, ShowHelp, EmptyLine, Mistake>;

// Reads one line. Words are case-insensitive; spaces around words and numbers are ignored.
[[nodiscard]] Command parse_command(std::string_view line);

// The commands, for the help text and for mistakes: "RED, GREEN, BLUE, R,G,B (each 0-255), ...".
[[nodiscard]] std::string command_summary();

// A running time for people: "7 s", "1 min 05 s", "2 h 03 min 09 s".
[[nodiscard]] std::string describe_duration(double seconds);

} // namespace colorsquare
