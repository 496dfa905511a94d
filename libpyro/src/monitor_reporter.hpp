// PYRO_MONITOR: every message a program sends or receives, reported as one UDP datagram (a JSON
// object) to pyro-monitor, which draws them as a live sequence diagram. The format is documented
// in monitor/README.md; this is its only writer.
//
// Fire and forget: the socket is non-blocking and a datagram the kernel cannot take at once is
// dropped, the monitor's address is resolved once when the reporter is made, and nothing is
// made at all when PYRO_MONITOR is unset, so the hooks cost one pointer test then.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net.hpp"
#include "pyro/config.hpp"
#include "pyro/message.hpp"

namespace pyro::detail {

enum class MonitorDirection : std::uint8_t { Sent, Received };

// Who reports: the program's name and pid, and which side of the connection it is.
struct MonitorOrigin {
    std::string process; // "echo-server"
    long pid = 0;
    std::string role; // "daemon" or "proxy"
};

// Longest text kept for the decoded arguments, result or error of one message: enough to read on
// a slide, small enough that a datagram stays far below any loopback limit.
constexpr std::size_t monitor_text_limit = 1500;

// The datagram for one message: a JSON object (monitor/README.md). Pure; decoding failures leave
// the decoded fields out instead of throwing. `unix_time` is seconds since the epoch. `fault`
// (PYRO_FAULTS: "drop", "dup", "delay 57ms", "close-after") is added when not empty.
[[nodiscard]] std::string monitor_datagram(const MonitorOrigin& origin, MonitorDirection direction,
                                           std::string_view local, std::string_view peer,
                                           const Message& message, double unix_time,
                                           std::string_view fault = {});

class MonitorReporter {
public:
    // A reporter for config.monitor ("host:port"), or nullptr when it is empty. The host is
    // resolved here, once. A malformed or unresolvable value gives a reporter-less program and
    // one warning on stderr: watching is optional, the program's own work is not.
    [[nodiscard]] static std::shared_ptr<const MonitorReporter> from_config(const Config& config,
                                                                            std::string role);

    MonitorReporter(const MonitorReporter&) = delete;
    MonitorReporter& operator=(const MonitorReporter&) = delete;
    ~MonitorReporter();

    // Sends the datagram for one message; never blocks and never throws (a full socket buffer
    // or an absent monitor drops it). Thread-safe.
    void report(MonitorDirection direction, std::string_view local, std::string_view peer,
                const Message& message, std::string_view fault = {}) const noexcept;
    // The same, with the local and peer addresses taken from a connected socket.
    void report(MonitorDirection direction, const Socket& socket, const Message& message,
                std::string_view fault = {}) const noexcept;

    // Datagrams handed to the kernel and dropped so far (tests, diagnostics).
    [[nodiscard]] std::uint64_t sent() const noexcept;
    [[nodiscard]] std::uint64_t dropped() const noexcept;

    struct State; // the socket and the monitor's address; public for make_shared only
    explicit MonitorReporter(std::unique_ptr<State> state);

private:
    std::unique_ptr<State> state_;
};

} // namespace pyro::detail
