#include "nameserver/registry.hpp"

#include <algorithm>

#include "nameserver/storage.hpp"
#include "pyro/errors.hpp"
#include "pyro/uri.hpp"
#include "pyro/value.hpp"

namespace pyro::ns {

namespace {

bool contains_tag(const Tags& tags, const std::string& tag) {
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

} // namespace

Tags unique_tags(const std::vector<std::string>& tags) {
    Tags out;
    for (const auto& tag : tags) {
        if (!contains_tag(out, tag)) {
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
    const std::lock_guard lock(mutex_);
    if (safe && storage_->contains(name)) {
        throw NamingError("name already registered: " + std::string(name));
    }
    storage_->set(name, Entry{std::string(uri), unique_tags(metadata)});
}

void Registry::set_metadata(std::string_view name, const Tags& metadata) {
    const std::lock_guard lock(mutex_);
    auto entry = storage_->get(name);
    if (!entry) {
        throw NamingError("unknown name: " + std::string(name));
    }
    entry->metadata = unique_tags(metadata);
    storage_->set(name, *entry);
}

int Registry::remove(const std::optional<std::string>& name,
                     const std::optional<std::string>& prefix,
                     const std::optional<std::string>& regex) {
    const std::lock_guard lock(mutex_);
    if (name && !name->empty() && *name != name_server_name && storage_->contains(*name)) {
        storage_->erase(*name);
        return 1;
    }
    const auto remove_listed = [this](const ListFilter& query) {
        std::vector<std::string> names;
        for (const auto& row : list_locked(query)) {
            if (row.name != name_server_name) {
                names.push_back(row.name);
            }
        }
        storage_->remove_items(names);
        return static_cast<int>(names.size());
    };
    if (prefix && !prefix->empty()) {
        ListFilter query;
        query.prefix = prefix;
        return remove_listed(query);
    }
    if (regex && !regex->empty()) {
        ListFilter query;
        query.regex = regex;
        return remove_listed(query);
    }
    return 0;
}

Listing Registry::list(const ListFilter& query) const {
    const std::lock_guard lock(mutex_);
    return list_locked(query);
}

Listing Registry::list_locked(const ListFilter& query) const {
    const int filters = int{query.prefix.has_value()} + int{query.regex.has_value()} +
                        int{query.metadata_all.has_value()} + int{query.metadata_any.has_value()};
    if (filters > 1) {
        throw RemoteError("builtins.ValueError", "you can only filter on one thing at a time");
    }
    const auto scan_names = [this](const auto& keep) {
        Listing out;
        for (const auto& name : storage_->names()) {
            if (keep(name)) {
                if (auto entry = storage_->get(name)) {
                    out.push_back({name, std::move(entry->uri), std::move(entry->metadata)});
                }
            }
        }
        return out;
    };
    if (query.prefix && !query.prefix->empty()) {
        if (auto found = storage_->prefix_list(*query.prefix)) {
            return std::move(*found);
        }
        const std::string& prefix = *query.prefix;
        return scan_names([&](const std::string& name) { return name.starts_with(prefix); });
    }
    if (query.regex && !query.regex->empty()) {
        if (auto found = storage_->regex_list(*query.regex)) {
            return std::move(*found);
        }
        const PythonRegex regex(*query.regex);
        return scan_names([&](const std::string& name) { return regex.match(name); });
    }
    if (query.metadata_all && !query.metadata_all->empty()) {
        if (auto found = storage_->metadata_search(&*query.metadata_all, nullptr)) {
            return std::move(*found);
        }
        const Tags wanted = unique_tags(*query.metadata_all);
        Listing out;
        for (auto& row : storage_->everything()) {
            if (std::all_of(wanted.begin(), wanted.end(),
                            [&](const auto& tag) { return contains_tag(row.metadata, tag); })) {
                out.push_back(std::move(row));
            }
        }
        return out;
    }
    if (query.metadata_any && !query.metadata_any->empty()) {
        if (auto found = storage_->metadata_search(nullptr, &*query.metadata_any)) {
            return std::move(*found);
        }
        const Tags& wanted = *query.metadata_any;
        Listing out;
        for (auto& row : storage_->everything()) {
            if (std::any_of(wanted.begin(), wanted.end(),
                            [&](const auto& tag) { return contains_tag(row.metadata, tag); })) {
                out.push_back(std::move(row));
            }
        }
        return out;
    }
    return storage_->everything();
}

} // namespace pyro::ns
