// The rest of Pyro4's server side: a custom handshake (_pyroHandshake / validateHandshake), the
// current context (client address, correlation id, annotations both ways, per-connection data)
// and properties as remote attributes (__getattr__ / __setattr__). Each C++ -> C++, Python
// Pyro4 -> libpyro and libpyro -> Python Pyro4, with json and with serpent; the Python client
// also runs against the Python server, and both servers must give it the same answers.
#include <chrono>
#include <memory>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"
#include "support/process.hpp"
#include "support/python.hpp"
#include "support/vectors.hpp"

namespace pyro {

static void PrintTo(const Value& value, std::ostream* out) {
    *out << value.repr();
}

namespace test {
namespace {

using namespace std::chrono_literals;

// The C++ twin of python_server.py's Thermostat.
class Thermostat {
public:
    Value whoami() const {
        CallContext& context = current_context();
        context.response_annotations["XTRA"] = "extra!";
        const auto xcli = context.annotations.find("XCLI");
        return Value::dict(
            {{"address", context.client_address},
             {"corr", context.correlation_uuid()},
             {"user", context.client->get("user").value_or(Value())},
             {"xcli", xcli == context.annotations.end() ? Value() : Value(xcli->second)}});
    }
    static int bad_annotation() {
        current_context().response_annotations["TOOLONG"] = "x";
        return 1;
    }
    double target() const {
        const std::lock_guard lock(mutex_);
        return target_;
    }
    void set_target(double value) {
        const std::lock_guard lock(mutex_);
        target_ = value;
    }
    std::string name = "hall";

private:
    mutable std::mutex mutex_;
    double target_ = 20.0;
};

// python_server.py's validateHandshake.
Value validate(ClientConnection& connection, const Value& data) {
    const Value* secret = data.is_dict() ? data.find("secret") : nullptr;
    if (secret == nullptr || *secret != Value("s3")) {
        throw std::runtime_error("bad secret");
    }
    connection.set("user", data.at("user"));
    return Value::dict({{"welcome", data.at("user")}});
}

struct CppServer {
    std::unique_ptr<Daemon> daemon;
    std::unique_ptr<Daemon::Background> running;
    std::string uri;
};

CppServer start_cpp_server() {
    Config config;
    config.host = "127.0.0.1";
    DaemonOptions options;
    options.validate_handshake = validate;
    CppServer server;
    server.daemon = std::make_unique<Daemon>(config, options);
    server.uri =
        server.daemon
            ->register_object(std::make_shared<Thermostat>(),
                              methods<Thermostat>()
                                  .expose("whoami", &Thermostat::whoami)
                                  .expose("bad_annotation",
                                          [](Thermostat&) { return Thermostat::bad_annotation(); })
                                  .attribute("target", &Thermostat::target, &Thermostat::set_target)
                                  .attribute("name", &Thermostat::name),
                              "parity.thermostat")
            .str();
    server.running = server.daemon->run_in_background();
    return server;
}

std::unique_ptr<ChildProcess> start_python_server(std::string& uri) {
    auto python = std::make_unique<ChildProcess>(
        std::vector<std::string>{python_interpreter(), SERVER_SCRIPTS "/python_server.py",
                                 std::to_string(free_tcp_port())},
        python_environment());
    const auto line = python->wait_for_match(std::regex("^URI (PYRO:\\S+)$"), 20s);
    if (line) {
        uri = (*line)[1];
    } else {
        ADD_FAILURE() << python->describe();
    }
    return python;
}

Proxy client(const std::string& uri, const std::string& serializer) {
    Config config;
    config.serializer = serializer;
    config.comm_timeout = 20.0;
    return Proxy(uri, config);
}

const std::string corr_bytes("\x12\x34\x56\x78\x12\x34\x56\x78\x12\x34\x56\x78\x12\x34\x56\x78",
                             16);

// What a libpyro proxy sees of either server.
void check_handshake(const std::string& uri, const std::string& serializer) {
    Proxy proxy = client(uri, serializer);
    proxy.set_handshake(Value::dict({{"user", "alice"}, {"secret", "s3"}}));
    proxy.bind();
    EXPECT_EQ(proxy.handshake_response(), Value::dict({{"welcome", "alice"}}));
    EXPECT_EQ(proxy.call<Value>("whoami").at("user"), Value("alice"));

    Proxy wrong = client(uri, serializer);
    wrong.set_handshake(Value::dict({{"user", "mallory"}, {"secret", "guess"}}));
    try {
        wrong.bind();
        ADD_FAILURE() << "a wrong secret was accepted";
    } catch (const HandshakeError& error) {
        EXPECT_NE(std::string(error.what()).find("rejected: bad secret"), std::string::npos)
            << error.what();
    }
    Proxy plain = client(uri, serializer); // "hello" is no dict with a secret
    EXPECT_THROW(plain.bind(), HandshakeError);
}

void check_context(const std::string& uri, const std::string& serializer) {
    Proxy proxy = client(uri, serializer);
    proxy.set_handshake(Value::dict({{"user", "bob"}, {"secret", "s3"}}));
    proxy.set_correlation_id(corr_bytes);
    const Value facts = proxy.call<Value>("whoami");
    EXPECT_TRUE(
        std::regex_match(facts.at("address").as_string(), std::regex(R"(127\.0\.0\.1:\d+)")))
        << facts.repr();
    EXPECT_EQ(facts.at("corr"), Value("12345678-1234-5678-1234-567812345678"));
    EXPECT_EQ(facts.at("user"), Value("bob"));
    EXPECT_EQ(facts.at("xcli"), Value());
    const auto annotations = proxy.response_annotations();
    ASSERT_TRUE(annotations.contains("XTRA")) << annotations.size();
    EXPECT_EQ(annotations.at("XTRA"), "extra!");
    EXPECT_EQ(annotations.at("CORR"), corr_bytes);
}

void check_attributes(const std::string& uri, const std::string& serializer) {
    Proxy proxy = client(uri, serializer);
    proxy.set_handshake(Value::dict({{"user", "carol"}, {"secret", "s3"}}));
    EXPECT_EQ(proxy.get<double>("target"), 20.0);
    proxy.set_attribute("target", Value(22.5));
    EXPECT_EQ(proxy.get<double>("target"), 22.5);
    EXPECT_EQ(proxy.get<std::string>("name"), "hall");
    try {
        proxy.set_attribute("name", Value("attic"));
        ADD_FAILURE() << "a read-only attribute was set";
    } catch (const RemoteError& error) {
        EXPECT_EQ(error.python_class(), "builtins.AttributeError");
        EXPECT_STREQ(error.what(),
                     "attempt to access unexposed or unknown remote attribute 'name'");
    }
}

class ServerSide : public ::testing::TestWithParam<std::string> {};

TEST_P(ServerSide, HandshakeCppToCpp) {
    const CppServer server = start_cpp_server();
    check_handshake(server.uri, GetParam());
}

TEST_P(ServerSide, HandshakeCppToPython) {
    std::string uri;
    const auto python = start_python_server(uri);
    ASSERT_FALSE(uri.empty());
    check_handshake(uri, GetParam());
}

TEST_P(ServerSide, ContextCppToCpp) {
    const CppServer server = start_cpp_server();
    check_context(server.uri, GetParam());
}

TEST_P(ServerSide, ContextCppToPython) {
    std::string uri;
    const auto python = start_python_server(uri);
    ASSERT_FALSE(uri.empty());
    check_context(uri, GetParam());
}

TEST_P(ServerSide, BadResponseAnnotationKeyIsAClearError) {
    const CppServer server = start_cpp_server();
    Proxy proxy = client(server.uri, GetParam());
    proxy.set_handshake(Value::dict({{"user", "dave"}, {"secret", "s3"}}));
    try {
        (void)proxy.call<int>("bad_annotation");
        ADD_FAILURE() << "a 7-character annotation key was sent";
    } catch (const ProtocolError& error) {
        EXPECT_STREQ(error.what(), "response annotation key 'TOOLONG' is not of length 4: Pyro4 "
                                   "annotation keys are 4 characters");
    }
    EXPECT_EQ(proxy.call<Value>("whoami").at("user"), Value("dave")); // the connection goes on
}

TEST_P(ServerSide, AttributesCppToCpp) {
    const CppServer server = start_cpp_server();
    check_attributes(server.uri, GetParam());
}

TEST_P(ServerSide, AttributesCppToPython) {
    std::string uri;
    const auto python = start_python_server(uri);
    ASSERT_FALSE(uri.empty());
    check_attributes(uri, GetParam());
}

std::string run_python_client(const std::string& uri, const std::string& serializer) {
    ChildProcess python({python_interpreter(), SERVER_SCRIPTS "/python_client.py", uri},
                        python_environment({{"PYRO_SERIALIZER", serializer}}));
    std::string out = python.read_all(Stream::Stdout, 30s);
    EXPECT_EQ(python.wait(10s), 0) << python.describe();
    // The addresses differ from run to run; whether they were right stays in the line.
    out = std::regex_replace(out, std::regex("(ADDRESS \\w+) \\S+"), "$1");
    // So does the server's port in the refusal.
    return std::regex_replace(out, std::regex("connection to \\S+, \\d+\\) rejected"),
                              "connection to (host, port) rejected");
}

TEST_P(ServerSide, PythonClientAgainstCppServerAsAgainstPythonServer) {
    const CppServer server = start_cpp_server();
    const std::string from_cpp = run_python_client(server.uri, GetParam());
    EXPECT_EQ(from_cpp, "ANSWER alice\n"
                        "ADDRESS True\n"
                        "CORR 12345678-1234-5678-1234-567812345678\n"
                        "USER alice\n"
                        "XCLI from-python\n"
                        "XTRA b'extra!' True\n"
                        "TARGET 20.0\n"
                        "TARGET 22.5\n"
                        "NAME hall\n"
                        "NAME-SET AttributeError attempt to access unexposed or unknown remote "
                        "attribute 'name'\n"
                        "REFUSED connection to (host, port) rejected: bad secret\n"
                        "DONE\n");
    std::string uri;
    const auto python = start_python_server(uri);
    ASSERT_FALSE(uri.empty());
    EXPECT_EQ(run_python_client(uri, GetParam()), from_cpp);
}

INSTANTIATE_TEST_SUITE_P(Serializers, ServerSide, ::testing::Values("json", "serpent"),
                         [](const auto& info) { return info.param; });

} // namespace
} // namespace test
} // namespace pyro
