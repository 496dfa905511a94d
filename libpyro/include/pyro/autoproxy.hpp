// Auto-proxies (Pyro4's AUTOPROXY, on unless PYRO_AUTOPROXY=false): a servant method that returns
// a std::shared_ptr to an object registered with the daemon running the call sends the client a
// Pyro4 proxy for that object instead of the object, so Python gets a Pyro4.core.Proxy and C++
// a pyro::Proxy (call<pyro::Proxy>) it can call. Inside lists, sets, dicts and optionals too.
//
//   struct Counter { int n = 0; int next() { return n++; } };
//   struct Factory {
//       std::shared_ptr<Counter> make_counter() {
//           auto counter = std::make_shared<Counter>();
//           pyro::current_daemon().register_object(                        // context.hpp
//               counter, pyro::methods<Counter>().expose("next", &Counter::next));
//           return counter;                                                 // sent as a proxy
//       }
//   };
//
// The proxy names the object's URI and carries its metadata, exactly as Pyro4's
// Daemon.proxyFor makes it. Return the pointer with the type it was registered as. A pointer
// the daemon does not know (or any pointer with PYRO_AUTOPROXY off) is sent by value when T has
// a pyro::convert, and otherwise fails the call with a TypeError saying why; a null pointer is
// None. Parameters cannot be std::shared_ptr of a servant class: remote objects arrive as
// proxies, so take a pyro::Proxy.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>

#include "pyro/convert.hpp"
#include "pyro/value.hpp"

namespace pyro {

namespace detail {
// The proxy for `object` when the daemon running this thread's servant call has it registered
// (as a single object) and its PYRO_AUTOPROXY is on; nullopt otherwise.
[[nodiscard]] std::optional<Value> auto_proxy(const void* object);
// Throws the TypeError for a pointer that is neither auto-proxied nor convertible.
[[noreturn]] void cannot_send_object(const void* object);
[[noreturn]] void servant_pointer_argument();
} // namespace detail

template <class T>
struct convert<std::shared_ptr<T>> {
    static constexpr std::string_view python_name = "Proxy";
    static Value to(const std::shared_ptr<T>& object) {
        if (!object) {
            return Value();
        }
        if (auto proxy = detail::auto_proxy(static_cast<const void*>(object.get()))) {
            return std::move(*proxy);
        }
        if constexpr (Convertible<std::remove_cv_t<T>>) {
            return to_value(*object);
        } else {
            detail::cannot_send_object(static_cast<const void*>(object.get()));
        }
    }
    static std::shared_ptr<T> from(const Value& value) {
        if constexpr (Convertible<std::remove_cv_t<T>>) {
            if (value.is_none()) {
                return nullptr;
            }
            return std::make_shared<T>(from_value<std::remove_cv_t<T>>(value));
        } else {
            detail::servant_pointer_argument();
        }
    }
};

} // namespace pyro
