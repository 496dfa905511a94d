// Pyro4's MemoryStorage (a Python dict): insertion order, and assigning to an existing name keeps
// its place; a name removed and registered again goes to the end.
//
// Laid out for a whole class's registrations and more (issue 12: a million under 300 MB
// resident): one row per name in a deque — the name and URI in one string, so one allocation —
// and an open-addressing index of row numbers (4 bytes a slot) instead of a node-based map that
// would hold every name twice. A removed row stays as a hole until holes outnumber the rows, then
// the rows are compacted in order and the index rebuilt.
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>

#include "nameserver/storage.hpp"
#include "pyro/errors.hpp"

namespace pyro::ns {

namespace {

class MemoryStorage final : public Storage {
public:
    std::optional<Entry> get(std::string_view name) override {
        const std::size_t slot = find(name);
        if (slot == npos) {
            return std::nullopt;
        }
        const Row& row = rows_[slots_[slot] - 1];
        return Entry{std::string(row.uri()), row.metadata};
    }

    void set(std::string_view name, const Entry& entry) override {
        if (const std::size_t slot = find(name); slot != npos) {
            Row& row = rows_[slots_[slot] - 1];
            row.text.resize(row.name_size);
            row.text.append(entry.uri);
            row.text.shrink_to_fit();
            row.metadata = entry.metadata;
            return;
        }
        if (name.size() > std::numeric_limits<std::uint32_t>::max() || rows_.size() >= max_rows) {
            throw NamingError("the name server's memory storage is full");
        }
        Row row;
        row.text.reserve(name.size() + entry.uri.size());
        row.text.append(name);
        row.text.append(entry.uri);
        row.name_size = static_cast<std::uint32_t>(name.size());
        row.metadata = entry.metadata;
        rows_.push_back(std::move(row));
        ++live_;
        if ((used_ + 1) * 2 > slots_.size()) {
            rebuild_index(); // counts the new row in
        } else {
            place(rows_.size() - 1);
        }
    }

    bool contains(std::string_view name) override { return find(name) != npos; }

    void erase(std::string_view name) override {
        const std::size_t slot = find(name);
        if (slot == npos) {
            return;
        }
        Row& row = rows_[slots_[slot] - 1];
        row.live = false;
        row.text = std::string(); // frees it now
        row.metadata = Tags();
        slots_[slot] = removed_slot;
        --live_;
        if (rows_.size() - live_ > std::max<std::size_t>(live_, 1024)) {
            compact();
        }
    }

    std::size_t size() override { return live_; }

    std::vector<std::string> names() override {
        std::vector<std::string> out;
        out.reserve(live_);
        for (const auto& row : rows_) {
            if (row.live) {
                out.emplace_back(row.name());
            }
        }
        return out;
    }

    Listing everything() override {
        Listing out;
        out.reserve(live_);
        for (const auto& row : rows_) {
            if (row.live) {
                out.push_back({std::string(row.name()), std::string(row.uri()), row.metadata});
            }
        }
        return out;
    }

    void remove_items(const std::vector<std::string>& names) override {
        for (const auto& name : names) {
            erase(name);
        }
    }

private:
    struct Row {
        std::string text; // the name, then the URI
        std::uint32_t name_size = 0;
        bool live = true;
        Tags metadata;
        [[nodiscard]] std::string_view name() const { return {text.data(), name_size}; }
        [[nodiscard]] std::string_view uri() const {
            return std::string_view(text).substr(name_size);
        }
    };

    // Slots hold row number + 1; 0 is a free slot, removed_slot one whose row was removed.
    static constexpr std::uint32_t free_slot = 0;
    static constexpr std::uint32_t removed_slot = std::numeric_limits<std::uint32_t>::max();
    static constexpr std::size_t max_rows = removed_slot - 1;
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    [[nodiscard]] std::size_t find(std::string_view name) const {
        if (slots_.empty()) {
            return npos;
        }
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t slot = std::hash<std::string_view>{}(name)&mask;;
             slot = (slot + 1) & mask) {
            const std::uint32_t value = slots_[slot];
            if (value == free_slot) {
                return npos;
            }
            if (value != removed_slot && rows_[value - 1].name() == name) {
                return slot;
            }
        }
    }

    // Indexes row `index` (its name is not in the index yet).
    void place(std::size_t index) {
        const std::size_t mask = slots_.size() - 1;
        std::size_t slot = std::hash<std::string_view>{}(rows_[index].name()) & mask;
        while (slots_[slot] != free_slot && slots_[slot] != removed_slot) {
            slot = (slot + 1) & mask;
        }
        used_ += slots_[slot] == free_slot ? 1 : 0;
        slots_[slot] = static_cast<std::uint32_t>(index + 1);
    }

    // A fresh index for the live rows, at most a quarter full, without removed slots.
    void rebuild_index() {
        std::size_t capacity = 16;
        while (capacity < live_ * 4) {
            capacity *= 2;
        }
        slots_.assign(capacity, free_slot);
        used_ = 0;
        for (std::size_t i = 0; i < rows_.size(); ++i) {
            if (rows_[i].live) {
                place(i);
            }
        }
    }

    void compact() {
        std::erase_if(rows_, [](const Row& row) { return !row.live; });
        rows_.shrink_to_fit();
        rebuild_index();
    }

    std::deque<Row> rows_;
    std::size_t live_ = 0;
    std::vector<std::uint32_t> slots_;
    std::size_t used_ = 0; // slots not free (live or removed)
};

} // namespace

std::unique_ptr<Storage> make_memory_storage() {
    return std::make_unique<MemoryStorage>();
}

} // namespace pyro::ns
