// Exposing a C++ class as a remote object: one line per method, naming its parameters.
//
//   struct Calculator {
//       int add(int a, int b) const { return a + b; }
//       void reset() noexcept;
//   };
//   auto interface = pyro::methods<Calculator>()
//                        .expose("add", &Calculator::add, {"a", "b"})
//                        .oneway("reset", &Calculator::reset);
//
// The names are what a Python caller may use as keywords, exactly as with a Python servant:
// add(2, 3), add(2, b=3) and add(b=3, a=2) all work. Give one name per parameter, in order; a
// braced list of string literals is counted at compile time (a wrong count does not compile), a
// std::vector<std::string> built at run time when expose is called (PyroError). Without names
// (`.expose("add", &Calculator::add)`) the parameters are positional only, which a Python
// programmer does not expect: name them unless there is a reason not to.
//
// Arguments and results convert through pyro::convert (convert.hpp). A caller that sends the
// wrong arguments gets Python's own TypeError text, and the servant is never called:
//   "add() missing 1 required positional argument: 'b'"
//   "add() takes 2 positional arguments but 3 were given"
//   "add() got an unexpected keyword argument 'c'"
//   "add() got multiple values for argument 'a'"
//   "add() argument 1: expected int, got str"
// and an int too large for the C++ parameter type is Python's OverflowError, never wrapped.
// Lambdas taking the servant first work too:
//   .expose("twice", [](Calculator& c, int x) { return c.add(x, x); }, {"x"})
// Trailing std::optional parameters may be left out by the caller (they arrive as std::nullopt):
//   .expose("greet", &Greeter::greet, {"name", "greeting"})
// A method returning pyro::Generator<T> or pyro::ItemStream sends its result as a Pyro4 item
// stream, one item per client request (item_stream.hpp):
//   .expose("count", &Counter::count, {"n"})      // pyro::Generator<int> count(int n)
//
// A methods<T> is a value built once before registering the object with a Daemon; building is
// not thread-safe, using the finished Interface from many threads is.
#pragma once

#include <array>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <utility>
#include <vector>

#include "pyro/convert.hpp"
#include "pyro/detail/callable_traits.hpp"
#include "pyro/errors.hpp"
#include "pyro/item_stream.hpp"
#include "pyro/object_metadata.hpp"
#include "pyro/value.hpp"

namespace pyro {

class Interface;

namespace detail {

// The daemon's type-erased calls into a servant (not for programs: a wrong `servant` is undefined
// behaviour). `servant` must point to an object of the class the interface was built for.
// invoke throws RemoteError("builtins.AttributeError") for a name that is not exposed,
// TypeError for bad arguments, and whatever the servant throws. The attribute calls throw
// AttributeError for unknown attributes and for writing read-only ones.
Value invoke(const Interface& interface, void* servant, std::string_view method,
             const Value::Items& args, const Value::Entries& kwargs);
Value get_attribute(const Interface& interface, void* servant, std::string_view name);
void set_attribute(const Interface& interface, void* servant, std::string_view name,
                   const Value& value);

} // namespace detail

// The remote interface of one class, type-erased so a daemon can hold objects of any class: what
// methods<T> builds and Daemon::register_object takes. Its calls are in pyro::detail.
class Interface {
public:
    using Invoker =
        std::function<Value(void* servant, const Value::Items& args, const Value::Entries& kwargs)>;
    using Getter = std::function<Value(void* servant)>;
    using Setter = std::function<void(void* servant, const Value& value)>;

    [[nodiscard]] const ObjectMetadata& metadata() const { return metadata_; }
    [[nodiscard]] bool has_method(std::string_view name) const;
    [[nodiscard]] bool is_oneway(std::string_view name) const;
    [[nodiscard]] bool has_attribute(std::string_view name) const;

    void add_method(std::string name, Invoker invoker, bool oneway);
    void add_attribute(std::string name, Getter getter, Setter setter);

private:
    friend Value detail::invoke(const Interface&, void*, std::string_view, const Value::Items&,
                                const Value::Entries&);
    friend Value detail::get_attribute(const Interface&, void*, std::string_view);
    friend void detail::set_attribute(const Interface&, void*, std::string_view, const Value&);

    struct Method {
        Invoker invoke;
        bool oneway = false;
    };
    struct Attribute {
        Getter get;
        Setter set; // empty: read-only
    };
    std::map<std::string, Method, std::less<>> methods_;
    std::map<std::string, Attribute, std::less<>> attributes_;
    ObjectMetadata metadata_;
};

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// Lines up positional and keyword arguments with the parameters, the way Python reports
// mistakes: "add() takes 2 positional arguments but 3 were given", "greet() got an unexpected
// keyword argument 'x'". Returns one pointer per parameter; nullptr where an optional one was left
// out.
std::vector<const Value*> bind_arguments(std::string_view method, std::size_t parameter_count,
                                         const std::vector<std::string>& parameter_names,
                                         const std::vector<bool>& optional,
                                         const Value::Items& args, const Value::Entries& kwargs);

// Adds "add() argument 2: " in front of a conversion error, keeping its Python class (TypeError,
// OverflowError).
[[noreturn]] void bad_argument(std::string_view method, std::size_t index,
                               const RemoteError& error);

// Throws PyroError unless names is empty or has one name per parameter, all different.
void check_parameter_names(std::string_view method, std::size_t parameter_count,
                           const std::vector<std::string>& names);

template <class Param>
std::remove_cvref_t<Param> convert_argument(std::string_view method, std::size_t index,
                                            const Value* value) {
    using Target = std::remove_cvref_t<Param>;
    static_assert(Convertible<Target>,
                  "this parameter type has no pyro::convert specialisation (see convert.hpp)");
    try {
        return from_value<Target>(value ? *value : Value());
    } catch (const RemoteError& error) {
        bad_argument(method, index, error);
    }
}

template <class T, class F>
Interface::Invoker make_invoker(std::string name, F f, std::vector<std::string> names) {
    using traits = callable_traits<F>;
    using params = typename traits::params::tuple;
    constexpr std::size_t count = traits::params::count;
    check_parameter_names(name, count, names);
    return [name = std::move(name), f = std::move(f), names = std::move(names)](
               void* servant, const Value::Items& args, const Value::Entries& kwargs) -> Value {
        static const std::vector<bool> optional = []<std::size_t... I>(std::index_sequence<I...>) {
            return std::vector<bool>{is_optional<std::tuple_element_t<I, params>>::value...};
        }
        (std::make_index_sequence<count>{});
        const auto slots = bind_arguments(name, count, names, optional, args, kwargs);
        T& object = *static_cast<T*>(servant);
        return [&]<std::size_t... I>(std::index_sequence<I...>)->Value {
            // Convert every argument before calling, so a bad one never reaches the servant.
            auto converted = std::tuple<std::tuple_element_t<I, params>...>{
                convert_argument<std::tuple_element_t<I, params>>(name, I, slots[I])...};
            using result = typename traits::result;
            if constexpr (std::is_void_v<result>) {
                std::invoke(f, object, std::move(std::get<I>(converted))...);
                return Value();
            } else if constexpr (is_item_stream_v<std::remove_cvref_t<result>>) {
                // Sent as an item stream, item by item (item_stream.hpp).
                return offer_item_stream(
                    ItemStream(std::invoke(f, object, std::move(std::get<I>(converted))...)));
            } else {
                return to_value(std::invoke(f, object, std::move(std::get<I>(converted))...));
            }
        }
        (std::make_index_sequence<count>{});
    };
}

// The number of parameters a callable exposed with methods<T> takes (the servant not counted).
template <class F>
inline constexpr std::size_t parameter_count_v = callable_traits<F>::params::count;

template <std::size_t N>
std::vector<std::string> name_list(const char* const (&names)[N]) {
    return std::vector<std::string>(std::begin(names), std::end(names));
}

} // namespace detail

template <class T>
class methods {
public:
    // Exposes a member function (or a callable taking T& first) under a remote name, with the
    // names of its parameters: .expose("echo", &Echo::echo, {"message"}).
    template <class F, std::size_t N>
    methods& expose(std::string name, F f, const char* const (&parameter_names)[N]) {
        static_assert(N == detail::parameter_count_v<F>,
                      "expose: give exactly one name per parameter, in order");
        return add(std::move(name), std::move(f), detail::name_list(parameter_names), false);
    }
    // Names from a list built at run time (checked when called), or none: positional only.
    template <class F>
    methods& expose(std::string name, F f, std::vector<std::string> parameter_names = {}) {
        return add(std::move(name), std::move(f), std::move(parameter_names), false);
    }

    // Like expose, but callers do not wait for the call to finish and get no result or error
    // (Pyro4's @oneway). Listed in the metadata, so Python proxies know too.
    template <class F, std::size_t N>
    methods& oneway(std::string name, F f, const char* const (&parameter_names)[N]) {
        static_assert(N == detail::parameter_count_v<F>,
                      "oneway: give exactly one name per parameter, in order");
        return add(std::move(name), std::move(f), detail::name_list(parameter_names), true);
    }
    template <class F>
    methods& oneway(std::string name, F f, std::vector<std::string> parameter_names = {}) {
        return add(std::move(name), std::move(f), std::move(parameter_names), true);
    }

    // A read-only remote attribute (Pyro4's exposed property): getter is a const member function
    // or a pointer to a data member.
    template <class G>
    methods& attribute(std::string name, G getter) {
        interface_.add_attribute(std::move(name), make_getter(getter), {});
        return *this;
    }

    // A read-write remote attribute: a getter and a setter member function (or, with a pointer to
    // a data member for both, the member itself).
    template <class G, class S>
    methods& attribute(std::string name, G getter, S setter) {
        std::string setter_name = name;
        interface_.add_attribute(std::move(name), make_getter(getter),
                                 make_setter(std::move(setter_name), setter));
        return *this;
    }

    [[nodiscard]] const Interface& interface() const& { return interface_; }
    [[nodiscard]] Interface interface() && { return std::move(interface_); }
    operator const Interface&() const& { return interface_; }
    operator Interface() && { return std::move(interface_); }

private:
    template <class F>
    methods& add(std::string name, F f, std::vector<std::string> parameter_names, bool oneway) {
        auto invoker = detail::make_invoker<T>(name, std::move(f), std::move(parameter_names));
        interface_.add_method(std::move(name), std::move(invoker), oneway);
        return *this;
    }

    template <class G>
    static Interface::Getter make_getter(G getter) {
        return [getter](void* servant) -> Value {
            return to_value(std::invoke(getter, *static_cast<T*>(servant)));
        };
    }

    template <class S>
    static Interface::Setter make_setter(std::string name, S setter) {
        if constexpr (std::is_member_object_pointer_v<S>) {
            using Field = std::remove_cvref_t<decltype(std::declval<T&>().*setter)>;
            return [name, setter](void* servant, const Value& value) {
                static_cast<T*>(servant)->*setter =
                    detail::convert_argument<Field>(name, 0, &value);
            };
        } else {
            using traits = detail::callable_traits<S>;
            static_assert(traits::params::count == 1, "a setter takes exactly one value");
            using Param = std::tuple_element_t<0, typename traits::params::tuple>;
            return [name, setter](void* servant, const Value& value) {
                std::invoke(setter, *static_cast<T*>(servant),
                            detail::convert_argument<Param>(name, 0, &value));
            };
        }
    }

    Interface interface_;
};

} // namespace pyro
