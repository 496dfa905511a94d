// Every text pyro-nsc prints, in one place, exactly as pyro4-nsc prints it (PYRO4-WIRE.md §9.2,
// vectors/nsc_*.json): the usage and help, the list block, each command's answer, the error
// lines. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "pyro/value.hpp"

namespace pyro::ns::text {

// optparse's usage and --help, with `program` where optparse writes %prog.
[[nodiscard]] std::string nsc_usage(std::string_view program);
[[nodiscard]] std::string nsc_help(std::string_view program);
// What optparse's parser.error() writes to stderr (then exit code 2).
[[nodiscard]] std::string nsc_option_error(std::string_view program, std::string_view message);

inline constexpr std::string_view invalid_command = "invalid or missing command";
inline constexpr std::string_view locating = "Locating name server...";
inline constexpr std::string_view done = "Done.";
inline constexpr std::string_view locate_failed = "Error: Failed to locate the nameserver";
// libpyro's own: a name server (or something) answered but cannot be used; `cause` says why
// and what to do (errors.hpp).
[[nodiscard]] std::string locate_problem(std::string_view cause);
inline constexpr std::string_view ping_ok = "Name server ping ok.";
inline constexpr std::string_view nothing_removed = "Nothing removed";
inline constexpr std::string_view metadata_updated = "Metadata updated";
inline constexpr std::string_view metadata_cleared = "Metadata cleared";
inline constexpr std::string_view remove_prompt =
    "Potentially removing lots of items from the Name server. Are you sure (y/n)?";

// The messages of pyro4-nsc's SystemExit (stderr, exit code 1).
inline constexpr std::string_view needs_name = "requires one argument: name";
inline constexpr std::string_view needs_name_uri = "requires two arguments: name uri";
inline constexpr std::string_view needs_pattern = "requires one argument: pattern";
inline constexpr std::string_view needs_meta_target =
    "requires at least 2 arguments: uri and zero or more meta tags";
inline constexpr std::string_view needs_tag = "requires at least one metadata tag argument";

[[nodiscard]] std::string found(std::string_view uri);
[[nodiscard]] std::string registered(std::string_view name);
[[nodiscard]] std::string removed(std::string_view name);
[[nodiscard]] std::string items_removed(std::string_view count);
// "Error: NamingError - unknown name: x".
[[nodiscard]] std::string error_line(std::string_view class_name, std::string_view message);

// List block titles: "" (everything), "- prefix 'P'", "- regex 'R'", " - searched by metadata".
[[nodiscard]] std::string prefix_title(std::string_view prefix);
[[nodiscard]] std::string regex_title(std::string_view regex);
inline constexpr std::string_view metadata_title = " - searched by metadata";
[[nodiscard]] std::string list_start(std::string_view title);
[[nodiscard]] std::string list_end(std::string_view title);
[[nodiscard]] std::string list_entry(std::string_view name, std::string_view uri);
// "    metadata: ['a', 'b']" under a list entry; "metadata: ['a', 'b']" after lookup.
[[nodiscard]] std::string list_metadata(const Value& metadata);
[[nodiscard]] std::string lookup_metadata(const Value& metadata);

// Python's str() of a value as pyro4-nsc prints it: a str as it is, a Pyro4.core.URI as its URI
// text, anything else as its repr() (Value::repr, which quotes strings as Python does).
[[nodiscard]] std::string python_str(const Value& value);

} // namespace pyro::ns::text
