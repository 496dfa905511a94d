#include "nameserver/storage.hpp"

#include <list>
#include <unordered_map>

#include "pyro/errors.hpp"

namespace pyro::ns {

std::optional<Listing> Storage::prefix_list(std::string_view) {
    return std::nullopt;
}

std::optional<Listing> Storage::regex_list(std::string_view) {
    return std::nullopt;
}

std::optional<Listing> Storage::metadata_search(const std::vector<std::string>*,
                                                const std::vector<std::string>*) {
    return std::nullopt;
}

namespace {

// Pyro4's MemoryStorage is a Python dict: insertion order, and assigning to an existing key keeps
// its place. A list plus an index gives the same order with O(1) lookups.
class MemoryStorage final : public Storage {
public:
    std::optional<Entry> get(std::string_view name) override {
        const auto found = index_.find(std::string(name));
        if (found == index_.end()) {
            return std::nullopt;
        }
        return found->second->second;
    }

    void set(std::string_view name, const Entry& entry) override {
        std::string key(name);
        const auto found = index_.find(key);
        if (found != index_.end()) {
            found->second->second = entry;
            return;
        }
        rows_.emplace_back(key, entry);
        index_.emplace(std::move(key), std::prev(rows_.end()));
    }

    bool contains(std::string_view name) override { return index_.contains(std::string(name)); }

    void erase(std::string_view name) override {
        const auto found = index_.find(std::string(name));
        if (found != index_.end()) {
            rows_.erase(found->second);
            index_.erase(found);
        }
    }

    std::size_t size() override { return rows_.size(); }

    std::vector<std::string> names() override {
        std::vector<std::string> out;
        out.reserve(rows_.size());
        for (const auto& row : rows_) {
            out.push_back(row.first);
        }
        return out;
    }

    Listing everything() override {
        Listing out;
        out.reserve(rows_.size());
        for (const auto& [name, entry] : rows_) {
            out.push_back({name, entry.uri, entry.metadata});
        }
        return out;
    }

    void remove_items(const std::vector<std::string>& names) override {
        for (const auto& name : names) {
            erase(name);
        }
    }

private:
    using Rows = std::list<std::pair<std::string, Entry>>;
    Rows rows_;
    std::unordered_map<std::string, Rows::iterator> index_;
};

} // namespace

std::unique_ptr<Storage> make_memory_storage() {
    return std::make_unique<MemoryStorage>();
}

StorageSpec parse_storage_spec(std::string_view text) {
    if (text.empty() || text == "memory") {
        return {};
    }
    // As pyro4-ns: "dbm:" and "sql:" need a file name after the colon.
    if (text.size() > 4 && text.starts_with("dbm:")) {
        return {StorageSpec::Kind::Dbm, std::string(text.substr(4))};
    }
    if (text.size() > 4 && text.starts_with("sql:")) {
        return {StorageSpec::Kind::Sql, std::string(text.substr(4))};
    }
    throw RemoteError("builtins.ValueError", "invalid storage type '" + std::string(text) + "'");
}

std::unique_ptr<Storage> open_storage(const StorageSpec& spec) {
    switch (spec.kind) {
    case StorageSpec::Kind::Dbm:
        return make_dbm_storage(spec.file);
    case StorageSpec::Kind::Sql:
        return make_sql_storage(spec.file);
    case StorageSpec::Kind::Memory:
        break;
    }
    return make_memory_storage();
}

} // namespace pyro::ns
