// The name server's table (nameserver/registry.hpp) over each storage: Pyro4 4.82's semantics of
// every NameServer method, Python re.match rules, and the error texts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "nameserver/registry.hpp"
#include "nameserver/storage.hpp"
#include "pyro/errors.hpp"
#include "support/time_limits.hpp"
#include "tests/nameserver/ns_test_util.hpp"

namespace pyro::ns {
namespace {

using test::ScratchDir;

std::vector<std::string> names_of(const Listing& listing) {
    std::vector<std::string> out;
    for (const auto& row : listing) {
        out.push_back(row.name);
    }
    return out;
}

template <class F>
std::string error_text(F&& f) {
    try {
        f();
    } catch (const PyroError& error) {
        return error.python_class() + ": " + error.what();
    }
    return "no error";
}

// ---------------------------------------------------------------------------------------------
// Behaviour every storage shares

class RegistryTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override { registry_ = open(); }

    std::unique_ptr<Registry> open() {
        const std::string kind = GetParam();
        if (kind == "memory") {
            return std::make_unique<Registry>(make_memory_storage());
        }
        if (kind == "sql") {
            return std::make_unique<Registry>(make_sql_storage(scratch_.file("ns.sqlite")));
        }
        return std::make_unique<Registry>(make_dbm_storage(scratch_.file("ns.dbm")));
    }
    bool has_metadata() const { return GetParam() != "dbm"; }

    ScratchDir scratch_;
    std::unique_ptr<Registry> registry_;
};

TEST_P(RegistryTest, RegisterLookupCount) {
    EXPECT_EQ(registry_->count(), 0u);
    registry_->register_name("echo.server", "PYRO:obj@127.0.0.1:5555", false, {"lab", "lab", "x"});
    EXPECT_EQ(registry_->count(), 1u);
    const Entry entry = registry_->lookup("echo.server");
    EXPECT_EQ(entry.uri, "PYRO:obj@127.0.0.1:5555");
    EXPECT_EQ(entry.metadata, has_metadata() ? Tags({"lab", "x"}) : Tags());
}

TEST_P(RegistryTest, UriTextIsKeptAsGiven) {
    // Pyro4 checks that the string parses but stores it unchanged.
    registry_->register_name("a", "pyro:x@h:5", false, {});
    EXPECT_EQ(registry_->lookup("a").uri, "pyro:x@h:5");
    registry_->register_name("n", "PYRONAME:other.name", false, {});
    EXPECT_EQ(registry_->lookup("n").uri, "PYRONAME:other.name");
}

TEST_P(RegistryTest, InvalidUrisUsePyro4Texts) {
    EXPECT_EQ(error_text([&] { registry_->register_name("a", "bogus", false, {}); }),
              "Pyro4.errors.PyroError: invalid uri");
    EXPECT_EQ(error_text([&] { registry_->register_name("a", "PYRO:obj@host", false, {}); }),
              "Pyro4.errors.PyroError: invalid port in uri, port=None");
    EXPECT_EQ(error_text([&] { registry_->register_name("a", "PYROX:obj@h:1", false, {}); }),
              "Pyro4.errors.PyroError: invalid uri (protocol)");
    EXPECT_EQ(registry_->count(), 0u);
}

TEST_P(RegistryTest, UnknownNames) {
    EXPECT_EQ(error_text([&] { (void)registry_->lookup("no.such.name"); }),
              "Pyro4.errors.NamingError: unknown name: no.such.name");
    EXPECT_EQ(error_text([&] { registry_->set_metadata("no.such.name", {"x"}); }),
              "Pyro4.errors.NamingError: unknown name: no.such.name");
}

TEST_P(RegistryTest, SafeRegistrationRefusesAnExistingName) {
    registry_->register_name("a", "PYRO:one@h:1", true, {});
    EXPECT_EQ(error_text([&] { registry_->register_name("a", "PYRO:two@h:2", true, {}); }),
              "Pyro4.errors.NamingError: name already registered: a");
    EXPECT_EQ(registry_->lookup("a").uri, "PYRO:one@h:1");
    registry_->register_name("a", "PYRO:two@h:2", false, {});
    EXPECT_EQ(registry_->lookup("a").uri, "PYRO:two@h:2");
    EXPECT_EQ(registry_->count(), 1u);
}

TEST_P(RegistryTest, OverwritingReplacesMetadataToo) {
    // dbm keeps no metadata at all: every expectation below is "no tags" there.
    const auto tags = [&](Tags expected) { return has_metadata() ? expected : Tags(); };
    registry_->register_name("a", "PYRO:one@h:1", false, {"old"});
    EXPECT_EQ(registry_->lookup("a").metadata, tags({"old"}));
    registry_->register_name("a", "PYRO:one@h:1", false, {});
    EXPECT_TRUE(registry_->lookup("a").metadata.empty());
    registry_->set_metadata("a", {"x", "y"});
    EXPECT_EQ(registry_->lookup("a").metadata, tags({"x", "y"}));
    registry_->set_metadata("a", {});
    EXPECT_TRUE(registry_->lookup("a").metadata.empty());
}

TEST_P(RegistryTest, RemoveByNameNeverRemovesTheNameServer) {
    registry_->register_name(std::string(name_server_name), "PYRO:Pyro.NameServer@h:9090", false,
                             {});
    registry_->register_name("a", "PYRO:a@h:1", false, {});
    EXPECT_EQ(registry_->remove("a", {}, {}), 1);
    EXPECT_EQ(registry_->remove("a", {}, {}), 0);
    EXPECT_EQ(registry_->remove(std::string(name_server_name), {}, {}), 0);
    EXPECT_EQ(registry_->remove({}, {}, {}), 0);
    EXPECT_EQ(registry_->remove(std::string(), {}, {}), 0);
    EXPECT_EQ(registry_->count(), 1u);
}

// The daemon repeats lookup answers while version() stays put (Daemon::cache_answers): every
// change of what lookup() would say must move it on.
TEST_P(RegistryTest, VersionMovesWithEveryChange) {
    auto version = registry_->version();
    const auto moved = [&] {
        const auto now = registry_->version();
        const bool changed = now != version;
        version = now;
        return changed;
    };
    registry_->register_name("a", "PYRO:a@h:1", false, {});
    EXPECT_TRUE(moved()) << "register";
    (void)registry_->lookup("a");
    (void)registry_->count();
    (void)registry_->list();
    EXPECT_FALSE(moved()) << "queries change nothing";
    registry_->register_name("a", "PYRO:a@h:2", false, {});
    EXPECT_TRUE(moved()) << "register again";
    if (has_metadata()) {
        registry_->set_metadata("a", {"x"});
        EXPECT_TRUE(moved()) << "set_metadata";
    }
    EXPECT_TRUE(registry_->remove_if_unchanged("a", "PYRO:a@h:2"));
    EXPECT_TRUE(moved()) << "remove_if_unchanged";
    registry_->register_name("a", "PYRO:a@h:1", false, {});
    registry_->register_name("b", "PYRO:b@h:1", false, {});
    (void)moved();
    EXPECT_EQ(registry_->remove("a", {}, {}), 1);
    EXPECT_TRUE(moved()) << "remove by name";
    EXPECT_EQ(registry_->remove({}, std::string("b"), {}), 1);
    EXPECT_TRUE(moved()) << "remove by prefix";
}

TEST_P(RegistryTest, RemoveFallsThroughToPrefixThenRegex) {
    registry_->register_name(std::string(name_server_name), "PYRO:Pyro.NameServer@h:9090", false,
                             {});
    for (const char* name : {"lab.a", "lab.b", "other"}) {
        registry_->register_name(name, "PYRO:x@h:1", false, {});
    }
    // An unknown name does not stop the prefix from being used (Pyro4's order of checks).
    EXPECT_EQ(registry_->remove("unknown", "lab.", {}), 2);
    EXPECT_EQ(registry_->remove({}, "Pyro", {}), 0);  // the name server is spared
    EXPECT_EQ(registry_->remove({}, {}, "oth.*"), 1); // "$" is added for dbm
    EXPECT_EQ(names_of(registry_->list()), std::vector<std::string>{"Pyro.NameServer"});
}

TEST_P(RegistryTest, ListFilters) {
    registry_->register_name("example.one", "PYRO:one@h:1", false, {"lab", "blue"});
    registry_->register_name("example.two", "PYRO:two@h:2", false, {"lab"});
    registry_->register_name("other", "PYRO:three@h:3", false, {});
    EXPECT_EQ(registry_->list().size(), 3u);
    ListFilter prefix;
    prefix.prefix = "example.";
    EXPECT_EQ(registry_->list(prefix).size(), 2u);
    ListFilter empty_prefix;
    empty_prefix.prefix = ""; // an empty filter filters nothing
    EXPECT_EQ(registry_->list(empty_prefix).size(), 3u);
    if (has_metadata()) {
        ListFilter all;
        all.metadata_all = std::vector<std::string>{"lab", "blue"};
        EXPECT_EQ(names_of(registry_->list(all)), std::vector<std::string>{"example.one"});
        ListFilter any;
        any.metadata_any = std::vector<std::string>{"nothing", "lab"};
        EXPECT_EQ(registry_->list(any).size(), 2u);
        const auto rows = registry_->list(all);
        ASSERT_EQ(rows.size(), 1u);
        EXPECT_EQ(rows[0].uri, "PYRO:one@h:1");
        EXPECT_EQ(rows[0].metadata, Tags({"lab", "blue"}));
    }
}

TEST_P(RegistryTest, OneFilterAtATime) {
    ListFilter two;
    two.prefix = "a";
    two.regex = "";
    EXPECT_EQ(error_text([&] { (void)registry_->list(two); }),
              "builtins.ValueError: you can only filter on one thing at a time");
}

TEST_P(RegistryTest, RegexMatchesAtTheStart) {
    for (const char* name : {"example.json.greeting", "example.observable", "xexample"}) {
        registry_->register_name(name, "PYRO:x@h:1", false, {});
    }
    ListFilter query;
    query.regex = "example\\..*greeting";
    EXPECT_EQ(names_of(registry_->list(query)), std::vector<std::string>{"example.json.greeting"});
    query.regex = "example";
    // re.match: anchored at the start; dbm adds "$" (a full match), so there it matches nothing.
    EXPECT_EQ(registry_->list(query).size(), GetParam() == "dbm" ? 0u : 2u);
    query.regex = "(";
    EXPECT_EQ(error_text([&] { (void)registry_->list(query); }),
              "Pyro4.errors.NamingError: invalid regex: missing ), unterminated subpattern at "
              "position 0");
}

TEST_P(RegistryTest, ReopeningKeepsWhatWasStored) {
    registry_->register_name("a", "PYRO:a@h:1", false, {"t"});
    registry_->register_name("b", "PYRO:b@h:2", false, {});
    registry_->remove("b", {}, {});
    registry_.reset();
    registry_ = open();
    if (GetParam() == "memory") {
        EXPECT_EQ(registry_->count(), 0u); // volatile by design
        return;
    }
    EXPECT_EQ(registry_->count(), 1u);
    EXPECT_EQ(registry_->lookup("a").uri, "PYRO:a@h:1");
    EXPECT_EQ(registry_->lookup("a").metadata, has_metadata() ? Tags({"t"}) : Tags());
}

INSTANTIATE_TEST_SUITE_P(Storages, RegistryTest, ::testing::Values("memory", "sql", "dbm"),
                         [](const auto& info) { return info.param; });

// ---------------------------------------------------------------------------------------------
// Storage-specific order and quirks, as Pyro4's storages have them

TEST(MemoryStorageOrder, ReplacingKeepsThePlace) {
    Registry registry(make_memory_storage());
    for (const char* name : {"c", "a", "b"}) {
        registry.register_name(name, "PYRO:x@h:1", false, {});
    }
    registry.register_name("c", "PYRO:y@h:2", false, {"t"});
    registry.set_metadata("a", {"u"});
    EXPECT_EQ(names_of(registry.list()), (std::vector<std::string>{"c", "a", "b"}));
}

TEST(MemoryStorageOrder, RemovalsCompactAndKeepTheOrder) {
    auto storage = make_memory_storage();
    for (int i = 0; i < 5000; ++i) {
        storage->set("n" + std::to_string(i), Entry{"PYRO:o@h:" + std::to_string(i), {}});
    }
    for (int i = 0; i < 5000; ++i) {
        if (i % 5 != 0) { // 4000 holes: more than the rows left, so the rows are compacted
            storage->erase("n" + std::to_string(i));
        }
    }
    storage->set("n0", Entry{"PYRO:o@h:7", {"kept"}}); // replacing keeps the place
    storage->set("n1", Entry{"PYRO:o@h:1", {}});       // removed, then new: at the end
    EXPECT_EQ(storage->size(), 1001u);
    std::vector<std::string> expected;
    for (int i = 0; i < 5000; i += 5) {
        expected.push_back("n" + std::to_string(i));
    }
    expected.push_back("n1");
    EXPECT_EQ(storage->names(), expected);
    EXPECT_EQ(storage->get("n0"), (Entry{"PYRO:o@h:7", {"kept"}}));
    EXPECT_EQ(storage->get("n4995"), (Entry{"PYRO:o@h:4995", {}}));
    EXPECT_FALSE(storage->contains("n2"));
    EXPECT_FALSE(storage->get("n4999"));
    storage->remove_items({"n0", "n1", "n5"});
    EXPECT_EQ(storage->size(), 998u);
    EXPECT_EQ(storage->everything().front().name, "n10");
}

TEST(SqlStorageOrder, ReplacingMovesTheNameToTheEnd) {
    // Pyro4 deletes and inserts again: a new id, so a later place in SELECT order.
    ScratchDir scratch;
    Registry registry(make_sql_storage(scratch.file("ns.sqlite")));
    for (const char* name : {"c", "a", "b"}) {
        registry.register_name(name, "PYRO:x@h:1", false, {});
    }
    registry.set_metadata("c", {"t"});
    EXPECT_EQ(names_of(registry.list()), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(SqlStorageQuirks, PrefixIsSqlLike) {
    // Pyro4's optimized_prefix_list uses LIKE: ASCII case-insensitive, '_' a wildcard.
    ScratchDir scratch;
    Registry registry(make_sql_storage(scratch.file("ns.sqlite")));
    for (const char* name : {"Lab.one", "lab.two", "labXthree"}) {
        registry.register_name(name, "PYRO:x@h:1", false, {});
    }
    ListFilter query;
    query.prefix = "lab.";
    EXPECT_EQ(registry.list(query).size(), 2u);
    query.prefix = "lab_";
    EXPECT_EQ(registry.list(query).size(), 3u);
    EXPECT_EQ(registry.remove({}, "LAB.", {}), 2);
}

TEST(SqlStorageQuirks, RefusesMemoryDatabases) {
    EXPECT_THROW((void)make_sql_storage(":memory:"), RemoteError);
}

TEST(SqlStorageQuirks, NotADatabase) {
    ScratchDir scratch;
    const std::string file = scratch.file("junk.sqlite");
    std::ofstream(file) << "this is not an SQLite database, not even close, at all\n";
    EXPECT_THROW((void)make_sql_storage(file), NamingError);
}

TEST(DbmStorageQuirks, NoMetadata) {
    ScratchDir scratch;
    Registry registry(make_dbm_storage(scratch.file("ns")));
    registry.register_name("a", "PYRO:a@h:1", false, {"dropped"});
    EXPECT_TRUE(registry.lookup("a").metadata.empty());
    ListFilter all;
    all.metadata_all = std::vector<std::string>{"x"};
    EXPECT_EQ(error_text([&] { (void)registry.list(all); }),
              "Pyro4.errors.NamingError: DbmStorage doesn't support metadata");
    ListFilter any;
    any.metadata_any = std::vector<std::string>{"x"};
    EXPECT_THROW((void)registry.list(any), NamingError);
}

TEST(DbmStorageQuirks, RegexMatchesTheWholeName) {
    // Pyro4's DbmStorage appends "$" to the pattern; the registry applies it (outside its lock).
    ScratchDir scratch;
    Registry dbm(make_dbm_storage(scratch.file("ns")));
    Registry memory(make_memory_storage());
    for (Registry* registry : {&dbm, &memory}) {
        registry->register_name("ab", "PYRO:a@h:1", false, {});
        registry->register_name("abc", "PYRO:b@h:1", false, {});
    }
    ListFilter filter;
    filter.regex = "ab";
    EXPECT_EQ(dbm.list(filter).size(), 1u);
    EXPECT_EQ(memory.list(filter).size(), 2u);
    filter.regex = "a|b";
    EXPECT_EQ(dbm.list(filter).size(), 2u) << "\"a|b$\" matches both through \"a\"";
}

TEST(DbmStorageQuirks, RefusesOtherDbmFormats) {
    ScratchDir scratch;
    std::ofstream(scratch.file("ns.db")) << "Berkeley DB, as dbm.ndbm writes it";
    EXPECT_THROW((void)make_dbm_storage(scratch.file("ns")), NamingError);
}

// ---------------------------------------------------------------------------------------------
// Python's re module: which patterns compile, with what message, and what re.match matches

struct PatternCase {
    const char* pattern;
    const char* python_error; // nullptr: Python compiles it (re.compile in Python 3.11)
};

TEST(PythonRegexTest, ErrorsAsPythonReportsThem) {
    const PatternCase cases[] = {
        {"(", "missing ), unterminated subpattern at position 0"},
        {"a(b", "missing ), unterminated subpattern at position 1"},
        {"(a)(b", "missing ), unterminated subpattern at position 3"},
        {")", "unbalanced parenthesis at position 0"},
        {"a)", "unbalanced parenthesis at position 1"},
        {"[", "unterminated character set at position 0"},
        {"a[bc", "unterminated character set at position 1"},
        {"[]", "unterminated character set at position 0"},
        {"[^]", "unterminated character set at position 0"},
        {"*", "nothing to repeat at position 0"},
        {"a**", "multiple repeat at position 2"},
        {"a+?*", "multiple repeat at position 3"},
        {"?", "nothing to repeat at position 0"},
        {"|*", "nothing to repeat at position 1"},
        {"(*)", "nothing to repeat at position 1"},
        {"a{2}{3}", "multiple repeat at position 4"},
        {"{2}", "nothing to repeat at position 0"},
        {"\\", "bad escape (end of pattern) at position 0"},
        {"ab\\", "bad escape (end of pattern) at position 2"},
        {"^*", "nothing to repeat at position 1"},
        {"a|+", "nothing to repeat at position 2"},
        {"a$*", "nothing to repeat at position 2"},
        {"[]]", nullptr},
        {"a*?", nullptr},
        {"a*+", nullptr},
        {"a{", nullptr},
        {"a{x}", nullptr},
        {"(?:a)", nullptr},
        {"(?P<x>a)b", nullptr},
        {"x{,3}", nullptr},
        {"a{1,2}?", nullptr},
        {"[a-z]+\\.", nullptr},
        {"(?i)abc", nullptr},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.pattern);
        try {
            const PythonRegex regex(c.pattern);
            EXPECT_EQ(c.python_error, nullptr);
        } catch (const NamingError& error) {
            ASSERT_NE(c.python_error, nullptr) << error.what();
            EXPECT_EQ(error.what(), "invalid regex: " + std::string(c.python_error));
        }
    }
}

TEST(PythonRegexTest, MatchSemantics) {
    EXPECT_TRUE(PythonRegex("ab").match("abc"));  // anchored at the start only
    EXPECT_FALSE(PythonRegex("bc").match("abc")); // never searched inside
    EXPECT_TRUE(PythonRegex("a|b").match("bcd"));
    EXPECT_TRUE(PythonRegex("ex.*\\.greeting").match("example.json.greeting"));
    EXPECT_TRUE(PythonRegex("(?P<first>lab)\\.x").match("lab.x"));
    EXPECT_TRUE(PythonRegex("\\Alab\\Z").match("lab"));
    EXPECT_FALSE(PythonRegex("\\Alab\\Z").match("labs"));
    EXPECT_TRUE(PythonRegex("a{").match("a{b")); // a literal brace, as in Python
    EXPECT_TRUE(PythonRegex("x{,2}y").match("xxy"));
    EXPECT_TRUE(PythonRegex("(?i)LAB").match("lab.one"));
    EXPECT_TRUE(PythonRegex("[]]x").match("]x"));
    // dbm's full match: Pyro4 appends "$" (so "a|b$" still matches "abc" through "a").
    EXPECT_FALSE(PythonRegex("ab$").match("abc"));
    EXPECT_TRUE(PythonRegex("a|b$").match("abc"));
}

// ---------------------------------------------------------------------------------------------
// One client's costly query must not hold up the others, nor the name server's shutdown

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Names that cost PCRE2 a few hundred thousand steps each against slow_pattern (within the match
// limit, so the query runs to its end): `count` of them make a query of a second or more.
constexpr const char* slow_pattern = "(?:a|b)*(?:a|b)*(?:a|b)*c";
void fill_slow_names(Registry& registry, int count) {
    for (int i = 0; i < count; ++i) {
        registry.register_name(std::string(120, 'a') + "d" + std::to_string(i) + "c",
                               "PYRO:obj@127.0.0.1:5555", false, {});
    }
    registry.register_name("echo.server", "PYRO:echo@127.0.0.1:5555", false, {"lab"});
}

TEST(RegistryConcurrency, LookupsGoOnWhileARegexQueryRuns) {
    Registry registry(make_memory_storage());
    // 1,000 names keep the query busy for about 0.6 s on an idle machine (300 once took 0.195 s,
    // under this test's own minimum).
    fill_slow_names(registry, 1000);
    std::atomic<bool> done{false};
    Clock::duration query_took{};
    std::jthread query([&] {
        const auto start = Clock::now();
        ListFilter filter;
        filter.regex = slow_pattern;
        EXPECT_TRUE(registry.list(filter).empty());
        query_took = Clock::now() - start;
        done = true;
    });
    int during = 0;
    Clock::duration slowest{};
    while (!done) {
        const auto start = Clock::now();
        EXPECT_EQ(registry.lookup("echo.server").uri, "PYRO:echo@127.0.0.1:5555");
        const auto took = Clock::now() - start;
        if (!done) {
            ++during;
            slowest = std::max(slowest, took);
        }
        std::this_thread::sleep_for(1ms);
    }
    query.join();
    ASSERT_GT(query_took, 200ms) << "the query is too quick to show anything";
    EXPECT_GT(during, 10);
    EXPECT_LT(slowest, test::scaled(100ms)) << "a lookup waited for the regex query";
    EXPECT_EQ(registry.count(), 1001u);
}

TEST(RegistryConcurrency, InterruptStopsARunningQueryAtOnce) {
    Registry registry(make_memory_storage());
    fill_slow_names(registry, 2000);
    std::string error;
    Clock::time_point ended;
    std::jthread query([&] {
        ListFilter filter;
        filter.regex = slow_pattern;
        try {
            (void)registry.list(filter);
        } catch (const NamingError& e) {
            error = e.what();
        }
        ended = Clock::now();
    });
    std::this_thread::sleep_for(200ms);
    const auto interrupted = Clock::now();
    registry.interrupt();
    query.join();
    EXPECT_EQ(error, "the name server is shutting down");
    EXPECT_LT(ended - interrupted, test::scaled(500ms));
    // Nothing is lost: plain lookups still answer.
    EXPECT_EQ(registry.lookup("echo.server").uri, "PYRO:echo@127.0.0.1:5555");
    EXPECT_EQ(registry.count(), 2001u);
}

TEST(RegistryConcurrency, RemoveByRegexCountsWhatItRemoved) {
    Registry registry(make_memory_storage());
    for (int i = 0; i < 1500; ++i) { // more than one slice
        registry.register_name("lab." + std::to_string(i), "PYRO:obj@127.0.0.1:5555", false, {});
    }
    registry.register_name("other", "PYRO:obj@127.0.0.1:5555", false, {});
    EXPECT_EQ(registry.remove(std::nullopt, std::nullopt, std::string("lab\\.\\d+$")), 1500);
    EXPECT_EQ(registry.count(), 1u);
}

TEST(RegistryAutoClean, RemovesOnlyAnUnchangedName) {
    Registry registry(make_memory_storage());
    registry.register_name("echo", "PYRO:obj@127.0.0.1:5555", false, {});
    EXPECT_FALSE(registry.remove_if_unchanged("echo", "PYRO:obj@127.0.0.1:6666"));
    EXPECT_TRUE(registry.remove_if_unchanged("echo", "PYRO:obj@127.0.0.1:5555"));
    EXPECT_FALSE(registry.remove_if_unchanged("echo", "PYRO:obj@127.0.0.1:5555"));
    registry.register_name(std::string(name_server_name), "PYRO:Pyro.NameServer@h:1", false, {});
    EXPECT_FALSE(registry.remove_if_unchanged(name_server_name, "PYRO:Pyro.NameServer@h:1"));
    EXPECT_EQ(registry.count(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Metadata costs grow linearly with the number of tags

TEST(RegistryMetadata, FiftyThousandTagsStayQuick) {
    Registry registry(make_memory_storage());
    std::vector<std::string> tags;
    std::vector<std::string> other;
    for (int i = 0; i < 50'000; ++i) {
        tags.push_back("tag" + std::to_string(i));
        other.push_back("other" + std::to_string(i));
    }
    // A quadratic step takes many seconds here (1.25e9 comparisons); linear ones milliseconds.
    const auto within = [](auto&& step) {
        const auto start = Clock::now();
        step();
        return Clock::now() - start;
    };
    registry.register_name("small", "PYRO:obj@127.0.0.1:5555", false, {"other1"});
    EXPECT_LT(within([&] { registry.register_name("big", "PYRO:o@h:1", false, tags); }),
              test::scaled(1s));
    EXPECT_LT(within([&] { registry.set_metadata("big", other); }), test::scaled(1s));
    ListFilter all;
    all.metadata_all = other;
    Listing found;
    EXPECT_LT(within([&] { found = registry.list(all); }), test::scaled(1s));
    EXPECT_EQ(names_of(found), std::vector<std::string>{"big"});
    ListFilter any;
    any.metadata_any = other;
    EXPECT_LT(within([&] { found = registry.list(any); }), test::scaled(1s));
    EXPECT_EQ(names_of(found), (std::vector<std::string>{"small", "big"}));
    EXPECT_EQ(registry.lookup("big").metadata.size(), 50'000u);
}

TEST(RegistryMetadata, AWantedTagListedTwiceCountsOnce) {
    Registry registry(make_memory_storage());
    registry.register_name("one", "PYRO:obj@127.0.0.1:5555", false, {"a", "a"});
    ListFilter all;
    all.metadata_all = std::vector<std::string>{"a", "b"};
    EXPECT_TRUE(registry.list(all).empty());
    all.metadata_all = std::vector<std::string>{"a", "a"};
    EXPECT_EQ(registry.list(all).size(), 1u);
}

} // namespace
} // namespace pyro::ns
