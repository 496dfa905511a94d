// The environment of the Python programs the tests start: the real Pyro4 (pyro4-ns,
// pyro4-test-echoserver, Pyro4 clients) and the Python twins of the lab programs.
//
//   ChildProcess peer({python_interpreter(), "peer.py"},
//                     python_environment({{"PYRO_SERIALIZER", "json"}}));
//
// The interpreter itself is python_interpreter() (support/vectors.hpp).
#pragma once

#include "support/process.hpp"

namespace pyro::test {

// PYTHONUNBUFFERED=1, PYTHONDONTWRITEBYTECODE=1 and PYTHONHASHSEED=0, then `extra`; a variable
// that `extra` names replaces the one given here. Does not block, throws only std::bad_alloc.
[[nodiscard]] ChildProcess::Environment python_environment(ChildProcess::Environment extra = {});

} // namespace pyro::test
