// Pyro4's SqlStorage (naming_storage.py), statement for statement, so a file is interchangeable
// with pyro4-ns -s sql:FILE (PYRO4-WIRE.md §10.1): the same schema text, one row per name, one row
// per tag, and an update that deletes the old rows and inserts new ones (the name gets a new id).
//
// Pyro4 opens a connection per operation; one connection kept open behaves the same for readers
// in other processes (every change is its own committed transaction) and is cheaper. Opening
// checks the file is a name server's and undamaged, so a bad file is one line at start.
#include <algorithm>
#include <initializer_list>
#include <stdexcept>

#include <sqlite3.h>

#include "nameserver/storage.hpp"
#include "pyro/errors.hpp"

namespace pyro::ns {

namespace {

// Pyro4's schema, byte for byte: SQLite keeps the CREATE text in sqlite_master.
constexpr const char* create_names = R"(CREATE TABLE pyro_names
            (
                id integer PRIMARY KEY,
                name nvarchar NOT NULL UNIQUE,
                uri nvarchar NOT NULL
            );)";
constexpr const char* create_metadata = R"(CREATE TABLE pyro_metadata
            (
                object integer NOT NULL,
                metadata nvarchar NOT NULL,
                FOREIGN KEY(object) REFERENCES pyro_names(id)
            );)";

struct SqlError : std::runtime_error {
    explicit SqlError(const std::string& message, int code = SQLITE_ERROR)
        : std::runtime_error(message), code(code) {}
    int code; // the primary result code, to tell a foreign or damaged file from other failures
};

class Statement {
public:
    Statement(sqlite3* db, const std::string& sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
            SQLITE_OK) {
            throw SqlError(sqlite3_errmsg(db), sqlite3_errcode(db) & 0xFF);
        }
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, std::string_view text) {
        check(sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                                SQLITE_TRANSIENT));
        return *this;
    }
    Statement& bind(int index, sqlite3_int64 number) {
        check(sqlite3_bind_int64(stmt_, index, number));
        return *this;
    }
    // True while there is a row to read.
    bool step() {
        const int result = sqlite3_step(stmt_);
        if (result == SQLITE_ROW) {
            return true;
        }
        if (result != SQLITE_DONE) {
            throw SqlError(sqlite3_errmsg(db_), result & 0xFF);
        }
        return false;
    }
    void run() {
        while (step()) {
        }
    }
    [[nodiscard]] std::string text(int column) const {
        const auto* data = sqlite3_column_text(stmt_, column);
        return data == nullptr
                   ? std::string()
                   : std::string(reinterpret_cast<const char*>(data),
                                 static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
    }
    [[nodiscard]] sqlite3_int64 integer(int column) const {
        return sqlite3_column_int64(stmt_, column);
    }

private:
    void check(int result) const {
        if (result != SQLITE_OK) {
            throw SqlError(sqlite3_errmsg(db_));
        }
    }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

class SqlStorage final : public Storage {
public:
    explicit SqlStorage(const std::string& file) {
        if (file == ":memory:") {
            throw RemoteError("builtins.ValueError",
                              "We don't support the sqlite :memory: database type. Just use the "
                              "default volatile in-memory store.");
        }
        try {
            open(file);
        } catch (...) {
            sqlite3_close(db_);
            throw;
        }
    }

    ~SqlStorage() override {
        // Back to Pyro4's rollback journal: the file is as pyro4-ns leaves it (no -wal/-shm).
        sqlite3_exec(db_, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
        sqlite3_close(db_);
    }
    SqlStorage(const SqlStorage&) = delete;
    SqlStorage& operator=(const SqlStorage&) = delete;

private:
    void open(const std::string& file) {
        if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            nullptr) != SQLITE_OK) {
            throw NamingError("sql storage: cannot open " + printable(file) + " (" +
                              printable(db_ ? sqlite3_errmsg(db_) : "out of memory") +
                              "); check the folder exists and the file is writable");
        }
        sqlite3_busy_timeout(db_, 5000); // Python's sqlite3 default timeout
        try {
            execute("PRAGMA foreign_keys=ON");
            // Write-ahead log while pyro-ns runs: a commit is one append and one fsync, where
            // the rollback journal Pyro4 uses costs four or five (measured with 8 clients and
            // kill -9: 212 against 29 registrations/s). FULL keeps every commit on disk. The
            // file returns to the rollback journal when closed (~SqlStorage); after a kill it
            // stays in WAL mode until the next opener, pyro-ns or Python, recovers it.
            execute("PRAGMA journal_mode=WAL");
            execute("PRAGMA synchronous=FULL");
            transaction([&] {
                if (!table_exists("pyro_names")) {
                    create_schema();
                } else if (!table_exists("pyro_metadata")) {
                    // A file from a Pyro4 older than 4.40: names only. Migrated as Pyro4 does.
                    check_columns(file, "pyro_names", {"name", "uri"});
                    execute("ALTER TABLE pyro_names RENAME TO pyro_names_old");
                    create_schema();
                    execute("INSERT INTO pyro_names(name, uri) SELECT name, uri FROM "
                            "pyro_names_old");
                    execute("DROP TABLE pyro_names_old");
                }
            });
            check_columns(file, "pyro_names", {"id", "name", "uri"});
            check_columns(file, "pyro_metadata", {"object", "metadata"});
            check_integrity(file);
        } catch (const SqlError& error) {
            if (error.code == SQLITE_NOTADB) {
                throw_unusable_file("sql", file, "is not an SQLite database",
                                    "give -s sql: another file name");
            }
            if (error.code == SQLITE_CORRUPT) {
                throw_unusable_file("sql", file, "is damaged (" + printable(error.what()) + ")",
                                    unusable_advice);
            }
            throw NamingError("sql storage: cannot use " + printable(file) + " (" +
                              printable(error.what()) +
                              "); check the file is writable and no other program locks it");
        }
    }

    static constexpr const char* unusable_advice =
        "move it away (pyro-ns then starts with an empty store) or restore a copy";

    // A table of that name from another program would fail later, at a client's call.
    void check_columns(const std::string& file, const char* table,
                       std::initializer_list<const char*> wanted) {
        Statement info(db_, std::string("PRAGMA table_info(") + table + ")");
        std::vector<std::string> columns;
        while (info.step()) {
            columns.push_back(info.text(1));
        }
        for (const char* column : wanted) {
            if (std::find(columns.begin(), columns.end(), column) == columns.end()) {
                throw_unusable_file("sql", file,
                                    std::string("is an SQLite database but no name server's "
                                                "(its table ") +
                                        table + " has no column " + column + ")",
                                    "give -s sql: another file name");
            }
        }
    }

    // A truncated or overwritten file may still open; its damage shows only when a page is
    // read. Checking the whole file once at start keeps that out of clients' calls.
    void check_integrity(const std::string& file) {
        Statement check(db_, "PRAGMA quick_check(1)");
        const std::string verdict = check.step() ? check.text(0) : std::string("no answer");
        if (verdict != "ok") {
            std::string one_line = verdict;
            std::replace(one_line.begin(), one_line.end(), '\n', ' ');
            throw_unusable_file("sql", file, "is damaged (" + printable(one_line) + ")",
                                unusable_advice);
        }
    }

public:
    std::optional<Entry> get(std::string_view name) override {
        return guard("getitem", [&]() -> std::optional<Entry> {
            Statement select(db_, "SELECT id, uri FROM pyro_names WHERE name=?");
            select.bind(1, name);
            if (!select.step()) {
                return std::nullopt;
            }
            return Entry{select.text(1), metadata_of(select.integer(0))};
        });
    }

    void set(std::string_view name, const Entry& entry) override {
        guard("setitem", [&] {
            transaction([&] {
                delete_name(name);
                Statement insert(db_, "INSERT INTO pyro_names(name, uri) VALUES(?,?)");
                insert.bind(1, name).bind(2, entry.uri).run();
                const sqlite3_int64 object = sqlite3_last_insert_rowid(db_);
                for (const auto& tag : entry.metadata) {
                    Statement tag_insert(
                        db_, "INSERT INTO pyro_metadata(object, metadata) VALUES (?,?)");
                    tag_insert.bind(1, object).bind(2, tag).run();
                }
            });
        });
    }

    bool contains(std::string_view name) override {
        return guard("contains", [&] {
            Statement select(db_, "SELECT EXISTS(SELECT 1 FROM pyro_names WHERE name=? LIMIT 1)");
            select.bind(1, name);
            return select.step() && select.integer(0) != 0;
        });
    }

    void erase(std::string_view name) override {
        guard("delitem", [&] { transaction([&] { delete_name(name); }); });
    }

    std::size_t size() override {
        return guard("len", [&] {
            Statement select(db_, "SELECT count(*) FROM pyro_names");
            return select.step() ? static_cast<std::size_t>(select.integer(0)) : std::size_t{0};
        });
    }

    std::vector<std::string> names() override {
        return guard("iter", [&] {
            std::vector<std::string> out;
            Statement select(db_, "SELECT name FROM pyro_names");
            while (select.step()) {
                out.push_back(select.text(0));
            }
            return out;
        });
    }

    Listing everything() override {
        return guard("everything",
                     [&] { return rows_of("SELECT id, name, uri FROM pyro_names", {}); });
    }

    void remove_items(const std::vector<std::string>& names) override {
        guard("remove_items", [&] {
            transaction([&] {
                for (const auto& name : names) {
                    delete_name(name);
                }
            });
        });
    }

    std::optional<Listing> prefix_list(std::string_view prefix) override {
        // LIKE, as Pyro4: case-insensitive for ASCII, and '%'/'_' in the prefix are wildcards.
        return guard("optimized_prefix_list", [&] {
            return rows_of("SELECT id, name, uri FROM pyro_names WHERE name LIKE ?",
                           {std::string(prefix) + "%"});
        });
    }

    std::optional<Listing> metadata_search(const std::vector<std::string>* all,
                                           const std::vector<std::string>* any) override {
        return guard("optimized_metadata_search", [&] {
            const bool by_any = any != nullptr && !any->empty();
            const std::vector<std::string>& tags = by_any ? *any : *all;
            std::string marks;
            for (std::size_t i = 0; i < tags.size(); ++i) {
                marks += i == 0 ? "?" : ",?";
            }
            if (by_any) {
                return rows_of("SELECT id, name, uri FROM pyro_names WHERE id IN (SELECT object "
                               "FROM pyro_metadata WHERE metadata IN (" +
                                   marks + "))",
                               tags);
            }
            // Pyro4 counts the tags as given (a repeated tag never matches); so do we.
            return rows_of("SELECT id, name, uri FROM pyro_names WHERE id IN (SELECT object FROM "
                           "pyro_metadata WHERE metadata IN (" +
                               marks + ") GROUP BY object HAVING COUNT(metadata)=" +
                               std::to_string(tags.size()) + ")",
                           tags);
        });
    }

private:
    template <class F>
    auto guard(const char* what, F&& body) -> decltype(body()) {
        try {
            return body();
        } catch (const SqlError& error) {
            throw NamingError(std::string("sqlite error in ") + what + ": " + error.what());
        }
    }

    void execute(const char* sql) {
        char* message = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
            const std::string text = message ? message : sqlite3_errmsg(db_);
            sqlite3_free(message);
            throw SqlError(text, sqlite3_errcode(db_) & 0xFF);
        }
    }

    // One committed transaction: on disk before this returns (survives kill -9).
    template <class F>
    void transaction(F&& body) {
        execute("BEGIN IMMEDIATE");
        try {
            body();
            execute("COMMIT");
        } catch (...) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }

    bool table_exists(const char* table) {
        try {
            Statement count(db_, std::string("SELECT COUNT(*) FROM ") + table);
            count.run();
            return true;
        } catch (const SqlError& error) {
            // Only a missing table means "create it"; any other failure (not a database, no
            // permission) is reported.
            if (std::string_view(error.what()).starts_with("no such table")) {
                return false;
            }
            throw;
        }
    }

    void create_schema() {
        execute(create_names);
        execute(create_metadata);
    }

    void delete_name(std::string_view name) {
        Statement select(db_, "SELECT id FROM pyro_names WHERE name=?");
        select.bind(1, name);
        if (!select.step()) {
            return;
        }
        const sqlite3_int64 id = select.integer(0);
        Statement(db_, "DELETE FROM pyro_metadata WHERE object=?").bind(1, id).run();
        Statement(db_, "DELETE FROM pyro_names WHERE id=?").bind(1, id).run();
    }

    Tags metadata_of(sqlite3_int64 id) {
        Statement select(db_, "SELECT metadata FROM pyro_metadata WHERE object=?");
        select.bind(1, id);
        std::vector<std::string> tags;
        while (select.step()) {
            tags.push_back(select.text(0));
        }
        return unique_tags(tags);
    }

    Listing rows_of(const std::string& sql, const std::vector<std::string>& parameters) {
        Statement select(db_, sql);
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            select.bind(static_cast<int>(i + 1), parameters[i]);
        }
        std::vector<std::pair<sqlite3_int64, Registration>> rows;
        while (select.step()) {
            rows.push_back({select.integer(0), {select.text(1), select.text(2), {}}});
        }
        Listing out;
        out.reserve(rows.size());
        for (auto& [id, row] : rows) {
            row.metadata = metadata_of(id);
            out.push_back(std::move(row));
        }
        return out;
    }

    sqlite3* db_ = nullptr;
};

} // namespace

std::unique_ptr<Storage> make_sql_storage(const std::string& file) {
    return std::make_unique<SqlStorage>(file);
}

} // namespace pyro::ns
