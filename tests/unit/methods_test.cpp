// methods<T>: binding Python's positional and keyword arguments to C++ parameters, with Python's
// own TypeError texts (issue 13 item 5), and conversion errors keeping their Python class.
#include "pyro/methods.hpp"

#include <cstdint>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "pyro/errors.hpp"

namespace pyro {
namespace {

struct Echo {
    int calls = 0;
    std::string echo(const std::string& message) {
        ++calls;
        return message;
    }
    std::int64_t add(std::int64_t a, std::int64_t b) {
        ++calls;
        return a + b;
    }
    std::string greet(const std::string& name, std::optional<std::string> greeting) {
        ++calls;
        return greeting.value_or("Hello") + ", " + name;
    }
    std::int32_t small(std::int32_t x) {
        ++calls;
        return x;
    }
    std::uint8_t byte(std::uint8_t x) {
        ++calls;
        return x;
    }
};

Interface echo_interface() {
    return methods<Echo>()
        .expose("echo", &Echo::echo, {"message"})
        .expose("add", &Echo::add, {"a", "b"})
        .expose("greet", &Echo::greet, {"name", "greeting"})
        .expose("small", &Echo::small, {"x"})
        .expose("byte", &Echo::byte, {"x"})
        .expose("positional", &Echo::add);
}

class Methods : public ::testing::Test {
protected:
    Value call(std::string_view method, Value::Items args, Value::Entries kwargs = {}) {
        return detail::invoke(interface, &servant, method, args, kwargs);
    }
    // The error text of a call that must fail, with its Python class.
    std::pair<std::string, std::string> failure(std::string_view method, Value::Items args,
                                                Value::Entries kwargs = {}) {
        const int before = servant.calls;
        try {
            (void)call(method, std::move(args), std::move(kwargs));
        } catch (const RemoteError& e) {
            EXPECT_EQ(servant.calls, before) << "the servant was called despite the error";
            return {e.python_class(), e.what()};
        }
        return {"none", "the call succeeded"};
    }

    Echo servant;
    Interface interface = echo_interface();
};

TEST_F(Methods, KeywordArgumentsByParameterName) {
    EXPECT_EQ(call("echo", {}, {{"message", "kw"}}), Value("kw"));
    EXPECT_EQ(call("add", {2}, {{"b", 3}}), Value(5));
    EXPECT_EQ(call("add", {}, {{"b", 3}, {"a", 2}}), Value(5));
    EXPECT_EQ(call("greet", {"Ann"}), Value("Hello, Ann"));
    EXPECT_EQ(call("greet", {}, {{"greeting", "Hi"}, {"name", "Bo"}}), Value("Hi, Bo"));
}

TEST_F(Methods, PythonsTextsForBadArgumentLists) {
    using Failure = std::pair<std::string, std::string>;
    const std::string type_error = "builtins.TypeError";
    EXPECT_EQ(failure("echo", {}, {{"x", 1}}),
              Failure(type_error, "echo() got an unexpected keyword argument 'x'"));
    EXPECT_EQ(failure("echo", {}),
              Failure(type_error, "echo() missing 1 required positional argument: 'message'"));
    EXPECT_EQ(failure("add", {}),
              Failure(type_error, "add() missing 2 required positional arguments: 'a' and 'b'"));
    EXPECT_EQ(failure("add", {1}, {{"a", 2}}),
              Failure(type_error, "add() got multiple values for argument 'a'"));
    EXPECT_EQ(failure("echo", {"a", "b"}),
              Failure(type_error, "echo() takes 1 positional argument but 2 were given"));
    EXPECT_EQ(
        failure("greet", {"a", "b", "c"}),
        Failure(type_error, "greet() takes from 1 to 2 positional arguments but 3 were given"));
    EXPECT_EQ(failure("positional", {1}, {{"a", 1}}),
              Failure(type_error, "positional() got an unexpected keyword argument 'a'"));
    EXPECT_EQ(failure("positional", {}),
              Failure(type_error,
                      "positional() missing 2 required positional arguments: argument 1 and "
                      "argument 2"));
    EXPECT_EQ(failure("echo", {1}),
              Failure(type_error, "echo() argument 1: expected str, got int"));
}

TEST_F(Methods, TooLargeIntsRaiseOverflowErrorNeverWrap) {
    using Failure = std::pair<std::string, std::string>;
    EXPECT_EQ(failure("small", {std::int64_t{1} << 40}),
              Failure("builtins.OverflowError",
                      "small() argument 1: Python int too large to convert to C++ int32_t "
                      "(1099511627776 is outside -2147483648 to 2147483647)"));
    EXPECT_EQ(failure("byte", {-1}),
              Failure("builtins.OverflowError",
                      "byte() argument 1: can't convert negative int to unsigned (-1 to C++ "
                      "uint8_t)"));
    EXPECT_EQ(failure("add", {Value::big_int("100000000000000000000"), 1}).first,
              "builtins.OverflowError");
    EXPECT_EQ(call("byte", {255}), Value(255));
}

TEST(MethodsNames, ARunTimeNameListMustNameEveryParameterOnce) {
    EXPECT_THROW(methods<Echo>().expose("add", &Echo::add, std::vector<std::string>{"a"}),
                 PyroError);
    EXPECT_THROW(methods<Echo>().expose("add", &Echo::add, std::vector<std::string>{"a", "a"}),
                 PyroError);
    try {
        methods<Echo>().expose("add", &Echo::add, std::vector<std::string>{"a"});
    } catch (const PyroError& e) {
        EXPECT_STREQ(e.what(), "exposing add(): 2 parameters but 1 parameter name given; name each "
                               "parameter once");
    }
}

} // namespace
} // namespace pyro
