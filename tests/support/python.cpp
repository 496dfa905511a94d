#include "support/python.hpp"

#include <algorithm>
#include <utility>

namespace pyro::test {

ChildProcess::Environment python_environment(ChildProcess::Environment extra) {
    // Python prints through a block buffer into a pipe, and the tests wait for lines as they
    // come; bytecode would land in the source tree; Pyro4 sends sets and its metadata lists in
    // set order, which a fixed hash seed makes the same on every run.
    ChildProcess::Environment env{
        {"PYTHONUNBUFFERED", "1"}, {"PYTHONDONTWRITEBYTECODE", "1"}, {"PYTHONHASHSEED", "0"}};
    // ChildProcess passes duplicates on, and getenv() would find the first: drop ours instead.
    std::erase_if(env, [&extra](const auto& setting) {
        return std::any_of(extra.begin(), extra.end(),
                           [&setting](const auto& other) { return other.first == setting.first; });
    });
    env.insert(env.end(), std::make_move_iterator(extra.begin()),
               std::make_move_iterator(extra.end()));
    return env;
}

} // namespace pyro::test
