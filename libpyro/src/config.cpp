#include "pyro/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "fault_injector.hpp"
#include "pyro/errors.hpp"
#include "pyro/log.hpp"
#include "pyro/value.hpp"
#include "split_commas.hpp"
#include "utf8.hpp"

namespace pyro {

namespace {

using Lookup = std::function<std::optional<std::string>(std::string_view)>;

// The whitespace Python's int() and float() strip: ASCII blanks and non-ASCII Unicode spaces.
bool is_number_space(char32_t c) {
    if (c < 0x80) {
        return c == ' ' || (c >= 0x09 && c <= 0x0D);
    }
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string_view strip_number(std::string_view text) {
    std::size_t begin = 0;
    std::size_t end = 0; // just past the last non-space code point
    bool leading = true;
    for (std::size_t pos = 0; pos < text.size();) {
        const auto c = detail::next_code_point(text, pos);
        if (!c) {
            ++pos; // invalid UTF-8: not a space, and int() will refuse it anyway
        }
        if (!c || !is_number_space(*c)) {
            leading = false;
            end = pos;
        } else if (leading) {
            begin = pos;
        }
    }
    return end > begin ? text.substr(begin, end - begin) : std::string_view();
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Python allows single underscores between digits in int() and float() ("1_000"); drop them,
// or give nullopt when one is misplaced.
std::optional<std::string> without_underscores(std::string_view text) {
    std::string result;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '_') {
            result += text[i];
        } else if (i == 0 || i + 1 == text.size() || !is_digit(text[i - 1]) ||
                   !is_digit(text[i + 1])) {
            return std::nullopt;
        }
    }
    return result;
}

std::string quoted(std::string_view text) {
    return Value(text).repr();
}

[[noreturn]] void invalid(std::string_view name, std::string_view text, std::string_view what) {
    throw PyroError(std::string(name) + "=" + quoted(text) + " is not " + std::string(what));
}

// Python's int(text), base 10.
std::int64_t parse_int(std::string_view name, std::string_view text, std::int64_t minimum,
                       std::int64_t maximum, std::string_view what) {
    std::optional<std::string> digits = without_underscores(strip_number(text));
    std::int64_t value = 0;
    if (digits && !digits->empty()) {
        const char* first = digits->data();
        const char* last = first + digits->size();
        first += (*first == '+' && digits->size() > 1 && is_digit(first[1])) ? 1 : 0;
        const auto [end, error] = std::from_chars(first, last, value);
        if (error == std::errc{} && end == last && value >= minimum && value <= maximum) {
            return value;
        }
        if ((error == std::errc{} || error == std::errc::result_out_of_range) && end == last) {
            invalid(name, text, what);
        }
    }
    invalid(name, text, "a valid integer");
}

// Python's float(text), then a check that it makes sense as a duration or size.
double parse_float(std::string_view name, std::string_view text) {
    std::optional<std::string> number = without_underscores(strip_number(text));
    if (number && !number->empty()) {
        std::string_view body = *number;
        bool negative = false;
        if (body.front() == '+' || body.front() == '-') {
            negative = body.front() == '-';
            body.remove_prefix(1);
        }
        // from_chars would also take hex floats and "nan(...)", which Python refuses.
        const bool plain = !body.empty() && body.front() != '+' && body.front() != '-' &&
                           body.find_first_of("xX(") == std::string_view::npos;
        double value = 0.0;
        const auto [end, error] = std::from_chars(body.data(), body.data() + body.size(), value);
        if (plain && error == std::errc{} && end == body.data() + body.size()) {
            value = negative ? -value : value;
            if (!std::isfinite(value) || value < 0.0) {
                invalid(name, text, "a finite number >= 0");
            }
            return value;
        }
    }
    invalid(name, text, "a valid number");
}

bool parse_bool(std::string_view name, std::string_view text) {
    std::string lower(text);
    for (char& c : lower) {
        c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (lower == "0" || lower == "off" || lower == "no" || lower == "false") {
        return false;
    }
    if (lower == "1" || lower == "yes" || lower == "on" || lower == "true") {
        return true;
    }
    invalid(name, text, "a valid boolean (use 0/off/no/false or 1/yes/on/true)");
}

std::string strip_blanks(std::string_view text) {
    const std::size_t begin = text.find_first_not_of(" \t\n\v\f\r");
    if (begin == std::string_view::npos) {
        return {};
    }
    const std::size_t end = text.find_last_not_of(" \t\n\v\f\r");
    return std::string(text.substr(begin, end - begin + 1));
}

// Reads each PYRO_* variable that is set, converting it as Pyro4's Configuration.reset() does.
class Reader {
public:
    explicit Reader(const Lookup& lookup) : lookup_(lookup) {}

    void text(const char* name, std::string& field) const {
        if (auto value = lookup_(name)) {
            field = std::move(*value);
        }
    }
    void text(const char* name, std::optional<std::string>& field) const {
        if (auto value = lookup_(name)) {
            field = std::move(*value);
        }
    }
    void port(const char* name, int& field) const {
        if (auto value = lookup_(name)) {
            field = static_cast<int>(parse_int(name, *value, 0, 65535, "a port number (0-65535)"));
        }
    }
    void count(const char* name, int& field, int minimum) const {
        if (auto value = lookup_(name)) {
            field =
                static_cast<int>(parse_int(name, *value, minimum, std::numeric_limits<int>::max(),
                                           minimum == 0 ? "an integer >= 0" : "an integer >= 1"));
        }
    }
    void size(const char* name, std::size_t& field) const {
        if (auto value = lookup_(name)) {
            field = static_cast<std::size_t>(parse_int(
                name, *value, 0, std::numeric_limits<std::int64_t>::max(), "an integer >= 0"));
        }
    }
    void seconds(const char* name, double& field) const {
        if (auto value = lookup_(name)) {
            field = parse_float(name, *value);
        }
    }
    void flag(const char* name, bool& field) const {
        if (auto value = lookup_(name)) {
            field = parse_bool(name, *value);
        }
    }
    void ip_version(const char* name, int& field) const {
        if (auto value = lookup_(name)) {
            const auto version = parse_int(name, *value, 0, 6, "4, 6 or 0");
            if (version != 0 && version != 4 && version != 6) {
                invalid(name, *value, "4, 6 or 0");
            }
            field = static_cast<int>(version);
        }
    }
    // Pyro4 keeps SERIALIZERS_ACCEPTED as a set of the comma-separated names. Blanks are
    // stripped here, unlike Pyro4: "serpent, json" should not silently drop json.
    void name_set(const char* name, std::vector<std::string>& field) const {
        if (auto value = lookup_(name)) {
            field.clear();
            for (const std::string& part : detail::split_commas(*value)) {
                std::string item = strip_blanks(part);
                if (!item.empty() && std::find(field.begin(), field.end(), item) == field.end()) {
                    field.push_back(std::move(item));
                }
            }
        }
    }
    // Pyro4's Configuration.parseAddressesString: stripped items, and '' for the empty address.
    void addresses(const char* name, std::vector<std::string>& field) const {
        if (auto value = lookup_(name)) {
            field.clear();
            for (const std::string& part : detail::split_commas(*value)) {
                std::string address = strip_blanks(part);
                field.push_back(address == "''" ? std::string() : std::move(address));
            }
        }
    }

private:
    const Lookup& lookup_;
};

} // namespace

Config Config::from_environment(const Lookup& lookup) {
    // NS_HOST's default is HOST's *default*, taken before the environment is read: Pyro4 4.82
    // leaves NS_HOST at "localhost" when only PYRO_HOST is set.
    Config config;
    const Reader read(lookup);
    read.text("PYRO_HOST", config.host);
    read.text("PYRO_NS_HOST", config.ns_host);
    read.port("PYRO_NS_PORT", config.ns_port);
    read.port("PYRO_NS_BCPORT", config.ns_bcport);
    read.text("PYRO_NS_BCHOST", config.ns_bchost);
    read.text("PYRO_NATHOST", config.nathost);
    read.port("PYRO_NATPORT", config.natport);
    read.text("PYRO_SERIALIZER", config.serializer);
    read.name_set("PYRO_SERIALIZERS_ACCEPTED", config.serializers_accepted);
    read.seconds("PYRO_COMMTIMEOUT", config.comm_timeout);
    read.seconds("PYRO_POLLTIMEOUT", config.poll_timeout);
    read.size("PYRO_MAX_MESSAGE_SIZE", config.max_message_size);
    read.count("PYRO_MAX_RETRIES", config.max_retries, 0);
    read.flag("PYRO_METADATA", config.metadata);
    read.flag("PYRO_COMPRESSION", config.compression);
    read.flag("PYRO_ONEWAY_THREADED", config.oneway_threaded);
    read.flag("PYRO_AUTOPROXY", config.autoproxy);
    read.addresses("PYRO_BROADCAST_ADDRS", config.broadcast_addrs);
    read.ip_version("PYRO_PREFER_IP_VERSION", config.prefer_ip_version);
    read.seconds("PYRO_NS_AUTOCLEAN", config.ns_autoclean);
    read.count("PYRO_THREADPOOL_SIZE", config.threadpool_size, 1);
    read.flag("PYRO_SOCK_REUSE", config.sock_reuse);
    read.flag("PYRO_SOCK_NODELAY", config.sock_nodelay);
    read.flag("PYRO_ITER_STREAMING", config.iter_streaming);
    read.seconds("PYRO_ITER_STREAM_LIFETIME", config.iter_stream_lifetime);
    read.seconds("PYRO_ITER_STREAM_LINGER", config.iter_stream_linger);
    read.text("PYRO_LOGLEVEL", config.log_level);
    if (config.log_level && config.log_level->empty()) {
        config.log_level.reset(); // Pyro4 treats an empty PYRO_LOGLEVEL as unset
    }
    if (config.log_level) {
        // Pyro4 would fail later with a Python AttributeError; say it here, as for the others.
        const auto level = parse_log_level(*config.log_level);
        if (!level) {
            invalid("PYRO_LOGLEVEL", *config.log_level,
                    "a log level (DEBUG, INFO, WARNING, ERROR or CRITICAL, any case)");
        }
        config.log_level = std::string(log_level_name(*level));
    }
    read.text("PYRO_LOGFILE", config.log_file);
    read.text("PYRO_HMAC_KEY", config.hmac_key);
    read.flag("PYRO_TRACE", config.trace);
    read.text("PYRO_MONITOR", config.monitor);
    read.text("PYRO_FAULTS", config.faults);
    if (!config.faults.empty()) {
        (void)detail::parse_fault_spec(config.faults); // a bad spec fails here, in main()
    }
    read.flag("PYRO_SSL", config.ssl);
    read.text("PYRO_SSL_SERVERCERT", config.ssl_servercert);
    read.text("PYRO_SSL_SERVERKEY", config.ssl_serverkey);
    read.text("PYRO_SSL_SERVERKEYPASSWD", config.ssl_serverkeypasswd);
    read.flag("PYRO_SSL_REQUIRECLIENTCERT", config.ssl_requireclientcert);
    read.text("PYRO_SSL_CLIENTCERT", config.ssl_clientcert);
    read.text("PYRO_SSL_CLIENTKEY", config.ssl_clientkey);
    read.text("PYRO_SSL_CLIENTKEYPASSWD", config.ssl_clientkeypasswd);
    read.text("PYRO_SSL_CACERTS", config.ssl_cacerts);
    return config;
}

Config Config::from_environment() {
    return from_environment([](std::string_view name) -> std::optional<std::string> {
        // std::getenv needs a terminated string; the names above are literals, so this is cheap.
        if (const char* value = std::getenv(std::string(name).c_str())) {
            return std::string(value);
        }
        return std::nullopt;
    });
}

} // namespace pyro
