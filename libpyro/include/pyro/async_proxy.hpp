// pyro::AsyncProxy — the asynchronous view of a proxy (Pyro4's Pyro4.asyncproxy(proxy)).
//
//   pyro::Proxy proxy("PYRONAME:example.parity");
//   pyro::AsyncProxy async(proxy);
//   pyro::Future<int> sum = async.call<int>("slow_add", 2, 3, 1.0); // returns at once
//   ... other work, other calls on `proxy` ...
//   std::cout << sum.value();                                       // blocks until it is there
//
// Order rules, as Pyro4 4.82 has them: each asynchronous call runs on a thread of its own, over a
// connection of its own (a copy of the proxy: its URI, serializer, timeout, HMAC key and
// correlation id, taken when the AsyncProxy is made), closed when the call is done. So
// asynchronous calls do not wait for each other nor for calls on the original proxy, and the
// server may run them in any order; to order two calls, chain them with then(). Retries after a
// lost connection follow PYRO_MAXRETRIES as for a normal call. A oneway method's Future is ready
// as soon as the request is sent.
#pragma once

#include <string_view>
#include <type_traits>
#include <utility>

#include "pyro/convert.hpp"
#include "pyro/future.hpp"
#include "pyro/proxy.hpp"
#include "pyro/value.hpp"

namespace pyro {

class AsyncProxy {
public:
    // Copies the proxy's settings; the AsyncProxy does not use the original afterwards.
    explicit AsyncProxy(const Proxy& proxy) : template_(proxy.copy()) {}

    // call<int>("add", 1, 2) without waiting: the Future holds the converted result or the
    // exception call<int> would have thrown.
    template <class R = Value, class... Args>
    [[nodiscard]] Future<R> call(std::string_view method, const Args&... args) const {
        std::string name(method);
        Value::Items items{pyro::to_value(args)...};
        return detail::launch<R>([proxy = template_.copy(), name = std::move(name),
                                  items = std::move(items)]() mutable -> R {
            const Value result = proxy.invoke(name, std::move(items));
            if constexpr (!std::is_void_v<R>) {
                return reply_from_value<R>(name, result);
            }
        });
    }

    // The dynamic form, with keyword arguments.
    [[nodiscard]] Future<Value> invoke(std::string_view method, Value::Items args = {},
                                       Value::Entries kwargs = {}) const;

    // The proxy whose settings each call copies.
    [[nodiscard]] const Proxy& proxy() const noexcept { return template_; }

private:
    Proxy template_; // never connected: each call connects a copy of it
};

} // namespace pyro
