// Where the name server keeps its entries: in memory, in an SQLite file (interchangeable with
// `pyro4-ns -s sql:FILE`, PYRO4-WIRE.md §10.1) or in a dbm database (§10.2): a Berkeley DB hash
// file FILE.db as Python's dbm.ndbm writes it on Debian, or Python's dbm.dumb files.
//
// The interface follows Pyro4's storage classes (naming.MemoryStorage, naming_storage.SqlStorage
// and DbmStorage) method for method, including their "optimized" search hooks, so results come
// in the same order and with the same quirks as from pyro4-ns.
//
// A Storage is not thread-safe; the Registry serialises every call. Every change is on disk
// (written and fsync'ed) before the call returns (persistent storages), so a registration a
// client was told about survives the process being killed. Methods throw NamingError("sqlite
// error in …: …") / ("dbm error in …: …") for I/O failures, as Pyro4 words them; opening a file
// that is damaged or not a name server's throws NamingError with one line naming the file, what
// is wrong and what to do.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nameserver/registry.hpp"

namespace pyro::ns {

class Storage {
public:
    virtual ~Storage() = default;

    [[nodiscard]] virtual std::optional<Entry> get(std::string_view name) = 0;
    // Inserts or replaces (Python's storage[name] = uri, metadata).
    virtual void set(std::string_view name, const Entry& entry) = 0;
    [[nodiscard]] virtual bool contains(std::string_view name) = 0;
    // Removes one name; absent names are ignored.
    virtual void erase(std::string_view name) = 0;
    [[nodiscard]] virtual std::size_t size() = 0;
    // Every name, in the storage's iteration order.
    [[nodiscard]] virtual std::vector<std::string> names() = 0;
    // Every entry with its metadata, in the storage's order.
    [[nodiscard]] virtual Listing everything() = 0;
    virtual void remove_items(const std::vector<std::string>& names) = 0;

    // Pyro4's optimized_* hooks: a storage may answer a search itself (nullopt: the registry
    // scans names() instead).
    [[nodiscard]] virtual std::optional<Listing> prefix_list(std::string_view prefix);
    // Pyro4's DbmStorage appends "$" to a list/remove pattern (a full match, unlike the other
    // storages). The registry applies that itself, matching outside its lock, interruptibly.
    [[nodiscard]] virtual bool regex_matches_whole_name() const { return false; }
    // Exactly one of all/any is non-null and non-empty.
    [[nodiscard]] virtual std::optional<Listing>
    metadata_search(const std::vector<std::string>* all, const std::vector<std::string>* any);
};

// Pyro4's MemoryStorage: a dict in insertion order (replacing a name keeps its place).
[[nodiscard]] std::unique_ptr<Storage> make_memory_storage();
// Pyro4's SqlStorage on `file`, created with Pyro4's exact schema if new. Throws
// RemoteError("builtins.ValueError") for ":memory:", NamingError when the file is not usable.
[[nodiscard]] std::unique_ptr<Storage> make_sql_storage(const std::string& file);
// Pyro4's DbmStorage; metadata is not stored. The files are found as Python's dbm.whichdb finds
// them: FILE.db (Berkeley DB hash, dbm.ndbm on Debian), else FILE.dat + FILE.dir (dbm.dumb);
// with neither, FILE.db is created, as pyro4-ns does on Debian 12. GNU dbm (GPL-3) and the old
// FILE.pag + FILE.dir ndbm are refused with a line saying so. Throws NamingError.
[[nodiscard]] std::unique_ptr<Storage> make_dbm_storage(const std::string& file);

// NamingError("STORAGE storage: FILE PROBLEM; ADVICE"): the one line for a storage file that
// cannot be used. The file name is shown with control characters escaped.
[[noreturn]] void throw_unusable_file(std::string_view storage, const std::string& file,
                                      const std::string& problem, std::string_view advice);
// `text` with control characters, DEL and bytes that are not UTF-8 written as \xNN: safe to
// print on one line whatever a file or a library handed over.
[[nodiscard]] std::string printable(std::string_view text);
// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
[[nodiscard]] bool is_utf8(std::string_view text);

// What `-s/--storage` selected.
struct StorageSpec {
    enum class Kind { Memory, Dbm, Sql };
    Kind kind = Kind::Memory;
    std::string file; // Dbm, Sql
};

// Parses "memory", "dbm:FILE" or "sql:FILE" (also "" = memory). Throws
// RemoteError("builtins.ValueError", "invalid storage type '…'") as pyro4-ns does.
[[nodiscard]] StorageSpec parse_storage_spec(std::string_view text);
[[nodiscard]] std::unique_ptr<Storage> open_storage(const StorageSpec& spec);

} // namespace pyro::ns
