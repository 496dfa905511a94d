// Wall-clock bounds in tests, scaled like their ctest time limits: a sanitizer build runs several
// times slower (PYRO_TEST_TIMEOUT_FACTOR, 3 under ./labkit test --sanitize=…), and a bound that
// holds on a plain build would fail there for no fault of the code under test.
#pragma once

#include <chrono>

#ifndef PYRO_TEST_TIMEOUT_FACTOR
#define PYRO_TEST_TIMEOUT_FACTOR 1
#endif

namespace pyro::test {

inline constexpr int time_factor = PYRO_TEST_TIMEOUT_FACTOR;

// `limit` stretched by the build's time factor.
template <class Rep, class Period>
constexpr std::chrono::duration<Rep, Period> scaled(std::chrono::duration<Rep, Period> limit) {
    return limit * time_factor;
}

} // namespace pyro::test
