#include "x11_capture.hpp"

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <stdexcept>

namespace colorsquare::test {
namespace {

// The first window (depth first from the root) whose title starts with `title`.
std::optional<Window> find_window(Display* display, Window window, const std::string& title) {
    char* name = nullptr;
    if (XFetchName(display, window, &name) != 0 && name != nullptr) {
        const bool found = std::string(name).rfind(title, 0) == 0;
        XFree(name);
        if (found) {
            return window;
        }
    }
    Window root = 0;
    Window parent = 0;
    Window* children = nullptr;
    unsigned int count = 0;
    std::optional<Window> result;
    if (XQueryTree(display, window, &root, &parent, &children, &count) != 0) {
        for (unsigned int i = 0; i < count && !result; ++i) {
            result = find_window(display, children[i], title);
        }
        if (children != nullptr) {
            XFree(children);
        }
    }
    return result;
}

// Xlib's default error handler ends the process; a window that disappears or is not mapped yet
// while we look at it is not a reason to.
int ignore_error(Display*, XErrorEvent*) {
    return 0;
}

} // namespace

std::optional<Picture> capture_window(const std::string& display_name, const std::string& title) {
    XSetErrorHandler(ignore_error);
    Display* display = XOpenDisplay(display_name.c_str());
    if (display == nullptr) {
        return std::nullopt;
    }
    std::optional<Picture> picture;
    const auto window = find_window(display, DefaultRootWindow(display), title);
    XWindowAttributes attributes{};
    if (window && XGetWindowAttributes(display, *window, &attributes) != 0 &&
        attributes.map_state == IsViewable) {
        XImage* image = XGetImage(display, *window, 0, 0, static_cast<unsigned>(attributes.width),
                                  static_cast<unsigned>(attributes.height), AllPlanes, ZPixmap);
        if (image != nullptr) {
            Picture p{attributes.width, attributes.height, {}};
            // A TrueColor visual: each channel is a bit field given by the image's masks.
            const auto channel = [](unsigned long pixel, unsigned long mask) {
                int shift = 0;
                while (mask != 0 && (mask & 1U) == 0) {
                    mask >>= 1U;
                    ++shift;
                }
                return static_cast<unsigned char>(((pixel >> shift) & mask) * 255 / mask);
            };
            for (int y = 0; y < p.height; ++y) {
                for (int x = 0; x < p.width; ++x) {
                    const unsigned long pixel = XGetPixel(image, x, y);
                    p.rgb.push_back(channel(pixel, image->red_mask));
                    p.rgb.push_back(channel(pixel, image->green_mask));
                    p.rgb.push_back(channel(pixel, image->blue_mask));
                }
            }
            XDestroyImage(image);
            picture = std::move(p);
        }
    }
    XCloseDisplay(display);
    return picture;
}

bool close_window(const std::string& display_name, const std::string& title) {
    XSetErrorHandler(ignore_error);
    Display* display = XOpenDisplay(display_name.c_str());
    if (display == nullptr) {
        return false;
    }
    bool sent = false;
    if (const auto window = find_window(display, DefaultRootWindow(display), title)) {
        XEvent event{};
        event.xclient.type = ClientMessage;
        event.xclient.window = *window;
        event.xclient.message_type = XInternAtom(display, "WM_PROTOCOLS", False);
        event.xclient.format = 32;
        event.xclient.data.l[0] =
            static_cast<long>(XInternAtom(display, "WM_DELETE_WINDOW", False));
        event.xclient.data.l[1] = CurrentTime;
        sent = XSendEvent(display, *window, False, NoEventMask, &event) != 0;
        XFlush(display);
    }
    XCloseDisplay(display);
    return sent;
}

// A minimal PNG writer (8-bit RGB, no filtering), with zlib for the compression and the CRCs.
void write_png(const std::string& path, const Picture& picture) {
    const auto u32 = [](std::string& out, std::uint32_t value) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            out += static_cast<char>((value >> shift) & 0xFFU);
        }
    };
    const auto chunk = [&u32](std::string& out, const char* type, const std::string& data) {
        u32(out, static_cast<std::uint32_t>(data.size()));
        const std::string body = std::string(type) + data;
        out += body;
        u32(out, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                                                  static_cast<uInt>(body.size()))));
    };
    std::string header;
    u32(header, static_cast<std::uint32_t>(picture.width));
    u32(header, static_cast<std::uint32_t>(picture.height));
    header +=
        std::string("\x08\x02\x00\x00\x00", 5); // 8 bits, RGB, deflate, no filter, no interlace
    std::string raw;
    const auto row = static_cast<std::size_t>(picture.width) * 3;
    for (std::size_t y = 0; y < static_cast<std::size_t>(picture.height); ++y) {
        raw += '\0'; // filter type "none"
        raw.append(reinterpret_cast<const char*>(picture.rgb.data()) + y * row, row);
    }
    uLongf size = compressBound(static_cast<uLong>(raw.size()));
    std::string packed(size, '\0');
    compress2(reinterpret_cast<Bytef*>(packed.data()), &size,
              reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()), 9);
    packed.resize(size);
    std::string png("\x89PNG\r\n\x1a\n", 8);
    chunk(png, "IHDR", header);
    chunk(png, "IDAT", packed);
    chunk(png, "IEND", "");
    std::ofstream file(path, std::ios::binary);
    file << png;
    if (!file.flush()) {
        throw std::runtime_error("cannot write " + path);
    }
}

} // namespace colorsquare::test
