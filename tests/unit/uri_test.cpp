#include "pyro/uri.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pyro/errors.hpp"
#include "pyro/value.hpp"

namespace pyro {
namespace {

// The message parse() throws for `text`, or "" when it parses.
std::string parse_error(std::string_view text) {
    try {
        (void)Uri::parse(text);
    } catch (const PyroError& error) {
        EXPECT_EQ(error.python_class(), "Pyro4.errors.PyroError");
        return error.what();
    }
    return {};
}

Value uri_dict(Value state) {
    return Value::dict({{Value("__class__"), Value("Pyro4.core.URI")}, {Value("state"), state}});
}

TEST(UriParse, PyroTcp) {
    const Uri uri = Uri::parse("PYRO:obj@localhost:9999");
    EXPECT_EQ(uri.protocol(), Uri::Protocol::Pyro);
    EXPECT_EQ(uri.protocol_name(), "PYRO");
    EXPECT_EQ(uri.object(), "obj");
    EXPECT_EQ(uri.host(), "localhost");
    EXPECT_EQ(uri.port(), 9999);
    EXPECT_EQ(uri.socket_path(), "");
    EXPECT_TRUE(uri.tags().empty());
    EXPECT_FALSE(uri.is_unix_socket());
    EXPECT_FALSE(uri.is_ipv6());
    EXPECT_TRUE(uri.has_location());
    EXPECT_EQ(uri.location(), "localhost:9999");
    EXPECT_EQ(uri.str(), "PYRO:obj@localhost:9999");
}

TEST(UriParse, ProtocolIsCaseInsensitiveAndCanonicalisedToUpperCase) {
    EXPECT_EQ(Uri::parse("pyro:obj@Host.Example:1").str(), "PYRO:obj@Host.Example:1");
    EXPECT_EQ(Uri::parse("pyRoNaMe:n").protocol(), Uri::Protocol::PyroName);
    EXPECT_EQ(Uri::parse("pyrometa:a").protocol(), Uri::Protocol::PyroMeta);
}

TEST(UriParse, UnixSocket) {
    const Uri uri = Uri::parse("PYRO:obj@./u:/path/to/pyro.sock");
    EXPECT_TRUE(uri.is_unix_socket());
    EXPECT_TRUE(uri.has_location());
    EXPECT_EQ(uri.socket_path(), "/path/to/pyro.sock");
    EXPECT_EQ(uri.host(), "");
    EXPECT_EQ(uri.port(), std::nullopt);
    EXPECT_EQ(uri.location(), "./u:/path/to/pyro.sock");
    EXPECT_EQ(uri.str(), "PYRO:obj@./u:/path/to/pyro.sock");
}

TEST(UriParse, Ipv6) {
    const Uri uri = Uri::parse("PYRO:obj@[::1]:4444");
    EXPECT_EQ(uri.host(), "::1");
    EXPECT_TRUE(uri.is_ipv6());
    EXPECT_EQ(uri.location(), "[::1]:4444");
    EXPECT_EQ(uri.str(), "PYRO:obj@[::1]:4444");
    // A zone id is allowed when written with '%' and hex digits only (Pyro4's character class).
    EXPECT_EQ(Uri::parse("PYRO:obj@[fe80::1%25]:1").host(), "fe80::1%25");
    // Pyro4's ipv6 pattern is not anchored at the end: text after the port digits is ignored.
    EXPECT_EQ(Uri::parse("PYRO:obj@[::1]:12x").port(), 12);
}

TEST(UriParse, PyroName) {
    const Uri bare = Uri::parse("PYRONAME:my.name");
    EXPECT_EQ(bare.protocol(), Uri::Protocol::PyroName);
    EXPECT_EQ(bare.object(), "my.name");
    EXPECT_FALSE(bare.has_location());
    EXPECT_EQ(bare.port(), std::nullopt);
    EXPECT_EQ(bare.location(), "");
    EXPECT_EQ(bare.str(), "PYRONAME:my.name");

    const Uri with_host = Uri::parse("PYRONAME:my.name@nshost");
    EXPECT_EQ(with_host.host(), "nshost");
    EXPECT_EQ(with_host.port(), Uri::default_ns_port);
    EXPECT_EQ(with_host.str(), "PYRONAME:my.name@nshost:9090");

    EXPECT_EQ(Uri::parse("PYRONAME:my.name@nshost", 5555).port(), 5555);
    EXPECT_EQ(Uri::parse("PYRONAME:my.name@nshost:1234").port(), 1234);
    EXPECT_EQ(Uri::parse("PYRONAME:n@[::1]").str(), "PYRONAME:n@[::1]:9090");
    EXPECT_EQ(Uri::parse("PYRONAME:n@[::1]:").port(), 9090);
    EXPECT_EQ(Uri::parse("PYRONAME:n@host:").port(), 9090);
    EXPECT_EQ(Uri::parse("PYRONAME:n@./u:sock").socket_path(), "sock");
}

TEST(UriParse, PyroMetaTagsAreASetInFirstSeenOrder) {
    const Uri uri = Uri::parse("PYROMETA:tag1,tag2@nshost");
    EXPECT_EQ(uri.protocol(), Uri::Protocol::PyroMeta);
    EXPECT_EQ(uri.tags(), (std::vector<std::string>{"tag1", "tag2"}));
    EXPECT_EQ(uri.object(), "tag1,tag2");
    EXPECT_EQ(uri.port(), 9090);
    EXPECT_EQ(uri.str(), "PYROMETA:tag1,tag2@nshost:9090");

    const Uri duplicates = Uri::parse("PYROMETA:b,a,b");
    EXPECT_EQ(duplicates.tags(), (std::vector<std::string>{"b", "a"}));
    EXPECT_EQ(duplicates.str(), "PYROMETA:b,a");
    // An empty tag is a tag, as in Pyro4's set('a,,b'.split(',')).
    EXPECT_EQ(Uri::parse("PYROMETA:a,,b").tags(), (std::vector<std::string>{"a", "", "b"}));
}

TEST(UriParse, PyroQuirksKept) {
    // The first '@' ends the object; the rest is the location.
    const Uri at = Uri::parse("PYRO:a@b@c:1");
    EXPECT_EQ(at.object(), "a");
    EXPECT_EQ(at.host(), "b@c");
    EXPECT_EQ(Uri::parse("PYRO:o@@h:1").host(), "@h");
    // Without anything after '@', the '@' belongs to the object.
    EXPECT_EQ(Uri::parse("PYRONAME:n@").object(), "n@");
    // Ports are Python ints: not range-checked, sign, blanks and underscores allowed.
    EXPECT_EQ(Uri::parse("PYRO:obj@host:70000").port(), 70000);
    EXPECT_EQ(Uri::parse("PYRO:obj@host:-1").port(), -1);
    EXPECT_EQ(Uri::parse("PYRO:obj@host:+12").port(), 12);
    EXPECT_EQ(Uri::parse("PYRO:obj@host: 12").port(), 12);
    EXPECT_EQ(Uri::parse("PYRO:obj@host:1_0").port(), 10);
    EXPECT_EQ(Uri::parse("PYRO:obj@host:1 ").str(), "PYRO:obj@host:1");
    // One final newline is tolerated ($ in Python's regex).
    EXPECT_EQ(Uri::parse("PYRO:obj@host:1\n").str(), "PYRO:obj@host:1");
    EXPECT_EQ(Uri::parse("PYRONAME:x\n").object(), "x");
    // The location may hold blanks and non-ASCII text; the object any non-space character.
    EXPECT_EQ(Uri::parse("PYRO:obj@ho st:1").host(), "ho st");
    EXPECT_EQ(Uri::parse("PYRO:\xc3\xa9t\xc3\xa9@h:1").object(), "\xc3\xa9t\xc3\xa9");
    EXPECT_EQ(Uri::parse("PYRO:o'bj@h:1").object(), "o'bj");
}

TEST(UriParse, EmptyHostMeansNoLocationLikePyro4) {
    const Uri uri = Uri::parse("PYRO:obj@:1234");
    EXPECT_EQ(uri.host(), "");
    EXPECT_EQ(uri.port(), 1234);
    EXPECT_FALSE(uri.has_location());
    EXPECT_EQ(uri.str(), "PYRO:obj");
    // Pyro4's state keeps host '' (not None) next to the port.
    const Value state = to_value(uri).at("state");
    EXPECT_EQ(state.items()[3], Value(""));
    EXPECT_EQ(uri_from_value(to_value(uri)), uri);
}

TEST(UriParse, BadUrisGivePyro4sTextAndTheInput) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"PYRO:obj@host", "invalid port in uri, port=None: 'PYRO:obj@host'"},
        {"PYRO:obj@host:", "invalid port in uri, port=None: 'PYRO:obj@host:'"},
        {"PYRO:obj", "invalid uri: 'PYRO:obj'"},
        {"PYRO:obj@", "invalid uri: 'PYRO:obj@'"},
        {"PYRO:@host:1", "invalid uri: 'PYRO:@host:1'"},
        {"PYRO:obj name@host:1", "invalid uri: 'PYRO:obj name@host:1'"},
        {"PYRO:o\x1c"
         "b@h:1",
         "invalid uri: 'PYRO:o\\x1cb@h:1'"},
        {"PYRO:obj@host:port", "invalid port in uri, port=port: 'PYRO:obj@host:port'"},
        {"PYRO:obj@host:1__0", "invalid port in uri, port=1__0: 'PYRO:obj@host:1__0'"},
        {"PYRO:obj@host:0x10", "invalid port in uri, port=0x10: 'PYRO:obj@host:0x10'"},
        {"PYRO:obj@host:12abc", "invalid port in uri, port=12abc: 'PYRO:obj@host:12abc'"},
        {"PYRO:o@h:1:2", "invalid port in uri, port=1:2: 'PYRO:o@h:1:2'"},
        {"PYRO:a@b:1@c:2", "invalid port in uri, port=1@c:2: 'PYRO:a@b:1@c:2'"},
        {"PYRO:obj@::1:4444", "invalid port in uri, port=:1:4444: 'PYRO:obj@::1:4444'"},
        {"PYRO:obj@./u:", "invalid uri (location): 'PYRO:obj@./u:'"},
        {"PYRO:obj@./u:a:b", "invalid uri (location): 'PYRO:obj@./u:a:b'"},
        {"PYRO:obj@[::1]", "invalid port in uri, port=None: 'PYRO:obj@[::1]'"},
        {"PYRO:obj@[::1]x", "invalid port in uri, port=None: 'PYRO:obj@[::1]x'"},
        {"PYRO:obj@[[::1]]:4444",
         "invalid ipv6 address: enclosed in too many brackets: 'PYRO:obj@[[::1]]:4444'"},
        {"PYRO:obj@[fe80::1%eth0]:4444",
         "invalid ipv6 address: the part between brackets must be a numeric ipv6 address: "
         "'PYRO:obj@[fe80::1%eth0]:4444'"},
        {"PYRO:obj@[]:1", "invalid ipv6 address: the part between brackets must be a numeric "
                          "ipv6 address: 'PYRO:obj@[]:1'"},
        {"PYRO:obj@[::1", "invalid ipv6 address: the part between brackets must be a numeric "
                          "ipv6 address: 'PYRO:obj@[::1'"},
        {"PYROX:obj@host:1", "invalid uri (protocol): 'PYROX:obj@host:1'"},
        {"PYR:o@h:1", "invalid uri: 'PYR:o@h:1'"},
        {" PYRO:o@h:1", "invalid uri: ' PYRO:o@h:1'"},
        {"PYRO :o@h:1", "invalid uri: 'PYRO :o@h:1'"},
        {"PYRO:", "invalid uri: 'PYRO:'"},
        {"", "invalid uri: ''"},
        {"http://host", "invalid uri: 'http://host'"},
        {"PYROMETA:a, b", "invalid uri: 'PYROMETA:a, b'"},
        {"PYRO:obj@host:1\n\n", "invalid uri: 'PYRO:obj@host:1\\n\\n'"},
        {"PYRO:obj@h\n:1", "invalid uri: 'PYRO:obj@h\\n:1'"},
        // Pyro4 would keep a port beyond int; no socket could use it.
        {"PYRO:obj@host:99999999999",
         "invalid port in uri, port=99999999999: 'PYRO:obj@host:99999999999'"},
    };
    for (const auto& [text, message] : cases) {
        EXPECT_EQ(parse_error(text), message) << "input: " << Value(text).repr();
    }
    // A non-ASCII space (U+00A0) ends the object as Python's \S does; the input is quoted by
    // Value::repr, whatever it makes of non-ASCII text.
    const std::string nbsp = "PYRO:o\xc2\xa0x@h:1";
    EXPECT_EQ(parse_error(nbsp), "invalid uri: " + Value(nbsp).repr());
}

TEST(UriParse, RoundTripsThroughItsString) {
    for (const char* text :
         {"PYRO:obj@localhost:9999", "PYRO:obj@127.0.0.1:0", "PYRO:a@b@c:1", "PYRO:obj@[::1]:4444",
          "PYRO:obj@[fe80::1%25]:1", "PYRO:obj@./u:relative.sock", "PYRONAME:my.name",
          "PYRONAME:my.name@nshost:1234", "PYRONAME:n@./u:sock", "PYROMETA:a,b",
          "PYROMETA:tag1,tag2@nshost:9090", "PYROMETA:a@./u:sock"}) {
        const Uri uri = Uri::parse(text);
        EXPECT_EQ(uri.str(), text);
        EXPECT_EQ(Uri::parse(uri.str()), uri) << text;
    }
}

TEST(UriFactories, BuildWhatParseBuilds) {
    EXPECT_EQ(Uri::pyro("obj", "127.0.0.1", 4444), Uri::parse("PYRO:obj@127.0.0.1:4444"));
    EXPECT_EQ(Uri::pyro("obj", "::1", 4444), Uri::parse("PYRO:obj@[::1]:4444"));
    EXPECT_EQ(Uri::pyro("obj", "[::1]", 4444), Uri::parse("PYRO:obj@[::1]:4444"));
    EXPECT_EQ(Uri::unix_socket("obj", "lab.sock"), Uri::parse("PYRO:obj@./u:lab.sock"));
    EXPECT_EQ(Uri::name("example.name"), Uri::parse("PYRONAME:example.name"));
    EXPECT_EQ(Uri::name("n", "127.0.0.1"), Uri::parse("PYRONAME:n@127.0.0.1"));
    EXPECT_EQ(Uri::name("n", "nshost", 1234), Uri::parse("PYRONAME:n@nshost:1234"));
    const Uri meta = Uri::meta({" tag1", "tag2 ", "tag1"});
    EXPECT_EQ(meta, Uri::parse("PYROMETA:tag1,tag2"));
    EXPECT_EQ(meta.object(), "tag1,tag2");
    EXPECT_EQ(meta.str(), "PYROMETA:tag1,tag2");
}

TEST(UriEquality, ComparesEveryField) {
    EXPECT_EQ(Uri::parse("pyro:obj@h:1"), Uri::parse("PYRO:obj@h:1"));
    EXPECT_NE(Uri::parse("PYRO:obj@h:1"), Uri::parse("PYRO:obj@h:2"));
    EXPECT_NE(Uri::parse("PYRO:obj@h:1"), Uri::parse("PYRO:obj@H:1"));
    EXPECT_NE(Uri::parse("PYRO:obj@h:1"), Uri::parse("PYRO:Obj@h:1"));
    EXPECT_NE(Uri::parse("PYRONAME:obj@h:1"), Uri::parse("PYRO:obj@h:1"));
    EXPECT_NE(Uri::parse("PYRONAME:obj"), Uri::parse("PYRONAME:obj@h"));
    EXPECT_EQ(Uri(), Uri());
}

TEST(UriValue, ClassDictsAsPyro4WritesThem) {
    const Value tcp = to_value(Uri::parse("PYRO:obj@127.0.0.1:4444"));
    EXPECT_EQ(tcp, uri_dict(Value::tuple({"PYRO", "obj", Value(), "127.0.0.1", 4444})));
    // Key order is part of the wire form.
    ASSERT_EQ(tcp.entries().size(), 2u);
    EXPECT_EQ(tcp.entries()[0].first, Value("__class__"));
    EXPECT_EQ(tcp.entries()[1].first, Value("state"));
    EXPECT_EQ(tcp.at("state").kind(), Value::Kind::Tuple);
    EXPECT_EQ(tcp.repr(),
              "{'__class__': 'Pyro4.core.URI', 'state': ('PYRO', 'obj', None, '127.0.0.1', 4444)}");

    EXPECT_EQ(to_value(Uri::parse("PYRO:obj@./u:lab.sock")),
              uri_dict(Value::tuple({"PYRO", "obj", "lab.sock", Value(), Value()})));
    EXPECT_EQ(to_value(Uri::parse("PYRO:obj@[::1]:4444")),
              uri_dict(Value::tuple({"PYRO", "obj", Value(), "::1", 4444})));
    EXPECT_EQ(to_value(Uri::parse("PYRONAME:example.name")),
              uri_dict(Value::tuple({"PYRONAME", "example.name", Value(), Value(), Value()})));
    EXPECT_EQ(to_value(Uri::parse("PYRONAME:some.name@127.0.0.1")),
              uri_dict(Value::tuple({"PYRONAME", "some.name", Value(), "127.0.0.1", 9090})));
    const Value meta = to_value(Uri::parse("PYROMETA:tag1@127.0.0.1:9090"));
    EXPECT_EQ(meta, uri_dict(Value::tuple(
                        {"PYROMETA", Value::set({"tag1"}), Value(), "127.0.0.1", 9090})));
    EXPECT_EQ(meta.at("state").items()[1].kind(), Value::Kind::Set);
}

TEST(UriValue, FromStringTupleOrListState) {
    EXPECT_EQ(uri_from_value(Value("PYRO:obj@localhost:1")), Uri::pyro("obj", "localhost", 1));
    EXPECT_EQ(uri_from_value(uri_dict(Value::list({"PYRO", "obj", Value(), "localhost", 1}))),
              Uri::pyro("obj", "localhost", 1));
    // json sends PYROMETA's set as a list.
    EXPECT_EQ(uri_from_value(uri_dict(
                  Value::list({"PYROMETA", Value::list({"a", "b"}), Value(), Value(), Value()}))),
              Uri::meta({"a", "b"}));
    EXPECT_EQ(uri_from_value(uri_dict(Value::tuple({"PYRONAME", "n", Value(), "h", 9090}))),
              Uri::name("n", "h"));
    EXPECT_EQ(uri_from_value(uri_dict(Value::tuple({"PYRONAME", "n", "sock", Value(), Value()}))),
              Uri::parse("PYRONAME:n@./u:sock"));
}

TEST(UriValue, RoundTripsEveryForm) {
    for (const char* text :
         {"PYRO:obj@localhost:9999", "PYRO:obj@[::1]:4444", "PYRO:obj@./u:lab.sock", "PYRO:a@b@c:1",
          "PYRONAME:my.name", "PYRONAME:my.name@nshost:1234", "PYROMETA:a,b",
          "PYROMETA:b,a@nshost:1", "PYROMETA:a@./u:sock", "PYRONAME:n@./u:sock"}) {
        const Uri uri = Uri::parse(text);
        EXPECT_EQ(uri_from_value(to_value(uri)), uri) << text;
    }
}

TEST(UriValue, WrongValuesAreTypeErrors) {
    const auto message = [](const Value& value) -> std::string {
        try {
            (void)uri_from_value(value);
        } catch (const TypeError& error) {
            return error.what();
        }
        return "no TypeError";
    };
    EXPECT_EQ(message(Value(42)), "expected a URI string or a Pyro4.core.URI, got int");
    EXPECT_EQ(message(Value()), "expected a URI string or a Pyro4.core.URI, got NoneType");
    EXPECT_EQ(message(Value::list({"PYRO"})),
              "expected a URI string or a Pyro4.core.URI, got list");
    EXPECT_EQ(message(Value::dict({{Value("a"), Value(1)}})),
              "expected a URI string or a Pyro4.core.URI, got dict");
    EXPECT_EQ(message(Value::dict({{Value("__class__"), Value("Pyro4.core.Proxy")},
                                   {Value("state"), Value::tuple()}})),
              "expected a URI string or a Pyro4.core.URI, got dict");
    EXPECT_EQ(message(uri_dict(Value::tuple({"PYRO", "obj", Value(), "h"}))),
              "invalid Pyro4.core.URI state: expected a tuple of 5 items, got ('PYRO', 'obj', "
              "None, 'h')");
    EXPECT_EQ(message(uri_dict(Value::tuple({"HTTP", "obj", Value(), "h", 1}))),
              "invalid Pyro4.core.URI state: unknown protocol 'HTTP'");
    EXPECT_EQ(message(uri_dict(Value::tuple({"PYRO", 5, Value(), "h", 1}))),
              "invalid Pyro4.core.URI state: object must be a str, got int");
    EXPECT_EQ(message(uri_dict(Value::tuple({"PYRO", "obj", Value(), "h", "1"}))),
              "invalid Pyro4.core.URI state: port must be an int or None, got '1'");
    EXPECT_EQ(message(uri_dict(Value::tuple({"PYROMETA", "a", Value(), Value(), Value()}))),
              "invalid Pyro4.core.URI state: PYROMETA object must be a set of tags, got str");
    // States no URI text could produce.
    EXPECT_EQ(message(uri_dict(Value::tuple({"PYRO", "obj", Value(), "h", Value()}))),
              "invalid Pyro4.core.URI state: ('PYRO', 'obj', None, 'h', None) is not a valid URI");
    EXPECT_EQ(message(uri_dict(Value::tuple({"PYRO", "my obj", Value(), "h", 1}))),
              "invalid Pyro4.core.URI state: ('PYRO', 'my obj', None, 'h', 1) is not a valid URI");
    EXPECT_EQ(message(uri_dict(Value::tuple({"PYRO", "obj", "s", "h", 1}))),
              "invalid Pyro4.core.URI state: ('PYRO', 'obj', 's', 'h', 1) is not a valid URI");
    // A bad URI string is a PyroError, as from parse().
    EXPECT_THROW((void)uri_from_value(Value("PYRO:obj")), PyroError);
}

} // namespace
} // namespace pyro
