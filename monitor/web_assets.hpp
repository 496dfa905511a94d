// The page's files (monitor/web/*), compiled into pyro-monitor by monitor/embed_web.cmake, so the
// monitor serves them with no install folder and no internet.
#pragma once

#include <span>
#include <string_view>

namespace pyro::monitor {

struct WebAsset {
    std::string_view path; // "/monitor.js"; "/index.html" is also served at "/"
    std::string_view content_type;
    std::string_view body;
};

[[nodiscard]] std::span<const WebAsset> web_assets();

} // namespace pyro::monitor
