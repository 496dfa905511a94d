#include "pyro/config.hpp"

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pyro/errors.hpp"

namespace pyro {
namespace {

using Environment = std::map<std::string, std::string, std::less<>>;

Config from(const Environment& environment) {
    return Config::from_environment([&](std::string_view name) -> std::optional<std::string> {
        if (auto found = environment.find(name); found != environment.end()) {
            return found->second;
        }
        return std::nullopt;
    });
}

std::string error_of(const std::string& name, const std::string& value) {
    try {
        (void)from({{name, value}});
    } catch (const PyroError& error) {
        return error.what();
    }
    return "no error";
}

using Strings = std::vector<std::string>;

// Values printed by /usr/bin/python3 -c 'import Pyro4; print(Pyro4.config.X)' with no PYRO_*.
TEST(ConfigDefaults, EqualPyro4s) {
    const Config config;
    EXPECT_EQ(config.host, "localhost");
    EXPECT_EQ(config.ns_host, "localhost");
    EXPECT_EQ(config.ns_port, 9090);
    EXPECT_EQ(config.ns_bcport, 9091);
    EXPECT_EQ(config.ns_bchost, std::nullopt);
    EXPECT_EQ(config.nathost, std::nullopt);
    EXPECT_EQ(config.natport, 0);
    EXPECT_EQ(config.serializers_accepted, (Strings{"serpent", "marshal", "json"}));
    EXPECT_EQ(config.comm_timeout, 0.0);
    EXPECT_EQ(config.poll_timeout, 2.0);
    EXPECT_EQ(config.max_message_size, 0u);
    EXPECT_EQ(config.max_retries, 0);
    EXPECT_TRUE(config.metadata);
    EXPECT_FALSE(config.compression);
    EXPECT_TRUE(config.oneway_threaded);
    EXPECT_TRUE(config.autoproxy);
    EXPECT_EQ(config.broadcast_addrs, (Strings{"<broadcast>", "0.0.0.0"}));
    EXPECT_EQ(config.prefer_ip_version, 4);
    EXPECT_EQ(config.ns_autoclean, 0.0);
    EXPECT_EQ(config.threadpool_size, 40);
    EXPECT_TRUE(config.sock_reuse);
    EXPECT_FALSE(config.sock_nodelay);
    EXPECT_TRUE(config.iter_streaming);
    EXPECT_EQ(config.iter_stream_lifetime, 0.0);
    EXPECT_EQ(config.iter_stream_linger, 30.0);
    EXPECT_EQ(config.log_level, std::nullopt);
    EXPECT_EQ(config.log_file, "pyro.log");
    EXPECT_EQ(config.hmac_key, std::nullopt);
    EXPECT_FALSE(config.trace);
    // The one deliberate difference: libpyro proxies speak json by default (Pyro4: serpent).
    EXPECT_EQ(config.serializer, "json");
}

TEST(ConfigFromEnvironment, NothingSetGivesTheDefaults) {
    EXPECT_EQ(from({}), Config());
}

TEST(ConfigFromEnvironment, EveryVariable) {
    const Config config = from({
        {"PYRO_HOST", "0.0.0.0"},
        {"PYRO_NS_HOST", "ns.example"},
        {"PYRO_NS_PORT", "9190"},
        {"PYRO_NS_BCPORT", "9191"},
        {"PYRO_NS_BCHOST", "10.0.0.255"},
        {"PYRO_NATHOST", "nat.example"},
        {"PYRO_NATPORT", "5555"},
        {"PYRO_SERIALIZER", "serpent"},
        {"PYRO_SERIALIZERS_ACCEPTED", "json"},
        {"PYRO_COMMTIMEOUT", "2.5"},
        {"PYRO_POLLTIMEOUT", "0.5"},
        {"PYRO_MAX_MESSAGE_SIZE", "1048576"},
        {"PYRO_MAX_RETRIES", "3"},
        {"PYRO_METADATA", "false"},
        {"PYRO_COMPRESSION", "true"},
        {"PYRO_ONEWAY_THREADED", "no"},
        {"PYRO_AUTOPROXY", "off"},
        {"PYRO_BROADCAST_ADDRS", "192.168.1.255"},
        {"PYRO_PREFER_IP_VERSION", "6"},
        {"PYRO_NS_AUTOCLEAN", "10"},
        {"PYRO_THREADPOOL_SIZE", "8"},
        {"PYRO_SOCK_REUSE", "0"},
        {"PYRO_SOCK_NODELAY", "1"},
        {"PYRO_ITER_STREAMING", "off"},
        {"PYRO_ITER_STREAM_LIFETIME", "60"},
        {"PYRO_ITER_STREAM_LINGER", "0.5"},
        {"PYRO_LOGLEVEL", "DEBUG"},
        {"PYRO_LOGFILE", "{stderr}"},
        {"PYRO_HMAC_KEY", "labkit-secret"},
        {"PYRO_TRACE", "yes"},
    });
    EXPECT_EQ(config.host, "0.0.0.0");
    EXPECT_EQ(config.ns_host, "ns.example");
    EXPECT_EQ(config.ns_port, 9190);
    EXPECT_EQ(config.ns_bcport, 9191);
    EXPECT_EQ(config.ns_bchost, "10.0.0.255");
    EXPECT_EQ(config.nathost, "nat.example");
    EXPECT_EQ(config.natport, 5555);
    EXPECT_EQ(config.serializer, "serpent");
    EXPECT_EQ(config.serializers_accepted, (Strings{"json"}));
    EXPECT_EQ(config.comm_timeout, 2.5);
    EXPECT_EQ(config.poll_timeout, 0.5);
    EXPECT_EQ(config.max_message_size, 1048576u);
    EXPECT_EQ(config.max_retries, 3);
    EXPECT_FALSE(config.metadata);
    EXPECT_TRUE(config.compression);
    EXPECT_FALSE(config.oneway_threaded);
    EXPECT_FALSE(config.autoproxy);
    EXPECT_EQ(config.broadcast_addrs, (Strings{"192.168.1.255"}));
    EXPECT_EQ(config.prefer_ip_version, 6);
    EXPECT_EQ(config.ns_autoclean, 10.0);
    EXPECT_EQ(config.threadpool_size, 8);
    EXPECT_FALSE(config.sock_reuse);
    EXPECT_TRUE(config.sock_nodelay);
    EXPECT_FALSE(config.iter_streaming);
    EXPECT_EQ(config.iter_stream_lifetime, 60.0);
    EXPECT_EQ(config.iter_stream_linger, 0.5);
    EXPECT_EQ(config.log_level, "DEBUG");
    EXPECT_EQ(config.log_file, "{stderr}");
    EXPECT_EQ(config.hmac_key, "labkit-secret");
    EXPECT_TRUE(config.trace);
}

// Pyro4 4.82 sets NS_HOST from HOST's default before reading the environment:
// `PYRO_HOST=1.2.3.4 python3 -c 'import Pyro4; print(Pyro4.config.NS_HOST)'` prints localhost.
TEST(ConfigFromEnvironment, NsHostDoesNotFollowPyroHost) {
    const Config config = from({{"PYRO_HOST", "1.2.3.4"}});
    EXPECT_EQ(config.host, "1.2.3.4");
    EXPECT_EQ(config.ns_host, "localhost");
}

TEST(ConfigFromEnvironment, BooleanWordsInAnyCase) {
    for (const char* word : {"1", "yes", "on", "true", "TRUE", "Yes", "oN"}) {
        EXPECT_TRUE(from({{"PYRO_COMPRESSION", word}}).compression) << word;
    }
    for (const char* word : {"0", "no", "off", "false", "FALSE", "No", "OFF"}) {
        EXPECT_FALSE(from({{"PYRO_METADATA", word}}).metadata) << word;
    }
}

TEST(ConfigFromEnvironment, NumbersAsPythonParsesThem) {
    // int() and float() allow surrounding blanks, a '+' sign and underscores between digits.
    EXPECT_EQ(from({{"PYRO_NS_PORT", " +9_091 "}}).ns_port, 9091);
    EXPECT_EQ(from({{"PYRO_NS_PORT", "0"}}).ns_port, 0);
    EXPECT_EQ(from({{"PYRO_NS_PORT", "65535"}}).ns_port, 65535);
    EXPECT_EQ(from({{"PYRO_NS_PORT", "009090"}}).ns_port, 9090);
    EXPECT_EQ(from({{"PYRO_COMMTIMEOUT", " 1_0.5 "}}).comm_timeout, 10.5);
    EXPECT_EQ(from({{"PYRO_COMMTIMEOUT", "3"}}).comm_timeout, 3.0);
    EXPECT_EQ(from({{"PYRO_COMMTIMEOUT", ".5"}}).comm_timeout, 0.5);
    EXPECT_EQ(from({{"PYRO_COMMTIMEOUT", "1e1"}}).comm_timeout, 10.0);
    EXPECT_EQ(from({{"PYRO_POLLTIMEOUT", "+2."}}).poll_timeout, 2.0);
    EXPECT_EQ(from({{"PYRO_PREFER_IP_VERSION", "0"}}).prefer_ip_version, 0);
}

TEST(ConfigFromEnvironment, TextIsTakenAsIs) {
    // Pyro4 keeps an empty value for items whose default is None.
    EXPECT_EQ(from({{"PYRO_NATHOST", ""}}).nathost, "");
    EXPECT_EQ(from({{"PYRO_HMAC_KEY", " with spaces "}}).hmac_key, " with spaces ");
    // ... but an empty PYRO_LOGLEVEL leaves logging off, as in Pyro4's __init__.
    EXPECT_EQ(from({{"PYRO_LOGLEVEL", ""}}).log_level, std::nullopt);
}

TEST(ConfigFromEnvironment, Lists) {
    EXPECT_EQ(from({{"PYRO_SERIALIZERS_ACCEPTED", "json,serpent,json"}}).serializers_accepted,
              (Strings{"json", "serpent"}));
    EXPECT_EQ(from({{"PYRO_SERIALIZERS_ACCEPTED", "serpent, json"}}).serializers_accepted,
              (Strings{"serpent", "json"}));
    EXPECT_EQ(from({{"PYRO_SERIALIZERS_ACCEPTED", ""}}).serializers_accepted, Strings{});
    // Pyro4's parseAddressesString: items stripped, '' is the empty address.
    EXPECT_EQ(from({{"PYRO_BROADCAST_ADDRS", "'', 1.2.3.4 ,x"}}).broadcast_addrs,
              (Strings{"", "1.2.3.4", "x"}));
    EXPECT_EQ(from({{"PYRO_BROADCAST_ADDRS", "<broadcast>"}}).broadcast_addrs,
              (Strings{"<broadcast>"}));
}

TEST(ConfigFromEnvironment, BadValuesNameVariableTextAndExpectation) {
    const std::vector<std::pair<std::pair<std::string, std::string>, std::string>> cases{
        {{"PYRO_NS_PORT", "abc"}, "PYRO_NS_PORT='abc' is not a valid integer"},
        {{"PYRO_NS_PORT", ""}, "PYRO_NS_PORT='' is not a valid integer"},
        {{"PYRO_NS_PORT", "90.5"}, "PYRO_NS_PORT='90.5' is not a valid integer"},
        {{"PYRO_NS_PORT", "0x10"}, "PYRO_NS_PORT='0x10' is not a valid integer"},
        {{"PYRO_NS_PORT", "1__0"}, "PYRO_NS_PORT='1__0' is not a valid integer"},
        {{"PYRO_NS_PORT", "_1"}, "PYRO_NS_PORT='_1' is not a valid integer"},
        {{"PYRO_NS_PORT", "1 2"}, "PYRO_NS_PORT='1 2' is not a valid integer"},
        {{"PYRO_NS_PORT", "+-1"}, "PYRO_NS_PORT='+-1' is not a valid integer"},
        {{"PYRO_NS_PORT", "70000"}, "PYRO_NS_PORT='70000' is not a port number (0-65535)"},
        {{"PYRO_NS_PORT", "-1"}, "PYRO_NS_PORT='-1' is not a port number (0-65535)"},
        {{"PYRO_NS_PORT", "99999999999999999999"},
         "PYRO_NS_PORT='99999999999999999999' is not a port number (0-65535)"},
        {{"PYRO_NS_BCPORT", "65536"}, "PYRO_NS_BCPORT='65536' is not a port number (0-65535)"},
        {{"PYRO_NATPORT", "x"}, "PYRO_NATPORT='x' is not a valid integer"},
        {{"PYRO_METADATA", "maybe"},
         "PYRO_METADATA='maybe' is not a valid boolean (use 0/off/no/false or 1/yes/on/true)"},
        {{"PYRO_TRACE", " true"},
         "PYRO_TRACE=' true' is not a valid boolean (use 0/off/no/false or 1/yes/on/true)"},
        {{"PYRO_COMPRESSION", ""},
         "PYRO_COMPRESSION='' is not a valid boolean (use 0/off/no/false or 1/yes/on/true)"},
        {{"PYRO_COMMTIMEOUT", "soon"}, "PYRO_COMMTIMEOUT='soon' is not a valid number"},
        {{"PYRO_COMMTIMEOUT", "1e"}, "PYRO_COMMTIMEOUT='1e' is not a valid number"},
        {{"PYRO_COMMTIMEOUT", "0x1p3"}, "PYRO_COMMTIMEOUT='0x1p3' is not a valid number"},
        {{"PYRO_COMMTIMEOUT", "1_e3"}, "PYRO_COMMTIMEOUT='1_e3' is not a valid number"},
        {{"PYRO_COMMTIMEOUT", "-1"}, "PYRO_COMMTIMEOUT='-1' is not a finite number >= 0"},
        {{"PYRO_COMMTIMEOUT", "nan"}, "PYRO_COMMTIMEOUT='nan' is not a finite number >= 0"},
        {{"PYRO_POLLTIMEOUT", "inf"}, "PYRO_POLLTIMEOUT='inf' is not a finite number >= 0"},
        {{"PYRO_NS_AUTOCLEAN", "x"}, "PYRO_NS_AUTOCLEAN='x' is not a valid number"},
        {{"PYRO_MAX_MESSAGE_SIZE", "-5"}, "PYRO_MAX_MESSAGE_SIZE='-5' is not an integer >= 0"},
        {{"PYRO_MAX_RETRIES", "-1"}, "PYRO_MAX_RETRIES='-1' is not an integer >= 0"},
        {{"PYRO_THREADPOOL_SIZE", "0"}, "PYRO_THREADPOOL_SIZE='0' is not an integer >= 1"},
        {{"PYRO_PREFER_IP_VERSION", "5"}, "PYRO_PREFER_IP_VERSION='5' is not 4, 6 or 0"},
        {{"PYRO_PREFER_IP_VERSION", "ipv6"},
         "PYRO_PREFER_IP_VERSION='ipv6' is not a valid integer"},
        {{"PYRO_NS_PORT", "a\nb"}, "PYRO_NS_PORT='a\\nb' is not a valid integer"},
    };
    for (const auto& [variable, message] : cases) {
        EXPECT_EQ(error_of(variable.first, variable.second), message);
    }
}

TEST(ConfigFromEnvironment, ReadsTheProcessEnvironment) {
    ASSERT_EQ(::setenv("PYRO_NS_PORT", "4242", 1), 0);
    ASSERT_EQ(::setenv("PYRO_SOCK_NODELAY", "on", 1), 0);
    const Config config = Config::from_environment();
    ::unsetenv("PYRO_NS_PORT");
    ::unsetenv("PYRO_SOCK_NODELAY");
    EXPECT_EQ(config.ns_port, 4242);
    EXPECT_TRUE(config.sock_nodelay);
}

} // namespace
} // namespace pyro
