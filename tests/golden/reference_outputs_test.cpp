// The reference outputs of the real Pyro4 programs (vectors/reference_outputs.json) that the wire
// core can be held to: the configuration defaults. The command outputs and storage files are the
// name server's and are checked by its tests.
#include <map>
#include <sstream>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "pyro/config.hpp"
#include "support/vectors.hpp"

namespace pyro {
namespace {

std::map<std::string, std::string> pyro4_defaults() {
    const auto doc = test::load_vector("reference_outputs.json");
    const auto& dump = doc.at("commands").at("python3 -m Pyro4.configuration").at("output");
    std::map<std::string, std::string> settings;
    const std::string text(dump.as_string());
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        const auto eq = line.find(" = ");
        if (eq != std::string::npos) {
            settings[line.substr(0, eq)] = line.substr(eq + 3);
        }
    }
    return settings;
}

std::string python_bool(bool b) {
    return b ? "True" : "False";
}
std::string python_float(double d) {
    std::ostringstream out;
    out << d;
    const std::string s = out.str();
    return s.find('.') == std::string::npos ? s + ".0" : s;
}

TEST(ReferenceOutputs, ConfigDefaultsAreThoseOfPyro4) {
    const auto pyro4 = pyro4_defaults();
    ASSERT_GT(pyro4.size(), 40u);
    const Config config; // the defaults, no environment
    EXPECT_EQ(pyro4.at("HOST"), config.host);
    EXPECT_EQ(pyro4.at("NS_HOST"), config.ns_host);
    EXPECT_EQ(pyro4.at("NS_PORT"), std::to_string(config.ns_port));
    EXPECT_EQ(pyro4.at("NS_BCPORT"), std::to_string(config.ns_bcport));
    EXPECT_EQ(pyro4.at("NS_BCHOST"), "None");
    EXPECT_FALSE(config.ns_bchost.has_value());
    EXPECT_EQ(pyro4.at("NATHOST"), "None");
    EXPECT_FALSE(config.nathost.has_value());
    EXPECT_EQ(pyro4.at("NATPORT"), std::to_string(config.natport));
    EXPECT_EQ(pyro4.at("COMMTIMEOUT"), python_float(config.comm_timeout));
    EXPECT_EQ(pyro4.at("POLLTIMEOUT"), python_float(config.poll_timeout));
    EXPECT_EQ(pyro4.at("NS_AUTOCLEAN"), python_float(config.ns_autoclean));
    EXPECT_EQ(pyro4.at("MAX_MESSAGE_SIZE"), std::to_string(config.max_message_size));
    EXPECT_EQ(pyro4.at("MAX_RETRIES"), std::to_string(config.max_retries));
    EXPECT_EQ(pyro4.at("METADATA"), python_bool(config.metadata));
    EXPECT_EQ(pyro4.at("COMPRESSION"), python_bool(config.compression));
    EXPECT_EQ(pyro4.at("ONEWAY_THREADED"), python_bool(config.oneway_threaded));
    EXPECT_EQ(pyro4.at("AUTOPROXY"), python_bool(config.autoproxy));
    EXPECT_EQ(pyro4.at("SOCK_REUSE"), python_bool(config.sock_reuse));
    EXPECT_EQ(pyro4.at("SOCK_NODELAY"), python_bool(config.sock_nodelay));
    EXPECT_EQ(pyro4.at("ITER_STREAMING"), python_bool(config.iter_streaming));
    EXPECT_EQ(pyro4.at("ITER_STREAM_LIFETIME"), python_float(config.iter_stream_lifetime));
    EXPECT_EQ(pyro4.at("ITER_STREAM_LINGER"), python_float(config.iter_stream_linger));
    EXPECT_EQ(pyro4.at("PREFER_IP_VERSION"), std::to_string(config.prefer_ip_version));
    EXPECT_EQ(pyro4.at("THREADPOOL_SIZE"), std::to_string(config.threadpool_size));
    EXPECT_EQ(pyro4.at("BROADCAST_ADDRS"),
              config.broadcast_addrs.at(0) + ", " + config.broadcast_addrs.at(1));
    EXPECT_EQ(pyro4.at("SERIALIZERS_ACCEPTED"), "{'json', 'serpent', 'marshal'}");
    EXPECT_EQ(config.serializers_accepted.size(), 3u);
    // The one deliberate difference: libpyro's proxies default to json (config.hpp says why).
    EXPECT_EQ(pyro4.at("SERIALIZER"), "serpent");
    EXPECT_EQ(config.serializer, "json");
}

} // namespace
} // namespace pyro
