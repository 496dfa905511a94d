// The vectors' typed value trees (`payload_value`, `value`: ["int", "12"], ["tuple", [...]], …;
// see shared/protocol/vectors/README.md) converted to pyro::Value, so tests compare libpyro's
// decoding with what Python decoded.
#pragma once

#include <boost/json.hpp>

#include "pyro/value.hpp"

namespace pyro::test {

// Throws std::invalid_argument for a tag it does not know ("repr", "object" and the like are
// Python-only descriptions and cannot be converted).
[[nodiscard]] Value from_tagged(const boost::json::value& tagged);

// True when the tree contains no tags from_tagged cannot convert.
[[nodiscard]] bool is_convertible(const boost::json::value& tagged);

} // namespace pyro::test
