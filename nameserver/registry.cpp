#include "nameserver/registry.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "nameserver/storage.hpp"
#include "pyro/errors.hpp"
#include "pyro/uri.hpp"
#include "pyro/value.hpp"

namespace pyro::ns {

namespace {

// Hash sets of views into tag lists the caller keeps alive: with 50,000 tags, every tag test must
// be O(1), or register/set_metadata/the metadata queries turn quadratic (seconds).
using TagSet = std::unordered_set<std::string_view>;

// Compacting in place: moves item `from` to `to` (to <= from; never onto itself, which would
// empty it).
template <class T>
void keep(std::vector<T>& items, std::size_t to, std::size_t from) {
    if (to != from) {
        items[to] = std::move(items[from]);
    }
}

constexpr std::size_t names_per_check = 256; // how often a plain scan looks at the stop flag

} // namespace

Tags unique_tags(const std::vector<std::string>& tags) {
    Tags out;
    out.reserve(tags.size());
    TagSet seen;
    seen.reserve(tags.size());
    for (const auto& tag : tags) {
        if (seen.insert(tag).second) {
            out.push_back(tag);
        }
    }
    return out;
}

Registry::Registry(std::unique_ptr<Storage> storage) : storage_(std::move(storage)) {}

Registry::~Registry() = default;

void Registry::validate_uri(std::string_view uri) {
    try {
        (void)Uri::parse(uri);
    } catch (const PyroError& error) {
        // libpyro appends the offending text; Pyro4's message (what a Python client prints) is
        // without it.
        std::string message = error.what();
        const std::string suffix = ": " + Value(uri).repr();
        if (message.ends_with(suffix)) {
            message.resize(message.size() - suffix.size());
        }
        throw PyroError(message);
    }
}

std::size_t Registry::count() const {
    const std::lock_guard lock(mutex_);
    return storage_->size();
}

Entry Registry::lookup(std::string_view name) const {
    const std::lock_guard lock(mutex_);
    auto entry = storage_->get(name);
    if (!entry) {
        throw NamingError("unknown name: " + std::string(name));
    }
    return std::move(*entry);
}

void Registry::register_name(std::string_view name, std::string_view uri, bool safe,
                             const Tags& metadata) {
    validate_uri(uri);
    Entry entry{std::string(uri), unique_tags(metadata)};
    const std::lock_guard lock(mutex_);
    const Changing changing{version_};
    if (safe && storage_->contains(name)) {
        throw NamingError("name already registered: " + std::string(name));
    }
    storage_->set(name, entry);
}

void Registry::set_metadata(std::string_view name, const Tags& metadata) {
    Tags tags = unique_tags(metadata);
    const std::lock_guard lock(mutex_);
    const Changing changing{version_};
    auto entry = storage_->get(name);
    if (!entry) {
        throw NamingError("unknown name: " + std::string(name));
    }
    entry->metadata = std::move(tags);
    storage_->set(name, *entry);
}

int Registry::remove(const std::optional<std::string>& name,
                     const std::optional<std::string>& prefix,
                     const std::optional<std::string>& regex) {
    if (name && !name->empty() && *name != name_server_name) {
        const std::lock_guard lock(mutex_);
        const Changing changing{version_};
        if (storage_->contains(*name)) {
            storage_->erase(*name);
            return 1;
        }
    }
    ListFilter query;
    if (prefix && !prefix->empty()) {
        query.prefix = prefix;
    } else if (regex && !regex->empty()) {
        query.regex = regex;
    } else {
        return 0;
    }
    Selection selection = select(query);
    std::vector<std::string> names;
    if (selection.rows) {
        for (auto& row : *selection.rows) {
            names.push_back(std::move(row.name));
        }
    } else {
        names = std::move(selection.names);
    }
    std::erase(names, std::string(name_server_name));
    // The names were matched on a copy: remove only those still there, so the count is true. A
    // name registered again meanwhile still matches (filters look at names only) and goes too.
    const std::lock_guard lock(mutex_);
    const Changing changing{version_};
    check_interrupted();
    std::erase_if(names, [this](const std::string& listed) { return !storage_->contains(listed); });
    storage_->remove_items(names);
    return static_cast<int>(names.size());
}

bool Registry::remove_if_unchanged(std::string_view name, std::string_view uri) {
    if (name == name_server_name) {
        return false;
    }
    const std::lock_guard lock(mutex_);
    const Changing changing{version_};
    const auto entry = storage_->get(name);
    if (!entry || entry->uri != uri) {
        return false;
    }
    storage_->erase(name);
    return true;
}

void Registry::interrupt() {
    interrupted_ = true;
}

void Registry::check_interrupted() const {
    if (interrupted_.load(std::memory_order_relaxed)) {
        throw NamingError("the name server is shutting down");
    }
}

Listing Registry::list(const ListFilter& query) const {
    const int filters = int{query.prefix.has_value()} + int{query.regex.has_value()} +
                        int{query.metadata_all.has_value()} + int{query.metadata_any.has_value()};
    if (filters > 1) {
        throw RemoteError("builtins.ValueError", "you can only filter on one thing at a time");
    }
    check_interrupted();
    if ((query.prefix && !query.prefix->empty()) || (query.regex && !query.regex->empty())) {
        Selection selection = select(query);
        if (selection.rows) {
            return std::move(*selection.rows);
        }
        return fetch(selection.names);
    }
    if ((query.metadata_all && !query.metadata_all->empty()) ||
        (query.metadata_any && !query.metadata_any->empty())) {
        return metadata_query(query);
    }
    const std::lock_guard lock(mutex_);
    return storage_->everything();
}

Registry::Selection Registry::select(const ListFilter& query) const {
    Selection selection;
    std::vector<std::string> names;
    {
        const std::lock_guard lock(mutex_);
        if (query.prefix) {
            selection.rows = storage_->prefix_list(*query.prefix);
            if (selection.rows) {
                return selection;
            }
        }
        names = storage_->names(); // the copy the match runs on, outside the lock
    }
    std::size_t kept = 0;
    if (query.prefix) {
        const std::string& prefix = *query.prefix;
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (i % names_per_check == 0) {
                check_interrupted();
            }
            if (names[i].starts_with(prefix)) {
                keep(names, kept++, i);
            }
        }
    } else {
        const PythonRegex regex(storage_->regex_matches_whole_name() ? *query.regex + "$"
                                                                     : *query.regex);
        for (std::size_t i = 0; i < names.size(); ++i) {
            check_interrupted(); // one match is bounded by the regex's limits; check each
            if (regex.match(names[i])) {
                keep(names, kept++, i);
            }
        }
    }
    names.resize(kept);
    selection.names = std::move(names);
    return selection;
}

Listing Registry::fetch(const std::vector<std::string>& names) const {
    Listing out;
    out.reserve(names.size());
    for (std::size_t begin = 0; begin < names.size(); begin += slice) {
        const std::size_t end = std::min(names.size(), begin + slice);
        const std::lock_guard lock(mutex_);
        check_interrupted();
        for (std::size_t i = begin; i < end; ++i) {
            if (auto entry = storage_->get(names[i])) {
                out.push_back({names[i], std::move(entry->uri), std::move(entry->metadata)});
            }
        }
    }
    return out;
}

Listing Registry::metadata_query(const ListFilter& query) const {
    const bool all = query.metadata_all && !query.metadata_all->empty();
    const std::vector<std::string>& wanted = all ? *query.metadata_all : *query.metadata_any;
    Listing rows;
    {
        const std::lock_guard lock(mutex_);
        if (auto found =
                storage_->metadata_search(all ? &wanted : nullptr, all ? nullptr : &wanted)) {
            return std::move(*found);
        }
        rows = storage_->everything();
    }
    // One pass over each row's tags with O(1) tests: a wanted tag found is stamped with the row's
    // number, so a tag listed twice in a row (a foreign file) is not counted twice.
    std::unordered_map<std::string_view, std::size_t> wanted_index;
    wanted_index.reserve(wanted.size());
    for (const auto& tag : wanted) {
        wanted_index.emplace(tag, wanted_index.size());
    }
    std::vector<std::size_t> stamp(wanted_index.size(), 0);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i % names_per_check == 0) {
            check_interrupted();
        }
        std::size_t present = 0;
        for (const auto& tag : rows[i].metadata) {
            const auto found = wanted_index.find(tag);
            if (found != wanted_index.end() && stamp[found->second] != i + 1) {
                stamp[found->second] = i + 1;
                ++present;
            }
        }
        const bool selected = all ? present == wanted_index.size() : present > 0;
        if (selected) {
            keep(rows, kept++, i);
        }
    }
    rows.resize(kept);
    return rows;
}

} // namespace pyro::ns
