// The error hierarchy of libpyro, mirroring Pyro4.errors so a Python peer and a C++ peer name the
// same failure the same way.
//
//   PyroError
//   ├── CommunicationError
//   │   ├── ConnectionClosedError
//   │   ├── TimeoutError
//   │   └── ProtocolError
//   │       ├── MessageTooLargeError
//   │       └── SerializeError
//   ├── NamingError
//   ├── DaemonError
//   ├── SecurityError
//   └── RemoteError   (an exception raised by the remote object, e.g. builtins.ValueError)
//       └── TypeError (libpyro's own: a value had the wrong type; travels as builtins.TypeError)
//
// Every class knows the Python class name it travels as (python_class()), so the daemon can send
// it as an exception result and a Python client re-raises the right class. Errors that came over
// the wire also carry the remote traceback lines.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pyro {

class Value; // value.hpp

class PyroError : public std::runtime_error {
public:
    explicit PyroError(const std::string& message) : std::runtime_error(message) {}

    // The fully qualified Python class this error travels as, e.g. "Pyro4.errors.NamingError".
    [[nodiscard]] virtual std::string python_class() const { return "Pyro4.errors.PyroError"; }

    // Lines of the remote traceback (Python's traceback.format_exception lines, each ending in a
    // newline) when this error arrived as an exception result; empty for local errors.
    [[nodiscard]] const std::vector<std::string>& remote_traceback() const { return traceback_; }
    void set_remote_traceback(std::vector<std::string> lines) { traceback_ = std::move(lines); }

    // The remote traceback formatted the way Pyro4.util.getPyroTraceback() does; empty if none.
    [[nodiscard]] std::string formatted_remote_traceback() const;

    // The class dict this error arrived as (exception_from_value), so a caller can pass a remote
    // exception on unchanged, its args and custom attributes included (pyro-httpgateway does);
    // null for errors raised locally.
    [[nodiscard]] const std::shared_ptr<const Value>& remote_value() const { return remote_value_; }
    void set_remote_value(std::shared_ptr<const Value> value) { remote_value_ = std::move(value); }

private:
    std::vector<std::string> traceback_;
    std::shared_ptr<const Value> remote_value_;
};

#define PYRO_DEFINE_ERROR(Name, Base, PythonClass)                                                 \
    class Name : public Base {                                                                     \
    public:                                                                                        \
        using Base::Base;                                                                          \
        [[nodiscard]] std::string python_class() const override { return PythonClass; }            \
    }

PYRO_DEFINE_ERROR(CommunicationError, PyroError, "Pyro4.errors.CommunicationError");
PYRO_DEFINE_ERROR(ConnectionClosedError, CommunicationError, "Pyro4.errors.ConnectionClosedError");
PYRO_DEFINE_ERROR(TimeoutError, CommunicationError, "Pyro4.errors.TimeoutError");
PYRO_DEFINE_ERROR(ProtocolError, CommunicationError, "Pyro4.errors.ProtocolError");
PYRO_DEFINE_ERROR(MessageTooLargeError, ProtocolError, "Pyro4.errors.MessageTooLargeError");
PYRO_DEFINE_ERROR(SerializeError, ProtocolError, "Pyro4.errors.SerializeError");
PYRO_DEFINE_ERROR(NamingError, PyroError, "Pyro4.errors.NamingError");
PYRO_DEFINE_ERROR(DaemonError, PyroError, "Pyro4.errors.DaemonError");
PYRO_DEFINE_ERROR(SecurityError, PyroError, "Pyro4.errors.SecurityError");

#undef PYRO_DEFINE_ERROR

// An exception of any other class raised by the remote side (or to be sent to it): carries the
// Python class name as text, e.g. "builtins.ValueError" or "labkit.LabError".
class RemoteError : public PyroError {
public:
    RemoteError(std::string python_class, const std::string& message)
        : PyroError(message), class_(std::move(python_class)) {}

    [[nodiscard]] std::string python_class() const override { return class_; }

private:
    std::string class_;
};

// A value had the wrong type for what was asked of it (a wrong argument type in a remote call, a
// Value accessor used on another kind). Travels as Python's builtins.TypeError.
class TypeError : public RemoteError {
public:
    explicit TypeError(const std::string& message) : RemoteError("builtins.TypeError", message) {}
};

} // namespace pyro
