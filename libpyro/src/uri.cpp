#include "pyro/uri.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <utility>

#include "pyro/errors.hpp"
#include "pyro/value.hpp"
#include "split_commas.hpp"
#include "utf8.hpp"

namespace pyro {

namespace {

// Python's str.isspace(), which is also what `\s` and `\S` mean in Pyro4's URI regex.
bool is_python_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

// The whitespace int() strips: ASCII blanks (not \x1c-\x1f, unlike isspace) and non-ASCII
// Unicode whitespace.
bool is_int_space(char32_t c) {
    return c < 0x80 ? (c == ' ' || (c >= 0x09 && c <= 0x0D)) : is_python_space(c);
}

// Steps over one code point. Invalid UTF-8 counts as one non-space byte: Python would never see
// it (its URIs are str), and rejecting it here would only hide the real error.
char32_t step(std::string_view text, std::size_t& pos) {
    if (auto c = detail::next_code_point(text, pos)) {
        return *c;
    }
    return static_cast<unsigned char>(text[pos++]);
}

std::string_view strip(std::string_view text, bool (*is_space)(char32_t)) {
    std::size_t begin = 0;
    while (begin < text.size()) {
        std::size_t next = begin;
        if (!is_space(step(text, next))) {
            break;
        }
        begin = next;
    }
    text.remove_prefix(begin);
    std::size_t end = 0; // end of the last non-space code point
    for (std::size_t pos = 0; pos < text.size();) {
        if (!is_space(step(text, pos))) {
            end = pos;
        }
    }
    return text.substr(0, end);
}

// Python's int(text) for base 10 with ASCII digits: surrounding whitespace, a sign, and single
// underscores between digits are allowed. Values outside int give nullopt too: Pyro4 would keep
// them, but no socket takes them.
std::optional<int> python_int(std::string_view text) {
    text = strip(text, is_int_space);
    bool negative = false;
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    std::string digits;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c >= '0' && c <= '9') {
            digits += c;
        } else if (c != '_' || i == 0 || i + 1 == text.size() || text[i + 1] == '_') {
            return std::nullopt;
        }
    }
    if (digits.empty()) {
        return std::nullopt;
    }
    if (negative) {
        digits.insert(digits.begin(), '-');
    }
    int value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc{} || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return value;
}

[[noreturn]] void fail(const std::string& pyro4_text, std::string_view input) {
    throw PyroError(pyro4_text + ": " + Value(input).repr());
}

bool starts_with_pyro(std::string_view text) {
    if (text.size() < 4) {
        return false;
    }
    for (std::size_t i = 0; i < 4; ++i) {
        if ((text[i] | 0x20) != "pyro"[i]) {
            return false;
        }
    }
    return true;
}

bool is_ascii_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_ascii_digit(char c) {
    return c >= '0' && c <= '9';
}

struct Match {
    std::string protocol; // upper case
    std::string object;
    std::optional<std::string> location;
};

// Pyro4's uriRegEx, `(?P<protocol>[Pp][Yy][Rr][Oo][a-zA-Z]*):(?P<object>\S+?)(@(?P<location>.+))?$`
// applied with re.match, by hand: the object is the shortest run of non-space characters after
// which either `@` and a location, or the end, follows. `.` stops at '\n' and `$` also matches
// before one final '\n', which is why that newline is tolerated and dropped.
std::optional<Match> match_uri(std::string_view text) {
    std::size_t colon = 0;
    while (colon < text.size() && is_ascii_letter(text[colon])) {
        ++colon;
    }
    if (!starts_with_pyro(text) || colon == text.size() || text[colon] != ':') {
        return std::nullopt;
    }
    Match match;
    match.protocol = std::string(text.substr(0, colon));
    std::transform(match.protocol.begin(), match.protocol.end(), match.protocol.begin(),
                   [](char c) { return static_cast<char>(c & ~0x20); });
    const std::string_view rest = text.substr(colon + 1);
    const auto at_end = [&](std::size_t pos) {
        return pos == rest.size() || (pos + 1 == rest.size() && rest[pos] == '\n');
    };
    std::size_t pos = 0;
    while (pos < rest.size() && !is_python_space(step(rest, pos))) {
        if (pos < rest.size() && rest[pos] == '@') {
            const std::string_view location = rest.substr(pos + 1);
            const std::size_t newline = location.find('\n');
            if (newline == std::string_view::npos ? !location.empty()
                                                  : newline > 0 && newline + 1 == location.size()) {
                match.object = std::string(rest.substr(0, pos));
                match.location = std::string(location.substr(0, newline));
                return match;
            }
        }
        if (at_end(pos)) {
            match.object = std::string(rest.substr(0, pos));
            return match;
        }
    }
    return std::nullopt;
}

// Pyro4's URI._parseLocation. `default_port` is nullopt for PYRO, which makes a missing port the
// error "port=None" (Python's int(None)).
void parse_location(std::string& host, std::optional<int>& port, std::string& socket,
                    std::string_view location, std::optional<int> default_port,
                    std::string_view input) {
    if (location.starts_with("./u:")) {
        socket = std::string(location.substr(4));
        if (socket.empty() || socket.find(':') != std::string::npos) {
            fail("invalid uri (location)", input);
        }
        return;
    }
    std::optional<std::string_view> port_text;
    if (location.starts_with("[")) {
        if (location.starts_with("[[")) {
            fail("invalid ipv6 address: enclosed in too many brackets", input);
        }
        // re.match(r"\[([0-9a-fA-F:%]+)](:(\d+))?", location): not anchored at the end, so
        // anything after the address (or after its port digits) is ignored, as in Pyro4.
        std::size_t end = 1;
        while (end < location.size() &&
               (std::isxdigit(static_cast<unsigned char>(location[end])) != 0 ||
                location[end] == ':' || location[end] == '%')) {
            ++end;
        }
        if (end == 1 || end == location.size() || location[end] != ']') {
            fail("invalid ipv6 address: the part between brackets must be a numeric ipv6 address",
                 input);
        }
        host = std::string(location.substr(1, end - 1));
        std::size_t digits = end + 2;
        while (digits < location.size() && is_ascii_digit(location[digits])) {
            ++digits;
        }
        if (end + 1 < location.size() && location[end + 1] == ':' && digits > end + 2) {
            port_text = location.substr(end + 2, digits - end - 2);
        }
    } else {
        const std::size_t colon = location.find(':');
        host = std::string(location.substr(0, colon));
        if (colon != std::string_view::npos && colon + 1 < location.size()) {
            port_text = location.substr(colon + 1);
        }
    }
    if (!port_text) {
        if (!default_port) {
            fail("invalid port in uri, port=None", input);
        }
        port = default_port;
        return;
    }
    port = python_int(*port_text);
    if (!port) {
        fail("invalid port in uri, port=" + std::string(*port_text), input);
    }
}

// PYROMETA tags: Python builds a set; we keep the first-seen order so str() is stable.
std::vector<std::string> unique_stripped(const std::vector<std::string>& tags) {
    std::vector<std::string> result;
    for (const std::string& tag : tags) {
        std::string stripped(strip(tag, is_python_space));
        if (std::find(result.begin(), result.end(), stripped) == result.end()) {
            result.push_back(std::move(stripped));
        }
    }
    return result;
}

std::string join(const std::vector<std::string>& parts) {
    std::string result;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) {
            result += ',';
        }
        result += parts[i];
    }
    return result;
}

[[noreturn]] void bad_state(const std::string& what) {
    throw TypeError("invalid Pyro4.core.URI state: " + what);
}

std::string optional_string(const Value& value, const char* field) {
    if (value.is_none()) {
        return {};
    }
    if (!value.is_string()) {
        bad_state(std::string(field) + " must be a str or None, got " +
                  std::string(value.type_name()));
    }
    return value.as_string();
}

} // namespace

Uri Uri::parse(std::string_view text, int ns_port) {
    std::optional<Match> match = match_uri(text);
    if (!match) {
        fail("invalid uri", text);
    }
    Uri uri;
    std::optional<int> default_port = ns_port;
    if (match->protocol == "PYRO") {
        if (!match->location) {
            fail("invalid uri", text);
        }
        uri.protocol_ = Protocol::Pyro;
        default_port.reset();
        uri.object_ = std::move(match->object);
    } else if (match->protocol == "PYRONAME") {
        uri.protocol_ = Protocol::PyroName;
        uri.object_ = std::move(match->object);
    } else if (match->protocol == "PYROMETA") {
        uri.protocol_ = Protocol::PyroMeta;
        uri.tags_ = unique_stripped(detail::split_commas(match->object));
        uri.object_ = join(uri.tags_);
    } else {
        fail("invalid uri (protocol)", text);
    }
    if (match->location) {
        parse_location(uri.host_, uri.port_, uri.socket_path_, *match->location, default_port,
                       text);
    }
    return uri;
}

Uri Uri::pyro(std::string object, std::string host, int port) {
    Uri uri;
    uri.protocol_ = Protocol::Pyro;
    uri.object_ = std::move(object);
    // Accept "[::1]" as well as "::1": the brackets belong to the text form only.
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    uri.host_ = std::move(host);
    uri.port_ = port;
    return uri;
}

Uri Uri::unix_socket(std::string object, std::string socket_path) {
    Uri uri;
    uri.protocol_ = Protocol::Pyro;
    uri.object_ = std::move(object);
    uri.socket_path_ = std::move(socket_path);
    return uri;
}

Uri Uri::name(std::string name) {
    Uri uri;
    uri.protocol_ = Protocol::PyroName;
    uri.object_ = std::move(name);
    return uri;
}

Uri Uri::name(std::string name, std::string ns_host, int ns_port) {
    Uri uri = pyro(std::move(name), std::move(ns_host), ns_port);
    uri.protocol_ = Protocol::PyroName;
    return uri;
}

Uri Uri::meta(std::vector<std::string> tags) {
    Uri uri;
    uri.protocol_ = Protocol::PyroMeta;
    uri.tags_ = unique_stripped(tags);
    uri.object_ = join(uri.tags_);
    return uri;
}

std::string_view Uri::protocol_name() const {
    switch (protocol_) {
    case Protocol::Pyro:
        return "PYRO";
    case Protocol::PyroName:
        return "PYRONAME";
    case Protocol::PyroMeta:
        return "PYROMETA";
    }
    return "PYRO";
}

std::string Uri::location() const {
    // As Pyro4's URI.location: an empty host (from "PYRO:obj@:4444") means no location at all.
    if (!host_.empty()) {
        std::string result = is_ipv6() ? "[" + host_ + "]" : host_;
        if (port_) {
            result += ":" + std::to_string(*port_);
        }
        return result;
    }
    if (is_unix_socket()) {
        return "./u:" + socket_path_;
    }
    return {};
}

std::string Uri::str() const {
    std::string result = std::string(protocol_name()) + ":" + object_;
    if (std::string where = location(); !where.empty()) {
        result += "@" + where;
    }
    return result;
}

Value to_value(const Uri& uri) {
    Value object = uri.object();
    if (uri.protocol() == Uri::Protocol::PyroMeta) {
        Value::Items tags(uri.tags().begin(), uri.tags().end());
        object = Value::set(std::move(tags));
    }
    // Pyro4 has host None only without a TCP location; "PYRO:obj@:1" keeps host '' and a port.
    const bool has_host = !uri.host().empty() || uri.port().has_value();
    Value state = Value::tuple({
        Value(uri.protocol_name()),
        std::move(object),
        uri.is_unix_socket() ? Value(uri.socket_path()) : Value(),
        has_host ? Value(uri.host()) : Value(),
        uri.port() ? Value(*uri.port()) : Value(),
    });
    return Value::dict(
        {{Value("__class__"), Value("Pyro4.core.URI")}, {Value("state"), std::move(state)}});
}

Uri uri_from_value(const Value& value) {
    if (value.is_string()) {
        return Uri::parse(value.as_string());
    }
    const Value* class_name = value.find("__class__");
    const Value* state = value.find("state");
    if (class_name == nullptr || !class_name->is_string() ||
        class_name->as_string() != "Pyro4.core.URI" || state == nullptr) {
        throw TypeError("expected a URI string or a Pyro4.core.URI, got " +
                        std::string(value.type_name()));
    }
    if ((state->kind() != Value::Kind::Tuple && state->kind() != Value::Kind::List) ||
        state->items().size() != 5) {
        bad_state("expected a tuple of 5 items, got " + state->repr());
    }
    const Value::Items& items = state->items();
    if (!items[0].is_string()) {
        bad_state("protocol must be a str, got " + std::string(items[0].type_name()));
    }
    std::vector<std::string> tags;
    std::string object;
    const std::string& protocol = items[0].as_string();
    if (protocol == "PYROMETA") {
        // Python sends a set (serpent) or a list (json).
        if (!items[1].is_sequence()) {
            bad_state("PYROMETA object must be a set of tags, got " +
                      std::string(items[1].type_name()));
        }
        for (const Value& tag : items[1].items()) {
            if (!tag.is_string()) {
                bad_state("PYROMETA tags must be str, got " + std::string(tag.type_name()));
            }
            tags.push_back(tag.as_string());
        }
        tags = unique_stripped(tags);
        object = join(tags);
    } else if (protocol == "PYRO" || protocol == "PYRONAME") {
        if (!items[1].is_string()) {
            bad_state("object must be a str, got " + std::string(items[1].type_name()));
        }
        object = items[1].as_string();
    } else {
        bad_state("unknown protocol " + items[0].repr());
    }
    const std::string socket = optional_string(items[2], "sockname");
    const std::string host = optional_string(items[3], "host");
    std::optional<int> port;
    if (!items[4].is_none()) {
        if (!items[4].is_int() || items[4].as_int() < INT_MIN || items[4].as_int() > INT_MAX) {
            bad_state("port must be an int or None, got " + items[4].repr());
        }
        port = static_cast<int>(items[4].as_int());
    }

    // Every URI Pyro4 sends was parsed from text once, so the state is rebuilt through its text
    // form: one place (parse) decides what a valid URI is. States no text could produce (a tag
    // with a space, a host without a port, a socket and a host) are refused.
    std::string text = protocol + ":" + object;
    if (!socket.empty()) {
        text += "@./u:" + socket;
    } else if (!host.empty() || port) {
        text += "@" + (host.find(':') != std::string::npos ? "[" + host + "]" : host);
        text += port ? ":" + std::to_string(*port) : "";
    }
    std::optional<Uri> uri;
    try {
        uri = Uri::parse(text);
    } catch (const PyroError&) {
    }
    if (!uri || uri->object() != object || uri->tags() != tags || uri->socket_path() != socket ||
        uri->host() != host || uri->port() != port) {
        bad_state(state->repr() + " is not a valid URI");
    }
    return *uri;
}

} // namespace pyro
