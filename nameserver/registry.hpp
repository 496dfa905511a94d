// The name server's table: names → (URI text, metadata tags), with the semantics of Pyro4 4.82's
// NameServer class (PYRO4-WIRE.md §7.2) — which filter wins, what remove() spares, the error
// texts. It does no I/O of its own: where entries live is the Storage's business (storage.hpp).
//
//   pyro::ns::Registry registry(pyro::ns::open_storage("memory"));
//   registry.register_name("echo.server", "PYRO:obj@127.0.0.1:5555", false, {"lab"});
//   pyro::ns::Entry entry = registry.lookup("echo.server");
//
// Thread-safe: the servant is called from many daemon worker threads at once. The registry's lock
// guards only the storage's own calls; a regex or metadata query matches on a copy taken under the
// lock and fetches its rows in short slices, so one student's slow query never holds up another's
// lookup. interrupt() makes queries still running give up at once (shutdown).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nameserver/python_regex.hpp"
#include "pyro/name_server.hpp"

namespace pyro::ns {

// The name server's own registration (Pyro4's constants.NAMESERVER_NAME) and its metadata tag.
inline constexpr std::string_view name_server_name = "Pyro.NameServer";
inline constexpr std::string_view name_server_class_tag = "class:Pyro4.naming.NameServer";

// Metadata tags: a Python set, kept in the order the tags were first given (Pyro4's own order is
// Python's set order, which changes from run to run).
using Tags = std::vector<std::string>;

// The tags without duplicates, first occurrence kept.
[[nodiscard]] Tags unique_tags(const std::vector<std::string>& tags);

struct Entry {
    std::string uri; // as it was registered: a string is kept as given, not re-formatted
    Tags metadata;
    friend bool operator==(const Entry&, const Entry&) = default;
};

// One row of a listing: pyro::Registration (name, uri, metadata).
using Listing = std::vector<Registration>;

class Storage;

class Registry {
public:
    explicit Registry(std::unique_ptr<Storage> storage);
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Number of names, the name server's own included.
    [[nodiscard]] std::size_t count() const;
    // Throws NamingError("unknown name: " + name).
    [[nodiscard]] Entry lookup(std::string_view name) const;
    // Adds or replaces a name (metadata too). `uri` must parse as a URI: PyroError with Pyro4's
    // text ("invalid uri", …) otherwise. With `safe`, an existing name gives
    // NamingError("name already registered: " + name).
    void register_name(std::string_view name, std::string_view uri, bool safe,
                       const Tags& metadata);
    // Replaces a name's metadata (empty clears it). NamingError("unknown name: …") when absent.
    void set_metadata(std::string_view name, const Tags& metadata);
    // Pyro4's remove(name, prefix, regex): the first non-empty one that applies wins (a name that
    // is not registered falls through to prefix, then regex). Never removes Pyro.NameServer.
    // Returns how many names were removed.
    int remove(const std::optional<std::string>& name, const std::optional<std::string>& prefix,
               const std::optional<std::string>& regex);
    // Removes `name` only while it is still registered with `uri` (the auto-cleaner's removal:
    // a name registered again meanwhile is kept). Never removes Pyro.NameServer.
    bool remove_if_unchanged(std::string_view name, std::string_view uri);
    // The entries the filter selects, in the storage's order. At most one filter may be set:
    // two give RemoteError("builtins.ValueError", "you can only filter on one thing at a time");
    // an empty value counts as set for that check but filters nothing, as in Pyro4. NamingError
    // for a bad regex or a storage without metadata.
    [[nodiscard]] Listing list(const ListFilter& filter = {}) const;

    // From now on every query still running, and every one started later, stops with
    // NamingError("the name server is shutting down") between two names (thread-safe).
    void interrupt();

    // Changes each time the table may have changed (registrations, metadata, removals, tried or
    // done), after the change: an answer made from what lookup() said while version() stayed the
    // same is still true (the daemon's answer cache, Daemon::cache_answers).
    [[nodiscard]] std::uint64_t version() const { return version_.load(); }

    // Throws PyroError with Pyro4's text when `uri` is not a valid URI.
    static void validate_uri(std::string_view uri);

    // Rows fetched per turn of the lock when a query gathers its results.
    static constexpr std::size_t slice = 512;

private:
    // What a prefix or regex filter selected: the rows when the storage answered the query itself
    // (Pyro4's optimized_* hooks), else the names matched outside the lock.
    struct Selection {
        std::optional<Listing> rows;
        std::vector<std::string> names;
    };
    [[nodiscard]] Selection select(const ListFilter& query) const;
    // The rows of `names` still registered, fetched `slice` names per turn of the lock.
    [[nodiscard]] Listing fetch(const std::vector<std::string>& names) const;
    [[nodiscard]] Listing metadata_query(const ListFilter& query) const;
    void check_interrupted() const;

    // Moves version_ on as a change leaves (after the storage's calls, whatever they threw).
    struct Changing {
        std::atomic<std::uint64_t>& version;
        ~Changing() { ++version; }
    };

    mutable std::mutex mutex_;
    std::unique_ptr<Storage> storage_;
    std::atomic<std::uint64_t> version_{0};
    std::atomic<bool> interrupted_{false};
};

} // namespace pyro::ns
