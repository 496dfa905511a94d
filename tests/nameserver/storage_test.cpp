// The persistent storages' files, compared with what Pyro4 4.82 writes
// (vectors/reference_outputs.json "storage"): the SQLite schema text and rows, the dbm.dumb
// index and data layout, and the Berkeley DB hash file Python's dbm.ndbm makes; and the one line
// a damaged or foreign file of each kind gets.
#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "nameserver/dbm_storage.hpp"
#include "nameserver/registry.hpp"
#include "nameserver/storage.hpp"
#include "support/process.hpp"
#include "support/python.hpp"
#include "support/vectors.hpp"
#include "tests/nameserver/ns_test_util.hpp"

namespace pyro::ns {
namespace {

namespace json = boost::json;
using test::read_text_file;
using test::ScratchDir;

// An empty dbm.dumb database, as dbm.dumb.open(FILE, "c") leaves it: make_dbm_storage then
// keeps to that format (a new database would be Berkeley DB).
void start_dumb(const std::string& base) {
    std::ofstream(base + ".dat", std::ios::binary);
    std::ofstream(base + ".dir", std::ios::binary);
}

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

// pyro-ns writes through SQLite's write-ahead log while it runs (one fsync per change), and
// leaves the file in Pyro4's rollback-journal mode when it closes it.
TEST(SqlStorageFile, ClosedFileIsBackInRollbackJournalMode) {
    ScratchDir scratch;
    const std::string file = scratch.file("ns.sqlite");
    {
        Registry registry(make_sql_storage(file));
        registry.register_name("a.b", "PYRO:a@h:1", false, {"x"});
        EXPECT_TRUE(std::filesystem::exists(file + "-wal"));
    }
    EXPECT_FALSE(std::filesystem::exists(file + "-wal"));
    EXPECT_FALSE(std::filesystem::exists(file + "-shm"));
    const std::string header = read_text_file(file).substr(0, 20);
    EXPECT_EQ(header[18], 1) << "write version: 1 is the rollback journal, 2 WAL";
    EXPECT_EQ(header[19], 1) << "read version";
    EXPECT_EQ(query_rows(file, "SELECT name, uri FROM pyro_names"),
              json::array({json::array({"a.b", "PYRO:a@h:1"})}));
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
    start_dumb(base);
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
    start_dumb(base);
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

// ---------------------------------------------------------------------------------------------
// Berkeley DB: the format pyro4-ns creates on Debian 12

std::uint32_t u32_at(const std::string& bytes, std::size_t offset) {
    std::uint32_t value = 0;
    std::memcpy(&value, bytes.data() + offset, sizeof value);
    return value;
}

TEST(DbmStorageFile, NewDatabaseIsABerkeleyDbHashFileAsPythonMakesIt) {
    ScratchDir scratch;
    const std::string base = scratch.file("new");
    {
        Registry registry(make_dbm_storage(base));
        registry.register_name("cpp.bdb", "PYRO:bdb@127.0.0.1:5004", false, {"dropped"});
        EXPECT_EQ(registry.lookup("cpp.bdb").uri, "PYRO:bdb@127.0.0.1:5004");
        EXPECT_TRUE(registry.lookup("cpp.bdb").metadata.empty()); // as Pyro4: not stored
    }
    EXPECT_TRUE(std::filesystem::exists(base + ".db"));
    EXPECT_FALSE(std::filesystem::exists(base + ".dat"));
    EXPECT_FALSE(std::filesystem::exists(base + ".dir"));
    EXPECT_EQ(std::filesystem::status(base + ".db").permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    // The hash meta page: magic at 12, page size at 20, fill factor at 84 (DBMETA is 72 bytes,
    // then max_bucket, high_mask, low_mask, ffactor) — libdb's ndbm emulation's 4096 and 40.
    const std::string meta = read_text_file(base + ".db");
    ASSERT_GE(meta.size(), 4096u);
    EXPECT_EQ(u32_at(meta, 12), 0x061561u);
    EXPECT_EQ(u32_at(meta, 20), 4096u);
    EXPECT_EQ(u32_at(meta, 84), 40u);
    Registry reopened(make_dbm_storage(base));
    EXPECT_EQ(reopened.count(), 1u);
    EXPECT_EQ(reopened.lookup("cpp.bdb").uri, "PYRO:bdb@127.0.0.1:5004");
}

TEST(DbmStorageFile, BerkeleyDbKeepsChangesAcrossReopening) {
    ScratchDir scratch;
    const std::string base = scratch.file("names");
    {
        Registry registry(make_dbm_storage(base));
        for (int i = 0; i < 300; ++i) { // enough to split buckets a few times
            registry.register_name("n." + std::to_string(i), "PYRO:o" + std::to_string(i) + "@h:1",
                                   false, {});
        }
        registry.register_name("n.7", "PYRO:replaced@h:2", false, {});
        EXPECT_EQ(registry.remove("n.8", std::nullopt, std::nullopt), 1);
        EXPECT_EQ(registry.remove(std::nullopt, std::nullopt, "n\\.1.*"), 111);
        EXPECT_EQ(registry.count(), 188u);
    }
    Registry reopened(make_dbm_storage(base));
    EXPECT_EQ(reopened.count(), 188u);
    EXPECT_EQ(reopened.lookup("n.7").uri, "PYRO:replaced@h:2");
    EXPECT_EQ(reopened.lookup("n.299").uri, "PYRO:o299@h:1");
    EXPECT_THROW((void)reopened.lookup("n.8"), NamingError);
    EXPECT_THROW((void)reopened.lookup("n.150"), NamingError);
    EXPECT_EQ(reopened.list().size(), 188u);
}

TEST(DbmStorageFile, AnExistingDumbDatabaseIsKeptDumb) {
    ScratchDir scratch;
    const std::string base = scratch.file("old");
    start_dumb(base);
    {
        Registry registry(make_dbm_storage(base));
        registry.register_name("a.b", "PYRO:a@h:1", false, {});
    }
    EXPECT_FALSE(std::filesystem::exists(base + ".db"));
    EXPECT_EQ(read_text_file(base + ".dir"), "'a.b', (0, 10)\n");
}

// Python's dbm.whichdb() looks for FILE.db before FILE.dat + FILE.dir; so does pyro-ns, and both
// then agree on which database the name is (Python asked at test time).
TEST(DbmStorageFile, FilesAreFoundInDbmWhichdbsOrder) {
    ScratchDir scratch;
    const std::string base = scratch.file("both");
    start_dumb(base);
    {
        Registry dumb(make_dbm_storage(base));
        dumb.register_name("from.dumb", "PYRO:d@h:1", false, {});
    }
    std::filesystem::rename(base + ".dat", base + ".dat.aside");
    {
        Registry berkeley(make_dbm_storage(base)); // no dumb pair now: a new FILE.db
        berkeley.register_name("from.berkeley", "PYRO:b@h:1", false, {});
    }
    std::filesystem::rename(base + ".dat.aside", base + ".dat");
    test::ChildProcess python({test::python_interpreter(), "-c",
                               "import dbm, sys; print(dbm.whichdb(sys.argv[1]))", base},
                              test::python_environment());
    python.close_stdin();
    EXPECT_EQ(python.read_all(test::Stream::Stdout, std::chrono::seconds(20)), "dbm.ndbm\n");
    EXPECT_EQ(python.wait(std::chrono::seconds(20)).value_or(-1), 0);
    Registry both(make_dbm_storage(base));
    EXPECT_EQ(both.count(), 1u);
    EXPECT_EQ(both.lookup("from.berkeley").uri, "PYRO:b@h:1");
}

// Two name servers writing one dbm database would damage it: the second is refused.
TEST(DbmStorageFile, ASecondOpenerOfTheSameFilesIsRefused) {
    ScratchDir scratch;
    const std::string berkeley = scratch.file("b");
    const std::string dumb = scratch.file("d");
    start_dumb(dumb);
    {
        Registry first(make_dbm_storage(berkeley));
        Registry first_dumb(make_dbm_storage(dumb));
        for (const auto& [base, file] :
             {std::pair{berkeley, berkeley + ".db"}, std::pair{dumb, dumb + ".dat"}}) {
            try {
                (void)make_dbm_storage(base);
                ADD_FAILURE() << "opened twice: " << base;
            } catch (const NamingError& error) {
                EXPECT_EQ(std::string(error.what()),
                          "dbm storage: " + file +
                              " is in use by another name server; stop that one first, or "
                              "give -s dbm: another name");
            }
        }
    }
    Registry again(make_dbm_storage(berkeley)); // released with the first
    Registry again_dumb(make_dbm_storage(dumb));
}

// ---------------------------------------------------------------------------------------------
// Damaged and foreign files: one line naming the file, what is wrong and what to do

// Writes `bytes` to `path`.
void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Garbage with control characters, NULs and invalid UTF-8, as a real damaged file holds.
std::string garbage(std::size_t size) {
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        out += static_cast<char>((i * 131 + 7) % 256);
    }
    return out;
}

void truncate_to(const std::string& path, std::uintmax_t size) {
    std::filesystem::resize_file(path, size);
}

// The message make() throws: a NamingError whose text is one printable line that names
// `file`, and says what to do (after "; ").
std::string refusal(const std::function<void()>& make, const std::string& file) {
    try {
        make();
    } catch (const NamingError& error) {
        const std::string text = error.what();
        EXPECT_NE(text.find(file), std::string::npos) << text;
        EXPECT_NE(text.find("; "), std::string::npos) << "no advice: " << text;
        for (const char c : text) {
            const auto byte = static_cast<unsigned char>(c);
            EXPECT_TRUE(byte >= 0x20 && byte != 0x7F) << "raw byte " << int(byte) << ": " << text;
        }
        for (const char* library : {"stoll", "stoul", "substr", "basic_string", "BDB0"}) {
            EXPECT_EQ(text.find(library), std::string::npos) << text;
        }
        return text;
    } catch (const std::exception& error) {
        ADD_FAILURE() << "not a NamingError: " << error.what();
        return {};
    }
    ADD_FAILURE() << "accepted " << file;
    return {};
}

std::string dbm_refusal(const std::string& base, const std::string& file) {
    return refusal([&] { (void)make_dbm_storage(base); }, file);
}

std::string sql_refusal(const std::string& file) {
    return refusal([&] { (void)make_sql_storage(file); }, file);
}

TEST(DamagedStorageFiles, BerkeleyDbGarbageAndTruncation) {
    ScratchDir scratch;
    const std::string base = scratch.file("bdb");
    write_bytes(base + ".db", garbage(5000));
    EXPECT_NE(dbm_refusal(base, base + ".db").find("not a Berkeley DB hash database"),
              std::string::npos);
    std::filesystem::remove(base + ".db");
    {
        Registry registry(make_dbm_storage(base));
        for (int i = 0; i < 400; ++i) {
            registry.register_name("n." + std::to_string(i), "PYRO:o@h:1", false, {});
        }
    }
    const auto size = std::filesystem::file_size(base + ".db");
    ASSERT_GT(size, 3u * 4096u);
    truncate_to(base + ".db", size / 2 + 100); // cut in the middle of a page
    EXPECT_NE(dbm_refusal(base, base + ".db").find("is damaged (Berkeley DB's check: "),
              std::string::npos);
    truncate_to(base + ".db", 10); // less than a meta page
    (void)dbm_refusal(base, base + ".db");
}

TEST(DamagedStorageFiles, BerkeleyDbHoldingOtherThanUtf8Names) {
    ScratchDir scratch;
    const std::string base = scratch.file("foreign");
    {
        Registry registry(make_dbm_storage(base));
        registry.register_name("ok", "PYRO:o@h:1", false, {});
        registry.register_name("bad\xff\xfe", "PYRO:o@h:1", false, {});
    }
    EXPECT_NE(dbm_refusal(base, base + ".db").find("not UTF-8"), std::string::npos);
}

TEST(DamagedStorageFiles, DumbIndexGarbageTruncationAndShortData) {
    ScratchDir scratch;
    const std::string base = scratch.file("dumb");
    write_bytes(base + ".dat", "PYRO:a@h:1");
    write_bytes(base + ".dir", garbage(4096)); // does not start with a quote
    EXPECT_NE(dbm_refusal(base, base + ".dir").find("is damaged"), std::string::npos);
    write_bytes(base + ".dir", "'a', (0, 10)\n'b\x01\xff', (51"); // cut mid-line
    EXPECT_NE(dbm_refusal(base, base + ".dir").find("line 2"), std::string::npos);
    write_bytes(base + ".dir", "'a', (0, 99999999999999999999)\n"); // stoll's range
    (void)dbm_refusal(base, base + ".dir");
    write_bytes(base + ".dir", "'a', (0, 10)\n'b', (512, 10)\n"); // .dat cut short
    EXPECT_NE(dbm_refusal(base, base + ".dir").find("beyond the end"), std::string::npos);
    write_bytes(base + ".dir", "'\\xff\\xfe', (0, 10)\n"); // a key that is no UTF-8 name
    EXPECT_NE(dbm_refusal(base, base + ".dir").find("not UTF-8"), std::string::npos);
}

TEST(DamagedStorageFiles, OtherDbmFormatsAreNamed) {
    ScratchDir scratch;
    const std::string gnu = scratch.file("gnu");
    std::string magic(4, '\0');
    const std::uint32_t gdbm_magic = 0x13579acf; // GNU dbm's, native byte order
    std::memcpy(magic.data(), &gdbm_magic, 4);
    write_bytes(gnu, magic + garbage(1000));
    EXPECT_NE(dbm_refusal(gnu, gnu).find("GNU dbm"), std::string::npos);

    const std::string old = scratch.file("old");
    write_bytes(old + ".pag", garbage(100));
    write_bytes(old + ".dir", garbage(100));
    EXPECT_NE(dbm_refusal(old, old + ".pag").find("old ndbm"), std::string::npos);

    const std::string base = scratch.file("names");
    { Registry registry(make_dbm_storage(base)); }
    EXPECT_NE(dbm_refusal(base + ".db", base + ".db").find("-s dbm:" + base), std::string::npos);

    const std::string text = scratch.file("notes.txt");
    write_bytes(text, "some notes\n");
    (void)dbm_refusal(text, text);
}

TEST(DamagedStorageFiles, SqlGarbageTruncationAndForeignSchema) {
    ScratchDir scratch;
    const std::string file = scratch.file("ns.sqlite");
    write_bytes(file, garbage(8192));
    EXPECT_NE(sql_refusal(file).find("is not an SQLite database"), std::string::npos);

    std::filesystem::remove(file);
    {
        Registry registry(make_sql_storage(file));
        for (int i = 0; i < 400; ++i) {
            registry.register_name("n." + std::to_string(i), "PYRO:o@h:1", false,
                                   {"tag" + std::to_string(i)});
        }
    }
    const auto size = std::filesystem::file_size(file);
    ASSERT_GT(size, 4u * 4096u);
    // One page overwritten (here the name index): the tables still count, only SQLite's
    // integrity check at start sees it.
    const std::string paged = scratch.file("paged.sqlite");
    std::string content = read_text_file(file);
    content.replace(4096, 4096, garbage(4096));
    write_bytes(paged, content);
    EXPECT_NE(sql_refusal(paged).find("is damaged"), std::string::npos);
    truncate_to(file, size / 2);
    EXPECT_NE(sql_refusal(file).find("is damaged"), std::string::npos);
    write_bytes(file, read_text_file(file).substr(0, 100)); // the header, cut short
    (void)sql_refusal(file);

    const std::string foreign = scratch.file("other.sqlite");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE pyro_names(id integer, name text, address text);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    EXPECT_NE(sql_refusal(foreign).find("has no column uri"), std::string::npos);
}

TEST(DamagedStorageFiles, PrintableEscapesWhatCannotBeShown) {
    EXPECT_EQ(printable("a\nb\x01\x7f\xff\xc3\xa9"), "a\\x0ab\\x01\\x7f\\xff\xc3\xa9");
    EXPECT_TRUE(is_utf8("\xc3\xa9\xe2\x80\xa6\xf0\x9f\x98\x80"));
    EXPECT_FALSE(is_utf8("\xc0\xaf"));         // overlong
    EXPECT_FALSE(is_utf8("\xed\xa0\x80"));     // a surrogate
    EXPECT_FALSE(is_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
    EXPECT_FALSE(is_utf8("\xe2\x80"));         // cut short
}

} // namespace
} // namespace pyro::ns
