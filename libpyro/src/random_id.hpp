// Random identifiers: generated object ids and correlation ids (uuid4).
#pragma once

#include <string>

namespace pyro::detail {

// 32 lowercase hex digits of a random uuid4, as in Pyro4's "obj_<hex>" ids.
[[nodiscard]] std::string random_hex_id();
// The 16 raw bytes of a random uuid4 (the CORR annotation, PYRO4-WIRE.md §3.1).
[[nodiscard]] std::string random_uuid_bytes();

} // namespace pyro::detail
