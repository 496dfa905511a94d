// The regexes of list/remove (nameserver/python_regex.hpp): Python's syntax and error texts, the
// limits that keep one student's pattern from crashing or stalling a shared name server, and a
// table of patterns answered both by PythonRegex and by the real pyro4-ns code (Pyro4 4.82's
// NameServer.list over Python's re, run now through python_regex_oracle.py).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "nameserver/python_regex.hpp"
#include "pyro/errors.hpp"
#include "support/process.hpp"
#include "support/python.hpp"
#include "support/vectors.hpp"

namespace pyro::ns {
namespace {

using namespace std::chrono_literals;

// "Class: text" of what the constructor throws, "" when it compiles.
std::string compile_error(std::string_view pattern) {
    try {
        const PythonRegex regex(pattern);
    } catch (const PyroError& error) {
        return error.python_class() + ": " + error.what();
    }
    return "";
}

std::string naming_error(const std::string& text) {
    return "Pyro4.errors.NamingError: " + text;
}

bool matches(std::string_view pattern, std::string_view name) {
    return PythonRegex(pattern).match(name);
}

// How long `f` takes.
template <class F>
std::chrono::milliseconds timed(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

// A bound that means "returns at once" yet leaves room for a loaded two-core machine.
constexpr auto quickly = 1500ms;

// ---------------------------------------------------------------------------------------------
// Translation: what Python spells differently, written for PCRE2

TEST(PythonRegexTranslation, NamedGroupsBecomeNumberedOnes) {
    EXPECT_EQ(PythonRegex("(?P<n>a)(?P=n)").translated(), "(a)\\g{1}");
    EXPECT_EQ(PythonRegex("(a)(b)\\2").translated(), "(a)(b)\\g{2}");
}

TEST(PythonRegexTranslation, AnchorsAreSpeltOut) {
    EXPECT_EQ(PythonRegex("\\Aa\\Z").translated(), "\\Aa\\z");
    EXPECT_EQ(PythonRegex("^a$").translated(), "\\Aa(?=\\n?\\z)");
    EXPECT_EQ(PythonRegex("(?m)^a$").translated(), "(?<![^\\n])a(?![^\\n])");
}

TEST(PythonRegexTranslation, RepeatsWithoutAMinimumGetZero) {
    EXPECT_EQ(PythonRegex("a{,3}").translated(), "a{0,3}");
    EXPECT_EQ(PythonRegex("a{,}").translated(), "a*");
    EXPECT_EQ(PythonRegex("a{2,}?b{3}+").translated(), "a{2,}?b{3}+");
    EXPECT_EQ(PythonRegex("a{}").translated(), "a\\x{7b}\\x{7d}");
}

TEST(PythonRegexTranslation, CharactersAreWrittenAsCodePoints) {
    EXPECT_EQ(PythonRegex("\\N{LATIN SMALL LETTER E WITH ACUTE}").translated(), "\\x{e9}");
    EXPECT_EQ(PythonRegex("\\u00e9\\U0001F600\\x41\\101").translated(), "\\x{e9}\\x{1f600}AA");
    EXPECT_EQ(PythonRegex("é.").translated(), "\\x{e9}[^\\n]");
    EXPECT_EQ(PythonRegex("(?s).").translated(), "(?s:.)");
}

TEST(PythonRegexTranslation, PosixClassesAreNotClassesInPython) {
    // A set of '[', ':', 'a', 'l', 'p', 'h', then a literal ']'.
    EXPECT_EQ(PythonRegex("[[:alpha:]]").translated(),
              "[\\x{5b}\\x{3a}\\x{61}\\x{6c}\\x{70}\\x{68}\\x{61}\\x{3a}]\\x{5d}");
    EXPECT_TRUE(matches("[[:alpha:]]", "a]"));
    EXPECT_FALSE(matches("[[:alpha:]]", "b]"));
}

TEST(PythonRegexTranslation, ScopedFlagsScopeCaseless) {
    EXPECT_EQ(PythonRegex("(?i:a)b").translated(), "(?i:a)b");
    EXPECT_EQ(PythonRegex("(?i)a(?-i:b)").translated(), "a(?-i:b)");
    EXPECT_TRUE(matches("(?i:a)b", "Ab"));
    EXPECT_FALSE(matches("(?i:a)b", "AB"));
    EXPECT_TRUE(matches("(?i)a(?-i:b)", "Ab"));
    EXPECT_FALSE(matches("(?i)a(?-i:b)", "aB"));
}

TEST(PythonRegexTranslation, VerboseDropsWhitespaceAndComments) {
    EXPECT_EQ(PythonRegex("(?x) a b # comment\n c [ ]").translated(), "abc[\\x{20}]");
    EXPECT_EQ(PythonRegex("(?x:a b) c").translated(), "(?:ab)\\x{20}c");
}

TEST(PythonRegexTranslation, AsciiModeIsSpeltOut) {
    EXPECT_EQ(PythonRegex("(?a)\\d").translated(), "[\\x{30}-\\x{39}]");
    EXPECT_EQ(PythonRegex("(?ai)k").translated(), "[kK]");
    EXPECT_FALSE(matches("(?ai)k", "\u212a")); // KELVIN SIGN folds to k only in Unicode mode
    EXPECT_TRUE(matches("(?i)k", "\u212a"));
}

// ---------------------------------------------------------------------------------------------
// Errors: Python's texts, "invalid regex: " in front as pyro4-ns puts it

TEST(PythonRegexErrors, PythonsTextAndPosition) {
    EXPECT_EQ(compile_error("\\q"), naming_error("invalid regex: bad escape \\q at position 0"));
    EXPECT_EQ(compile_error("abc\\q"), naming_error("invalid regex: bad escape \\q at position 3"));
    EXPECT_EQ(compile_error("(abc"),
              naming_error("invalid regex: missing ), unterminated subpattern at position 0"));
    EXPECT_EQ(compile_error("abc)"),
              naming_error("invalid regex: unbalanced parenthesis at position 3"));
    EXPECT_EQ(compile_error("*a"), naming_error("invalid regex: nothing to repeat at position 0"));
    EXPECT_EQ(compile_error("a**"), naming_error("invalid regex: multiple repeat at position 2"));
    EXPECT_EQ(compile_error("[a-"),
              naming_error("invalid regex: unterminated character set at position 0"));
    EXPECT_EQ(compile_error("\\"),
              naming_error("invalid regex: bad escape (end of pattern) at position 0"));
    EXPECT_EQ(compile_error("\\N{NOT A NAME}"),
              naming_error("invalid regex: undefined character name 'NOT A NAME' at position 0"));
    EXPECT_EQ(compile_error("(?P<é>a)(?P=x)"),
              naming_error("invalid regex: unknown group name 'x' at position 12"));
    EXPECT_EQ(compile_error("(?<=a|bc)"),
              naming_error("invalid regex: look-behind requires fixed-width pattern"));
}

TEST(PythonRegexErrors, LineAndColumnWhenThePatternHasSeveralLines) {
    EXPECT_EQ(compile_error("a\n(b"),
              naming_error("invalid regex: missing ), unterminated subpattern at position 2 "
                           "(line 2, column 1)"));
}

TEST(PythonRegexErrors, OtherPythonExceptionsKeepTheirClass) {
    EXPECT_EQ(compile_error("a{4294967295}"),
              "builtins.OverflowError: the repetition number is too large");
    EXPECT_EQ(compile_error("(?a)(?u)x"),
              "builtins.ValueError: ASCII and UNICODE flags are incompatible");
}

TEST(PythonRegexErrors, NotUtf8) {
    EXPECT_EQ(compile_error("\xff"), naming_error("invalid regex: the pattern is not valid UTF-8"));
}

// ---------------------------------------------------------------------------------------------
// Limits: refused or stopped with the limit named, in milliseconds

TEST(PythonRegexLimits, RepeatCountAbovePcre2sCap) {
    EXPECT_EQ(compile_error("a{1000000}"),
              naming_error("invalid regex: repeat count 1000000 is above the name server's "
                           "limit of 65535"));
    EXPECT_EQ(compile_error("a{65535}"), "");
    // Python's own errors come first, as pyro4-ns would report them.
    EXPECT_EQ(compile_error("a{1000000}("),
              naming_error("invalid regex: missing ), unterminated subpattern at position 10"));
}

TEST(PythonRegexLimits, Nesting) {
    const auto nested = [](std::size_t depth) {
        return std::string(depth, '(') + "a" + std::string(depth, ')');
    };
    EXPECT_EQ(compile_error(nested(PythonRegex::max_nesting)), "");
    EXPECT_TRUE(PythonRegex(nested(PythonRegex::max_nesting)).match("a"));
    EXPECT_EQ(compile_error(nested(PythonRegex::max_nesting + 1)),
              naming_error("invalid regex: parentheses nested 201 deep, above the name "
                           "server's limit of 200"));
    std::string error;
    EXPECT_LT(timed([&] { error = compile_error(std::string(100'000, '(')); }), quickly);
    EXPECT_NE(error.find("above the name server's limit of 200"), std::string::npos) << error;
}

TEST(PythonRegexLimits, LongPatternsWorkOrAreRefusedAtOnce) {
    std::string error;
    EXPECT_LT(timed([&] { error = compile_error(std::string(100'000, 'a')); }), quickly);
    EXPECT_EQ(error, naming_error("invalid regex: the pattern is above the name server's size "
                                  "limit (PCRE2: regular expression is too large)"));

    const std::string set = "[" + std::string(99'998, 'b') + "]";
    const std::string verbose = "(?x)" + std::string(99'990, ' ') + "b";
    const std::string comment = "(?#" + std::string(99'990, '-') + ")b";
    for (const auto& pattern : {set, verbose, comment}) {
        bool matched = false;
        EXPECT_LT(timed([&] { matched = PythonRegex(pattern).match("b"); }), quickly);
        EXPECT_TRUE(matched) << pattern.substr(0, 10);
    }
    std::string names;
    for (int i = 0; i < 5000; ++i) {
        names += "\\N{LATIN SMALL LETTER E WITH ACUTE}";
    }
    EXPECT_LT(timed([&] { error = compile_error(names); }), quickly);
    EXPECT_EQ(error, "");
}

TEST(PythonRegexLimits, LongNames) {
    const std::string name(100'000, 'a');
    const std::string other = std::string(99'999, 'a') + "b";
    for (const auto& [pattern, want] :
         std::vector<std::pair<std::string, bool>>{{".*", true},
                                                   {".*b", false},
                                                   {"\\w+$", true},
                                                   {"(?:a|b)*$", true},
                                                   {"(a)*b", false},
                                                   {"(?s).*a\\Z", true},
                                                   {"a{65535}", true}}) {
        bool matched = !want;
        EXPECT_LT(timed([&] { matched = PythonRegex(pattern).match(name); }), quickly) << pattern;
        EXPECT_EQ(matched, want) << pattern;
    }
    EXPECT_TRUE(PythonRegex("(?:a|b)*b$").match(other));
}

TEST(PythonRegexLimits, CatastrophicPatternsStopAtTheMatchLimit) {
    for (const auto& [pattern, name] : std::vector<std::pair<std::string, std::string>>{
             // The name holds the last character: PCRE2 skips a name that lacks it outright.
             {"(a*)*b", std::string(30, 'a') + "cb"},
             {"(a|aa)*b", std::string(60, 'a') + "cb"},
             {"(x+x+)+y", std::string(40, 'x') + "zy"},
             {"(\\w+\\s?)+$", std::string(40, 'w') + "!"}}) {
        const PythonRegex regex(pattern);
        std::string error;
        const auto took = timed([&] {
            try {
                (void)regex.match(name);
            } catch (const NamingError& e) {
                error = e.what();
            }
        });
        EXPECT_LT(took, quickly) << pattern;
        EXPECT_EQ(error.rfind("regex too costly: match limit of 1000000 reached on name '", 0), 0U)
            << pattern << ": " << error;
    }
}

TEST(PythonRegexLimits, TheMatchLimitIsTheNameServersNotPcre2sDefault) {
    // About 1.4 million steps (JIT; 2.8 million interpreted): within PCRE2's default limit of ten
    // million, not within ours.
    const PythonRegex regex("(?:a|b)*(?:a|b)*(?:a|b)*c");
    EXPECT_THROW((void)regex.match(std::string(200, 'a') + "dc"), NamingError);
    EXPECT_FALSE(regex.match(std::string(100, 'a') + "dc"));
}

TEST(PythonRegexLimits, ALimitErrorShowsTheStartOfTheName) {
    try {
        (void)PythonRegex("(a*)*b").match(std::string(60, 'a') + "cb");
        FAIL() << "no error";
    } catch (const NamingError& error) {
        EXPECT_STREQ(error.what(), ("regex too costly: match limit of 1000000 reached on name '" +
                                    std::string(40, 'a') + "\u2026'")
                                       .c_str());
    }
}

TEST(PythonRegexLimits, ManyThreadsMatchWithOneRegex) {
    const PythonRegex regex("(?:\\w+\\.)*server$");
    std::vector<std::jthread> threads;
    std::atomic<int> matched{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) {
                matched += regex.match("alice.echo.server") ? 1 : 0;
            }
        });
    }
    threads.clear();
    EXPECT_EQ(matched.load(), 2000);
}

// ---------------------------------------------------------------------------------------------
// Unicode: str patterns are Unicode in Python

TEST(PythonRegexUnicode, WordDigitSpaceAndBoundary) {
    EXPECT_TRUE(matches("\\w+$", "école_42"));
    EXPECT_TRUE(matches("\\w+$", "日本語"));
    EXPECT_TRUE(matches("\\w$", "²")); // isalnum(): numeric counts
    EXPECT_FALSE(matches("\\w", "\u0301"));
    EXPECT_TRUE(matches("\\d+$", "١٢٣"));
    EXPECT_FALSE(matches("\\d", "²")); // isdecimal(): Nd only
    EXPECT_TRUE(matches("\\s", "\u00a0"));
    EXPECT_TRUE(matches("\\s", "\x1c")); // Python's whitespace, not PCRE2's
    EXPECT_FALSE(matches("\\s", "\u180e"));
    EXPECT_TRUE(matches("é\\b", "é."));
    EXPECT_FALSE(matches("é\\b", "éa"));
    EXPECT_FALSE(matches("(?a)\\w", "é"));
    EXPECT_TRUE(matches("(?i)ÉCOLE", "école"));
    EXPECT_FALSE(matches("(?ai)É", "é"));
    EXPECT_TRUE(matches(".", "😀"));
    EXPECT_FALSE(matches("a", "\xff")); // not UTF-8: never a match
}

// ---------------------------------------------------------------------------------------------
// The table: the same patterns and names, answered by PythonRegex and by pyro4-ns's code

struct Row {
    std::string pattern;
    // Why the name server refuses a pattern Python takes (a limit), or nullptr: same answer.
    const char* limit = nullptr;
};

const std::vector<std::string>& table_names() {
    static const std::vector<std::string> names{"echo.server",
                                                "alice.echo.server",
                                                "Echo.Server",
                                                "bob_42",
                                                "42",
                                                "x",
                                                "école.serveur",
                                                "ÉCOLE.SERVEUR",
                                                "naïve",
                                                "日本語.サーバー",
                                                "١٢٣",
                                                "²½",
                                                "Ⅷ",
                                                "ǅungla",
                                                "straße",
                                                "STRASSE",
                                                "ſ",
                                                "\u212a",
                                                "k",
                                                "K",
                                                "İstanbul",
                                                "istanbul",
                                                "Σίσυφος",
                                                "σίσυφος",
                                                "tab\there",
                                                "line\nbreak",
                                                "end\n",
                                                "end",
                                                "a\u0301",
                                                "a b",
                                                "nbsp\u00a0x",
                                                "fs\x1cx",
                                                "mvs\u180ex",
                                                "[a]",
                                                "a:]",
                                                "{3}",
                                                "aaa",
                                                "aaaa",
                                                "abab",
                                                "é",
                                                "e",
                                                "-",
                                                "_",
                                                "emoji😀",
                                                "café.au.lait",
                                                "x\u2028y"};
    return names;
}

const std::vector<Row>& table_rows() {
    static const std::vector<Row> rows{
        // Unicode classes against non-ASCII names
        {"\\w+$"},
        {"\\w+\\.\\w+$"},
        {"\\d+$"},
        {"\\d"},
        {"\\D+$"},
        {"\\s"},
        {".*\\s"},
        {"\\S+$"},
        {"\\W"},
        {".*\\W"},
        {"\\w+\\b"},
        {".*\\b\\w+\\b$"},
        {".\\B"},
        {"(?a)\\w+$"},
        {"(?a)\\d"},
        {"(?a).*\\s"},
        {"(?a)\\w+\\b"},
        {"(?u)\\w+$"},
        {"[\\w.]+$"},
        {"[^\\W\\d]+$"},
        {"[\\s\\S]*$"},
        // named groups and backreferences
        {"(?P<first>\\w)(?P=first)"},
        {"(\\w)\\1"},
        {"(\\w)(\\w)\\2\\1"},
        {"(?P<é>\\w).*(?P=é)"},
        {"(?P<x>a)(?P<x>b)"},
        {"(?P=missing)"},
        {"(?P<1a>x)"},
        {"(a)\\2"},
        {"(a\\1)"},
        {"(?P<n>a)?(?(n)b|.)"},
        {"(?(1)a|b)"},
        {"(a)(?(1)b|c|d)"},
        // inline flags, global and scoped
        {"(?i)école"},
        {"(?i)straße"},
        {"(?i)k$"},
        {"(?ai)k$"},
        {"(?i)σίσυφος"},
        {"(?i)i"},
        {"(?i)[h-j]stanbul"},
        {"(?i)İ"},
        {"(?i)[é-ë]"},
        {"(?i)[^a]"},
        {"(?s)line.break"},
        {"line.break"},
        {"(?x) e c h o \\. # the dot\n server"},
        {"(?m).*^break"},
        {"(?m)line$"},
        {"(?i:É)cole"},
        {"(?i)(?-i:E)CHO"},
        {"a(?i)b"},
        {"(?L)a"},
        {"(?au)a"},
        {"(?a)(?u)a"},
        {"(?z)a"},
        {"(?i-i:a)"},
        {"(?-a:a)"},
        {"(?t)a*"},
        // anchors
        {"^echo"},
        {".*server$"},
        {"\\Aecho.server\\Z"},
        {"end$"},
        {"end\\Z"},
        {".*\\Z"},
        {"^*"},
        {"x\\Z*"},
        // repeats: Python's {,n}, lazy, possessive, atomic
        {"a{,3}$"},
        {"a{2,}$"},
        {"a{3}"},
        {"a{3,2}"},
        {"a*+a"},
        {"a*?$"},
        {"(?>a+)a"},
        {"a**"},
        {"a*??"},
        {"*a"},
        {"{3}"},
        {"\\{3\\}"},
        {"x{1,a}"},
        {"a{1000000}", "repeat counts above PCRE2's cap of 65535"},
        {"a{4294967295}"},
        // escapes
        {"\\q"},
        {"echo\\.\\q"},
        {"\\N{LATIN SMALL LETTER E WITH ACUTE}cole"},
        {"\\N{latin capital letter e with acute}"},
        {"\\N{NO SUCH NAME}"},
        {"line\\N{LINE FEED}"},
        {"\\N{CJK UNIFIED IDEOGRAPH-65E5}"},
        {"\\N{HANGUL SYLLABLE GAG}|x"},
        {"\\N{EM DASH"},
        {"\\N"},
        {"\\u00e9"},
        {"emoji\\U0001F600"},
        {"\\U00110000"},
        {"\\x4"},
        {"\\777"},
        {"\\ud800|x"},
        {"[\\ud800-\\udfff]"},
        {"\\"},
        // sets
        {"[\\d-z]"},
        {"[z-a]"},
        {"[[:alpha:]]"},
        {"[[:alpha:]]+"},
        {"[]a]"},
        {"[^]]"},
        {"[a-"},
        {"[\\A]"},
        {"[\\b]"},
        {"[é-ë]"},
        // more of each kind: Unicode property syntax Python lacks, scoped dotall, lookbehind
        {"\\p{L}+"},
        {"\\z"},
        {"(?s:line.break)"},
        {"(?P<a>e)(?P<b>c)(?P=b)?"},
        {"\\bé"},
        {"(?i)\\u00c9cole"},
        {"[\\u00e9\\u00c9]cole"},
        {"(?x)[ ]b"},
        {"(?<!a)b"},
        {"\\Z"},
        // groups, lookarounds, comments
        {"(abc"},
        {"abc)"},
        {"a\n(b"},
        {".(?<=c)h"},
        {"(?<=a|bc)"},
        {"(a)(?<=\\1)"},
        {".*(?=server)"},
        {"(?!echo).*server"},
        {"a(?#comment)*"},
        {"(?#unterminated"},
        {"(?P"},
        {"(?<x>a)"},
        {"(?"},
        {std::string(201, '(') + std::string(201, ')'),
         "parentheses nested deeper than 200 (PCRE2's own limit is 250)"},
        {std::string(70'000, 'a'), "compiled patterns above PCRE2's size limit (link size 2)"},
    };
    return rows;
}

TEST(PythonRegexTable, SameAnswersAsPyro4) {
    const auto& names = table_names();
    const auto& rows = table_rows();
    ASSERT_GE(rows.size(), 60U);
    boost::json::array json_names;
    for (const auto& name : names) {
        json_names.emplace_back(name);
    }
    boost::json::array json_patterns;
    for (const auto& row : rows) {
        json_patterns.emplace_back(row.pattern);
    }
    test::ChildProcess oracle(
        {test::python_interpreter(), PYRO_NAMESERVER_SCRIPTS "/python_regex_oracle.py"},
        test::python_environment());
    ASSERT_TRUE(oracle.write_stdin(boost::json::serialize(
        boost::json::object{{"names", json_names}, {"patterns", json_patterns}})));
    oracle.close_stdin();
    const std::string output = oracle.read_all(test::Stream::Stdout, 60s);
    ASSERT_EQ(oracle.wait(10s), 0) << oracle.describe();
    const auto answers = boost::json::parse(output).as_array();
    ASSERT_EQ(answers.size(), rows.size());

    std::size_t same = 0;
    std::size_t limits = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row& row = rows[i];
        const auto& python = answers[i].as_object();
        const std::string shown =
            row.pattern.size() > 60 ? row.pattern.substr(0, 60) + "…" : row.pattern;
        std::string ours_error;
        std::vector<std::int64_t> ours_matched;
        try {
            const PythonRegex regex(row.pattern);
            for (std::size_t n = 0; n < names.size(); ++n) {
                if (regex.match(names[n])) {
                    ours_matched.push_back(static_cast<std::int64_t>(n));
                }
            }
        } catch (const PyroError& error) {
            ours_error = error.python_class() + ": " + error.what();
        }
        if (row.limit != nullptr) {
            EXPECT_NE(ours_error.find("limit"), std::string::npos)
                << shown << " should be refused for " << row.limit << ", got: " << ours_error;
            ++limits;
            continue;
        }
        if (python.contains("error")) {
            const std::string theirs = std::string(python.at("type").as_string()) + ": " +
                                       std::string(python.at("error").as_string());
            EXPECT_EQ(ours_error, theirs) << "pattern " << shown;
            same += ours_error == theirs ? 1 : 0;
            continue;
        }
        std::vector<std::int64_t> theirs;
        for (const auto& index : python.at("matched").as_array()) {
            theirs.push_back(index.as_int64());
        }
        const auto listed = [&](const std::vector<std::int64_t>& indexes) {
            std::string out;
            for (const auto index : indexes) {
                out += " [" + names[static_cast<std::size_t>(index)] + "]";
            }
            return out;
        };
        EXPECT_EQ(ours_error, "") << "pattern " << shown;
        EXPECT_EQ(listed(ours_matched), listed(theirs)) << "pattern " << shown;
        same += ours_error.empty() && ours_matched == theirs ? 1 : 0;
    }
    std::cout << same << " of " << rows.size() - limits
              << " patterns answered as pyro4-ns answers; " << limits << " refused for a limit\n";
}

} // namespace
} // namespace pyro::ns
