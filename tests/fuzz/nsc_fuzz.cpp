// Fuzz target: the pyro-nsc command line and its commands (nameserver/nsc.hpp), without a
// network. The input is the argument list, one argument per line; after a NUL byte comes the
// serpent text the fake name server answers every call with (an empty dict when absent), then
// after a second NUL the line the removematching prompt reads.
//
// Documented outcomes are exit codes and texts; pyro::PyroError escaping from the fake call is
// turned into an "Error: …" line by run_nsc_command. Anything escaping, a crash, a leak or a hang
// is a finding.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "nameserver/nsc.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"

namespace {

std::string_view take_until_nul(std::string_view& rest) {
    const auto nul = rest.find('\0');
    const std::string_view part = rest.substr(0, nul);
    rest.remove_prefix(nul == std::string_view::npos ? rest.size() : nul + 1);
    return part;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    const std::string_view command_line = take_until_nul(rest);
    const std::string_view reply_text = take_until_nul(rest);
    const std::string stdin_text(rest);

    std::vector<std::string> arguments;
    std::string_view lines = command_line;
    while (!lines.empty()) {
        const auto end = lines.find('\n');
        arguments.emplace_back(lines.substr(0, end));
        lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 1);
    }

    const pyro::ns::NscCommandLine parsed = pyro::ns::parse_nsc_command_line("pyro-nsc", arguments);
    if (!parsed.options || parsed.options->args.empty()) {
        return 0; // nsc_main stops here too: help, a usage error, or no command
    }
    // The reply is parsed per call, as a proxy deserializes each answer; a bad one is an error
    // the command reports, as a broken name server would be.
    const pyro::ns::NscCall call = [&](std::string_view, pyro::Value::Items, pyro::Value::Entries) {
        return reply_text.empty() ? pyro::Value::dict({}) : pyro::from_serpent(reply_text);
    };
    std::istringstream in(stdin_text);
    std::ostringstream out;
    std::ostringstream err;
    (void)pyro::ns::run_nsc_command(parsed.options->args, call, in, out, err);
    return 0;
}
