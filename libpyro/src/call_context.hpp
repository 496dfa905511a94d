// The Config of the daemon whose servant method runs on this thread, so that a Proxy made from a
// received argument (convert<Proxy>: an observer's callback proxy) talks with the receiving
// daemon's settings (PYRO_MONITOR, PYRO_FAULTS, logging, timeouts) instead of the defaults. A
// thread-local, because the argument conversion sits deep inside the servant call, far from any
// place a Config could be passed; it is set only for the duration of that call.
#pragma once

#include "pyro/config.hpp"

namespace pyro::detail {

inline thread_local const Config* current_daemon_config = nullptr;

// Sets current_daemon_config for one servant call and restores the previous one (a servant may
// call a local daemon's object from within a call).
class DaemonConfigScope {
public:
    explicit DaemonConfigScope(const Config& config) noexcept : previous_(current_daemon_config) {
        current_daemon_config = &config;
    }
    DaemonConfigScope(const DaemonConfigScope&) = delete;
    DaemonConfigScope& operator=(const DaemonConfigScope&) = delete;
    ~DaemonConfigScope() { current_daemon_config = previous_; }

private:
    const Config* previous_;
};

} // namespace pyro::detail
