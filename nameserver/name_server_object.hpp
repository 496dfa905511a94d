// The remote object `Pyro.NameServer` (PYRO4-WIRE.md §7.2): Pyro4's NameServer methods with
// their Python signatures, so positional and keyword arguments from Python clients work, and
// Python's argument checks and error texts ("name must be a str", …).
//
// It only converts and checks values; the table itself is a Registry, shared with the program
// that serves it. Thread-safe (the Registry locks).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "nameserver/registry.hpp"
#include "pyro/log.hpp"
#include "pyro/methods.hpp"
#include "pyro/value.hpp"

namespace pyro::ns {

class NameServerObject {
public:
    // Registrations and removals are logged at INFO (Logger() logs nothing).
    explicit NameServerObject(std::shared_ptr<Registry> registry, Logger log = {})
        : registry_(std::move(registry)), log_(std::move(log)) {}

    void ping() const noexcept {}
    [[nodiscard]] std::int64_t count() const;
    // A Pyro4.core.URI value; with return_metadata a tuple (URI, [tags]).
    [[nodiscard]] Value lookup(const Value& name,
                               const std::optional<Value>& return_metadata) const;
    void register_name(const Value& name, const Value& uri, const std::optional<Value>& safe,
                       const std::optional<Value>& metadata);
    void set_metadata(const Value& name, const Value& metadata);
    [[nodiscard]] std::int64_t remove(const std::optional<Value>& name,
                                      const std::optional<Value>& prefix,
                                      const std::optional<Value>& regex);
    // A dict name → URI string; with return_metadata name → (URI string, [tags]).
    [[nodiscard]] Value list(const std::optional<Value>& prefix, const std::optional<Value>& regex,
                             const std::optional<Value>& metadata_all,
                             const std::optional<Value>& metadata_any,
                             const std::optional<Value>& return_metadata) const;

    // The exposed methods, named and ordered as Pyro4's metadata lists them.
    [[nodiscard]] static methods<NameServerObject> interface();

private:
    std::shared_ptr<Registry> registry_;
    Logger log_;
};

// Python's truth value of a Value (None, False, 0, "" and empty containers are false).
[[nodiscard]] bool truthy(const Value& value);

} // namespace pyro::ns
