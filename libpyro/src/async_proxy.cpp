#include "pyro/async_proxy.hpp"

namespace pyro {

Future<Value> AsyncProxy::invoke(std::string_view method, Value::Items args,
                                 Value::Entries kwargs) const {
    return detail::launch<Value>([proxy = template_.copy(), name = std::string(method),
                                  args = std::move(args), kwargs = std::move(kwargs)]() mutable {
        return proxy.invoke(name, std::move(args), std::move(kwargs));
    });
}

} // namespace pyro
