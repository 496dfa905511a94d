// PYRO_FAULTS: seeded fault injection at the transport seam (the same place the monitor reporter
// is called: Daemon::Impl::read/write and Proxy::Impl::send/receive), so a student can watch what
// a client sees when messages are lost, late, doubled or cut off.
//
//   PYRO_FAULTS="seed=42,drop=0.1,delay=20-200ms,dup=0.05,close-after=3"
//
// Each connection draws its faults from its own generator, seeded with seed + the connection's
// ordinal (the n-th connection this program made or accepted with faults on), so the faults of a
// connection depend only on the seed, its ordinal and its sequence of messages, never on thread
// timing. Unset, nothing is made and each frame costs one pointer test.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "pyro/config.hpp"
#include "pyro/log.hpp"
#include "pyro/message.hpp"

namespace pyro::detail {

// The parsed PYRO_FAULTS text. All parts are optional; an empty spec injects nothing.
struct FaultSpec {
    std::uint64_t seed = 0;                 // seed=N
    double drop = 0.0;                      // drop=P: the message is lost
    double dup = 0.0;                       // dup=P: the message is delivered twice
    std::chrono::milliseconds delay_min{0}; // delay=A-Bms (or delay=Ams): each message waits
    std::chrono::milliseconds delay_max{0};
    std::uint64_t close_after = 0; // close-after=N: the first connection is cut after message N

    friend bool operator==(const FaultSpec&, const FaultSpec&) = default;
};

// Parses a PYRO_FAULTS text. Throws PyroError naming the bad part and what it should be, e.g.
// "PYRO_FAULTS='drop=2': bad part 'drop=2': drop must be a probability from 0 to 1".
[[nodiscard]] FaultSpec parse_fault_spec(std::string_view text);

// What happens to one message.
struct FaultDecision {
    bool drop = false;      // not delivered
    bool duplicate = false; // delivered twice
    bool cut = false;       // close-after: the connection is closed after it (a received one is
                            // not delivered: the program "died" having read it)
    std::chrono::milliseconds delay{0};

    [[nodiscard]] bool any() const noexcept {
        return drop || duplicate || cut || delay.count() > 0;
    }
    // "drop", "dup", "delay 57ms", "close-after": the monitor's `fault` field and the log's word.
    [[nodiscard]] std::string describe() const;
};

// One connection's faults. Used by the one coroutine or thread that serves the connection; not
// thread-safe.
class FaultConnection {
public:
    FaultConnection(const FaultSpec& spec, std::uint64_t ordinal, bool may_cut);

    // The fate of the connection's next message (sent or received, in the order they pass).
    [[nodiscard]] FaultDecision next();
    [[nodiscard]] std::uint64_t ordinal() const noexcept { return ordinal_; }
    // Messages decided so far: the last one's number, 1 for the first.
    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

private:
    // A uniform number in [0, 1) from 53 bits: the same on every platform, unlike
    // std::uniform_real_distribution.
    double uniform();

    FaultSpec spec_;
    std::uint64_t ordinal_;
    bool may_cut_;
    std::uint64_t count_ = 0;
    std::mt19937_64 random_;
};

class FaultInjector {
public:
    // An injector for config.faults, or nullptr when it is empty. Throws PyroError for a bad
    // spec (parse_fault_spec).
    [[nodiscard]] static std::shared_ptr<const FaultInjector> from_config(const Config& config);

    explicit FaultInjector(FaultSpec spec) : spec_(spec) {}

    // The faults of a new connection, with the program's next connection ordinal. close-after
    // cuts only the first connection of this daemon or proxy, so a retry on a fresh connection
    // gets through. Thread-safe.
    [[nodiscard]] FaultConnection open() const;
    [[nodiscard]] const FaultSpec& spec() const noexcept { return spec_; }

private:
    FaultSpec spec_;
    mutable std::atomic<bool> opened_{false};
};

// One WARNING line per fault, e.g. "PYRO_FAULTS: drop sent MSG_INVOKE seq=1 to
// 127.0.0.1:40321 (connection 0, message 3)".
void log_fault(const Logger& log, const FaultConnection& connection, const FaultDecision& fault,
               bool sent, const Message& message, std::string_view peer);

// The program's next connection ordinal, 0, 1, 2, … across all its daemons and proxies: two
// proxies doing the same thing must not suffer the same faults. The only process-wide state of
// the fault injector; it exists only while PYRO_FAULTS is used.
[[nodiscard]] std::uint64_t next_fault_connection_ordinal() noexcept;

} // namespace pyro::detail
