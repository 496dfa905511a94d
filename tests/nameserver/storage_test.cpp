// The persistent storages' files, compared with what Pyro4 4.82 writes
// (vectors/reference_outputs.json "storage"): the SQLite schema text and rows, and the dbm.dumb
// index and data layout.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include "nameserver/dbm_storage.hpp"
#include "nameserver/registry.hpp"
#include "nameserver/storage.hpp"
#include "support/vectors.hpp"
#include "tests/nameserver/ns_test_util.hpp"

namespace pyro::ns {
namespace {

namespace json = boost::json;
using test::read_text_file;
using test::ScratchDir;

json::value reference_storage() {
    return test::load_vector("reference_outputs.json").at("storage");
}

// Every row of a query, each column as JSON (null, integer or string), for comparing with the
// reference's rows.
json::array query_rows(const std::string& file, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    json::array rows;
    while (sqlite3_step(statement) == SQLITE_ROW) {
        json::array row;
        for (int i = 0; i < sqlite3_column_count(statement); ++i) {
            switch (sqlite3_column_type(statement, i)) {
            case SQLITE_NULL:
                row.emplace_back(nullptr);
                break;
            case SQLITE_INTEGER:
                row.emplace_back(sqlite3_column_int64(statement, i));
                break;
            default:
                row.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement, i)));
            }
        }
        rows.emplace_back(std::move(row));
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return rows;
}

TEST(SqlStorageFile, SchemaAndRowsArePyro4s) {
    // What pyro4-ns wrote in the capture: its own entry first, then two names, one with tags.
    ScratchDir scratch;
    const std::string file = scratch.file("ns.sqlite");
    {
        Registry registry(make_sql_storage(file));
        registry.register_name("Pyro.NameServer", "PYRO:Pyro.NameServer@127.0.0.1:47300", false,
                               {"class:Pyro4.naming.NameServer"});
        registry.register_name("example.plain", "PYRO:plain@127.0.0.1:5001", false, {});
        registry.register_name("example.tagged", "PYRO:tagged@127.0.0.1:5002", false,
                               {"blue", "lab"});
    }
    const json::value reference = reference_storage();
    EXPECT_EQ(query_rows(file, "SELECT type, name, tbl_name, sql FROM sqlite_master"),
              reference.at("sqlite_master"));
    EXPECT_EQ(query_rows(file, "SELECT id, name, uri FROM pyro_names"),
              reference.at("pyro_names_rows"));
    EXPECT_EQ(query_rows(file, "SELECT object, metadata FROM pyro_metadata"),
              reference.at("pyro_metadata_rows"));
    EXPECT_EQ(query_rows(file, "PRAGMA user_version").at(0).at(0),
              reference.at("pragma_user_version"));
}

TEST(SqlStorageFile, UpdateDeletesAndInsertsAgain) {
    ScratchDir scratch;
    const std::string file = scratch.file("ns.sqlite");
    Registry registry(make_sql_storage(file));
    registry.register_name("a", "PYRO:a@h:1", false, {"x"});
    registry.register_name("b", "PYRO:b@h:2", false, {});
    registry.set_metadata("a", {"y", "z"});
    // "a" has a new id (3); its old tag row is gone.
    EXPECT_EQ(query_rows(file, "SELECT id, name FROM pyro_names ORDER BY id"),
              json::parse(R"([[2, "b"], [3, "a"]])"));
    EXPECT_EQ(query_rows(file, "SELECT object, metadata FROM pyro_metadata"),
              json::parse(R"([[3, "y"], [3, "z"]])"));
}

TEST(SqlStorageFile, MigratesAFileWithoutMetadataTable) {
    // Files from Pyro4 before 4.40 have pyro_names only; Pyro4 renames and copies them.
    ScratchDir scratch;
    const std::string file = scratch.file("old.sqlite");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE pyro_names(id integer PRIMARY KEY, name nvarchar NOT "
                           "NULL UNIQUE, uri nvarchar NOT NULL);"
                           "INSERT INTO pyro_names(name, uri) VALUES ('old.one', 'PYRO:o@h:1');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    Registry registry(make_sql_storage(file));
    EXPECT_EQ(registry.lookup("old.one").uri, "PYRO:o@h:1");
    EXPECT_EQ(query_rows(file, "SELECT sql FROM sqlite_master WHERE name='pyro_names'"),
              json::array({json::array({reference_storage().at("sqlite_master").at(0).at(3)})}));
}

TEST(DbmStorageFile, LayoutIsDbmDumbs) {
    ScratchDir scratch;
    const std::string base = scratch.file("ns.dbm");
    const json::value reference = reference_storage();
    {
        Registry registry(make_dbm_storage(base));
        registry.register_name("cpp.dumb", "PYRO:dumb@127.0.0.1:5004", false, {});
        EXPECT_EQ(read_text_file(base + ".dir"), reference.at("dbm_dumb_dir_file").as_string());
        EXPECT_EQ(read_text_file(base + ".dat"), "PYRO:dumb@127.0.0.1:5004");
        registry.register_name("Pyro.NameServer", "PYRO:Pyro.NameServer@127.0.0.1:47300", false,
                               {});
        EXPECT_EQ(read_text_file(base + ".dir"),
                  reference.at("dbm_dumb_dir_file_after_ns").as_string());
        EXPECT_EQ(read_text_file(base + ".bak"), reference.at("dbm_dumb_dir_file").as_string());
        const std::string data = read_text_file(base + ".dat");
        EXPECT_EQ(data.size(), 512u + 36u);
        EXPECT_EQ(data.substr(24, 512 - 24), std::string(512 - 24, '\0'));
        // A value that fits in its block is rewritten in place; a bigger one is appended.
        registry.register_name("cpp.dumb", "PYRO:d@h:1", false, {});
        registry.register_name("Pyro.NameServer",
                               "PYRO:Pyro.NameServer@" + std::string(600, 'h') + ":1", false, {});
    }
    EXPECT_EQ(read_text_file(base + ".dir"),
              "'cpp.dumb', (0, 10)\n'Pyro.NameServer', (1024, 623)\n");
    Registry reopened(make_dbm_storage(base));
    EXPECT_EQ(reopened.lookup("cpp.dumb").uri, "PYRO:d@h:1");
    EXPECT_EQ(reopened.count(), 2u);
}

TEST(DbmStorageFile, KeysAreWrittenAndReadAsPythonReprOfLatin1) {
    // Bytes as Python's dbm.dumb wrote them for these three keys (Python 3.11).
    const std::string python_dir = "\"it's.\xc3\xa9\", (0, 10)\n'\xe2\\x80\xa6', (512, 10)\n"
                                   "'q\"\\'x', (1024, 10)\n";
    ScratchDir scratch;
    const std::string base = scratch.file("keys");
    {
        Registry registry(make_dbm_storage(base));
        registry.register_name("it's.é", "PYRO:a@h:1", false, {});
        registry.register_name("…", "PYRO:b@h:2", false, {});
        registry.register_name("q\"'x", "PYRO:c@h:3", false, {});
    }
    EXPECT_EQ(read_text_file(base + ".dir"), python_dir);
    Registry reopened(make_dbm_storage(base));
    EXPECT_EQ(reopened.lookup("…").uri, "PYRO:b@h:2");
    EXPECT_EQ(reopened.lookup("q\"'x").uri, "PYRO:c@h:3");
    EXPECT_EQ(reopened.lookup("it's.é").uri, "PYRO:a@h:1");
}

TEST(DbmIndexParsing, ReadsEntriesAndLetsALaterLineWin) {
    const std::string data = std::string("PYRO:a@h:1") + std::string(502, '\0') + "PYRO:b@h:2";
    const auto records = parse_dbm_dumb("'a', (0, 10)\n'b\\xe9', (512, 10)\n'a', (512, 4)\n", data);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].key, "a");
    EXPECT_EQ(records[0].value, "PYRO");
    EXPECT_EQ(records[1].key, "b\xe9");
    EXPECT_EQ(records[1].value, "PYRO:b@h:2");
}

// Inputs the fuzzer found (tests/fuzz/regressions/dbm/): a damaged index is a NamingError, as the
// storage promises, never std::invalid_argument or std::out_of_range from the number parsing.
TEST(DbmIndexParsing, DamagedIndexLinesAreNamingErrors) {
    for (const std::string index : {
             "'\\xPY', (0, 1)",                // \x without hex digits (std::stoul threw)
             "'\\u+0aa', (0, 1)",              // a sign where a digit belongs
             "'k', (0, 99999999999999999999)", // beyond int64 (std::stoll threw)
             "'k', (999999999999999999, 999999999999999999)", // beyond the data
         }) {
        EXPECT_THROW((void)parse_dbm_dumb(index, "PYRO:a@h:1"), NamingError) << index;
    }
}

} // namespace
} // namespace pyro::ns
