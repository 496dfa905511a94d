#include "gateway/http_gateway.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <exception>
#include <functional>
#include <mutex>
#include <random>
#include <regex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "pyro/errors.hpp"
#include "pyro/name_server.hpp"
#include "pyro/proxy.hpp"
#include "pyro/remote_exception.hpp"
#include "pyro/serializer.hpp"
#include "pyro/version.hpp"

namespace pyro::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using Request = http::request<http::string_body>;

constexpr std::string_view json_type = "application/json; charset=utf-8";
constexpr std::string_view text_type = "text/plain";

// A response as the gateway decides it; the connection adds Date, Server and Content-Length.
struct Reply {
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers; // in pyro4-httpgateway's order
    std::string body;
};

Reply text_reply(unsigned status, std::string body) {
    return Reply{status, {{"Content-Type", std::string(text_type)}}, std::move(body)};
}

// What Python's wsgiref answers when the gateway application itself fails (an exception outside
// its try block): pyro4-httpgateway gives this for a multipart POST, a form POST without
// Content-Length and a repeated $key, so we do too.
Reply application_failure() {
    return text_reply(500, "A server error occurred.  Please contact the administrator.");
}

// ---- Bytes as Python's http.server and cgi module read them ----

// http.server decodes the request line and headers as latin-1, and cgi.parse decodes the query
// string's %-escapes as latin-1 too (the socket file has no encoding), so every byte becomes the
// code point of the same value. A UTF-8 "é" sent as %C3%A9 thus arrives as "Ã©" in Pyro4's
// gateway; we keep that, so both gateways hand the Pyro object the same strings.
std::string latin1_to_utf8(std::string_view bytes) {
    std::string text;
    text.reserve(bytes.size());
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x80) {
            text += c;
        } else {
            text += static_cast<char>(0xC0 | (byte >> 6));
            text += static_cast<char>(0x80 | (byte & 0x3F));
        }
    }
    return text;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// urllib.parse.unquote(text, "iso-8859-1"): %XX becomes that byte, a stray % stays as it is.
std::string unquote_latin1(std::string_view text, bool plus_is_space) {
    std::string bytes;
    bytes.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
            hex_digit(text[i + 2]) >= 0) {
            bytes += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
            i += 2;
        } else if (plus_is_space && text[i] == '+') {
            bytes += ' ';
        } else {
            bytes += text[i];
        }
    }
    return latin1_to_utf8(bytes);
}

// The call's keyword arguments, in the order Python's dict keeps them: a name given once maps to
// a string, a repeated name to the list of its strings (cgi.parse + singlyfy_parameters).
struct Parameters {
    std::vector<std::pair<std::string, std::vector<std::string>>> entries;

    std::vector<std::string>* find(std::string_view name) {
        auto found = std::find_if(entries.begin(), entries.end(),
                                  [&](const auto& entry) { return entry.first == name; });
        return found == entries.end() ? nullptr : &found->second;
    }
    void erase(std::string_view name) {
        std::erase_if(entries, [&](const auto& entry) { return entry.first == name; });
    }
    [[nodiscard]] Value::Entries kwargs() const {
        Value::Entries kwargs;
        for (const auto& [name, values] : entries) {
            if (values.size() == 1) {
                kwargs.emplace_back(Value(name), Value(values.front()));
            } else {
                Value::Items items;
                for (const auto& value : values) {
                    items.emplace_back(value);
                }
                kwargs.emplace_back(Value(name), Value::list(std::move(items)));
            }
        }
        return kwargs;
    }
};

// urllib.parse.parse_qs with its defaults: "&" separates, a piece without "=" or with an empty
// value is dropped, "+" is a space.
void parse_query(std::string_view query, Parameters& into) {
    while (!query.empty()) {
        const std::size_t end = std::min(query.find('&'), query.size());
        const std::string_view piece = query.substr(0, end);
        query.remove_prefix(std::min(end + 1, query.size()));
        const std::size_t equals = piece.find('=');
        if (equals == std::string_view::npos || equals + 1 == piece.size()) {
            continue;
        }
        std::string name = unquote_latin1(piece.substr(0, equals), true);
        std::string value = unquote_latin1(piece.substr(equals + 1), true);
        if (auto* values = into.find(name)) {
            values->push_back(std::move(value));
        } else {
            into.entries.emplace_back(std::move(name), std::vector<std::string>{std::move(value)});
        }
    }
}

std::string_view strip(std::string_view text) {
    constexpr std::string_view space = " \t\r\n\f\v";
    const std::size_t first = text.find_first_not_of(space);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(space) - first + 1);
}

// A header as WSGI's environ names it (HTTP_X_PYRO_OPTIONS): "-" and "_" alike, any case,
// repeated headers joined with ",", values stripped, bytes as latin-1.
std::string wsgi_header(const Request& request, std::string_view environ_name) {
    std::string joined;
    bool found = false;
    for (const auto& field : request) {
        std::string name = "HTTP_" + std::string(field.name_string());
        for (char& c : name) {
            c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        if (name != environ_name) {
            continue;
        }
        if (found) {
            joined += ',';
        }
        joined += strip(field.value());
        found = true;
    }
    return latin1_to_utf8(joined);
}

std::vector<std::string> split_commas(std::string_view text) {
    std::vector<std::string> parts;
    for (;;) {
        const std::size_t comma = text.find(',');
        parts.emplace_back(text.substr(0, comma));
        if (comma == std::string_view::npos) {
            return parts;
        }
        text.remove_prefix(comma + 1);
    }
}

// ---- json as the two halves of Pyro4's gateway write it ----

// Python's json.dumps default (ensure_ascii=True), used for what the gateway writes itself ($meta,
// its own errors): the UTF-8 that to_json writes, with every non-ASCII character as \uXXXX
// (a surrogate pair above U+FFFF). Non-ASCII only occurs inside strings, so this is safe.
std::string ascii_json(const Value& value) {
    const std::string text = to_json(value);
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            out += text[i++];
            continue;
        }
        const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        std::uint32_t code = lead & (length == 4 ? 0x07u : length == 3 ? 0x0Fu : 0x1Fu);
        for (std::size_t k = 1; k < length && i + k < text.size(); ++k) {
            code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
        }
        i += length;
        auto escape = [&out](std::uint32_t unit) {
            std::array<char, 16> buffer{};
            std::snprintf(buffer.data(), buffer.size(), "\\u%04x", unit);
            out += buffer.data();
        };
        if (code >= 0x10000) {
            code -= 0x10000;
            escape(0xD800 + (code >> 10));
            escape(0xDC00 + (code & 0x3FF));
        } else {
            escape(code);
        }
    }
    return out;
}

// Pyro4's class_to_dict of an exception the gateway raised: class, args and vars(). A remote
// exception re-raised here (NamingError from the name server) keeps its args and attributes,
// remote traceback included, as Python's deserialized exception object does.
Value exception_dict(const PyroError& error) {
    if (const auto& received = error.remote_value()) {
        const Value* args = received->find("args");
        const Value* attributes = received->find("attributes");
        return Value::dict({
            {Value("__class__"), received->at("__class__")},
            {Value("__exception__"), Value(true)},
            {Value("args"),
             args && args->is_sequence() ? Value::list(args->items()) : Value::list()},
            {Value("attributes"),
             attributes && attributes->is_dict() ? *attributes : Value::dict()},
        });
    }
    return exception_to_value(error);
}

// A Pyro4 daemon answers a generator's result with FLAGS_ITEMSTREAMRESULT and, for older clients,
// FLAGS_EXCEPTION and this exception as the payload; pyro4-httpgateway passes that payload on.
// libpyro's Proxy::invoke refuses item streams (closing them) before it reads the payload, so
// the gateway recognises that refusal and answers with what the daemon sent.
constexpr std::string_view item_stream_exception =
    R"({"__class__": "Pyro4.errors.ProtocolError", "__exception__": true, )"
    R"("args": ["result of call is an iterator"], "attributes": {"_pyroTraceback": null}})";

bool is_item_stream_refusal(const PyroError& error) {
    return error.python_class() == "Pyro4.errors.PyroError" && !error.remote_value() &&
           std::string_view(error.what()).find("() returned an item stream") !=
               std::string_view::npos;
}

// ---- correlation ids ----

std::string uuid_text(const std::string& bytes) {
    std::string text;
    constexpr std::string_view digits = "0123456789abcdef";
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            text += '-';
        }
        const auto byte = static_cast<unsigned char>(bytes[i]);
        text += digits[byte >> 4];
        text += digits[byte & 0x0F];
    }
    return text;
}

std::string random_uuid4() {
    thread_local std::mt19937_64 random{std::random_device{}()};
    std::string bytes(16, '\0');
    for (char& byte : bytes) {
        byte = static_cast<char>(random() & 0xFF);
    }
    bytes[6] = static_cast<char>((static_cast<unsigned char>(bytes[6]) & 0x0F) | 0x40);
    bytes[8] = static_cast<char>((static_cast<unsigned char>(bytes[8]) & 0x3F) | 0x80);
    return bytes;
}

// Python's uuid.UUID(text) for the X-Pyro-Correlation-Id header: "urn:" and "uuid:" dropped,
// braces stripped, dashes ignored; 32 hex digits or the ValueError Python raises.
std::string parse_uuid(std::string_view header) {
    std::string hex(header);
    for (std::string_view drop : {std::string_view("urn:"), std::string_view("uuid:")}) {
        for (std::size_t at; (at = hex.find(drop)) != std::string::npos;) {
            hex.erase(at, drop.size());
        }
    }
    const std::size_t first = hex.find_first_not_of("{}");
    hex =
        first == std::string::npos ? "" : hex.substr(first, hex.find_last_not_of("{}") - first + 1);
    std::erase(hex, '-');
    if (hex.size() != 32) {
        throw RemoteError("builtins.ValueError", "badly formed hexadecimal UUID string");
    }
    std::string bytes;
    for (std::size_t i = 0; i < 32; i += 2) {
        const int high = hex_digit(hex[i]);
        const int low = hex_digit(hex[i + 1]);
        if (high < 0 || low < 0) {
            throw RemoteError("builtins.ValueError",
                              "invalid literal for int() with base 16: " + Value(hex).repr());
        }
        bytes += static_cast<char>(high * 16 + low);
    }
    return bytes;
}

// ---- the listing page ----

std::string html_escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

// A name inside a JavaScript '...' string inside an HTML attribute. Pyro4 inserts names as they
// are; we escape, so a registered name cannot inject script (identical for ordinary names).
std::string js_in_attribute(std::string_view text) {
    std::string js;
    for (const char c : text) {
        if (c == '\\' || c == '\'') {
            js += '\\';
        }
        js += c;
    }
    return html_escape(js);
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string joined;
    for (const auto& part : parts) {
        if (!joined.empty()) {
            joined += separator;
        }
        joined += part;
    }
    return joined;
}

// Our own page: the table has Pyro4's markup (so tools reading either page find the same cells);
// the rest is written for libpyro, and its script needs nothing from the internet.
constexpr std::string_view page_head = R"(<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Pyro HTTP gateway</title>
<style>
body { margin: 1em; font-family: sans-serif; }
table, th, td { border: 1px solid #bbf; padding: 4px; }
table { border-collapse: collapse; }
pre { border: 1px solid #bbf; padding: 1ex; margin: 1ex; white-space: pre-wrap; }
</style>
<script>
"use strict";
// Clicking a name or an attribute calls the gateway and shows the json it answers.
function pyro_call(name, method, params) {
    var url = name + "/" + method;
    if (params) { url += "?" + new URLSearchParams(params).toString(); }
    document.getElementById("pyro_call").textContent = "GET " + url;
    fetch(url).then(function (response) {
        return response.text().then(function (text) {
            var shown = text;
            try { shown = JSON.stringify(JSON.parse(text), null, 4); } catch (e) {}
            document.getElementById("pyro_response").textContent =
                (response.ok ? "" : "ERROR: " + response.status + "\n") + shown;
        });
    });
}
</script>
</head>
<body>
<h1>Pyro HTTP gateway</h1>
<p>HTTP and json in front of Pyro objects: <code>GET /pyro/NAME/METHOD?arg=value</code> calls
<code>NAME.METHOD(arg="value")</code>; <code>NAME/$meta</code> lists what an object exposes.
Every request looks its name up in the name server and talks to the object with a new proxy.</p>
)";

// gateway/web/example.html, compiled in (gateway/CMakeLists.txt).
constexpr std::string_view example_page =
#include "gateway/example_page.inc"
    ;

constexpr std::string_view page_tail = R"(<h2>Last call</h2>
<p>Request:</p><pre id="pyro_call">-</pre>
<p>Answer:</p><pre id="pyro_response">-</pre>
)";

bool contains(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// What the server answers; Content-Length and the framing are added when it is written.
using Response = http::response<http::string_body>;

std::string http_date() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    // Fixed English names: strftime's %a/%b would follow the locale.
    static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed",
                                                     "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::array<char, 64> text{};
    std::snprintf(text.data(), text.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                  days.at(static_cast<std::size_t>(utc.tm_wday)), utc.tm_mday,
                  months.at(static_cast<std::size_t>(utc.tm_mon)), utc.tm_year + 1900, utc.tm_hour,
                  utc.tm_min, utc.tm_sec);
    return text.data();
}

// pyro4-httpgateway answers in HTTP/1.0 and closes the connection after each response; so do we,
// with the same headers in the same order (Date, Server, the application's, Content-Length).
Response to_response(const Reply& reply) {
    Response response;
    response.version(10);
    response.result(reply.status);
    response.set(http::field::date, http_date());
    response.set(http::field::server, std::string("pyro-httpgateway libpyro/") + pyro::version);
    for (const auto& [name, value] : reply.headers) {
        response.insert(name, value);
    }
    response.body() = reply.body;
    response.content_length(reply.body.size());
    response.keep_alive(false);
    return response;
}

} // namespace

// Everything a request needs. Coroutines and queued calls refer to it by plain pointer (no
// ownership cycles through the queues); the call threads each hold a shared_ptr, because a thread
// stuck in a call without a timeout (-t 0, Pyro4's default) must not keep shutdown waiting: it
// is let go, and keeps this state alive until its call returns.
struct Shared {
    Config config;
    GatewaySettings settings;
    std::ostream& out;
    std::ostream& errors;
    std::optional<std::regex> expose; // -e, compiled once
    asio::io_context io{1};           // the HTTP side: accept, read, write
    // Pyro calls, run by call_threads threads. Declared after io: queued calls hold coroutine
    // handlers bound to io, so they must go first.
    asio::io_context calls;
    std::atomic<std::size_t> connections{0};
    std::atomic<bool> stopping{false};

    std::mutex busy_mutex;
    std::condition_variable idle;
    std::size_t running = 0; // call threads still inside calls.run()

    std::mutex ns_mutex; // one cached name server proxy, as Pyro4's gateway keeps one
    std::optional<NameServer> ns;

    std::mutex log_mutex;

    Shared(Config c, GatewaySettings s, std::ostream& o, std::ostream& e)
        : config(std::move(c)), settings(std::move(s)), out(o), errors(e) {
        if (!settings.expose.empty()) {
            expose.emplace(settings.expose, std::regex::ECMAScript);
        }
    }

    void log_error(const std::string& line) {
        const std::lock_guard lock(log_mutex);
        errors << line << std::endl;
    }

    // Pyro4's get_nameserver(): locate once, ping before each use, locate again when the
    // connection was lost. Called with ns_mutex held.
    NameServer& name_server() {
        if (ns) {
            try {
                ns->ping();
                return *ns;
            } catch (const CommunicationError&) {
                ns.reset(); // a restarted name server is found again below
            }
        }
        ns.emplace(locate_ns(config, settings.ns_host, settings.ns_port));
        return *ns;
    }

    Uri lookup(const std::string& name) {
        const std::lock_guard lock(ns_mutex);
        return name_server().lookup(name);
    }

    bool exposed(const std::string& name) const {
        // re.match: anchored at the start only.
        return !expose || std::regex_search(name, *expose, std::regex_constants::match_continuous);
    }

    Reply handle(const Request& request);
    Reply call(const Request& request, const std::string& path, Parameters& parameters);
    Reply home_page();
};

Reply Shared::handle(const Request& request) {
    const std::string_view target = request.target();
    const std::size_t question = target.find('?');
    const std::string_view query =
        question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
    std::string path = unquote_latin1(target.substr(0, question), false);
    path.erase(0, path.find_first_not_of('/'));
    if (path.empty()) {
        return Reply{302, {{"Location", "/pyro/"}}, {}};
    }
    if (settings.example_page && path == "example.html" && request.method_string() == "GET") {
        return Reply{
            200, {{"Content-Type", "text/html; charset=utf-8"}}, std::string(example_page)};
    }
    if (!path.starts_with("pyro/")) {
        return text_reply(404, "Error 404: Not Found");
    }
    const std::string_view method = request.method_string();
    if (method != "GET" && method != "POST") {
        return text_reply(405, "Error 405: Method Not Allowed");
    }

    // cgi.parse: a POST's form body first, then the query string; other bodies are ignored.
    Parameters parameters;
    if (method == "POST") {
        const auto content_type = request.find(http::field::content_type);
        const std::string_view type =
            content_type == request.end()
                ? std::string_view("text/plain")
                : strip(content_type->value().substr(0, content_type->value().find(';')));
        if (type == "multipart/form-data") {
            return application_failure(); // Python 3.11's cgi.parse fails on these
        }
        if (type == "application/x-www-form-urlencoded") {
            if (request.find(http::field::content_length) == request.end()) {
                return application_failure();
            }
            std::string form = request.body();
            form += '&';
            form += query;
            parse_query(form, parameters);
        } else {
            parse_query(query, parameters);
        }
    } else {
        parse_query(query, parameters);
    }
    return call(request, path.substr(5), parameters);
}

Reply Shared::call(const Request& request, const std::string& path, Parameters& parameters) {
    const std::vector<std::string> options =
        split_commas(wsgi_header(request, "HTTP_X_PYRO_OPTIONS"));
    if (path.empty()) {
        return home_page();
    }
    // re.match("(.+)/(.+)", path): "." stops at a newline, and the greedy first group takes the
    // last "/" that leaves a character on each side.
    const std::string line = path.substr(0, path.find('\n'));
    const std::size_t slash =
        line.size() < 3 ? std::string::npos : line.rfind('/', line.size() - 2);
    if (slash == std::string::npos || slash == 0) {
        return text_reply(404, "Error 404: Not Found");
    }
    const std::string object_name = line.substr(0, slash);
    const std::string method = line.substr(slash + 1);

    if (!settings.gateway_key.empty()) {
        std::string key = wsgi_header(request, "HTTP_X_PYRO_GATEWAY_KEY");
        if (key.empty()) {
            if (const auto* given = parameters.find("$key")) {
                if (given->size() != 1) {
                    return application_failure(); // a list has no .encode() in Pyro4's gateway
                }
                key = given->front();
            }
        }
        if (key != settings.gateway_key) {
            return text_reply(403, "403 Forbidden - incorrect gateway api key");
        }
        parameters.erase("$key");
    }
    if (!exposed(object_name)) {
        return text_reply(403, "403 Forbidden - access to the requested object has been denied");
    }

    bool in_call = false; // an exception result of the call itself goes out as the object sent it
    try {
        const Uri uri = lookup(object_name);
        const std::string correlation_header = wsgi_header(request, "HTTP_X_PYRO_CORRELATION_ID");
        const std::string correlation =
            correlation_header.empty() ? random_uuid4() : parse_uuid(correlation_header);
        const std::pair<std::string, std::string> correlation_field{"X-Pyro-Correlation-Id",
                                                                    uuid_text(correlation)};
        Config proxy_config = config;
        proxy_config.serializer = "json"; // the gateway only talks json, as Pyro4's does
        Proxy proxy(uri, proxy_config);
        proxy.set_correlation_id(correlation);
        const ObjectMetadata metadata = proxy.metadata();
        const bool oneway = contains(options, "oneway");
        const Reply empty_ok{
            200, {{"Content-Type", std::string(json_type)}, correlation_field}, {}};

        if (method == "$meta") {
            Value::Items methods(metadata.methods.begin(), metadata.methods.end());
            Value::Items attributes(metadata.attrs.begin(), metadata.attrs.end());
            Reply reply = empty_ok;
            reply.body = ascii_json(Value::dict({
                {Value("methods"), Value::list(std::move(methods))},
                {Value("attributes"), Value::list(std::move(attributes))},
            }));
            return reply;
        }
        Value result;
        if (contains(metadata.attrs, method)) {
            if (!parameters.entries.empty()) {
                throw RemoteError("builtins.AssertionError",
                                  "attribute lookup can't have query parameters");
            }
            in_call = true;
            result = proxy.get_attribute(method);
        } else {
            in_call = true;
            if (oneway) {
                proxy.invoke_oneway(method, {}, parameters.kwargs());
            } else {
                result = proxy.invoke(method, {}, parameters.kwargs());
            }
        }
        if (oneway || contains(metadata.oneway, method)) {
            return empty_ok; // nothing comes back from a oneway call
        }
        Reply reply = empty_ok;
        reply.body = to_json(result); // as the Pyro object's json serializer wrote it
        return reply;
    } catch (const PyroError& error) {
        log_error("ERROR handling " + path.substr(0, 200) + ": " + error.python_class() + ": " +
                  error.what());
        if (in_call && is_item_stream_refusal(error)) {
            return Reply{500,
                         {{"Content-Type", std::string(json_type)}},
                         std::string(item_stream_exception)};
        }
        // A remote exception result is passed on as the object sent it (Pyro4's raw wire
        // response: its own json, not ascii-escaped); the gateway's own errors as json.dumps
        // writes them. Neither carries the correlation id.
        std::string body = in_call && error.remote_value() ? to_json(*error.remote_value())
                                                           : ascii_json(exception_dict(error));
        return Reply{500, {{"Content-Type", std::string(json_type)}}, std::move(body)};
    } catch (const std::exception& error) {
        log_error("ERROR handling " + path.substr(0, 200) + ": " + error.what());
        return Reply{
            500,
            {{"Content-Type", std::string(json_type)}},
            ascii_json(exception_to_value(RemoteError("builtins.Exception", error.what())))};
    }
}

Reply Shared::home_page() {
    std::vector<Registration> registrations;
    std::string location;
    try {
        const std::lock_guard lock(ns_mutex);
        NameServer& ns = name_server();
        ListFilter filter;
        if (!settings.expose.empty()) {
            filter.regex = settings.expose; // the name server applies -e, as in Pyro4
        }
        registrations = ns.list(filter);
        location = ns.proxy().uri().location();
    } catch (const NamingError& error) {
        log_error(std::string("Name server error: ") + error.what());
        return text_reply(500,
                          "Cannot reach the Pyro name server; start one and reload this page.");
    } catch (const std::exception& error) {
        log_error(std::string("Name server error: ") + error.what());
        return application_failure();
    }
    // The first ten the name server lists, then in name order.
    if (registrations.size() > 10) {
        registrations.resize(10);
    }
    std::sort(registrations.begin(), registrations.end(),
              [](const Registration& a, const Registration& b) { return a.name < b.name; });

    std::string table = "<table><tr><th>Name</th><th>methods</th><th>attributes (zero-param "
                        "methods)</th></tr>";
    for (const Registration& registration : registrations) {
        const std::string name_js = js_in_attribute(registration.name);
        const std::string name_html = html_escape(registration.name);
        std::string methods;
        std::string attributes = "-";
        try {
            Config proxy_config = config;
            proxy_config.serializer = "json";
            Proxy proxy(registration.uri, proxy_config);
            const ObjectMetadata& metadata = proxy.metadata();
            std::vector<std::string> method_names;
            for (const auto& method : metadata.methods) {
                method_names.push_back(html_escape(method));
            }
            methods = method_names.empty() ? "-" : join(method_names, " &nbsp; ");
            std::vector<std::string> links;
            for (const auto& attribute : metadata.attrs) {
                links.push_back("<a href=\"" + name_html + "/" + html_escape(attribute) +
                                "\" onclick=\"pyro_call('" + name_js + "','" +
                                js_in_attribute(attribute) + "'); return false;\">" +
                                html_escape(attribute) + "</a>");
            }
            if (!links.empty()) {
                attributes = join(links, " &nbsp; ");
            }
        } catch (const PyroError& error) {
            log_error("ERROR getting metadata for " + registration.uri + ": " + error.what());
            methods = "??error:" + html_escape(error.what()) + "??";
        }
        table += "<tr><td><a href=\"" + name_html + "/$meta\" onclick=\"pyro_call('" + name_js +
                 "','$meta'); return false;\">" + name_html + "</a></td><td>" + methods +
                 "</td><td>" + attributes + "</td></tr>";
    }
    table += "</table>";

    std::string page(page_head);
    page += "<h2>Names exposed by the name server at <span id=\"ns-location\">" +
            html_escape(location) + "</span></h2>\n";
    page += "<p>The first 10 names matching the pattern <code id=\"expose-pattern\">" +
            html_escape(settings.expose) + "</code>:</p>\n";
    page += table;
    page += "\n";
    page += page_tail;
    page += "<p>libpyro " + std::string(pyro::version) + ", speaking Pyro4 " + pyro::pyro4_version +
            "'s protocol</p>\n</body>\n</html>\n";
    return Reply{200, {{"Content-Type", "text/html"}}, std::move(page)};
}

namespace {

// Runs `work` on the call threads; the awaiting coroutine resumes on its own executor with the
// result. Not itself a coroutine, and the work is a named std::function: g++ 12 mishandles
// non-trivial temporaries and by-value parameters of coroutines (double destruction).
using Work = std::function<Reply()>;

auto on_call_threads(asio::io_context& calls, Work work) {
    return asio::async_initiate<decltype(asio::use_awaitable), void(Reply)>(
        [&calls](auto handler, Work task) {
            asio::post(calls, [handler = std::move(handler), task = std::move(task)]() mutable {
                Reply reply = task();
                auto executor = asio::get_associated_executor(handler);
                asio::post(executor,
                           [handler = std::move(handler), reply = std::move(reply)]() mutable {
                               std::move(handler)(std::move(reply));
                           });
            });
        },
        asio::use_awaitable, std::move(work));
}

asio::awaitable<void> write_and_close(beast::tcp_stream& stream, const Reply& reply,
                                      std::chrono::seconds timeout, bool drain) {
    Response response = to_response(reply);
    stream.expires_after(timeout);
    auto [write_error, written] =
        co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
    (void)written;
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (!write_error && drain) {
        // The client may still be sending the body we refused; read it away (bounded by the
        // timeout) so closing does not reset the connection before it reads our answer.
        std::array<char, 16 * 1024> sink{};
        stream.expires_after(std::chrono::seconds(2));
        for (;;) {
            auto [error, n] = co_await stream.async_read_some(asio::buffer(sink),
                                                              asio::as_tuple(asio::use_awaitable));
            (void)n;
            if (error) {
                break;
            }
        }
    }
    stream.socket().close(ignored);
}

// One connection: one request, one response, close (HTTP/1.0, as pyro4-httpgateway).
asio::awaitable<void> serve(Shared* shared, tcp::socket socket) {
    struct Count {
        std::atomic<std::size_t>& count;
        ~Count() { --count; }
    } counted{shared->connections};

    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(shared->settings.max_header);
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(shared->settings.max_header));
    parser.body_limit(shared->settings.max_body);
    stream.expires_after(shared->settings.io_timeout);
    auto [error, read] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    (void)read;
    Reply reply;
    bool drain = false;
    if (error == http::error::body_limit) {
        reply = text_reply(413, "Error 413: Request body larger than " +
                                    std::to_string(shared->settings.max_body) + " bytes");
        drain = true;
    } else if (error == http::error::header_limit || error == http::error::buffer_overflow) {
        reply = text_reply(431, "Error 431: Request line or headers too large");
        drain = true;
    } else if (error == beast::error::timeout || error == http::error::end_of_stream ||
               error == asio::error::eof || error == asio::error::connection_reset ||
               error == asio::error::operation_aborted) {
        co_return; // nothing (complete) was asked; nobody to answer
    } else if (error) {
        reply = text_reply(400, "Error 400: Bad Request");
        drain = true;
    } else {
        stream.expires_never(); // the Pyro call has its own timeout (-t)
        const auto request = std::make_shared<const Request>(parser.release());
        Work work = [shared, request]() -> Reply {
            try {
                return shared->handle(*request);
            } catch (const std::exception& failure) {
                shared->log_error(std::string("ERROR: ") + failure.what());
                return application_failure();
            }
        };
        reply = co_await on_call_threads(shared->calls, std::move(work));
    }
    co_await write_and_close(stream, reply, shared->settings.io_timeout, drain);
}

// Over the limit of open connections a client gets a quick 503 instead of a long wait, up to as
// many again; beyond that, connections are closed at once.
asio::awaitable<void> refuse(Shared* shared, tcp::socket socket) {
    struct Count {
        std::atomic<std::size_t>& count;
        ~Count() { --count; }
    } counted{shared->connections};
    beast::tcp_stream stream(std::move(socket));
    const Reply busy = text_reply(503, "Error 503: Too many connections, retry later");
    co_await write_and_close(stream, busy, std::chrono::seconds(5), false);
}

asio::awaitable<void> accept_loop(Shared* shared, tcp::acceptor& acceptor) {
    for (;;) {
        auto [error, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (error == asio::error::operation_aborted || shared->stopping) {
            co_return;
        }
        if (error) {
            // Out of descriptors and the like: wait a moment rather than spin.
            asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        const std::size_t open = ++shared->connections;
        if (open <= shared->settings.max_connections) {
            asio::co_spawn(shared->io, serve(shared, std::move(socket)), asio::detached);
        } else if (open <= 2 * shared->settings.max_connections) {
            asio::co_spawn(shared->io, refuse(shared, std::move(socket)), asio::detached);
        } else {
            --shared->connections;
        }
    }
}

} // namespace

struct HttpGateway::Impl {
    std::shared_ptr<Shared> shared;
    tcp::acceptor acceptor;
    std::vector<std::thread> call_threads;

    Impl(Config config, GatewaySettings settings, std::ostream& out, std::ostream& errors)
        : shared(std::make_shared<Shared>(std::move(config), std::move(settings), out, errors)),
          acceptor(shared->io) {
        const GatewaySettings& s = shared->settings;
        tcp::resolver resolver(shared->io);
        const auto endpoints = resolver.resolve(s.host, std::to_string(s.port));
        const tcp::endpoint endpoint = endpoints.begin()->endpoint();
        acceptor.open(endpoint.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen();
    }

    ~Impl() { stop_call_threads(); }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    void start_call_threads() {
        const std::size_t count = std::max<std::size_t>(1, shared->settings.call_threads);
        for (std::size_t i = 0; i < count; ++i) {
            {
                const std::lock_guard lock(shared->busy_mutex);
                ++shared->running;
            }
            call_threads.emplace_back([keep = shared] {
                auto guard = asio::make_work_guard(keep->calls);
                keep->calls.run();
                const std::lock_guard lock(keep->busy_mutex);
                --keep->running;
                keep->idle.notify_all();
            });
        }
    }

    // Joins the call threads; one still inside a Pyro call after a short grace (a call without a
    // timeout) is let go, holding `shared`, so that Ctrl-C stops the gateway promptly.
    void stop_call_threads() {
        if (call_threads.empty()) {
            return;
        }
        shared->calls.stop();
        std::unique_lock lock(shared->busy_mutex);
        const bool all_idle = shared->idle.wait_for(lock, std::chrono::seconds(2),
                                                    [this] { return shared->running == 0; });
        lock.unlock();
        for (auto& thread : call_threads) {
            if (all_idle) {
                thread.join();
            } else {
                thread.detach();
            }
        }
        call_threads.clear();
    }
};

HttpGateway::HttpGateway(Config config, GatewaySettings settings, std::ostream& out,
                         std::ostream& errors)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(settings), out, errors)) {}

HttpGateway::~HttpGateway() = default;

std::uint16_t HttpGateway::port() const {
    return impl_->acceptor.local_endpoint().port();
}

void HttpGateway::run(bool stop_on_signals) {
    Shared& shared = *impl_->shared;
    if (shared.settings.expose.empty()) {
        shared.out << "Warning: exposing all objects (no expose regex set)" << std::endl;
    } else {
        shared.out << "Exposing objects with names matching:  " << shared.settings.expose
                   << std::endl;
    }
    try {
        const std::lock_guard lock(shared.ns_mutex);
        const std::string where = shared.name_server().proxy().uri().str();
        shared.out << "Connected to name server at:  " << where << std::endl;
    } catch (const PyroError&) {
        shared.out << "Not yet connected to a name server." << std::endl;
    }
    const tcp::endpoint bound = impl_->acceptor.local_endpoint();
    shared.out << "Pyro HTTP gateway running on http://" << bound.address().to_string() << ":"
               << bound.port() << "/pyro/" << std::endl;

    asio::signal_set signals(shared.io);
    if (stop_on_signals) {
        signals.add(SIGINT);
        signals.add(SIGTERM);
        signals.add(SIGHUP);
        signals.async_wait([this](const boost::system::error_code& error, int) {
            if (!error) {
                shutdown();
            }
        });
    }
    impl_->start_call_threads();
    asio::co_spawn(shared.io, accept_loop(&shared, impl_->acceptor), asio::detached);
    shared.io.run();
    signals.cancel();
    impl_->stop_call_threads();
}

void HttpGateway::shutdown() {
    Shared& shared = *impl_->shared;
    shared.stopping = true;
    asio::post(shared.io, [this] {
        beast::error_code ignored;
        impl_->acceptor.close(ignored);
        impl_->shared->io.stop(); // open connections are abandoned with the io_context
    });
}

} // namespace pyro::gateway
