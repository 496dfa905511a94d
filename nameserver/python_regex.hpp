// The regexes of NameServer.list(regex=…) and remove(regex=…): Python's re.match() — Python's
// syntax, error texts and Unicode rules, anchored at the start of the name, not necessarily at its
// end — on PCRE2 (UTF + UCP, JIT where available) with bounded cost.
//
//   const pyro::ns::PythonRegex regex(R"(\w+\.server)");
//   regex.match("écho.server"); // true, as re.match() says
//
// A front end reads the pattern exactly as Python 3.11's re parser does (same errors, same
// positions) and writes an equivalent PCRE2 pattern: named groups become numbered ones, flags
// are resolved, \s, ^, $, \Z and ASCII mode are spelt out explicitly, \N{NAME} is looked up in
// the Unicode tables of the Python that pyro4-ns runs with. It works without recursion, so a
// long or deeply nested pattern cannot exhaust the stack, and every match runs under PCRE2's
// match, depth and heap limits (JIT: a bounded JIT stack), so no pattern can crash or stall the
// name server that a whole class shares.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pyro::ns {

class PythonRegex {
public:
    // What PCRE2 cannot hold, or would make too costly, is refused with these limits named.
    static constexpr std::uint32_t max_repeat_count = 65535;   // PCRE2's own cap on {m,n}
    static constexpr std::uint32_t max_nesting = 200;          // parentheses inside parentheses
    static constexpr std::uint32_t match_limit = 1'000'000;    // PCRE2 match() calls per name
    static constexpr std::uint32_t depth_limit = 250'000;      // backtracking depth per name
    static constexpr std::uint32_t heap_limit_kib = 64 * 1024; // backtracking memory per name
    static constexpr std::uint32_t jit_stack_limit_kib = 16 * 1024;

    // Compiles `pattern` (UTF-8) as re.compile() would. Throws NamingError("invalid regex: " +
    // Python's text, e.g. "bad escape \q at position 3") as pyro4-ns does for a pattern Python
    // refuses, and NamingError("invalid regex: …limit…") for one beyond the limits above.
    // Where Python raises something other than re.error (an out-of-range repeat count, ASCII
    // and UNICODE flags together), pyro4-ns passes that exception on: RemoteError with Python's
    // class, e.g. "builtins.OverflowError". Takes time linear in the pattern's length.
    explicit PythonRegex(std::string_view pattern);
    ~PythonRegex();
    PythonRegex(PythonRegex&&) noexcept;
    PythonRegex& operator=(PythonRegex&&) noexcept;
    PythonRegex(const PythonRegex&) = delete;
    PythonRegex& operator=(const PythonRegex&) = delete;

    // re.match(pattern, name) is not None. A name that is not valid UTF-8 never matches. Throws
    // NamingError("regex too costly: match limit of 1000000 reached on name '…'") (or the
    // depth, heap or JIT stack limit) instead of running away. Thread-safe: any number of
    // threads may match with one PythonRegex at once.
    [[nodiscard]] bool match(std::string_view name) const;

    // The PCRE2 pattern the front end wrote (for tests and for explaining a refusal).
    [[nodiscard]] const std::string& translated() const;

private:
    struct Compiled;
    std::unique_ptr<Compiled> compiled_;
};

} // namespace pyro::ns
