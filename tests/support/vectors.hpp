// Access to the golden vectors in shared/protocol/vectors (read in place, never copied).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace pyro::test {

// The vectors folder (PYRO_VECTORS_DIR, overridable by the environment variable of that name).
[[nodiscard]] std::filesystem::path vectors_dir();

// Every *.json file of the folder, sorted; empty when the folder is missing.
[[nodiscard]] std::vector<std::filesystem::path> vector_files();

// Parses one vector file. Throws std::runtime_error naming the file on failure.
[[nodiscard]] boost::json::value load_vector(const std::filesystem::path& file);
// load_vector(vectors_dir() / name).
[[nodiscard]] boost::json::value load_vector(const std::string& name);
[[nodiscard]] inline boost::json::value load_vector(const char* name) {
    return load_vector(std::string(name));
}

// The interpreter that has the real Pyro4 and serpent (PYRO_PYTHON, default /usr/bin/python3).
[[nodiscard]] std::string python_interpreter();

} // namespace pyro::test
