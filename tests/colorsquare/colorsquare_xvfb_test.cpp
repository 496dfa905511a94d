// The colorsquare receiver on a real X display: Xvfb (a virtual X server) runs the display, the
// receiver opens its window there without --headless, the transmitter sends a colour, and the
// window is captured from the X server with XGetImage, the way a screenshot tool does. The
// square's pixels must have the colour sent. The capture is written as a PNG to the build folder
// (handouts/images/colorsquare.png is a copy of it). Closing the window, as its close button
// does, must stop the receiver cleanly.
//
// Without Xvfb this test fails, saying what to install: a test that cannot look must not pass.
#include <unistd.h>

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "colorsquare_lab.hpp"
#include "x11_capture.hpp"

namespace colorsquare::test {
namespace {

const std::string title = "example.colorsquare - PYRO:";

// Xvfb on a display number it picks itself (it prints the number on the descriptor we give it),
// a name server, and the receiver with its window on that display.
class ColorsquareOnXvfb : public ::testing::Test {
protected:
    void SetUp() override {
        if (access(XVFB_PROGRAM, X_OK) != 0) {
            FAIL() << "Xvfb not found at '" << XVFB_PROGRAM
                   << "': install it (Debian package 'xvfb', or ./labkit setup) to run this test";
        }
        xvfb_ = std::make_unique<ChildProcess>(std::vector<std::string>{
            XVFB_PROGRAM, "-displayfd", "1", "-screen", "0", "320x240x24", "-nolisten", "tcp"});
        const auto number = xvfb_->wait_for_match(std::regex("^(\\d+)$"), 20s);
        ASSERT_TRUE(number) << "Xvfb did not start\n" << xvfb_->describe();
        display_ = ":" + (*number)[1];
        auto env = ColorsquareLab::environment();
        env.emplace_back("DISPLAY", display_);
        receiver_ = lab_.start_receiver({"--size", "160"}, env);
        ASSERT_TRUE(receiver_->running()) << receiver_->describe();
    }

    std::unique_ptr<ChildProcess> xvfb_; // declared first: stopped last
    std::string display_;
    ColorsquareLab lab_;
    std::unique_ptr<ChildProcess> receiver_;
};

TEST_F(ColorsquareOnXvfb, WindowShowsTheColourSent) {
    auto transmitter = lab_.start_transmitter();
    ASSERT_TRUE(transmitter->write_stdin("0,128,255\n"));
    ASSERT_TRUE(transmitter->wait_for_line("square is now (0, 128, 255)", 10s))
        << transmitter->describe();

    // The window is repainted on the receiver's main thread shortly after the call returns.
    const std::vector<int> sent{0, 128, 255};
    std::optional<Picture> picture;
    for (int attempt = 0; attempt < 50; ++attempt) {
        picture = capture_window(display_, title);
        if (picture && picture->width == 160 && picture->at(80, 80) == sent) {
            break;
        }
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(picture) << "no window titled '" << title << "…' on " << display_ << "\n"
                         << receiver_->describe();
    ASSERT_EQ(picture->width, 160);
    ASSERT_EQ(picture->height, 160);
    const std::string png = std::string(COLORSQUARE_OUTPUT_DIR) + "/colorsquare.png";
    write_png(png, *picture);

    // Every pixel of the square (the middle half) has the colour sent; the corners do not.
    for (int y = 40; y < 120; y += 3) {
        for (int x = 40; x < 120; x += 3) {
            ASSERT_EQ(picture->at(x, y), sent) << "pixel " << x << "," << y << "; see " << png;
        }
    }
    EXPECT_NE(picture->at(2, 2), sent);
    EXPECT_NE(picture->at(157, 157), sent);
    // The receiver's own view agrees with the X server's.
    EXPECT_EQ(lab_.receiver_proxy().call<std::vector<int>>("pixel_at_center"), sent);

    transmitter->close_stdin();
    EXPECT_EQ(transmitter->wait(10s), 0) << transmitter->describe();
}

TEST_F(ColorsquareOnXvfb, ClosingTheWindowUnregistersAndExitsZero) {
    // What the window's close button does: a WM_DELETE_WINDOW message to the window.
    bool closed = false;
    for (int attempt = 0; attempt < 50 && !closed; ++attempt) {
        closed = close_window(display_, title);
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(closed) << "no window titled '" << title << "…' on " << display_;
    EXPECT_EQ(receiver_->wait(10s), 0) << receiver_->describe();
    EXPECT_TRUE(receiver_->wait_for_line("removed from the name server", 1s))
        << receiver_->describe();
    EXPECT_THROW((void)lab_.name_server().lookup("example.colorsquare"), pyro::NamingError);
}

} // namespace
} // namespace colorsquare::test
