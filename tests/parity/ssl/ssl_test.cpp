// PYRO_SSL as Pyro4 4.82 has it, against the real Pyro4 both ways: C++ -> C++, Python client ->
// libpyro daemon, C++ proxy -> Python daemon, two-way authentication (SSL_REQUIRECLIENTCERT), the
// name servers over SSL, both serializers, and every way it goes wrong giving its cause in one
// line. The certificates are made here, with the openssl program, into a temporary folder.
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "pyro/pyro.hpp"
#include "support/process.hpp"
#include "support/python.hpp"
#include "support/vectors.hpp"

namespace pyro::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string passphrase = "correct horse";

// The test's own PKI: a CA, a server certificate for localhost and 127.0.0.1, a client
// certificate whose key is encrypted with `passphrase`, and a second CA that signed a server and
// a client certificate the first CA's holders must reject.
class Pki {
public:
    static Pki& get() {
        static Pki pki;
        return pki;
    }
    [[nodiscard]] bool ready() const { return problem_.empty(); }
    [[nodiscard]] const std::string& problem() const { return problem_; }
    [[nodiscard]] std::string file(const std::string& name) const { return (dir_ / name).string(); }

    Pki(const Pki&) = delete;
    Pki& operator=(const Pki&) = delete;
    ~Pki() {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

private:
    Pki() {
        if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
            problem_ = "the openssl program is missing (Debian package openssl)";
            return;
        }
        std::string pattern = (fs::temp_directory_path() / "pyro-ssl-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            problem_ = "no temporary folder";
            return;
        }
        dir_ = pattern;
        write("leaf.ext", "basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\n"
                          "authorityKeyIdentifier=keyid,issuer\n");
        write("server.ext", "basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\n"
                            "authorityKeyIdentifier=keyid,issuer\nextendedKeyUsage=serverAuth\n"
                            "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        write("elsewhere.ext",
              "basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\n"
              "authorityKeyIdentifier=keyid,issuer\n"
              "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:elsewhere.example\n");
        write("client.ext", "basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\n"
                            "authorityKeyIdentifier=keyid,issuer\nextendedKeyUsage=clientAuth\n");
        const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        const bool ok =
            run("openssl req -x509 " + key +
                " -keyout ca.key -out ca.pem -days 2 -subj /CN=pyro-test-ca "
                "-addext keyUsage=critical,keyCertSign,cRLSign") &&
            run("openssl req -x509 " + key +
                " -keyout other_ca.key -out other_ca.pem -days 2 "
                "-subj /CN=pyro-other-ca -addext keyUsage=critical,keyCertSign,cRLSign") &&
            leaf("server", "ca", "server.ext") && leaf("client", "ca", "client.ext") &&
            leaf("elsewhere", "ca", "elsewhere.ext") &&
            leaf("other_server", "other_ca", "server.ext") &&
            leaf("other_client", "other_ca", "client.ext") &&
            run("openssl pkey -in client.key -aes256 -passout 'pass:" + passphrase +
                "' -out client_encrypted.key");
        if (!ok) {
            problem_ = "making the test certificates with openssl failed";
        }
    }

    bool leaf(const std::string& name, const std::string& ca, const std::string& ext) {
        return run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
                   name + ".key -out " + name + ".csr -subj /CN=" + name) &&
               run("openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
                   ".key -CAcreateserial -days 2 -out " + name + ".pem -extfile " + ext);
    }
    bool run(const std::string& command) const {
        return std::system(
                   ("cd '" + dir_.string() + "' && " + command + " >/dev/null 2>&1").c_str()) == 0;
    }
    void write(const std::string& name, const std::string& text) const {
        std::ofstream(dir_ / name) << text;
    }

    fs::path dir_;
    std::string problem_;
};

#define REQUIRE_PKI()                                                                              \
    if (!Pki::get().ready()) {                                                                     \
        GTEST_SKIP() << Pki::get().problem();                                                      \
    }

struct Echo {
    Value echo(Value v) const { return v; }
    int add(int a, int b) const { return a + b; }
};

methods<Echo> echo_methods() {
    return methods<Echo>().expose("echo", &Echo::echo).expose("add", &Echo::add);
}

// What a server or client is given, in Pyro4's names; the C++ side gets the same as a Config.
struct Side {
    std::string cert;
    std::string key;
    std::string password;
    std::string cacerts;
    bool require_client_cert = false;
};

Side server_side(bool require_client_cert = false) {
    const Pki& pki = Pki::get();
    return {pki.file("server.pem"), pki.file("server.key"), "", pki.file("ca.pem"),
            require_client_cert};
}
Side client_side(bool with_cert = false) {
    const Pki& pki = Pki::get();
    Side side{"", "", "", pki.file("ca.pem")};
    if (with_cert) {
        side.cert = pki.file("client.pem");
        side.key = pki.file("client_encrypted.key");
        side.password = passphrase;
    }
    return side;
}

Config server_config(const Side& side, bool ssl = true) {
    Config config;
    config.host = "127.0.0.1";
    config.comm_timeout = 5.0;
    config.ssl = ssl;
    config.ssl_servercert = side.cert;
    config.ssl_serverkey = side.key;
    config.ssl_serverkeypasswd = side.password;
    config.ssl_cacerts = side.cacerts;
    config.ssl_requireclientcert = side.require_client_cert;
    return config;
}
Config client_config(const Side& side, const std::string& serializer = "serpent", bool ssl = true) {
    Config config;
    config.comm_timeout = 5.0;
    config.serializer = serializer;
    config.ssl = ssl;
    config.ssl_clientcert = side.cert;
    config.ssl_clientkey = side.key;
    config.ssl_clientkeypasswd = side.password;
    config.ssl_cacerts = side.cacerts;
    return config;
}

ChildProcess::Environment server_env(const Side& side, bool ssl = true) {
    return python_environment({{"PYRO_SSL", ssl ? "1" : "0"},
                               {"PYRO_SSL_SERVERCERT", side.cert},
                               {"PYRO_SSL_SERVERKEY", side.key},
                               {"PYRO_SSL_SERVERKEYPASSWD", side.password},
                               {"PYRO_SSL_CACERTS", side.cacerts},
                               {"PYRO_SSL_REQUIRECLIENTCERT", side.require_client_cert ? "1" : "0"},
                               {"PYRO_COMMTIMEOUT", "5"}});
}
ChildProcess::Environment client_env(const Side& side, const std::string& serializer = "serpent",
                                     bool ssl = true) {
    return python_environment({{"PYRO_SSL", ssl ? "1" : "0"},
                               {"PYRO_SSL_CLIENTCERT", side.cert},
                               {"PYRO_SSL_CLIENTKEY", side.key},
                               {"PYRO_SSL_CLIENTKEYPASSWD", side.password},
                               {"PYRO_SSL_CACERTS", side.cacerts},
                               {"PYRO_SERIALIZER", serializer},
                               {"PYRO_COMMTIMEOUT", "5"}});
}

std::string peer_script() {
    return std::string(PYRO_SSL_TEST_DIR) + "/ssl_peer.py";
}

// A libpyro daemon serving Echo on a background thread.
struct CppServer {
    explicit CppServer(const Config& config)
        : daemon(config),
          uri(daemon.register_object(std::make_shared<Echo>(), echo_methods(), "ssl.echo")),
          running(daemon.run_in_background()) {}
    Daemon daemon;
    Uri uri;
    std::unique_ptr<Daemon::Background> running;
};

// The real Pyro4 daemon (ssl_peer.py server).
struct PythonServer {
    explicit PythonServer(const Side& side, bool ssl = true)
        : process({python_interpreter(), peer_script(), "server"}, server_env(side, ssl)) {
        if (const auto match = process.wait_for_match(std::regex("^URI (\\S+)"), 20s)) {
            uri = (*match)[1];
        }
    }
    ChildProcess process;
    std::string uri;
};

// Runs ssl_peer.py client against `uri`; its whole output.
std::string python_call(const std::string& uri, const ChildProcess::Environment& env) {
    ChildProcess client({python_interpreter(), peer_script(), "client", uri}, env);
    std::string out = client.read_all(Stream::Stdout, 30s);
    (void)client.wait(10s);
    return out + client.output(Stream::Stderr);
}

void expect_calls_work(Proxy& proxy) {
    EXPECT_EQ(proxy.call<std::string>("echo", std::string("über ssl")), "über ssl");
    EXPECT_EQ(proxy.call<int>("add", 2, 3), 5);
}

// What a C++ proxy with `config` gets calling `uri`: "" when the call works, else its error.
std::string cpp_call_error(const std::string& uri, const Config& config) {
    try {
        Proxy proxy(uri, config);
        (void)proxy.call<int>("add", 1, 2);
        return "";
    } catch (const std::exception& error) {
        return error.what();
    }
}

class Ssl : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Serializers, Ssl, ::testing::Values("serpent", "json"),
                         [](const auto& info) { return info.param; });

TEST_P(Ssl, CppProxyToCppDaemon) {
    REQUIRE_PKI();
    CppServer server(server_config(server_side()));
    Proxy proxy(server.uri, client_config(client_side(), GetParam()));
    expect_calls_work(proxy);
}

TEST_P(Ssl, CppProxyToCppDaemonTwoWay) {
    REQUIRE_PKI();
    CppServer server(server_config(server_side(true)));
    Proxy proxy(server.uri, client_config(client_side(true), GetParam()));
    expect_calls_work(proxy);
}

TEST_P(Ssl, PythonClientToCppDaemon) {
    REQUIRE_PKI();
    CppServer server(server_config(server_side()));
    const std::string out = python_call(server.uri.str(), client_env(client_side(), GetParam()));
    EXPECT_NE(out.find("RESULT echo 'über ssl'"), std::string::npos) << out;
    EXPECT_NE(out.find("RESULT add 5"), std::string::npos) << out;
}

TEST_P(Ssl, PythonClientToCppDaemonTwoWay) {
    REQUIRE_PKI();
    CppServer server(server_config(server_side(true)));
    const std::string out =
        python_call(server.uri.str(), client_env(client_side(true), GetParam()));
    EXPECT_NE(out.find("RESULT add 5"), std::string::npos) << out;
}

TEST_P(Ssl, CppProxyToPythonDaemon) {
    REQUIRE_PKI();
    PythonServer server(server_side());
    ASSERT_FALSE(server.uri.empty()) << server.process.describe();
    Proxy proxy(server.uri, client_config(client_side(), GetParam()));
    expect_calls_work(proxy);
}

TEST_P(Ssl, CppProxyToPythonDaemonTwoWay) {
    REQUIRE_PKI();
    PythonServer server(server_side(true));
    ASSERT_FALSE(server.uri.empty()) << server.process.describe();
    Proxy proxy(server.uri, client_config(client_side(true), GetParam()));
    expect_calls_work(proxy);
}

// Every name server process gets the whole PYRO_SSL set: it serves with the server part and
// makes its own proxies (none here) with the client part, as a Pyro4 program would.
ChildProcess::Environment ns_env(const std::string& serializer, bool ssl = true) {
    auto env = server_env(server_side(), ssl);
    for (auto& [name, value] : client_env(client_side(), serializer, ssl)) {
        if (name.starts_with("PYRO_SSL_CLIENT") || name == "PYRO_SERIALIZER") {
            env.emplace_back(name, value);
        }
    }
    return env;
}

std::string run_to_end(std::vector<std::string> argv, const ChildProcess::Environment& env) {
    ChildProcess tool(std::move(argv), env);
    tool.close_stdin();
    std::string out = tool.read_all(Stream::Stdout, 30s);
    (void)tool.wait(10s);
    return out + tool.output(Stream::Stderr);
}

TEST_P(Ssl, PyroNsWithCppAndPythonClients) {
    REQUIRE_PKI();
    const std::string port = std::to_string(free_tcp_port());
    ChildProcess ns({PYRO_NS_PROGRAM, "-n", "127.0.0.1", "-p", port, "-x"}, ns_env(GetParam()));
    ASSERT_TRUE(ns.wait_for_line(std::regex("URI = "), 20s)) << ns.describe();

    Proxy proxy("PYRO:Pyro.NameServer@127.0.0.1:" + port, client_config(client_side(), GetParam()));
    proxy.call<void>("register", std::string("ssl.cpp.thing"),
                     std::string("PYRO:thing@127.0.0.1:1"));
    const Value names = proxy.call<Value>("list");
    EXPECT_NE(names.find("ssl.cpp.thing"), nullptr);

    const std::string out =
        run_to_end({python_interpreter(), peer_script(), "nsclient", "127.0.0.1", port},
                   client_env(client_side(), GetParam()));
    EXPECT_NE(out.find("RESULT lookup PYRO:thing@127.0.0.1:1234"), std::string::npos) << out;
    EXPECT_NE(out.find("'ssl.cpp.thing'"), std::string::npos) << out;
    EXPECT_NE(out.find("'ssl.python.thing'"), std::string::npos) << out;

    const std::string listed =
        run_to_end({PYRO_NSC_PROGRAM, "-n", "127.0.0.1", "-p", port, "list"}, ns_env(GetParam()));
    EXPECT_NE(listed.find("ssl.cpp.thing"), std::string::npos) << listed;
}

TEST_P(Ssl, PyroNscWithPythonNameServer) {
    REQUIRE_PKI();
    const std::string port = std::to_string(free_tcp_port());
    ChildProcess ns(
        {python_interpreter(), "/usr/bin/pyro4-ns", "-n", "127.0.0.1", "-p", port, "-x"},
        ns_env(GetParam()));
    ASSERT_TRUE(ns.wait_for_line(std::regex("URI = "), 20s)) << ns.describe();
    const std::string listed =
        run_to_end({PYRO_NSC_PROGRAM, "-n", "127.0.0.1", "-p", port, "list"}, ns_env(GetParam()));
    EXPECT_NE(listed.find("Pyro.NameServer --> PYRO:Pyro.NameServer@127.0.0.1:" + port),
              std::string::npos)
        << listed;
    // The same tool without SSL is refused with the cause.
    const std::string refused = run_to_end(
        {PYRO_NSC_PROGRAM, "-n", "127.0.0.1", "-p", port, "list"}, ns_env(GetParam(), false));
    EXPECT_NE(refused.find("uses SSL"), std::string::npos) << refused;
}

// The per-frame paths (PYRO_MONITOR reports, PYRO_FAULTS) see the frames of a TLS connection as
// those of a plain one.
TEST(SslFrames, MonitorAndFaultsWorkOverSsl) {
    REQUIRE_PKI();
    const int monitor = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(monitor, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(monitor, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ::getsockname(monitor, reinterpret_cast<sockaddr*>(&address), &length);
    const std::string where = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    timeval wait{0, 500000}; // every report is sent before the call that made it returns
    ::setsockopt(monitor, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    // Without and with faults: each takes its own path through the daemon and the proxy.
    for (const std::string faults : {"", "seed=3,delay=1-2ms"}) {
        Config server = server_config(server_side());
        server.monitor = where;
        server.faults = faults;
        Config client = client_config(client_side());
        client.monitor = where;
        client.faults = faults;
        {
            CppServer cpp(server);
            Proxy proxy(cpp.uri, client);
            for (int i = 0; i < 3; ++i) {
                expect_calls_work(proxy);
            }
        }
        // 7 exchanges (handshake, 6 calls), each reported by both sides as sent and received.
        int datagrams = 0;
        std::array<char, 65536> datagram{};
        while (::recv(monitor, datagram.data(), datagram.size(), 0) > 0) {
            ++datagrams;
        }
        EXPECT_EQ(datagrams, 28) << "faults '" << faults << "'";
    }
    ::close(monitor);
}

// ---- what goes wrong, each with its cause ----

TEST(SslErrors, WrongCaNamesPyroSslCacerts) {
    REQUIRE_PKI();
    CppServer cpp(server_config(server_side()));
    PythonServer python(server_side());
    ASSERT_FALSE(python.uri.empty()) << python.process.describe();
    Side wrong = client_side();
    wrong.cacerts = Pki::get().file("other_ca.pem");
    for (const std::string& uri : {cpp.uri.str(), python.uri}) {
        const std::string error = cpp_call_error(uri, client_config(wrong));
        EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << error;
        EXPECT_NE(error.find("set PYRO_SSL_CACERTS"), std::string::npos) << error;
    }
    // A Python client with the wrong CA is refused by the C++ daemon too.
    const std::string out = python_call(cpp.uri.str(), client_env(wrong));
    EXPECT_NE(out.find("CERTIFICATE_VERIFY_FAILED"), std::string::npos) << out;
}

TEST(SslErrors, CertificateForAnotherHost) {
    REQUIRE_PKI();
    Side elsewhere = server_side();
    elsewhere.cert = Pki::get().file("elsewhere.pem");
    elsewhere.key = Pki::get().file("elsewhere.key");
    CppServer cpp(server_config(elsewhere));
    const std::string error = cpp_call_error(cpp.uri.str(), client_config(client_side()));
    EXPECT_NE(error.find("is not for '127.0.0.1'"), std::string::npos) << error;
}

TEST(SslErrors, MissingClientCertificateWhenRequired) {
    REQUIRE_PKI();
    CppServer cpp(server_config(server_side(true)));
    PythonServer python(server_side(true));
    ASSERT_FALSE(python.uri.empty()) << python.process.describe();
    for (const std::string& uri : {cpp.uri.str(), python.uri}) {
        const std::string error = cpp_call_error(uri, client_config(client_side(false)));
        EXPECT_NE(error.find("requires a client certificate"), std::string::npos) << error;
        EXPECT_NE(error.find("PYRO_SSL_CLIENTCERT"), std::string::npos) << error;
    }
    const std::string out = python_call(cpp.uri.str(), client_env(client_side(false)));
    EXPECT_NE(out.find("ERROR"), std::string::npos) << out;
    EXPECT_NE(out.find("CERTIFICATE_REQUIRED"), std::string::npos) << out;
}

TEST(SslErrors, ClientCertificateFromAnotherCa) {
    REQUIRE_PKI();
    CppServer cpp(server_config(server_side(true)));
    Side stranger = client_side(true);
    stranger.cert = Pki::get().file("other_client.pem");
    stranger.key = Pki::get().file("other_client.key");
    stranger.password = "";
    const std::string error = cpp_call_error(cpp.uri.str(), client_config(stranger));
    EXPECT_NE(error.find("rejected this program's certificate"), std::string::npos) << error;
}

TEST(SslErrors, PlainClientToSslServer) {
    REQUIRE_PKI();
    CppServer cpp(server_config(server_side()));
    PythonServer python(server_side());
    ASSERT_FALSE(python.uri.empty()) << python.process.describe();
    for (const std::string& uri : {cpp.uri.str(), python.uri}) {
        const std::string error =
            cpp_call_error(uri, client_config(client_side(), "serpent", false));
        EXPECT_NE(error.find("uses SSL"), std::string::npos) << uri << ": " << error;
    }
    const std::string out = python_call(cpp.uri.str(), client_env(client_side(), "serpent", false));
    EXPECT_NE(out.find("rejected: this server uses SSL"), std::string::npos) << out;
}

TEST(SslErrors, SslClientToPlainServer) {
    REQUIRE_PKI();
    CppServer cpp(server_config(server_side(), false));
    PythonServer python(server_side(), false);
    ASSERT_FALSE(python.uri.empty()) << python.process.describe();
    for (const std::string& uri : {cpp.uri.str(), python.uri}) {
        const std::string error = cpp_call_error(uri, client_config(client_side()));
        EXPECT_NE(error.find("does not speak SSL"), std::string::npos) << uri << ": " << error;
    }
    const std::string out = python_call(cpp.uri.str(), client_env(client_side()));
    EXPECT_NE(out.find("ERROR"), std::string::npos) << out;
}

TEST(SslErrors, SilentServerTimesOutInTheHandshake) {
    REQUIRE_PKI();
    // Takes the connection and never says anything.
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    Config config = client_config(client_side());
    config.comm_timeout = 0.5;
    const auto started = std::chrono::steady_clock::now();
    const std::string error =
        cpp_call_error("PYRO:x@127.0.0.1:" + std::to_string(ntohs(address.sin_port)), config);
    ::close(listener);
    EXPECT_NE(error.find("SSL handshake"), std::string::npos) << error;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(SslErrors, SilentClientIsDroppedByTheDaemon) {
    REQUIRE_PKI();
    Config config = server_config(server_side());
    DaemonOptions options;
    options.send_timeout = 300ms;
    Daemon daemon(config, options);
    const auto running = daemon.run_in_background();
    const int client = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(client, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(daemon.port()));
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    timeval wait{5, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    char byte = 0;
    const auto started = std::chrono::steady_clock::now();
    const auto n = ::recv(client, &byte, 1, 0); // 0: the daemon closed it
    ::close(client);
    EXPECT_EQ(n, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
}

TEST(SslErrors, SetupMistakesNameTheSetting) {
    REQUIRE_PKI();
    CppServer cpp(server_config(server_side()));
    Side wrong_password = client_side(true);
    wrong_password.password = "wrong";
    const std::string error = cpp_call_error(cpp.uri.str(), client_config(wrong_password));
    EXPECT_NE(error.find("PYRO_SSL_CLIENTKEYPASSWD"), std::string::npos) << error;

    Side missing_ca = client_side();
    missing_ca.cacerts = Pki::get().file("nowhere.pem");
    const std::string missing = cpp_call_error(cpp.uri.str(), client_config(missing_ca));
    EXPECT_NE(missing.find("PYRO_SSL_CACERTS="), std::string::npos) << missing;

    Side no_cert = server_side();
    no_cert.cert.clear();
    try {
        Daemon daemon(server_config(no_cert));
        ADD_FAILURE() << "a daemon without a certificate started";
    } catch (const PyroError& e) {
        EXPECT_NE(std::string(e.what()).find("PYRO_SSL_SERVERCERT is not set"), std::string::npos)
            << e.what();
    }
}

TEST(SslConfig, ReadsPyro4Names) {
    const std::map<std::string, std::string> env{{"PYRO_SSL", "true"},
                                                 {"PYRO_SSL_SERVERCERT", "s.pem"},
                                                 {"PYRO_SSL_SERVERKEY", "s.key"},
                                                 {"PYRO_SSL_SERVERKEYPASSWD", "sp"},
                                                 {"PYRO_SSL_REQUIRECLIENTCERT", "yes"},
                                                 {"PYRO_SSL_CLIENTCERT", "c.pem"},
                                                 {"PYRO_SSL_CLIENTKEY", "c.key"},
                                                 {"PYRO_SSL_CLIENTKEYPASSWD", "cp"},
                                                 {"PYRO_SSL_CACERTS", "ca.pem"}};
    const Config config =
        Config::from_environment([&](std::string_view name) -> std::optional<std::string> {
            const auto found = env.find(std::string(name));
            return found == env.end() ? std::nullopt : std::optional(found->second);
        });
    EXPECT_TRUE(config.ssl);
    EXPECT_EQ(config.ssl_servercert, "s.pem");
    EXPECT_EQ(config.ssl_serverkey, "s.key");
    EXPECT_EQ(config.ssl_serverkeypasswd, "sp");
    EXPECT_TRUE(config.ssl_requireclientcert);
    EXPECT_EQ(config.ssl_clientcert, "c.pem");
    EXPECT_EQ(config.ssl_clientkey, "c.key");
    EXPECT_EQ(config.ssl_clientkeypasswd, "cp");
    EXPECT_EQ(config.ssl_cacerts, "ca.pem");
    EXPECT_FALSE(Config{}.ssl);
}

} // namespace
} // namespace pyro::test
