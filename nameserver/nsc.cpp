#include "nameserver/nsc.hpp"

#include <algorithm>
#include <array>
#include <istream>
#include <ostream>

#include "nameserver/name_server_object.hpp"
#include "nameserver/ns_output.hpp"
#include "nameserver/nsc_output.hpp"
#include "pyro/errors.hpp"
#include "pyro/name_server.hpp"

namespace pyro::ns {

namespace {

// ---------------------------------------------------------------------------------------------
// optparse, as far as pyro4-nsc uses it

struct OptionSpec {
    char short_name;
    std::string_view long_name;
    bool takes_value;
};

constexpr std::array<OptionSpec, 6> option_specs{{
    {'h', "--help", false},
    {'n', "--host", true},
    {'p', "--port", true},
    {'u', "--unixsocket", true},
    {'k', "--key", true},
    {'v', "--verbose", false},
}};

struct OptionError {
    std::string message;
};

// Python's int(text, base): surrounding whitespace, a sign, "0x" again for base 16, and single
// underscores between digits.
std::optional<int> python_int(std::string_view text, int base) {
    const auto first = text.find_first_not_of(" \t\n\r\f\v");
    const auto last = text.find_last_not_of(" \t\n\r\f\v");
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    text = text.substr(first, last - first + 1);
    bool negative = false;
    if (text.front() == '-' || text.front() == '+') {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    if (base == 16 && text.size() > 2 && text[0] == '0' && (text[1] | 0x20) == 'x') {
        text.remove_prefix(2);
    }
    long long value = 0;
    bool digit_before = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '_' && digit_before && i + 1 < text.size() && text[i + 1] != '_') {
            continue;
        }
        const int digit = c >= '0' && c <= '9'                     ? c - '0'
                          : (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? (c | 0x20) - 'a' + 10
                                                                   : 99;
        if (digit >= base) {
            return std::nullopt;
        }
        value = value * base + digit;
        if (value > 0x7fffffff) {
            return std::nullopt;
        }
        digit_before = true;
    }
    if (!digit_before) {
        return std::nullopt;
    }
    return static_cast<int>(negative ? -value : value);
}

// optparse's _parse_num for type="int": "0x…" hex, "0b…" binary, a leading 0 means octal.
std::optional<int> optparse_int(std::string_view text) {
    std::string head(text.substr(0, 2));
    for (auto& c : head) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (head == "0x") {
        return python_int(text, 16);
    }
    if (head == "0b") {
        return python_int(text.substr(2), 2);
    }
    if (text.size() > 1 && text[0] == '0') {
        return python_int(text, 8);
    }
    return python_int(text, 10);
}

std::string python_quoted(std::string_view text) {
    return Value(text).repr();
}

// Applies one option; returns true for --help.
bool apply(NscOptions& options, const OptionSpec& spec, std::string_view used,
           const std::string& value) {
    switch (spec.short_name) {
    case 'h':
        return true;
    case 'n':
        options.host = value;
        break;
    case 'p': {
        const auto port = optparse_int(value);
        if (!port) {
            throw OptionError{"option " + std::string(used) +
                              ": invalid integer value: " + python_quoted(value)};
        }
        options.port = *port;
        break;
    }
    case 'u':
        options.unixsocket = value;
        break;
    case 'k':
        options.key = value;
        break;
    case 'v':
        options.verbose = true;
        break;
    default:
        break;
    }
    return false;
}

const OptionSpec& match_long(std::string_view option) {
    std::vector<const OptionSpec*> candidates;
    for (const auto& spec : option_specs) {
        if (spec.long_name == option) {
            return spec;
        }
        if (spec.long_name.starts_with(option)) {
            candidates.push_back(&spec);
        }
    }
    if (candidates.size() == 1) {
        return *candidates.front();
    }
    if (candidates.empty()) {
        throw OptionError{"no such option: " + std::string(option)};
    }
    std::string names;
    for (const auto* spec : candidates) { // already sorted: option_specs is in this order
        names += (names.empty() ? "" : ", ") + std::string(spec->long_name);
    }
    throw OptionError{"ambiguous option: " + std::string(option) + " (" + names + "?)"};
}

// Returns true when --help was asked for.
bool parse_options(const std::vector<std::string>& arguments, NscOptions& options) {
    std::vector<std::string> rest(arguments.rbegin(), arguments.rend()); // back() = next
    const auto take = [&] {
        std::string value = rest.back();
        rest.pop_back();
        return value;
    };
    while (!rest.empty()) {
        const std::string arg = take();
        if (arg == "--") {
            while (!rest.empty()) {
                options.args.push_back(take());
            }
            break;
        }
        if (arg.starts_with("--")) {
            const auto equals = arg.find('=');
            const std::string name = arg.substr(0, equals);
            const OptionSpec& spec = match_long(name);
            std::string value;
            if (spec.takes_value) {
                if (equals != std::string::npos) {
                    value = arg.substr(equals + 1);
                } else if (rest.empty()) {
                    throw OptionError{std::string(spec.long_name) + " option requires 1 argument"};
                } else {
                    value = take();
                }
            } else if (equals != std::string::npos) {
                throw OptionError{std::string(spec.long_name) + " option does not take a value"};
            }
            if (apply(options, spec, spec.long_name, value)) {
                return true;
            }
        } else if (arg.size() > 1 && arg[0] == '-') {
            for (std::size_t i = 1; i < arg.size(); ++i) {
                const std::string used = std::string("-") + arg[i];
                const auto spec =
                    std::find_if(option_specs.begin(), option_specs.end(),
                                 [&](const auto& s) { return s.short_name == arg[i]; });
                if (spec == option_specs.end()) {
                    throw OptionError{"no such option: " + used};
                }
                std::string value;
                bool stop = false;
                if (spec->takes_value) {
                    if (i + 1 < arg.size()) {
                        value = arg.substr(i + 1);
                        stop = true;
                    } else if (rest.empty()) {
                        throw OptionError{used + " option requires 1 argument"};
                    } else {
                        value = take();
                    }
                }
                if (apply(options, *spec, used, value)) {
                    return true;
                }
                if (stop) {
                    break;
                }
            }
        } else {
            options.args.push_back(arg); // optparse allows options after the command
        }
    }
    return false;
}

constexpr std::array<std::string_view, 10> commands{
    "register", "remove",       "removematching", "list",    "listmatching",
    "lookup",   "listmeta_all", "listmeta_any",   "setmeta", "ping"};

// pyro4-nsc's SystemExit("requires …"): message on stderr, exit code 1.
struct ArgumentCountExit {
    std::string_view message;
};

// The short Python class name type(x).__name__ shows: "Pyro4.errors.NamingError" → "NamingError".
std::string class_name_of(const PyroError& error) {
    const std::string full = error.python_class();
    const auto dot = full.rfind('.');
    return dot == std::string::npos ? full : full.substr(dot + 1);
}

Value tag_set(const std::vector<std::string>& args, std::size_t from) {
    Value::Items tags;
    for (std::size_t i = from; i < args.size(); ++i) {
        if (std::find(tags.begin(), tags.end(), Value(args[i])) == tags.end()) {
            tags.emplace_back(args[i]);
        }
    }
    return Value::set(std::move(tags));
}

void print_list(std::ostream& out, const Value& result, std::string_view title) {
    out << text::list_start(title) << '\n';
    std::vector<const Value::Entry*> entries;
    for (const auto& entry : result.entries()) {
        entries.push_back(&entry);
    }
    // sorted(resultdict.items()): by name.
    std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) {
        return a->first.as_string() < b->first.as_string();
    });
    for (const auto* entry : entries) {
        const Value& pair = entry->second;
        if (!pair.is_sequence() || pair.items().size() != 2) {
            throw RemoteError("builtins.ValueError", "too many values to unpack (expected 2)");
        }
        out << text::list_entry(text::python_str(entry->first), text::python_str(pair.items()[0]))
            << '\n';
        if (truthy(pair.items()[1])) {
            out << text::list_metadata(pair.items()[1]) << '\n';
        }
    }
    out << text::list_end(title) << '\n';
}

void execute(const std::vector<std::string>& args, const NscCall& call, std::istream& in,
             std::ostream& out) {
    const std::string& command = args[0];
    const Value yes(true);
    if (command == "ping") {
        call("ping", {}, {});
        out << text::ping_ok << '\n';
    } else if (command == "list") {
        if (args.size() == 1) {
            print_list(out, call("list", {}, {{"return_metadata", yes}}), "");
        } else {
            print_list(out, call("list", {}, {{"prefix", args[1]}, {"return_metadata", yes}}),
                       text::prefix_title(args[1]));
        }
    } else if (command == "listmatching") {
        if (args.size() != 2) {
            throw ArgumentCountExit{text::needs_pattern};
        }
        print_list(out, call("list", {}, {{"regex", args[1]}, {"return_metadata", yes}}),
                   text::regex_title(args[1]));
    } else if (command == "lookup") {
        if (args.size() != 2) {
            throw ArgumentCountExit{text::needs_name};
        }
        const Value result = call("lookup", {args[1]}, {{"return_metadata", yes}});
        if (!result.is_sequence() || result.items().size() != 2) {
            throw RemoteError("builtins.TypeError", "cannot unpack non-iterable URI object");
        }
        out << text::python_str(result.items()[0]) << '\n';
        if (truthy(result.items()[1])) {
            out << text::lookup_metadata(result.items()[1]) << '\n';
        }
    } else if (command == "register") {
        if (args.size() != 3) {
            throw ArgumentCountExit{text::needs_name_uri};
        }
        call("register", {args[1], args[2]}, {{"safe", yes}});
        out << text::registered(args[1]) << '\n';
    } else if (command == "remove") {
        if (args.size() != 2) {
            throw ArgumentCountExit{text::needs_name};
        }
        const Value count = call("remove", {args[1]}, {});
        out << (count.is_int() && count.as_int() > 0 ? text::removed(args[1])
                                                     : std::string(text::nothing_removed))
            << '\n';
    } else if (command == "removematching") {
        if (args.size() != 2) {
            throw ArgumentCountExit{text::needs_pattern};
        }
        out << text::remove_prompt << std::flush;
        std::string answer;
        if (!std::getline(in, answer) && answer.empty()) {
            throw RemoteError("builtins.EOFError", "EOF when reading a line");
        }
        const auto first = answer.find_first_not_of(" \t\r\n\f\v");
        const auto last = answer.find_last_not_of(" \t\r\n\f\v");
        answer = first == std::string::npos ? "" : answer.substr(first, last - first + 1);
        if (answer == "y" || answer == "Y") {
            const Value count = call("remove", {}, {{"regex", args[1]}});
            out << text::items_removed(count.repr()) << '\n';
        }
    } else if (command == "setmeta") {
        if (args.size() < 2) {
            throw ArgumentCountExit{text::needs_meta_target};
        }
        const Value tags = tag_set(args, 2);
        call("set_metadata", {args[1], tags}, {});
        out << (tags.items().empty() ? text::metadata_cleared : text::metadata_updated) << '\n';
    } else if (command == "listmeta_all" || command == "listmeta_any") {
        if (args.size() < 2) {
            throw ArgumentCountExit{text::needs_tag};
        }
        const std::string filter = command == "listmeta_all" ? "metadata_all" : "metadata_any";
        print_list(out, call("list", {}, {{filter, tag_set(args, 1)}, {"return_metadata", yes}}),
                   text::metadata_title);
    }
}

} // namespace

NscCommandLine parse_nsc_command_line(std::string_view program,
                                      const std::vector<std::string>& arguments) {
    NscCommandLine result;
    NscOptions options;
    try {
        if (parse_options(arguments, options)) {
            result.out = text::nsc_help(program);
            return result;
        }
    } catch (const OptionError& error) {
        result.exit_code = 2;
        result.err = text::nsc_option_error(program, error.message);
        return result;
    }
    result.options = std::move(options);
    return result;
}

int run_nsc_command(const std::vector<std::string>& args, const NscCall& call, std::istream& in,
                    std::ostream& out, std::ostream& err) {
    try {
        try {
            execute(args, call, in, out);
        } catch (const PyroError& error) {
            out << text::error_line(class_name_of(error), error.what()) << '\n';
        } catch (const std::exception& error) {
            out << text::error_line("Exception", error.what()) << '\n';
        }
    } catch (const ArgumentCountExit& exit) {
        out.flush();
        err << exit.message << '\n';
        return 1;
    }
    out.flush();
    return 0;
}

int nsc_main(std::string_view program, const std::vector<std::string>& arguments, Config config,
             const std::optional<std::string>& environment_key, std::istream& in, std::ostream& out,
             std::ostream& err) {
    NscCommandLine command_line = parse_nsc_command_line(program, arguments);
    if (!command_line.options) {
        out << command_line.out << std::flush;
        err << command_line.err << std::flush;
        return command_line.exit_code;
    }
    NscOptions& options = *command_line.options;
    // Python tests the key's truth value: -k "" is no key.
    if (options.key && options.key->empty()) {
        options.key.reset();
    }
    if (options.key) {
        err << text::key_deprecated(program) << std::endl;
    }
    if (environment_key) {
        if (options.key) {
            err << text::key_conflict << std::endl;
            return 1;
        }
        options.key = environment_key;
    }
    if (options.args.empty() ||
        std::find(commands.begin(), commands.end(), options.args[0]) == commands.end()) {
        err << text::nsc_option_error(program, text::invalid_command) << std::flush;
        return 2;
    }
    if (options.verbose) {
        out << text::locating << std::endl;
    }
    if (options.unixsocket) {
        options.host = "./u:" + *options.unixsocket;
    }
    config.hmac_key = options.key;
    // pyro4-nsc treats -p 0 as "not given" (Python's `port or NS_PORT`).
    const std::optional<int> port =
        options.port && *options.port != 0 ? options.port : std::optional<int>();
    std::optional<NameServer> ns;
    try {
        ns.emplace(locate_ns(config, options.host, port));
    } catch (const NamingError&) {
        // Nothing answered where it looked: pyro4-nsc's words exactly.
        out << text::locate_failed << std::endl;
        return 0;
    } catch (const PyroError& error) {
        // Something answered but cannot be used (another HMAC key, a refused serializer, not a
        // name server): pyro4-nsc says "Failed to locate" here too, which sends students off to
        // start a second name server. Say what is wrong instead.
        out << text::locate_problem(error.what()) << std::endl;
        return 0;
    }
    if (options.verbose) {
        out << text::found(ns->proxy().uri().str()) << std::endl;
    }
    const NscCall call = [&](std::string_view method, Value::Items args, Value::Entries kwargs) {
        return ns->proxy().invoke(method, std::move(args), std::move(kwargs));
    };
    const int code = run_nsc_command(options.args, call, in, out, err);
    if (code == 0 && options.verbose) {
        out << text::done << std::endl;
    }
    return code;
}

} // namespace pyro::ns
