// The item streams of one daemon (PYRO4-WIRE.md §5.9): a servant method that returns a
// pyro::Generator or pyro::ItemStream answers with a stream id, and the client pulls the items
// through Pyro.Daemon.get_next_stream_item / close_stream. As in Pyro4 4.82:
//   - a stream belongs to the connection that opened it; when that connection closes, its streams
//     linger for config.iter_stream_linger seconds (0: they close at once), and a
//     get_next_stream_item from any connection within that time adopts the stream;
//   - config.iter_stream_lifetime (> 0) bounds the age of every stream, counted from its opening;
//   - the end of the items (StopIteration), an error from the source and close_stream all remove
//     the stream; an unknown or removed id gets PyroError("item stream terminated").
// Unlike Pyro4, the number of open streams is capped per connection and in all (DaemonOptions),
// so a client cannot make the server hold unbounded generators. Expired streams are removed
// whenever the registry is used, rather than by a housekeeping thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "pyro/item_stream.hpp"
#include "pyro/value.hpp"

namespace pyro::detail {

class StreamRegistry {
public:
    struct Limits {
        double lifetime = 0.0; // seconds; 0: unlimited
        double linger = 30.0;  // seconds; 0: closed with the connection
        std::size_t per_connection = 64;
        std::size_t total = 1024;
    };
    // `owner` identifies a connection (its address); only compared, never dereferenced.
    using Owner = const void*;

    explicit StreamRegistry(Limits limits) : limits_(limits) {}
    StreamRegistry(const StreamRegistry&) = delete;
    StreamRegistry& operator=(const StreamRegistry&) = delete;

    // Keeps `stream` (and `servant`, whose member function made it) under a new id (uuid4 text)
    // for the connection `owner`. Throws PyroError when a cap is reached.
    std::string open(ItemStream stream, std::shared_ptr<void> servant, Owner owner);
    // The next item of stream `id`. `caller` (null for a oneway call) adopts a lingering stream.
    // At the end throws RemoteError("builtins.StopIteration"); an error of the source is thrown
    // as it is; both remove the stream. Unknown id: PyroError("item stream terminated").
    Value next(const std::string& id, Owner caller);
    void close(const std::string& id);
    // The connection `owner` has closed: its streams linger, or close when linger is 0.
    void connection_closed(Owner owner);
    [[nodiscard]] std::size_t size() const;

private:
    using Clock = std::chrono::steady_clock;
    struct Entry {
        std::shared_ptr<void> servant; // declared first: outlives the stream that may use it
        ItemStream stream;
        Owner owner = nullptr; // null while lingering
        Clock::time_point opened;
        std::optional<Clock::time_point> lingering_since;
        std::mutex pulling; // one next() at a time: a generator must not run on two threads
    };
    using Entries = std::map<std::string, std::shared_ptr<Entry>, std::less<>>;

    [[nodiscard]] bool expired(const Entry& entry, Clock::time_point now) const;
    // Moves the expired entries into `out` (destroyed by the caller after unlocking: a stream's
    // destructor runs servant code).
    void sweep(Clock::time_point now, std::vector<std::shared_ptr<Entry>>& out);
    void remove(const std::string& id, const std::shared_ptr<Entry>& entry);

    Limits limits_;
    mutable std::mutex mutex_;
    Entries entries_;
    Clock::time_point last_sweep_{};
};

// The servant call running on this thread, as far as item streams are concerned: who called,
// and the stream the method returned, if it did (offer_item_stream puts it here). Constructed by
// the daemon around each call; nests (a servant may call a local daemon's object).
class StreamCall {
public:
    // `connection` null for a oneway call: its result is dropped, and it adopts no stream.
    explicit StreamCall(StreamRegistry::Owner connection) noexcept;
    StreamCall(const StreamCall&) = delete;
    StreamCall& operator=(const StreamCall&) = delete;
    ~StreamCall();

    [[nodiscard]] static StreamCall* current() noexcept;

    StreamRegistry::Owner connection;
    std::shared_ptr<void> servant; // the instance called, kept with its stream
    std::optional<ItemStream> produced;

private:
    StreamCall* previous_;
};

// The payload Pyro4 sends with a stream id: ProtocolError("result of call is an iterator") with
// a None traceback, so a client that knows no streams fails cleanly (§5.9 step 1).
[[nodiscard]] Value stream_marker_payload();

} // namespace pyro::detail
