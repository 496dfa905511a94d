// The error hierarchy of libpyro, mirroring Pyro4.errors so a Python peer and a C++ peer name the
// same failure the same way.
//
//   PyroError
//   ├── CommunicationError
//   │   ├── ConnectionClosedError
//   │   ├── ConnectionRefusedError *
//   │   ├── TimeoutError
//   │   ├── HandshakeError *
//   │   │   └── SerializerNotAcceptedError *
//   │   └── ProtocolError
//   │       ├── NotPyroPeerError *
//   │       ├── MessageTooLargeError
//   │       └── SerializeError
//   │           └── UnknownSerializerError *
//   ├── NamingError
//   │   └── UnknownNameError *
//   ├── DaemonError
//   ├── SecurityError
//   │   └── HmacKeyError *
//   └── RemoteError   (an exception raised by the remote object, e.g. builtins.ValueError)
//       └── TypeError (libpyro's own: a value had the wrong type; travels as builtins.TypeError)
//
// (* libpyro's own, one per cause of a failed connection or lookup; see below.)
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

// Why a connection or a lookup failed, one class per cause, so a program can tell them apart and
// its message says what to do. Pyro4 has no such classes: each travels as its Pyro4 base class,
// and a Python peer sees the same error it always did.
//
// Nothing listens at the address (ECONNREFUSED, or no such Unix socket file).
PYRO_DEFINE_ERROR(ConnectionRefusedError, CommunicationError, "Pyro4.errors.CommunicationError");
// The peer answered the handshake with CONNECTFAIL (unknown object, a refused serializer, …).
PYRO_DEFINE_ERROR(HandshakeError, CommunicationError, "Pyro4.errors.CommunicationError");
// The peer does not accept the serializer this program speaks (its SERIALIZERS_ACCEPTED).
PYRO_DEFINE_ERROR(SerializerNotAcceptedError, HandshakeError, "Pyro4.errors.CommunicationError");
// The peer's first bytes are not a Pyro4 header (an HTTP server, another protocol version).
PYRO_DEFINE_ERROR(NotPyroPeerError, ProtocolError, "Pyro4.errors.ProtocolError");
// The serializer asked for (PYRO_SERIALIZER) is not one libpyro speaks: a typo, or pickle,
// marshal, dill or msgpack, which only Python has.
PYRO_DEFINE_ERROR(UnknownSerializerError, SerializeError, "Pyro4.errors.SerializeError");
// The name server has no registration of that name.
PYRO_DEFINE_ERROR(UnknownNameError, NamingError, "Pyro4.errors.NamingError");
// The HMAC keys of the two sides differ, or only one side has one. A SecurityError, as Pyro4's
// Message.recv raises.
PYRO_DEFINE_ERROR(HmacKeyError, SecurityError, "Pyro4.errors.SecurityError");

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
