// The json reader's two ways (json_codec.cpp), apart for the tests and the fuzz target that
// check they agree. pyro::from_json tries the first and falls back on the second.
#pragma once

#include <optional>
#include <string_view>

#include "pyro/value.hpp"

namespace pyro::detail {

// Plain texts only (what calls carry: no escapes, ASCII, ordinary numbers, small objects),
// read directly; nullopt for everything else, errors included, without saying why.
std::optional<Value> from_plain_json(std::string_view text);

// Every text: Boost's parser with Pyro4's bare NaN/Infinity; throws SerializeError.
Value from_any_json(std::string_view text);

} // namespace pyro::detail
