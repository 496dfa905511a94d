// Item stream bookkeeping of a daemon (daemon_streams.hpp says what it follows of Pyro4).
#include "daemon_streams.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "daemon_impl.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"

namespace pyro::detail {

namespace {

thread_local StreamCall* current_call = nullptr;

// uuid4 text, as Python's str(uuid.uuid4()). Drawn from the system's random source, not the
// engine behind the correlation ids: any connection may pull a stream whose id it knows (as in
// Pyro4), so an id must not be predictable from the CORR values a client sees.
std::string random_stream_id() {
    std::random_device device;
    std::array<std::uint8_t, 16> bytes{};
    for (std::size_t i = 0; i < bytes.size(); i += 4) {
        std::uint32_t word = device();
        for (std::size_t j = 0; j < 4; ++j) {
            bytes[i + j] = static_cast<std::uint8_t>(word & 0xFFu);
            word >>= 8;
        }
    }
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0Fu) | 0x40u); // version 4
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3Fu) | 0x80u); // RFC 4122 variant
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            text += '-';
        }
        text += digits[bytes[i] >> 4];
        text += digits[bytes[i] & 0x0Fu];
    }
    return text;
}

std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(s));
}

} // namespace

StreamCall::StreamCall(StreamRegistry::Owner connection_) noexcept
    : connection(connection_), previous_(current_call) {
    current_call = this;
}

StreamCall::~StreamCall() {
    current_call = previous_;
}

StreamCall* StreamCall::current() noexcept {
    return current_call;
}

Value offer_item_stream(ItemStream stream) {
    StreamCall* call = StreamCall::current();
    if (call == nullptr) {
        throw PyroError("a method returned an item stream outside a daemon call: only a Daemon can "
                        "send one to a client");
    }
    call->produced.emplace(std::move(stream));
    return Value();
}

Value stream_marker_payload() {
    return Value::dict({
        {Value("__class__"), Value("Pyro4.errors.ProtocolError")},
        {Value("__exception__"), Value(true)},
        {Value("args"), Value::tuple({Value("result of call is an iterator")})},
        {Value("attributes"), Value::dict({{Value("_pyroTraceback"), Value()}})},
    });
}

bool StreamRegistry::expired(const Entry& entry, Clock::time_point now) const {
    if (limits_.lifetime > 0 && now - entry.opened > seconds(limits_.lifetime)) {
        return true;
    }
    return entry.lingering_since && now - *entry.lingering_since > seconds(limits_.linger);
}

void StreamRegistry::sweep(Clock::time_point now, std::vector<std::shared_ptr<Entry>>& out) {
    // Every registry call looks at the one id it needs anyway; the whole map at most ten times a
    // second, so a busy stream does not pay for the others.
    if (now - last_sweep_ < std::chrono::milliseconds(100)) {
        return;
    }
    last_sweep_ = now;
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (expired(*it->second, now)) {
            out.push_back(std::move(it->second));
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
}

std::string StreamRegistry::open(ItemStream stream, std::shared_ptr<void> servant, Owner owner) {
    auto entry = std::make_shared<Entry>();
    entry->servant = std::move(servant);
    entry->stream = std::move(stream);
    entry->owner = owner;
    entry->opened = Clock::now();
    std::vector<std::shared_ptr<Entry>> gone;
    std::string id;
    {
        const std::lock_guard lock(mutex_);
        last_sweep_ = {}; // a full look before refusing anyone
        sweep(entry->opened, gone);
        const auto owned = static_cast<std::size_t>(
            std::count_if(entries_.begin(), entries_.end(),
                          [owner](const auto& item) { return item.second->owner == owner; }));
        if (owned >= limits_.per_connection) {
            throw PyroError("too many item streams open on this connection: the server allows " +
                            std::to_string(limits_.per_connection) +
                            " per connection; iterate one to its end or close it before "
                            "starting another");
        }
        if (entries_.size() >= limits_.total) {
            throw PyroError("too many item streams open on the server (its limit is " +
                            std::to_string(limits_.total) +
                            "); try again once other clients have finished theirs");
        }
        do {
            id = random_stream_id();
        } while (entries_.contains(id));
        entries_.emplace(id, std::move(entry));
    }
    return id;
}

void StreamRegistry::remove(const std::string& id, const std::shared_ptr<Entry>& entry) {
    const std::lock_guard lock(mutex_);
    const auto found = entries_.find(id);
    if (found != entries_.end() && found->second == entry) {
        entries_.erase(found);
    }
}

Value StreamRegistry::next(const std::string& id, Owner caller) {
    std::shared_ptr<Entry> entry;
    std::vector<std::shared_ptr<Entry>> gone;
    {
        const std::lock_guard lock(mutex_);
        const auto now = Clock::now();
        sweep(now, gone);
        const auto found = entries_.find(id);
        if (found != entries_.end() && expired(*found->second, now)) {
            gone.push_back(std::move(found->second));
            entries_.erase(found);
        } else if (found != entries_.end()) {
            entry = found->second;
            if (entry->owner == nullptr && caller != nullptr) {
                // The client came back (or another one took over): the stream is theirs now.
                entry->owner = caller;
                entry->lingering_since.reset();
            }
        }
    }
    if (!entry) {
        throw PyroError("item stream terminated");
    }
    const std::lock_guard pulling(entry->pulling);
    std::optional<Value> item;
    try {
        item = entry->stream.next();
    } catch (...) {
        remove(id, entry);
        throw;
    }
    if (!item) {
        remove(id, entry);
        // Python's StopIteration(): no arguments (§5.9 step 3).
        throw RemoteError("builtins.StopIteration", "");
    }
    return std::move(*item);
}

void StreamRegistry::close(const std::string& id) {
    std::shared_ptr<Entry> closed;
    std::vector<std::shared_ptr<Entry>> gone;
    const std::lock_guard lock(mutex_);
    sweep(Clock::now(), gone);
    if (const auto found = entries_.find(id); found != entries_.end()) {
        closed = std::move(found->second);
        entries_.erase(found);
    }
    // `closed` and `gone` are destroyed after the lock is released (declared before it).
}

void StreamRegistry::connection_closed(Owner owner) {
    std::vector<std::shared_ptr<Entry>> gone;
    const std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    for (auto it = entries_.begin(); it != entries_.end();) {
        Entry& entry = *it->second;
        if (entry.owner != owner) {
            ++it;
        } else if (limits_.linger > 0) {
            entry.owner = nullptr;
            entry.lingering_since = now;
            ++it;
        } else {
            gone.push_back(std::move(it->second));
            it = entries_.erase(it);
        }
    }
    sweep(now, gone);
}

std::size_t StreamRegistry::size() const {
    const std::lock_guard lock(mutex_);
    return entries_.size();
}

} // namespace pyro::detail

namespace pyro {

Message Daemon::Impl::start_stream(const Message& request, SerializerKind kind,
                                   detail::StreamCall& call, ConnectionState& state) {
    // §5.9 step 1: an exception result (never compressed, no CORR) flagged as a stream; with
    // PYRO_ITER_STREAMING off the same without STRM, and the stream is dropped unread.
    Message reply;
    reply.type = MessageType::Result;
    reply.seq = request.seq;
    reply.serializer_id = request.serializer_id;
    reply.flags = flags::exception | flags::item_stream_result;
    if (config.iter_streaming) {
        std::string id = streams.open(std::move(*call.produced), std::move(call.servant), &state);
        log.debug("item stream ", id, " opened for ", state.peer);
        reply.annotations.push_back({"STRM", std::move(id)});
    }
    call.produced.reset();
    reply.payload = serialize(kind, detail::stream_marker_payload());
    return reply;
}

} // namespace pyro
