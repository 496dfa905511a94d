// Exceptions as Pyro4 payloads (PYRO4-WIRE.md §6.7): a C++ error becomes the class dict a Python
// client re-raises, and a received class dict becomes the matching C++ exception.
#pragma once

#include <exception>
#include <string>
#include <vector>

#include "pyro/errors.hpp"
#include "pyro/value.hpp"

namespace pyro {

// {"__class__": <python_class>, "__exception__": true, "args": (message,),
//  "attributes": {"_pyroTraceback": [lines…]}} — key order as Pyro4 writes it.
[[nodiscard]] Value exception_to_value(const PyroError& error,
                                       const std::vector<std::string>& traceback = {});

// Rebuilds the exception a class dict describes: Pyro4.errors.X → the libpyro class of that name,
// anything else → RemoteError carrying the class name. The message is args joined as Python's
// str(exception) shows them; the remote traceback is attached. Throws SerializeError when the
// value is not an exception dict.
[[nodiscard]] std::exception_ptr exception_from_value(const Value& value);

// True when the value is a dict whose "__class__" names an exception (has "__exception__": true
// or a Pyro4.errors class).
[[nodiscard]] bool is_exception_value(const Value& value);

} // namespace pyro
