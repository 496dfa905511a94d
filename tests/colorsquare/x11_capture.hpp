// Looking at an X display from a test: find a window by its title, read what the X server shows
// in it (XGetImage, as screenshot tools do), and save that as a PNG.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace colorsquare::test {

struct Picture {
    int width = 0;
    int height = 0;
    std::vector<unsigned char> rgb; // width * height * 3 bytes, rows top to bottom

    [[nodiscard]] std::vector<int> at(int x, int y) const {
        const auto i = static_cast<std::size_t>((y * width + x) * 3);
        return {rgb[i], rgb[i + 1], rgb[i + 2]};
    }
};

// What the X server `display_name` shows in the first window whose title starts with
// `title_prefix`; std::nullopt when there is no such window, it is not mapped yet, or the display
// cannot be opened.
[[nodiscard]] std::optional<Picture> capture_window(const std::string& display_name,
                                                    const std::string& title_prefix);

// Asks that window to close, the way a window manager's close button does (a WM_DELETE_WINDOW
// message). Returns false when there is no such window or the display cannot be opened.
bool close_window(const std::string& display_name, const std::string& title_prefix);

// Writes an 8-bit RGB PNG. Throws std::runtime_error when the file cannot be written.
void write_png(const std::string& path, const Picture& picture);

} // namespace colorsquare::test
