// What a proxy sends for a call: the INVOKE payload is written from a kept head (object and
// method) and the arguments serialized on their own (proxy.cpp, issue 12), and must still be
// byte for byte what the codec writes for the whole request (protocol.hpp's invoke_payload),
// with the same nesting limits and errors, and the same again when a call is retried.
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "protocol.hpp"
#include "pyro/pyro.hpp"
#include "recording_server.hpp"

namespace pyro {
namespace {

using test::RecordingServer;

Config plain_config(SerializerKind kind) {
    Config config;
    config.serializer = std::string(serializer_name(kind));
    config.comm_timeout = 5.0;
    config.metadata = false; // the recording server sends none
    return config;
}

// The bytes of the whole request as the codec writes it.
std::string expected(SerializerKind kind, const std::string& method, const Value::Items& params,
                     const std::optional<Value::Entries>& kwargs) {
    return serialize(kind, detail::invoke_payload(kind, "obj", method, params, kwargs));
}

Value nested_lists(int depth) {
    Value value(1);
    for (int i = 0; i < depth; ++i) {
        value = Value::list({value});
    }
    return value;
}

class ProxyRequest : public ::testing::TestWithParam<SerializerKind> {};

TEST_P(ProxyRequest, PayloadsAreTheCodecsWholeRequest) {
    const SerializerKind kind = GetParam();
    const bool serpent = kind == SerializerKind::Serpent;
    RecordingServer server(kind);
    std::vector<std::string> wanted;
    {
        Proxy proxy(server.uri(), plain_config(kind));
        const Value::Items none;
        (void)proxy.invoke("echo");
        wanted.push_back(expected(kind, "echo", none, Value::Entries{}));

        Value::Items params{
            Value(1),
            Value(-2.5),
            Value("quote \" backslash \\ newline \n tab \t \x01 \xc3\xa9 \xe2\x82\xac"),
            Value(true),
            Value(),
            Value::list({Value(1), Value::list()}),
            Value::tuple({Value("one")}),
            Value::dict({{"k", 1}, {"n", Value()}})};
        if (serpent) {
            params.push_back(Value(Bytes{0, 1, 255}));
            params.push_back(Value(Complex{1.0, -2.0}));
            params.push_back(Value::set({Value(3)}));
        }
        (void)proxy.invoke("echo", params);
        wanted.push_back(expected(kind, "echo", params, Value::Entries{}));

        const Value::Entries kwargs{{"x", 1}, {"y", Value::list({Value("z")})}};
        (void)proxy.invoke("add", {Value(1), Value(2)}, kwargs);
        wanted.push_back(expected(kind, "add", {Value(1), Value(2)}, kwargs));

        // Attribute access sends kwargs None (§5.8).
        (void)proxy.get_attribute("value");
        wanted.push_back(expected(kind, "__getattr__", {Value("value")}, std::nullopt));
        proxy.set_attribute("value", Value(7));
        wanted.push_back(expected(kind, "__setattr__", {Value("value"), Value(7)}, std::nullopt));

        proxy.invoke_oneway("poke", {Value(1)});
        wanted.push_back(expected(kind, "poke", {Value(1)}, Value::Entries{}));

        // More methods than the proxy keeps request heads for, twice round.
        for (int round = 0; round < 2; ++round) {
            for (int m = 0; m < 11; ++m) {
                const std::string method = "method_" + std::to_string(m);
                (void)proxy.invoke(method, {Value(m)});
                wanted.push_back(expected(kind, method, {Value(m)}, Value::Entries{}));
            }
        }
    }
    const std::vector<std::string> sent = server.invokes();
    ASSERT_EQ(sent.size(), wanted.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
        EXPECT_EQ(sent[i], wanted[i]) << "call " << i;
    }
}

// The arguments sit one container down in the request: the codec's nesting limit counts them
// there, so the deepest value the whole request can carry goes, and one level more fails with
// the codec's own message, before anything is sent; the proxy stays usable.
TEST_P(ProxyRequest, NestingLimitCountsAsInTheWholeRequest) {
    const SerializerKind kind = GetParam();
    int too_deep = 1;
    std::string message;
    for (; too_deep < 1000; ++too_deep) {
        try {
            (void)expected(kind, "echo", {nested_lists(too_deep)}, Value::Entries{});
        } catch (const SerializeError& error) {
            message = error.what();
            break;
        }
    }
    ASSERT_FALSE(message.empty()) << "no nesting limit found";
    RecordingServer server(kind);
    {
        Proxy proxy(server.uri(), plain_config(kind));
        (void)proxy.invoke("echo", {nested_lists(too_deep - 1)});
        try {
            (void)proxy.invoke("echo", {nested_lists(too_deep)});
            ADD_FAILURE() << "a request nested " << too_deep << " levels deep was sent";
        } catch (const SerializeError& error) {
            EXPECT_EQ(error.what(), message);
        }
        // Nested inside kwargs too.
        EXPECT_THROW((void)proxy.invoke("echo", {}, {{"deep", nested_lists(too_deep)}}),
                     SerializeError);
        (void)proxy.invoke("echo", {Value(2)});
    }
    const std::vector<std::string> sent = server.invokes();
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0], expected(kind, "echo", {nested_lists(too_deep - 1)}, Value::Entries{}));
    EXPECT_EQ(sent[1], expected(kind, "echo", {Value(2)}, Value::Entries{}));
}

// A call retried on a fresh connection (PYRO_MAX_RETRIES) sends its arguments again, all of them.
TEST_P(ProxyRequest, RetrySendsTheSameRequestAgain) {
    const SerializerKind kind = GetParam();
    RecordingServer server(kind, {.drop_first_invoke = true});
    Config config = plain_config(kind);
    config.max_retries = 1;
    const Value::Items params{Value("text"), Value::list({Value(1), Value(2)})};
    const Value::Entries kwargs{{"flag", true}};
    {
        Proxy proxy(server.uri(), config);
        EXPECT_TRUE(proxy.invoke("store", params, kwargs).is_none());
    }
    const std::vector<std::string> sent = server.invokes();
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0], expected(kind, "store", params, kwargs));
    EXPECT_EQ(sent[1], sent[0]);
    EXPECT_EQ(server.connections(), 2);
}

INSTANTIATE_TEST_SUITE_P(Serializers, ProxyRequest,
                         ::testing::Values(SerializerKind::Json, SerializerKind::Serpent),
                         [](const auto& info) { return std::string(serializer_name(info.param)); });

} // namespace
} // namespace pyro
