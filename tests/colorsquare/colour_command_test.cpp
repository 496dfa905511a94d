// The transmitter's line parsing (labs/colorsquare/colour_command.cpp), without any network.
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "colour_command.hpp"

namespace colorsquare {
namespace {

SetColour colour_of(std::string_view line) {
    const Command command = parse_command(line);
    EXPECT_TRUE(std::holds_alternative<SetColour>(command)) << "line: '" << line << "'";
    return std::holds_alternative<SetColour>(command) ? std::get<SetColour>(command) : SetColour{};
}

std::string mistake_of(std::string_view line) {
    const Command command = parse_command(line);
    EXPECT_TRUE(std::holds_alternative<Mistake>(command)) << "line: '" << line << "'";
    return std::holds_alternative<Mistake>(command) ? std::get<Mistake>(command).explanation : "";
}

TEST(ParseCommand, NamedColoursInAnyCase) {
    EXPECT_EQ(colour_of("RED"), (SetColour{{255, 0, 0}, "RED"}));
    EXPECT_EQ(colour_of("green"), (SetColour{{0, 255, 0}, "GREEN"}));
    EXPECT_EQ(colour_of("  Blue \r"), (SetColour{{0, 0, 255}, "BLUE"}));
}

TEST(ParseCommand, ThreeNumbersWithOrWithoutSpaces) {
    EXPECT_EQ(colour_of("0,128,255").rgb, (Rgb{0, 128, 255}));
    EXPECT_EQ(colour_of(" 0 , 128,  255 ").rgb, (Rgb{0, 128, 255}));
    EXPECT_EQ(colour_of("255,255,255").rgb, (Rgb{255, 255, 255}));
    EXPECT_EQ(colour_of("0,0,0").rgb, (Rgb{0, 0, 0}));
    EXPECT_EQ(colour_of("007,8,9").rgb, (Rgb{7, 8, 9}));
    EXPECT_EQ(colour_of("1,2,3").name, "");
}

TEST(ParseCommand, OtherWords) {
    EXPECT_TRUE(std::holds_alternative<AskTime>(parse_command("TIME")));
    EXPECT_TRUE(std::holds_alternative<AskTime>(parse_command("time")));
    EXPECT_TRUE(std::holds_alternative<Quit>(parse_command("QUIT")));
    EXPECT_TRUE(std::holds_alternative<Quit>(parse_command("quit ")));
    EXPECT_TRUE(std::holds_alternative<ShowHelp>(parse_command("help")));
    EXPECT_TRUE(std::holds_alternative<ShowHelp>(parse_command("?")));
    EXPECT_TRUE(std::holds_alternative<EmptyLine>(parse_command("")));
    EXPECT_TRUE(std::holds_alternative<EmptyLine>(parse_command("   \t")));
}

TEST(ParseCommand, OutOfRangeNumbersNameTheNumber) {
    EXPECT_EQ(mistake_of("300,0,0"), "'300,0,0': 300 is out of range; each of R,G,B is 0-255");
    EXPECT_NE(mistake_of("0,-1,0").find("-1 is out of range"), std::string::npos);
    EXPECT_NE(mistake_of("0,0,99999999999999999999").find("out of range"), std::string::npos);
}

TEST(ParseCommand, WrongCountOfNumbers) {
    EXPECT_EQ(mistake_of("1,2"), "'1,2': R,G,B needs exactly three numbers, got 2");
    EXPECT_NE(mistake_of("1,2,3,4").find("got 4"), std::string::npos);
    EXPECT_NE(mistake_of("128").find("got 1"), std::string::npos);
}

TEST(ParseCommand, NotNumbers) {
    EXPECT_EQ(mistake_of("a,b,c"), "'a,b,c': 'a' is not a whole number; each of R,G,B is 0-255");
    EXPECT_NE(mistake_of("1.5,2,3").find("'1.5' is not a whole number"), std::string::npos);
    EXPECT_NE(mistake_of("1,,3").find("'' is not a whole number"), std::string::npos);
    EXPECT_NE(mistake_of("1 2,3,4").find("'1 2' is not a whole number"), std::string::npos);
}

TEST(ParseCommand, UnknownWordsListTheCommands) {
    const std::string explanation = mistake_of("blue-ish");
    EXPECT_EQ(explanation, "'blue-ish' is not a command; type " + command_summary());
    for (const char* word : {"RED", "GREEN", "BLUE", "R,G,B", "TIME", "QUIT"}) {
        EXPECT_NE(explanation.find(word), std::string::npos) << word;
    }
    EXPECT_FALSE(mistake_of("REDD").empty());
    EXPECT_FALSE(mistake_of("red green").empty());
}

TEST(DescribeDuration, SecondsMinutesHours) {
    EXPECT_EQ(describe_duration(0.0), "0 s");
    EXPECT_EQ(describe_duration(7.9), "7 s");
    EXPECT_EQ(describe_duration(59.99), "59 s");
    EXPECT_EQ(describe_duration(60.0), "1 min 00 s");
    EXPECT_EQ(describe_duration(65.2), "1 min 05 s");
    EXPECT_EQ(describe_duration(3599.0), "59 min 59 s");
    EXPECT_EQ(describe_duration(3600.0 * 2 + 3 * 60 + 9), "2 h 03 min 09 s");
    EXPECT_EQ(describe_duration(-1.0), "0 s");
}

} // namespace
} // namespace colorsquare
