// Black-box tests of the colorsquare lab: name server, a headless receiver (SDL's offscreen
// driver) and the transmitter fed through its stdin, all on 127.0.0.1. After every command the
// square's centre pixel, read back from the receiver's renderer, must show what was sent.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "colorsquare_lab.hpp"
#include "support/python.hpp"
#include "support/vectors.hpp"

namespace colorsquare::test {
namespace {

using Colour = std::vector<int>;

class Colorsquare : public ::testing::Test {
protected:
    void SetUp() override {
        receiver_ = lab_.start_receiver({"--headless", "--size", "120"});
        ASSERT_TRUE(receiver_->running()) << receiver_->describe();
    }

    // Sends one line to the transmitter and waits for the line it should answer with.
    void send(ChildProcess& transmitter, const std::string& line, const std::string& answer) {
        ASSERT_TRUE(transmitter.write_stdin(line + "\n")) << transmitter.describe();
        ASSERT_TRUE(transmitter.wait_for_line(answer, 10s))
            << "after '" << line << "' expected '" << answer << "'\n"
            << transmitter.describe() << "\n"
            << receiver_->describe();
    }

    // What the window shows at the square's centre, and what get_color() says, must both be
    // `expected`.
    void expect_colour(const Colour& expected) {
        pyro::Proxy square = lab_.receiver_proxy();
        EXPECT_EQ(square.call<Colour>("get_color"), expected);
        EXPECT_EQ(square.call<Colour>("pixel_at_center"), expected) << receiver_->describe();
    }

    ColorsquareLab lab_;
    std::unique_ptr<ChildProcess> receiver_;
};

TEST_F(Colorsquare, StartsWhite) {
    expect_colour({255, 255, 255});
}

TEST_F(Colorsquare, EachCommandRecoloursTheSquare) {
    auto transmitter = lab_.start_transmitter();
    send(*transmitter, "RED", "square is now RED (255, 0, 0)");
    expect_colour({255, 0, 0});
    send(*transmitter, "green", "square is now GREEN (0, 255, 0)");
    expect_colour({0, 255, 0});
    send(*transmitter, "Blue", "square is now BLUE (0, 0, 255)");
    expect_colour({0, 0, 255});
    send(*transmitter, "0,128,255", "square is now (0, 128, 255)");
    expect_colour({0, 128, 255});
    send(*transmitter, " 12 , 34,56 ", "square is now (12, 34, 56)");
    expect_colour({12, 34, 56});
    send(*transmitter, "QUIT", "Bye.");
    EXPECT_EQ(transmitter->wait(10s), 0) << transmitter->describe();
    // The receiver logged each call it served.
    EXPECT_TRUE(receiver_->wait_for_line("set_color(255, 0, 0)", 5s)) << receiver_->describe();
    EXPECT_TRUE(receiver_->wait_for_line("set_color(12, 34, 56)", 5s)) << receiver_->describe();
}

TEST_F(Colorsquare, TimeTellsHowLongTheReceiverRuns) {
    auto transmitter = lab_.start_transmitter();
    ASSERT_TRUE(transmitter->write_stdin("TIME\n"));
    EXPECT_TRUE(transmitter->wait_for_line(std::regex("^receiver running for \\d+ s$"), 10s))
        << transmitter->describe();
    pyro::Proxy square = lab_.receiver_proxy();
    const auto first = square.call<double>("elapsed");
    std::this_thread::sleep_for(200ms);
    const auto second = square.call<double>("elapsed");
    EXPECT_GT(first, 0.0);
    EXPECT_GE(second - first, 0.15);
    EXPECT_LT(second, 120.0);
}

TEST_F(Colorsquare, BadLinesAreExplainedAndChangeNothing) {
    auto transmitter = lab_.start_transmitter();
    send(*transmitter, "10,20,30", "square is now (10, 20, 30)");
    send(*transmitter, "300,0,0", "Sorry, '300,0,0': 300 is out of range; each of R,G,B is 0-255");
    send(*transmitter, "1,2", "Sorry, '1,2': R,G,B needs exactly three numbers, got 2");
    send(*transmitter, "blue-ish", "Sorry, 'blue-ish' is not a command; type RED, GREEN, BLUE");
    send(*transmitter, "-1,0,0", "Sorry, '-1,0,0': -1 is out of range");
    send(*transmitter, "a,b,c", "Sorry, 'a,b,c': 'a' is not a whole number");
    expect_colour({10, 20, 30});
    // An empty line just prompts again; the transmitter is still there and answers.
    send(*transmitter, "", "colour> ");
    send(*transmitter, "TIME", "receiver running for");
    EXPECT_TRUE(transmitter->running());
    EXPECT_EQ(transmitter->output().find("Sorry, ''"), std::string::npos);
    expect_colour({10, 20, 30});
}

TEST_F(Colorsquare, InputPipedFromAFile) {
    auto transmitter = lab_.start_transmitter();
    // Everything at once, then end of input without QUIT: like `colorsquare-transmit < file`.
    ASSERT_TRUE(transmitter->write_stdin("RED\n0,128,255\nTIME\nnonsense\n"));
    transmitter->close_stdin();
    EXPECT_EQ(transmitter->wait(15s), 0) << transmitter->describe();
    const std::string output = transmitter->read_all(pyro::test::Stream::Stdout, 5s);
    const auto red = output.find("colour> RED\nsquare is now RED (255, 0, 0)\n");
    const auto blue = output.find("colour> 0,128,255\nsquare is now (0, 128, 255)\n");
    const auto sorry = output.find("colour> nonsense\nSorry, 'nonsense' is not a command");
    EXPECT_NE(red, std::string::npos) << output;
    EXPECT_LT(red, blue) << output;
    EXPECT_NE(output.find("receiver running for"), std::string::npos) << output;
    EXPECT_LT(blue, sorry) << output;
    EXPECT_NE(output.find("colour> \nBye.\n"), std::string::npos) << output;
    expect_colour({0, 128, 255});
}

TEST_F(Colorsquare, OutOfRangeIsARemoteValueError) {
    pyro::Proxy square = lab_.receiver_proxy();
    try {
        square.call<void>("set_color", 0, 256, 0);
        FAIL() << "set_color(0, 256, 0) was accepted";
    } catch (const pyro::RemoteError& error) {
        EXPECT_EQ(error.python_class(), "builtins.ValueError");
        EXPECT_STREQ(error.what(),
                     "set_color: g=256 is out of range; r, g and b must each be 0-255");
    }
    expect_colour({255, 255, 255});
}

TEST_F(Colorsquare, ScreenshotHookWritesABmp) {
    pyro::Proxy square = lab_.receiver_proxy();
    square.call<void>("set_color", 0, 128, 255);
    const std::string path = std::string(COLORSQUARE_OUTPUT_DIR) + "/colorsquare-headless.bmp";
    std::remove(path.c_str());
    square.call<void>("save_screenshot", path);
    std::FILE* file = std::fopen(path.c_str(), "rb");
    ASSERT_NE(file, nullptr) << path;
    char magic[2] = {};
    EXPECT_EQ(std::fread(magic, 1, 2, file), 2U);
    std::fclose(file);
    EXPECT_EQ(std::string(magic, 2), "BM");
}

TEST_F(Colorsquare, TransmitterSaysSoWhenTheReceiverGoesAway) {
    auto transmitter = lab_.start_transmitter();
    send(*transmitter, "RED", "square is now RED (255, 0, 0)");
    receiver_->kill();
    receiver_->wait(5s);
    ASSERT_TRUE(transmitter->write_stdin("BLUE\n"));
    const auto status = transmitter->wait(15s);
    EXPECT_TRUE(status && *status != 0) << transmitter->describe();
    const std::string errors = transmitter->read_all(pyro::test::Stream::Stderr, 5s);
    EXPECT_NE(errors.find("lost the receiver"), std::string::npos) << transmitter->describe();
    EXPECT_EQ(std::count(errors.begin(), errors.end(), '\n'), 1) << errors;
}

TEST_F(Colorsquare, TransmitterWithoutReceiverSaysWhatToStart) {
    receiver_->terminate();
    ChildProcess transmitter(lab_.transmitter_argv(), ColorsquareLab::environment());
    EXPECT_EQ(transmitter.wait(15s), 1) << transmitter.describe();
    const std::string errors = transmitter.read_all(pyro::test::Stream::Stderr, 5s);
    EXPECT_NE(errors.find("start colorsquare-receive first"), std::string::npos)
        << transmitter.describe();
}

// The Python Pyro4 twins (tests/labs/python/) and the C++ programs, mixed. The twins take
// the name server from Pyro4's environment variables, not from options.
ChildProcess::Environment twin_environment(const ColorsquareLab& lab) {
    auto env = ColorsquareLab::environment();
    const auto ns = lab.ns_options(); // --ns-host HOST --ns-port PORT
    env.insert(env.end(),
               {{"PYRO_NS_HOST", ns[1]}, {"PYRO_NS_PORT", ns[3]}, {"PYRO_HOST", "127.0.0.1"}});
    return pyro::test::python_environment(std::move(env));
}

TEST_F(Colorsquare, PythonTransmitterRecoloursTheCppReceiver) {
    ChildProcess transmitter(
        {pyro::test::python_interpreter(), COLORSQUARE_PYTHON_DIR "/colorsquare_transmit.py"},
        twin_environment(lab_));
    ASSERT_TRUE(transmitter.wait_for_line("Connected to 'example.colorsquare'", 20s))
        << transmitter.describe();
    send(transmitter, "red", "square is now RED (255, 0, 0)");
    expect_colour({255, 0, 0});
    send(transmitter, "0, 128, 255", "square is now (0, 128, 255)");
    expect_colour({0, 128, 255});
    send(transmitter, "TIME", "receiver running for");
    send(transmitter, "300,0,0", "Sorry, '300,0,0': 300 is out of range; each of R,G,B is 0-255");
    expect_colour({0, 128, 255});
    send(transmitter, "QUIT", "Bye.");
    EXPECT_EQ(transmitter.wait(10s), 0) << transmitter.describe();
}

TEST(ColorsquarePython, CppTransmitterRecoloursThePythonReceiver) {
    ColorsquareLab lab;
    ChildProcess receiver(
        {pyro::test::python_interpreter(), COLORSQUARE_PYTHON_DIR "/colorsquare_receive.py"},
        twin_environment(lab));
    ASSERT_TRUE(receiver.wait_for_line("Registered as 'example.colorsquare'", 20s))
        << receiver.describe();
    auto transmitter = lab.start_transmitter();
    ASSERT_TRUE(transmitter->write_stdin("RED\n0,128,255\nTIME\n300,0,0\nQUIT\n"));
    EXPECT_EQ(transmitter->wait(15s), 0) << transmitter->describe();
    const std::string output = transmitter->read_all(pyro::test::Stream::Stdout, 5s);
    EXPECT_NE(output.find("square is now (0, 128, 255)"), std::string::npos) << output;
    EXPECT_TRUE(std::regex_search(output, std::regex("receiver running for \\d+ s"))) << output;
    EXPECT_NE(output.find("Sorry, '300,0,0'"), std::string::npos) << output;
    EXPECT_TRUE(receiver.wait_for_line("set_color(0, 128, 255)", 5s)) << receiver.describe();
    pyro::Proxy square = lab.receiver_proxy();
    EXPECT_EQ(square.call<Colour>("get_color"), (Colour{0, 128, 255}));
    // The Python receiver's ValueError reaches C++ as the same class, with its message.
    try {
        square.call<void>("set_color", -1, 0, 0);
        ADD_FAILURE() << "set_color(-1, 0, 0) was accepted";
    } catch (const pyro::RemoteError& error) {
        EXPECT_EQ(error.python_class(), "builtins.ValueError");
        EXPECT_STREQ(error.what(),
                     "set_color: r=-1 is out of range; r, g and b must each be 0-255");
    }
    receiver.send_signal(SIGINT);
    EXPECT_EQ(receiver.wait(10s), 0) << receiver.describe();
    EXPECT_THROW((void)lab.name_server().lookup("example.colorsquare"), pyro::NamingError);
}

class ColorsquareStop : public Colorsquare, public ::testing::WithParamInterface<int> {};

TEST_P(ColorsquareStop, SignalUnregistersAndExitsZero) {
    receiver_->send_signal(GetParam());
    EXPECT_EQ(receiver_->wait(10s), 0) << receiver_->describe();
    EXPECT_TRUE(receiver_->wait_for_line("removed from the name server", 1s))
        << receiver_->describe();
    EXPECT_THROW((void)lab_.name_server().lookup("example.colorsquare"), pyro::NamingError);
}

INSTANTIATE_TEST_SUITE_P(Signals, ColorsquareStop, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& info) {
                             return info.param == SIGINT ? "SIGINT" : "SIGTERM";
                         });

} // namespace
} // namespace colorsquare::test
