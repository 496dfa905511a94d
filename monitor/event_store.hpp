// The monitor's memory: the last events reported by PYRO_MONITOR datagrams, in a bounded ring.
//
// Datagrams come from anyone who can reach the UDP port, so each is checked before it is kept:
// valid UTF-8 JSON, an object, version 1, the fields the page draws with the right types, and no
// larger than max_datagram_size. Anything else is counted and forgotten. Memory stays bounded by
// capacity events and max_bytes of their text, whatever arrives.
//
// Thread-safe: every member takes the store's mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pyro::monitor {

struct EventStoreLimits {
    std::size_t capacity = 10'000;               // events kept
    std::size_t max_bytes = 32u * 1024u * 1024u; // their text, in total
    std::size_t max_datagram_size = 16u * 1024u; // a bigger datagram is rejected
};

struct EventStoreStats {
    std::uint64_t accepted = 0; // datagrams kept as events (some may be evicted since)
    std::uint64_t rejected = 0; // not JSON, too large, wrong fields
    std::uint64_t evicted = 0;  // pushed out of the ring by newer events
    std::uint64_t first_id = 0; // oldest id still kept (0 when empty)
    std::uint64_t last_id = 0;  // newest id given out (0 before the first event)
    std::size_t bytes = 0;      // text kept
};

class EventStore {
public:
    explicit EventStore(EventStoreLimits limits = {}) : limits_(limits) {}

    // Checks a datagram and keeps it as the next event: its JSON object with "id" (1, 2, …) and
    // "received" (the monitor's clock, seconds since the epoch) added. Returns the id, or 0
    // when the datagram was rejected.
    std::uint64_t add(std::string_view datagram, double received_time);

    // The events with an id above `since`, oldest first, at most `limit`, as JSON object texts.
    [[nodiscard]] std::vector<std::string> since(std::uint64_t since, std::size_t limit) const;
    // {"events": […], "first_id", "last_id", "more", "stats": {…}}: what /api/events serves.
    [[nodiscard]] std::string since_json(std::uint64_t since, std::size_t limit) const;

    [[nodiscard]] EventStoreStats stats() const;
    [[nodiscard]] const EventStoreLimits& limits() const { return limits_; }

private:
    struct Event {
        std::uint64_t id;
        std::string json;
    };
    EventStoreLimits limits_;
    mutable std::mutex mutex_;
    std::deque<Event> events_;
    EventStoreStats stats_;
};

// The stats as a JSON object text.
[[nodiscard]] std::string stats_json(const EventStoreStats& stats);

} // namespace pyro::monitor
