#include "pyro/remote_exception.hpp"

#include <array>
#include <string>
#include <typeinfo>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "support/tagged_value.hpp"
#include "support/vectors.hpp"

namespace pyro {
namespace {

namespace json = boost::json;

Value exception_dict(std::string_view class_name, Value args, Value attributes = Value::dict()) {
    return Value::dict({
        {Value("__class__"), Value(class_name)},
        {Value("__exception__"), Value(true)},
        {Value("args"), std::move(args)},
        {Value("attributes"), std::move(attributes)},
    });
}

Value traceback_attributes(const std::vector<std::string>& lines) {
    return Value::dict(
        {{Value("_pyroTraceback"), Value::list(Value::Items(lines.begin(), lines.end()))}});
}

// What exception_from_value built, seen through its dynamic type.
struct Rebuilt {
    const std::type_info* type = nullptr;
    std::string python_class;
    std::string message;
    std::vector<std::string> traceback;
    std::string formatted;
    Value again; // exception_to_value of it, with its traceback
};

Rebuilt rebuild(const Value& value) {
    const std::exception_ptr error = exception_from_value(value);
    try {
        std::rethrow_exception(error);
    } catch (const PyroError& caught) {
        return {&typeid(caught),
                caught.python_class(),
                caught.what(),
                caught.remote_traceback(),
                caught.formatted_remote_traceback(),
                exception_to_value(caught, caught.remote_traceback())};
    } catch (...) {
        ADD_FAILURE() << "not a PyroError";
    }
    return {};
}

std::string message_of(std::string_view class_name, Value args) {
    return rebuild(exception_dict(class_name, std::move(args))).message;
}

TEST(ExceptionToValue, KeysAndShapeAsPyro4) {
    const std::vector<std::string> traceback{"Traceback (most recent call last):\n",
                                             "NamingError: unknown name: x\n"};
    const Value value = exception_to_value(NamingError("unknown name: x"), traceback);
    EXPECT_EQ(value, exception_dict("Pyro4.errors.NamingError", Value::tuple({"unknown name: x"}),
                                    traceback_attributes(traceback)));
    ASSERT_EQ(value.entries().size(), 4u);
    EXPECT_EQ(value.entries()[0].first, Value("__class__"));
    EXPECT_EQ(value.entries()[1].first, Value("__exception__"));
    EXPECT_EQ(value.entries()[2].first, Value("args"));
    EXPECT_EQ(value.entries()[3].first, Value("attributes"));
    EXPECT_EQ(value.at("args").kind(), Value::Kind::Tuple);
    EXPECT_EQ(value.at("attributes").at("_pyroTraceback").kind(), Value::Kind::List);
}

TEST(ExceptionToValue, ClassNamesOfEveryKind) {
    EXPECT_EQ(exception_to_value(RemoteError("builtins.ValueError", "bad")),
              exception_dict("builtins.ValueError", Value::tuple({"bad"})));
    EXPECT_EQ(exception_to_value(TypeError("wrong")).at("__class__"), Value("builtins.TypeError"));
    EXPECT_EQ(exception_to_value(MessageTooLargeError("big")).at("__class__"),
              Value("Pyro4.errors.MessageTooLargeError"));
    // StopIteration() has no arguments: an empty message is sent the same way.
    EXPECT_EQ(exception_to_value(RemoteError("builtins.StopIteration", "")).at("args"),
              Value::tuple());
}

// serializer_values.json holds Pyro4's own encoding of NamingError('unknown name: x'): same keys
// in the same order, empty attributes when there is no traceback.
TEST(ExceptionToValue, MatchesSerializerValuesVector) {
    const json::value file = test::load_vector(std::string("serializer_values.json"));
    bool checked = false;
    for (const json::value& entry : file.at("values").as_array()) {
        if (entry.at("label") != "NamingError") {
            continue;
        }
        const json::object expected =
            json::parse(entry.at("json").at("text").as_string()).as_object();
        const Value value = exception_to_value(NamingError("unknown name: x"));
        ASSERT_EQ(value.entries().size(), expected.size());
        auto field = expected.begin();
        for (const auto& [key, item] : value.entries()) {
            EXPECT_EQ(key.as_string(), std::string(field->key()));
            ++field;
        }
        EXPECT_EQ(value.at("__class__").as_string(), expected.at("__class__").as_string());
        EXPECT_EQ(value.at("__exception__").as_bool(), expected.at("__exception__").as_bool());
        ASSERT_EQ(value.at("args").items().size(), 1u);
        EXPECT_EQ(value.at("args").items()[0].as_string(),
                  expected.at("args").as_array()[0].as_string());
        EXPECT_TRUE(value.at("attributes").entries().empty());
        EXPECT_TRUE(expected.at("attributes").as_object().empty());
        checked = true;
    }
    EXPECT_TRUE(checked) << "no NamingError entry in serializer_values.json";
}

TEST(ExceptionFromValue, EveryPyro4ErrorsClass) {
    const auto check = [](const char* name, const std::type_info& type) {
        const std::string class_name = std::string("Pyro4.errors.") + name;
        const Value value = exception_dict(class_name, Value::tuple({"msg"}));
        const Rebuilt error = rebuild(value);
        EXPECT_EQ(*error.type, type) << class_name;
        EXPECT_EQ(error.python_class, class_name);
        EXPECT_EQ(error.message, "msg");
        EXPECT_EQ(error.again, value);
    };
    check("PyroError", typeid(PyroError));
    check("CommunicationError", typeid(CommunicationError));
    check("ConnectionClosedError", typeid(ConnectionClosedError));
    check("TimeoutError", typeid(TimeoutError));
    check("ProtocolError", typeid(ProtocolError));
    check("MessageTooLargeError", typeid(MessageTooLargeError));
    check("SerializeError", typeid(SerializeError));
    check("NamingError", typeid(NamingError));
    check("DaemonError", typeid(DaemonError));
    check("SecurityError", typeid(SecurityError));
}

TEST(ExceptionFromValue, CaughtThroughTheHierarchy) {
    EXPECT_THROW(std::rethrow_exception(exception_from_value(
                     exception_dict("Pyro4.errors.SerializeError", Value::tuple({"x"})))),
                 ProtocolError);
    EXPECT_THROW(std::rethrow_exception(exception_from_value(
                     exception_dict("Pyro4.errors.ConnectionClosedError", Value::tuple()))),
                 CommunicationError);
}

TEST(ExceptionFromValue, BuiltinsAndUnknownClasses) {
    const Rebuilt type_error =
        rebuild(exception_dict("builtins.TypeError", Value::tuple({"bad type"})));
    EXPECT_EQ(*type_error.type, typeid(TypeError));
    EXPECT_EQ(type_error.message, "bad type");
    EXPECT_EQ(type_error.python_class, "builtins.TypeError");

    const Rebuilt value_error =
        rebuild(exception_dict("builtins.ValueError", Value::tuple({"bad"})));
    EXPECT_EQ(*value_error.type, typeid(RemoteError));
    EXPECT_EQ(value_error.python_class, "builtins.ValueError");
    EXPECT_EQ(value_error.message, "bad");

    // Python refuses these classes; a C++ client keeps the name so the caller sees the error.
    for (const char* name : {"labkit.LabError", "__main__.MyError", "Pyro4.errors.NoSuchError"}) {
        const Rebuilt error = rebuild(exception_dict(name, Value::tuple({"x"})));
        EXPECT_EQ(*error.type, typeid(RemoteError));
        EXPECT_EQ(error.python_class, name);
        EXPECT_EQ(error.message, "x");
    }
}

// Expected texts are Python's str(exception) for the same arguments (/usr/bin/python3).
TEST(ExceptionFromValue, MessageIsPythonsStr) {
    EXPECT_EQ(message_of("builtins.ValueError", Value::tuple()), "");
    EXPECT_EQ(message_of("builtins.ValueError", Value::tuple({"bad value"})), "bad value");
    EXPECT_EQ(message_of("builtins.ValueError", Value::tuple({"bad value", 42})),
              "('bad value', 42)");
    EXPECT_EQ(message_of("builtins.ValueError", Value::list({"bad value", 42})),
              "('bad value', 42)");
    EXPECT_EQ(message_of("builtins.ValueError", Value::tuple({42})), "42");
    EXPECT_EQ(message_of("builtins.ValueError", Value::tuple({Value()})), "None");
    EXPECT_EQ(message_of("builtins.ValueError", Value::tuple({true})), "True");
    EXPECT_EQ(message_of("builtins.ValueError", Value::tuple({1.5})), "1.5");
    EXPECT_EQ(message_of("builtins.ValueError", Value::tuple({Value::list({1, "a"})})), "[1, 'a']");
    EXPECT_EQ(message_of("builtins.ValueError", Value::tuple({Value::tuple({"a"})})), "('a',)");
    EXPECT_EQ(message_of("builtins.ValueError", Value::tuple({Value(Bytes{'x'})})), "b'x'");
    // KeyError shows the repr of its key.
    EXPECT_EQ(message_of("builtins.KeyError", Value::tuple({"k"})), "'k'");
    EXPECT_EQ(message_of("builtins.KeyError", Value::tuple({1})), "1");
    EXPECT_EQ(message_of("builtins.KeyError", Value::tuple()), "");
    EXPECT_EQ(message_of("builtins.KeyError", Value::tuple({"a", "b"})), "('a', 'b')");
    // OSError and its subclasses: "[Errno n] text" (Pyro4 sends args (errno, strerror)).
    EXPECT_EQ(
        message_of("builtins.FileNotFoundError", Value::tuple({2, "No such file or directory"})),
        "[Errno 2] No such file or directory");
    EXPECT_EQ(message_of("builtins.OSError", Value::tuple({2, "n", "f"})), "[Errno 2] n: 'f'");
    EXPECT_EQ(message_of("builtins.OSError", Value::tuple({2, "n", Value()})), "[Errno 2] n");
    EXPECT_EQ(message_of("builtins.OSError", Value::tuple({2, "n", "x", Value(), "z"})),
              "[Errno 2] n: 'x' -> 'z'");
    EXPECT_EQ(message_of("builtins.OSError", Value::tuple({1})), "1");
    EXPECT_EQ(message_of("builtins.PermissionError", Value::tuple({1, 2, 3, 4, 5, 6})),
              "(1, 2, 3, 4, 5, 6)");
    // Missing, None or a lone value instead of a tuple.
    EXPECT_EQ(rebuild(Value::dict({{Value("__class__"), Value("builtins.ValueError")},
                                   {Value("__exception__"), Value(true)}}))
                  .message,
              "");
    EXPECT_EQ(message_of("builtins.ValueError", Value()), "");
    EXPECT_EQ(message_of("builtins.ValueError", Value("boom")), "boom");
}

TEST(ExceptionFromValue, RemoteTracebackAttached) {
    const std::vector<std::string> lines{"Traceback (most recent call last):\n",
                                         "ValueError: bad\n"};
    const Value value =
        exception_dict("builtins.ValueError", Value::tuple({"bad"}), traceback_attributes(lines));
    const Rebuilt error = rebuild(value);
    EXPECT_EQ(error.traceback, lines);
    EXPECT_NE(error.formatted.find(" | ValueError: bad\n"), std::string::npos);
    // exception_to_value with that traceback gives the same dict back.
    EXPECT_EQ(error.again, value);
}

TEST(ExceptionFromValue, MissingOrOddAttributes) {
    const Value no_attributes = Value::dict({{Value("__class__"), Value("builtins.ValueError")},
                                             {Value("__exception__"), Value(true)},
                                             {Value("args"), Value::tuple({"x"})}});
    EXPECT_TRUE(rebuild(no_attributes).traceback.empty());
    EXPECT_EQ(rebuild(no_attributes).message, "x");

    const auto traceback_from = [](Value attributes) {
        return rebuild(exception_dict("builtins.ValueError", Value::tuple(), std::move(attributes)))
            .traceback;
    };
    EXPECT_TRUE(traceback_from(Value::dict()).empty());
    EXPECT_TRUE(traceback_from(Value::dict({{Value("_pyroTraceback"), Value()}})).empty());
    EXPECT_EQ(traceback_from(Value::dict({{Value("_pyroTraceback"), Value("one\n")}})),
              (std::vector<std::string>{"one\n"}));
    EXPECT_EQ(traceback_from(Value::dict({{Value("_pyroTraceback"), Value::tuple({"a", 1, "b"})},
                                          {Value("other"), Value(5)}})),
              (std::vector<std::string>{"a", "b"}));
}

TEST(ExceptionFromValue, NotAnExceptionDictIsSerializeError) {
    const auto message = [](const Value& value) -> std::string {
        try {
            (void)exception_from_value(value);
        } catch (const SerializeError& error) {
            return error.what();
        }
        return "no SerializeError";
    };
    EXPECT_EQ(message(Value("boom")), "expected an exception dict, got str");
    EXPECT_EQ(message(Value::dict({{Value("a"), Value(1)}})),
              "expected an exception dict, got dict");
    EXPECT_EQ(message(Value::dict({{Value("__class__"), Value(5)}})),
              "expected an exception dict, got dict");
    // A builtin without the flag is refused, with Pyro4's text.
    EXPECT_EQ(message(Value::dict({{Value("__class__"), Value("builtins.ValueError")},
                                   {Value("args"), Value::tuple({"x"})}})),
              "unsupported serialized class: builtins.ValueError");
    EXPECT_EQ(message(Value::dict({{Value("__class__"), Value("Pyro4.core.URI")},
                                   {Value("state"), Value::tuple()}})),
              "unsupported serialized class: Pyro4.core.URI");
}

TEST(IsExceptionValue, FlagOrPyro4ErrorsClass) {
    EXPECT_TRUE(is_exception_value(exception_dict("builtins.ValueError", Value::tuple())));
    EXPECT_TRUE(is_exception_value(exception_dict("labkit.LabError", Value::tuple())));
    // Pyro4.errors classes need no flag (serializer_values.json, python_accepts).
    EXPECT_TRUE(
        is_exception_value(Value::dict({{Value("__class__"), Value("Pyro4.errors.NamingError")},
                                        {Value("args"), Value::tuple({"x"})}})));
    EXPECT_EQ(*rebuild(Value::dict({{Value("__class__"), Value("Pyro4.errors.NamingError")},
                                    {Value("args"), Value::tuple({"x"})}}))
                   .type,
              typeid(NamingError));
    EXPECT_FALSE(is_exception_value(Value::dict({{Value("__class__"), Value("builtins.ValueError")},
                                                 {Value("args"), Value::tuple({"x"})}})));
    EXPECT_FALSE(is_exception_value(Value::dict({{Value("__class__"), Value("builtins.ValueError")},
                                                 {Value("__exception__"), Value(false)}})));
    EXPECT_FALSE(
        is_exception_value(Value::dict({{Value("__class__"), Value("Pyro4.errors.NoSuchError")}})));
    EXPECT_FALSE(is_exception_value(Value::dict({{Value("__class__"), Value("Pyro4.core.URI")}})));
    EXPECT_FALSE(is_exception_value(Value::dict()));
    EXPECT_FALSE(is_exception_value(Value("Pyro4.errors.NamingError")));
    EXPECT_FALSE(is_exception_value(Value()));
}

// The vector files that hold FLAGS_EXCEPTION frames (34 in all).
constexpr std::array<const char*, 20> exception_vectors{
    "daemon_object_json.json",
    "daemon_object_serpent.json",
    "hmac_json.json",
    "hmac_serpent.json",
    "item_stream_json.json",
    "item_stream_serpent.json",
    "ns_lookup_miss_json.json",
    "ns_lookup_miss_serpent.json",
    "ns_metadata_json.json",
    "ns_metadata_serpent.json",
    "nsc_lookup_missing.json",
    "nsc_register_again.json",
    "remote_exception_json.json",
    "remote_exception_serpent.json",
    "remote_exception_custom_json.json",
    "remote_exception_custom_serpent.json",
    "unknown_method_json.json",
    "unknown_method_serpent.json",
    "unknown_object_no_metadata_json.json",
    "unknown_object_no_metadata_serpent.json",
};

// Every exception result a Python 4.82 daemon sent in the captured scenarios: rebuilt with its
// class, message and traceback, and written back (serpent form) to the same value.
TEST(ExceptionVectors, ExceptionResultsOfPyro4Daemons) {
    std::size_t checked = 0;
    for (const char* name : exception_vectors) {
        const json::value file = test::load_vector(std::string(name));
        for (const json::value& frame : file.at("frames").as_array()) {
            const json::object& decoded = frame.at("decoded").as_object();
            if (!decoded.contains("header") ||
                (decoded.at("header").at("flags").to_number<int>() & 1) == 0) {
                continue;
            }
            SCOPED_TRACE(std::string(name) + " frame " + json::serialize(frame.at("index")));
            const Value value = test::from_tagged(decoded.at("payload_value"));
            ASSERT_TRUE(is_exception_value(value));
            const Rebuilt error = rebuild(value);
            EXPECT_EQ(error.python_class, value.at("__class__").as_string());
            const Value::Items& args = value.at("args").items();
            const bool key_error = error.python_class == "builtins.KeyError";
            if (args.size() == 1 && !key_error) {
                EXPECT_EQ(error.message, args[0].as_string());
            }
            // None marks the item-stream ProtocolError (PYRO4-WIRE.md §5.9); exception_to_value
            // does not write that form.
            const Value& lines = value.at("attributes").at("_pyroTraceback");
            const bool stream_marker = lines.is_none();
            ASSERT_EQ(error.traceback.size(), stream_marker ? 0 : lines.items().size());
            // json sends args as a list; serpent's tuple form is what libpyro writes.
            if (value.at("args").kind() == Value::Kind::Tuple && !key_error && !stream_marker) {
                EXPECT_EQ(error.again, value);
            }
            ++checked;
        }
    }
    EXPECT_EQ(checked, 34u);
}

std::vector<Rebuilt> exception_results(const json::value& file) {
    std::vector<Rebuilt> errors;
    for (const json::value& frame : file.at("frames").as_array()) {
        const json::object& decoded = frame.at("decoded").as_object();
        if (decoded.contains("header") &&
            (decoded.at("header").at("flags").to_number<int>() & 1) != 0) {
            errors.push_back(rebuild(test::from_tagged(decoded.at("payload_value"))));
        }
    }
    return errors;
}

// What the Python clients reported for the same frames (client_outcome): one exception result per
// step in these scenarios.
TEST(ExceptionVectors, MessagesAsPythonClientsSawThem) {
    for (const char* name : {"remote_exception_json.json", "remote_exception_serpent.json",
                             "ns_lookup_miss_json.json", "ns_lookup_miss_serpent.json"}) {
        SCOPED_TRACE(name);
        const json::value file = test::load_vector(std::string(name));
        const std::vector<Rebuilt> errors = exception_results(file);
        const json::array& outcome = file.at("client_outcome").as_array();
        ASSERT_EQ(errors.size(), outcome.size());
        for (std::size_t i = 0; i < errors.size(); ++i) {
            EXPECT_EQ(errors[i].python_class, outcome[i].at("raised").as_string());
            EXPECT_EQ(errors[i].message, outcome[i].at("message").as_string());
        }
    }
}

TEST(ExceptionVectors, CustomClassAndKeyError) {
    const json::value file = test::load_vector(std::string("remote_exception_custom_serpent.json"));
    const std::vector<Rebuilt> errors = exception_results(file);
    const json::array& outcome = file.at("client_outcome").as_array();
    ASSERT_EQ(errors.size(), outcome.size());
    // Python could not rebuild labkit.LabError and raised SerializeError instead; libpyro keeps
    // the remote class.
    EXPECT_EQ(outcome[0].at("message"), "unsupported serialized class: labkit.LabError");
    EXPECT_EQ(errors[0].python_class, "labkit.LabError");
    EXPECT_EQ(errors[0].message, "a custom error class");
    EXPECT_EQ(errors[1].python_class, outcome[1].at("raised").as_string());
    EXPECT_EQ(errors[1].message, outcome[1].at("message").as_string());
}

} // namespace
} // namespace pyro
