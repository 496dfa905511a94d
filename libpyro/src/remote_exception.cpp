#include "pyro/remote_exception.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <string_view>
#include <utility>

namespace pyro {

namespace {

constexpr std::string_view pyro_errors_prefix = "Pyro4.errors.";

template <typename Error>
std::exception_ptr make_error(const std::string& message, std::vector<std::string> traceback,
                              std::shared_ptr<const Value> received) {
    Error error(message);
    error.set_remote_traceback(std::move(traceback));
    error.set_remote_value(std::move(received));
    return std::make_exception_ptr(std::move(error));
}

using Maker = std::exception_ptr (*)(const std::string&, std::vector<std::string>,
                                     std::shared_ptr<const Value>);

struct KnownError {
    std::string_view name; // without "Pyro4.errors."
    Maker make;
};

constexpr std::array<KnownError, 10> pyro_errors{{
    {"PyroError", make_error<PyroError>},
    {"CommunicationError", make_error<CommunicationError>},
    {"ConnectionClosedError", make_error<ConnectionClosedError>},
    {"TimeoutError", make_error<TimeoutError>},
    {"ProtocolError", make_error<ProtocolError>},
    {"MessageTooLargeError", make_error<MessageTooLargeError>},
    {"SerializeError", make_error<SerializeError>},
    {"NamingError", make_error<NamingError>},
    {"DaemonError", make_error<DaemonError>},
    {"SecurityError", make_error<SecurityError>},
}};

const KnownError* find_pyro_error(std::string_view class_name) {
    if (!class_name.starts_with(pyro_errors_prefix)) {
        return nullptr;
    }
    class_name.remove_prefix(pyro_errors_prefix.size());
    const auto* found =
        std::find_if(pyro_errors.begin(), pyro_errors.end(),
                     [&](const KnownError& known) { return known.name == class_name; });
    return found == pyro_errors.end() ? nullptr : found;
}

// "builtins.KeyError" (Python 3) or "exceptions.KeyError" (Python 2) → "KeyError"; "" otherwise.
std::string_view builtin_name(std::string_view class_name) {
    for (std::string_view prefix :
         {std::string_view("builtins."), std::string_view("exceptions.")}) {
        if (class_name.starts_with(prefix)) {
            return class_name.substr(prefix.size());
        }
    }
    return {};
}

bool is_os_error(std::string_view name) {
    static constexpr std::array<std::string_view, 18> names{"OSError",
                                                            "EnvironmentError",
                                                            "IOError",
                                                            "BlockingIOError",
                                                            "ChildProcessError",
                                                            "ConnectionError",
                                                            "BrokenPipeError",
                                                            "ConnectionAbortedError",
                                                            "ConnectionRefusedError",
                                                            "ConnectionResetError",
                                                            "FileExistsError",
                                                            "FileNotFoundError",
                                                            "InterruptedError",
                                                            "IsADirectoryError",
                                                            "NotADirectoryError",
                                                            "PermissionError",
                                                            "ProcessLookupError",
                                                            "TimeoutError"};
    return std::find(names.begin(), names.end(), name) != names.end();
}

// Python's str(x) for a value: text as is, everything else as its repr.
std::string python_str(const Value& value) {
    return value.is_string() ? value.as_string() : value.repr();
}

// What Python's str(exception) prints, for the classes whose __str__ is not BaseException's
// too: KeyError shows its key's repr, OSError and its subclasses "[Errno n] text: 'file'".
std::string exception_message(std::string_view class_name, const Value::Items& args) {
    const std::string_view builtin = builtin_name(class_name);
    if (builtin == "KeyError" && args.size() == 1) {
        return args[0].repr();
    }
    if (is_os_error(builtin) && args.size() >= 2 && args.size() <= 5) {
        std::string message = "[Errno " + python_str(args[0]) + "] " + python_str(args[1]);
        if (args.size() >= 3 && !args[2].is_none()) {
            message += ": " + args[2].repr();
            if (args.size() == 5 && !args[4].is_none()) {
                message += " -> " + args[4].repr();
            }
        }
        return message;
    }
    if (args.empty()) {
        return {};
    }
    if (args.size() == 1) {
        return python_str(args[0]);
    }
    return Value::tuple(args).repr();
}

std::vector<std::string> traceback_lines(const Value& exception) {
    std::vector<std::string> lines;
    const Value* attributes = exception.find("attributes");
    const Value* traceback = attributes ? attributes->find("_pyroTraceback") : nullptr;
    if (traceback == nullptr) {
        return lines;
    }
    if (traceback->is_string()) {
        lines.push_back(traceback->as_string());
    } else if (traceback->is_sequence()) {
        for (const Value& line : traceback->items()) {
            if (line.is_string()) {
                lines.push_back(line.as_string());
            }
        }
    }
    return lines;
}

} // namespace

Value exception_to_value(const PyroError& error, const std::vector<std::string>& traceback) {
    // Without a traceback, attributes stay empty, as Pyro4 writes an exception object that has
    // none (vectors/serializer_values.json, "ValueError").
    Value attributes = Value::dict();
    if (!traceback.empty()) {
        attributes.set_item("_pyroTraceback",
                            Value::list(Value::Items(traceback.begin(), traceback.end())));
    }
    // An empty message travels as no arguments, as Python's StopIteration() does (the item stream
    // end marker, vectors/item_stream_*.json); str() of either is "".
    Value args = Value::tuple();
    if (const std::string message = error.what(); !message.empty()) {
        args.items().emplace_back(message);
    }
    return Value::dict({
        {Value("__class__"), Value(error.python_class())},
        {Value("__exception__"), Value(true)},
        {Value("args"), std::move(args)},
        {Value("attributes"), std::move(attributes)},
    });
}

std::exception_ptr exception_from_value(const Value& value) {
    if (!is_exception_value(value)) {
        const Value* class_name = value.find("__class__");
        if (class_name != nullptr && class_name->is_string()) {
            // Pyro4's own words for a class dict it will not turn into an object.
            throw SerializeError("unsupported serialized class: " + class_name->as_string());
        }
        throw SerializeError("expected an exception dict, got " + std::string(value.type_name()));
    }
    const std::string& class_name = value.at("__class__").as_string();
    Value::Items args;
    if (const Value* given = value.find("args"); given != nullptr && !given->is_none()) {
        // Python would call Class(*args); a lone non-sequence value is taken as the one argument
        // rather than refused, so the remote error still reaches the caller.
        args = given->is_sequence() ? given->items() : Value::Items{*given};
    }
    const std::string message = exception_message(class_name, args);
    std::vector<std::string> traceback = traceback_lines(value);
    auto received = std::make_shared<const Value>(value);

    if (const KnownError* known = find_pyro_error(class_name)) {
        return known->make(message, std::move(traceback), std::move(received));
    }
    if (builtin_name(class_name) == "TypeError") {
        return make_error<TypeError>(message, std::move(traceback), std::move(received));
    }
    RemoteError error(class_name, message);
    error.set_remote_traceback(std::move(traceback));
    error.set_remote_value(std::move(received));
    return std::make_exception_ptr(std::move(error));
}

bool is_exception_value(const Value& value) {
    const Value* class_name = value.find("__class__");
    if (class_name == nullptr || !class_name->is_string()) {
        return false;
    }
    // Python rebuilds Pyro4.errors classes even without the flag (serializer_values.json,
    // python_accepts), but needs it for every other class.
    const Value* flag = value.find("__exception__");
    return (flag != nullptr && flag->is_bool() && flag->as_bool()) ||
           find_pyro_error(class_name->as_string()) != nullptr;
}

} // namespace pyro
