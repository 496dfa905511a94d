// The plain driver that turns a fuzz target into a regression test in every normal build (g++,
// no libFuzzer): it feeds each file of the folders (or files) named on the command line to
// LLVMFuzzerTestOneInput, as libFuzzer replays a corpus. A finding aborts or escapes as an
// exception, which fails the ctest entry; a folder that does not exist is an empty one (a
// target's regressions/ folder exists only once it has found something).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

void replay(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + file.string());
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
    // Named before the call, so a crash's last line says which input it was.
    std::cout << "replaying " << file.string() << std::endl;
    (void)LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

} // namespace

int main(int argc, char** argv) {
    std::size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        const fs::path place(argv[i]);
        if (fs::is_regular_file(place)) {
            replay(place);
            ++count;
            continue;
        }
        if (!fs::is_directory(place)) {
            std::cout << "no inputs in " << place.string() << " (no such folder)" << std::endl;
            continue;
        }
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(place)) {
            // Dotfiles (.gitkeep) and READMEs explain a folder; they are not inputs.
            const std::string name = entry.path().filename().string();
            if (entry.is_regular_file() && !name.starts_with('.') && name != "README.md") {
                files.push_back(entry.path());
            }
        }
        std::sort(files.begin(), files.end()); // the same order on every run
        for (const auto& file : files) {
            replay(file);
        }
        count += files.size();
    }
    std::cout << "replayed " << count << " inputs without a finding" << std::endl;
    return 0;
}
