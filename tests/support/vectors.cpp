#include "support/vectors.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace pyro::test {

std::filesystem::path vectors_dir() {
    if (const char* override_dir = std::getenv("PYRO_VECTORS_DIR")) {
        return override_dir;
    }
    return PYRO_VECTORS_DIR;
}

std::vector<std::filesystem::path> vector_files() {
    std::vector<std::filesystem::path> files;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(vectors_dir(), error)) {
        if (entry.path().extension() == ".json") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

namespace {

// Python's json module writes NaN and Infinity as bare words (two vector files have them in
// their client_outcome notes); strict JSON parsers refuse them, so they become null here.
std::string without_bare_nan_words(const std::string& text) {
    static constexpr std::array<std::string_view, 3> bare_words{"NaN", "-Infinity", "Infinity"};
    std::string out;
    out.reserve(text.size());
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            out += c;
            if (c == '\\' && i + 1 < text.size()) {
                out += text[++i];
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        }
        const std::string_view rest(text.data() + i, text.size() - i);
        const auto word = std::find_if(bare_words.begin(), bare_words.end(),
                                       [&](std::string_view w) { return rest.starts_with(w); });
        if (word != bare_words.end()) {
            out += "null";
            i += word->size() - 1;
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

boost::json::value load_vector(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot open vector file " + file.string());
    }
    std::ostringstream text;
    text << in.rdbuf();
    boost::json::error_code error;
    boost::json::parse_options options;
    options.max_depth = 1000;
    auto value = boost::json::parse(without_bare_nan_words(text.str()), error, {}, options);
    if (error) {
        throw std::runtime_error("cannot parse vector file " + file.string() + ": " +
                                 error.message());
    }
    return value;
}

boost::json::value load_vector(const std::string& name) {
    return load_vector(vectors_dir() / name);
}

std::string python_interpreter() {
    if (const char* override_python = std::getenv("PYRO_PYTHON")) {
        return override_python;
    }
    return PYRO_PYTHON;
}

} // namespace pyro::test
