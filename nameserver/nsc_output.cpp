#include "nameserver/nsc_output.hpp"

#include "pyro/serializer.hpp"
#include "pyro/uri.hpp"

namespace pyro::ns::text {

std::string nsc_usage(std::string_view program) {
    return "Usage: " + std::string(program) +
           " [options] command [arguments]\n"
           "Commands: register remove removematching lookup list listmatching\n"
           "          listmeta_all listmeta_any setmeta ping\n";
}

std::string nsc_help(std::string_view program) {
    return nsc_usage(program) + R"(
Options:
  -h, --help            show this help message and exit
  -n HOST, --host=HOST  hostname of the NS
  -p PORT, --port=PORT  port of the NS (or bc-port if host isn't specified)
  -u UNIXSOCKET, --unixsocket=UNIXSOCKET
                        Unix domain socket name of the NS
  -k KEY, --key=KEY     the HMAC key to use (deprecated)
  -v, --verbose         verbose output
)";
}

std::string nsc_option_error(std::string_view program, std::string_view message) {
    return nsc_usage(program) + "\n" + std::string(program) + ": error: " + std::string(message) +
           "\n";
}

std::string found(std::string_view uri) {
    return "Name server found: " + std::string(uri);
}

std::string registered(std::string_view name) {
    return "Registered " + std::string(name);
}

std::string removed(std::string_view name) {
    return "Removed " + std::string(name);
}

std::string items_removed(std::string_view count) {
    return std::string(count) + " items removed.";
}

std::string locate_problem(std::string_view cause) {
    return "Error: " + std::string(cause);
}

std::string error_line(std::string_view class_name, std::string_view message) {
    return "Error: " + std::string(class_name) + " - " + std::string(message);
}

std::string prefix_title(std::string_view prefix) {
    return "- prefix '" + std::string(prefix) + "'";
}

std::string regex_title(std::string_view regex) {
    return "- regex '" + std::string(regex) + "'";
}

std::string list_start(std::string_view title) {
    return "--------START LIST " + std::string(title);
}

std::string list_end(std::string_view title) {
    return "--------END LIST " + std::string(title);
}

std::string list_entry(std::string_view name, std::string_view uri) {
    return std::string(name) + " --> " + std::string(uri);
}

std::string list_metadata(const Value& metadata) {
    return "    metadata: " + python_str(metadata);
}

std::string lookup_metadata(const Value& metadata) {
    return "metadata: " + python_str(metadata);
}

std::string python_str(const Value& value) {
    if (value.is_string()) {
        return value.as_string();
    }
    if (const Value* class_name = value.find("__class__");
        class_name != nullptr && class_name->is_string() &&
        class_name->as_string() == "Pyro4.core.URI") {
        return uri_from_value(value).str();
    }
    return value.repr();
}

} // namespace pyro::ns::text
