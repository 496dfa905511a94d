#include "monitor/event_store.hpp"

#include <algorithm>
#include <array>

#include <boost/json.hpp>

namespace pyro::monitor {

namespace json = boost::json;

namespace {

// The fields the page relies on, and their JSON kinds. Others may come and are kept as they are
// (the format may grow); these must be there and right, or the datagram is not one of ours.
bool well_formed(const json::object& event) {
    const auto is = [&event](std::string_view key, json::kind kind) {
        const json::value* value = event.if_contains(key);
        return value != nullptr && value->kind() == kind;
    };
    const auto is_count = [&event](std::string_view key) {
        const json::value* value = event.if_contains(key);
        return value != nullptr && (value->is_int64() || value->is_uint64()) &&
               !(value->is_int64() && value->get_int64() < 0);
    };
    const auto is_number = [&event](std::string_view key) {
        const json::value* value = event.if_contains(key);
        return value != nullptr && (value->is_number());
    };
    const json::value* version = event.if_contains("v");
    if (version == nullptr || !version->is_int64() || version->get_int64() != 1) {
        return false;
    }
    if (!is("process", json::kind::string) || !is_count("pid") ||
        !is("local", json::kind::string) || !is("peer", json::kind::string) ||
        !is("type", json::kind::string) || !is_count("seq") || !is_count("size") ||
        !is_count("flags") || !is_number("time") || !is("dir", json::kind::string)) {
        return false;
    }
    const json::string& direction = event.at("dir").get_string();
    if (direction != "in" && direction != "out") {
        return false;
    }
    // Decoded texts, when present, must be texts: the page prints them as they are.
    for (const std::string_view key : {"object", "method", "args", "kwargs", "result", "error",
                                       "serializer", "role", "flag_names"}) {
        if (const json::value* value = event.if_contains(key); value && !value->is_string()) {
            return false;
        }
    }
    return true;
}

} // namespace

std::uint64_t EventStore::add(std::string_view datagram, double received_time) {
    json::object event;
    bool ok = datagram.size() <= limits_.max_datagram_size;
    if (ok) {
        // A shallow depth limit: our datagrams are flat, a hostile one may nest deeply.
        json::parse_options options;
        options.max_depth = 8;
        boost::system::error_code error;
        json::value parsed = json::parse(datagram, error, {}, options);
        ok = !error && parsed.is_object();
        if (ok) {
            event = std::move(parsed.get_object());
            ok = well_formed(event);
        }
    }
    const std::lock_guard lock(mutex_);
    if (!ok) {
        ++stats_.rejected;
        return 0;
    }
    const std::uint64_t id = ++stats_.last_id;
    event["id"] = id;
    event["received"] = received_time;
    Event kept{id, json::serialize(event)};
    stats_.bytes += kept.json.size();
    events_.push_back(std::move(kept));
    ++stats_.accepted;
    while (!events_.empty() &&
           (events_.size() > limits_.capacity || stats_.bytes > limits_.max_bytes)) {
        stats_.bytes -= events_.front().json.size();
        events_.pop_front();
        ++stats_.evicted;
    }
    stats_.first_id = events_.empty() ? 0 : events_.front().id;
    return id;
}

std::vector<std::string> EventStore::since(std::uint64_t since, std::size_t limit) const {
    const std::lock_guard lock(mutex_);
    // Ids are consecutive in the ring, so the first wanted one is found by arithmetic.
    std::vector<std::string> out;
    if (events_.empty()) {
        return out;
    }
    const std::uint64_t first = events_.front().id;
    const std::size_t start =
        since < first
            ? 0
            : static_cast<std::size_t>(std::min<std::uint64_t>(since - first + 1, events_.size()));
    const std::size_t end = std::min(events_.size(), start + limit);
    out.reserve(end - start);
    for (std::size_t i = start; i < end; ++i) {
        out.push_back(events_[i].json);
    }
    return out;
}

std::string EventStore::since_json(std::uint64_t since_id, std::size_t limit) const {
    const std::vector<std::string> events = since(since_id, limit + 1);
    const EventStoreStats current = stats();
    const bool more = events.size() > limit;
    std::string out = "{\"events\":[";
    for (std::size_t i = 0; i < events.size() && i < limit; ++i) {
        if (i > 0) {
            out += ',';
        }
        out += events[i]; // already serialized, valid JSON objects
    }
    out += "],\"more\":";
    out += more ? "true" : "false";
    out += ",\"stats\":" + stats_json(current) + "}";
    return out;
}

EventStoreStats EventStore::stats() const {
    const std::lock_guard lock(mutex_);
    return stats_;
}

std::string stats_json(const EventStoreStats& stats) {
    json::object out;
    out["accepted"] = stats.accepted;
    out["rejected"] = stats.rejected;
    out["evicted"] = stats.evicted;
    out["first_id"] = stats.first_id;
    out["last_id"] = stats.last_id;
    out["bytes"] = stats.bytes;
    return json::serialize(out);
}

} // namespace pyro::monitor
