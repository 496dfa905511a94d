// Pyro4's DbmStorage on a Berkeley DB hash file: what `pyro4-ns -s dbm:FILE` writes on Debian 12,
// where Python's dbm picks dbm.ndbm, built on libdb 5.3's ndbm emulation. That emulation keeps
// FILE.db, a plain hash database (no environment, no log) whose keys are the names and whose
// values are the URIs, both UTF-8 without a terminating NUL; metadata is not stored.
//
// A new file is created with the emulation's settings (4096-byte pages, fill factor 40, one
// initial bucket), so it is the same file Python would have made. Every change is followed by
// DB->sync (pages written, then fsync), so what a client was told is registered is on disk. The
// database is not transactional, as Python's is not: a kill in the microseconds in which one
// change's pages are written could leave it damaged, which the next start reports (DB->verify).
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>

#include <db.h>
#include <sys/stat.h>

#include "nameserver/dbm_storage.hpp"
#include "nameserver/storage.hpp"
#include "pyro/errors.hpp"

namespace pyro::ns {

namespace {

// Berkeley DB reports details through a callback. The first message since the last failure
// explains the next one (DB->verify ends a list of findings with a generic summary).
thread_local std::string first_db_message;

void remember_message(const DB_ENV*, const char*, const char* message) {
    if (first_db_message.empty() && message != nullptr) {
        first_db_message = message;
    }
}

// Without the "BDB0004 " code in front, which tells a reader nothing.
std::string without_code(std::string text) {
    if (text.size() > 8 && text.starts_with("BDB") && text[7] == ' ') {
        text.erase(0, 8);
    }
    return text;
}

// "BDB0004 fop_read_meta: /tmp/x.db: unexpected file type or format" -> "unexpected file type or
// format": the code and the repeated path add nothing for a reader.
std::string db_reason(int code, const std::string& path) {
    std::string text = without_code(first_db_message);
    first_db_message.clear();
    if (const auto at = text.rfind(path + ": "); at != std::string::npos) {
        text.erase(0, at + path.size() + 2);
    }
    if (text.empty()) {
        text = without_code(db_strerror(code));
    }
    return printable(text);
}

struct DbClose {
    void operator()(DB* db) const { db->close(db, 0); }
};
using DbHandle = std::unique_ptr<DB, DbClose>;

struct CursorClose {
    void operator()(DBC* cursor) const { cursor->close(cursor); }
};

DbHandle create_handle() {
    DB* db = nullptr;
    if (const int code = db_create(&db, nullptr, 0); code != 0) {
        throw NamingError(std::string("dbm error in open: ") + db_strerror(code));
    }
    db->set_errcall(db, remember_message);
    return DbHandle(db);
}

DBT dbt_of(std::string_view bytes) {
    DBT out{};
    out.data = const_cast<char*>(bytes.data()); // Berkeley DB does not write through it
    out.size = static_cast<u_int32_t>(bytes.size());
    return out;
}

std::string string_of(const DBT& dbt) {
    return {static_cast<const char*>(dbt.data), dbt.size};
}

const char* const unusable_advice =
    "move it away (pyro-ns then starts with an empty store) or restore a copy";

class BerkeleyStorage final : public Storage {
public:
    BerkeleyStorage(const std::string& file, bool create) : path_(file + ".db") {
        if (!create) {
            lock_ = std::make_unique<FileLock>(path_); // before reading: no writer meanwhile
            verify();
        }
        db_ = create_handle();
        if (create) {
            // ndbm emulation's settings (libdb's dbm.c), so the file is the one Python makes.
            db_->set_pagesize(db_.get(), 4096);
            db_->set_h_ffactor(db_.get(), 40);
            db_->set_h_nelem(db_.get(), 1);
        }
        first_db_message.clear();
        const mode_t old_mask = ::umask(0077); // 0600 as Pyro4's dbm.open(…, mode=0o600)
        const int code = db_->open(db_.get(), nullptr, path_.c_str(), nullptr, DB_HASH,
                                   create ? DB_CREATE : 0, 0600);
        ::umask(old_mask);
        if (code != 0) {
            const std::string reason = db_reason(code, path_);
            db_.reset();
            if (create) {
                throw NamingError("dbm storage: cannot create " + printable(path_) + " (" + reason +
                                  "); check the folder exists and is writable");
            }
            throw_unusable_file("dbm", path_, "is not a Berkeley DB hash database (" + reason + ")",
                                unusable_advice);
        }
        if (create) {
            lock_ = std::make_unique<FileLock>(path_);
            sync("open");
        }
        scan();
    }

    std::optional<Entry> get(std::string_view name) override {
        DBT key = dbt_of(name);
        DBT data{};
        const int code = db_->get(db_.get(), nullptr, &key, &data, 0);
        if (code == DB_NOTFOUND) {
            return std::nullopt;
        }
        check(code, "getitem");
        return Entry{string_of(data), {}};
    }

    void set(std::string_view name, const Entry& entry) override {
        // Metadata is dropped, as in Pyro4 (which only logs a warning).
        const bool existed = contains(name);
        DBT key = dbt_of(name);
        DBT data = dbt_of(entry.uri);
        check(db_->put(db_.get(), nullptr, &key, &data, 0), "setitem");
        sync("setitem");
        count_ += existed ? 0 : 1;
    }

    bool contains(std::string_view name) override {
        DBT key = dbt_of(name);
        const int code = db_->exists(db_.get(), nullptr, &key, 0);
        if (code == DB_NOTFOUND) {
            return false;
        }
        check(code, "contains");
        return true;
    }

    void erase(std::string_view name) override {
        if (drop(name, "delitem")) {
            sync("delitem");
        }
    }

    std::size_t size() override { return count_; }

    std::vector<std::string> names() override {
        std::vector<std::string> out;
        each("iter", [&](std::string key, std::string) { out.push_back(std::move(key)); });
        return out;
    }

    Listing everything() override {
        Listing out;
        each("everything", [&](std::string key, std::string value) {
            out.push_back({std::move(key), std::move(value), {}});
        });
        return out;
    }

    void remove_items(const std::vector<std::string>& names) override {
        bool changed = false;
        for (const auto& name : names) {
            changed = drop(name, "remove_items") || changed;
        }
        if (changed) {
            sync("remove_items"); // one flush for the whole batch
        }
    }

    std::optional<Listing> prefix_list(std::string_view prefix) override {
        Listing out;
        each("optimized_prefix_list", [&](std::string key, std::string value) {
            if (key.starts_with(prefix)) {
                out.push_back({std::move(key), std::move(value), {}});
            }
        });
        return out;
    }

    bool regex_matches_whole_name() const override { return true; }

    std::optional<Listing> metadata_search(const std::vector<std::string>* all,
                                           const std::vector<std::string>* any) override {
        if ((all != nullptr && !all->empty()) || (any != nullptr && !any->empty())) {
            throw NamingError("DbmStorage doesn't support metadata");
        }
        return everything();
    }

private:
    // DB->verify on a handle of its own (verify consumes it): a file damaged by a crash or
    // another program is reported at start, not as odd answers later.
    void verify() {
        // Berkeley DB's own findings about a file that is no hash database at all are
        // misleading ("Encrypted checksum: no encryption key specified" for random bytes).
        std::ifstream in(path_, std::ios::binary);
        std::array<char, 16> head{};
        in.read(head.data(), head.size());
        std::uint32_t magic = 0;
        std::memcpy(&magic, head.data() + 12, sizeof magic);
        if (in.gcount() != static_cast<std::streamsize>(head.size()) ||
            (magic != DB_HASHMAGIC && __builtin_bswap32(magic) != DB_HASHMAGIC)) {
            throw_unusable_file("dbm", path_, "is not a Berkeley DB hash database",
                                "move it away (pyro-ns then starts with an empty store) or give "
                                "-s dbm: another name");
        }
        DbHandle checker = create_handle();
        first_db_message.clear();
        const int code = checker->verify(checker.release(), path_.c_str(), nullptr, nullptr, 0);
        if (code != 0) {
            throw_unusable_file("dbm", path_,
                                "is damaged (Berkeley DB's check: " + db_reason(code, path_) + ")",
                                unusable_advice);
        }
    }

    // Counts the entries, and refuses a database that is not a name server's: Pyro4 keeps
    // UTF-8 names and URIs, and pyro4-ns would fail on anything else too.
    void scan() {
        std::size_t count = 0;
        each("open", [&](const std::string& key, const std::string& value) {
            ++count;
            if (!is_utf8(key) || !is_utf8(value)) {
                throw_unusable_file("dbm", path_,
                                    "holds an entry that is not UTF-8 text (entry " +
                                        std::to_string(count) +
                                        "), so it is no name server database",
                                    "give -s dbm: another name");
            }
        });
        count_ = count;
    }

    template <class F>
    void each(const char* what, F&& visit) {
        DBC* raw = nullptr;
        check(db_->cursor(db_.get(), nullptr, &raw, 0), what);
        const std::unique_ptr<DBC, CursorClose> cursor(raw);
        DBT key{};
        DBT data{};
        int code = 0;
        while ((code = cursor->get(cursor.get(), &key, &data, DB_NEXT)) == 0) {
            visit(string_of(key), string_of(data));
        }
        if (code != DB_NOTFOUND) {
            check(code, what);
        }
    }

    bool drop(std::string_view name, const char* what) {
        DBT key = dbt_of(name);
        const int code = db_->del(db_.get(), nullptr, &key, 0);
        if (code == DB_NOTFOUND) {
            return false;
        }
        check(code, what);
        --count_;
        return true;
    }

    // Changed pages to the file and the file to the disk, before the client hears "done".
    void sync(const char* what) { check(db_->sync(db_.get(), 0), what); }

    // Pyro4's wording for a failure of one operation ("dbm error in setitem: …").
    void check(int code, const char* what) {
        if (code == 0) {
            first_db_message.clear(); // a message of a call that went well explains nothing
        } else {
            throw NamingError(std::string("dbm error in ") + what + ": " + db_reason(code, path_));
        }
    }

    std::string path_;
    DbHandle db_;
    std::unique_ptr<FileLock> lock_;
    std::size_t count_ = 0;
};

} // namespace

std::unique_ptr<Storage> make_berkeley_dbm_storage(const std::string& file, bool create) {
    return std::make_unique<BerkeleyStorage>(file, create);
}

} // namespace pyro::ns
