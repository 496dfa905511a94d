// What a callable exposed with pyro::methods<T> takes and returns: member function pointers of
// every qualification (const, noexcept, &), and lambdas or functions whose first parameter is the
// servant (T& or const T&).
#pragma once

#include <tuple>
#include <type_traits>

namespace pyro::detail {

template <class... Args>
struct arguments {
    static constexpr std::size_t count = sizeof...(Args);
    using tuple = std::tuple<std::remove_cvref_t<Args>...>;
};

// A lambda's call operator takes (Servant&, Args...): the first parameter is the object. Kept
// apart from callable_traits, where the same pointer-to-member shape means a member function.
template <class CallOperator>
struct lambda_traits;
template <class R, class L, class Servant, class... Args>
struct lambda_traits<R (L::*)(Servant, Args...) const> {
    using result = R;
    using params = arguments<Args...>;
    static constexpr bool is_member = false;
};
template <class R, class L, class Servant, class... Args>
struct lambda_traits<R (L::*)(Servant, Args...) const noexcept>
    : lambda_traits<R (L::*)(Servant, Args...) const> {};
template <class R, class L, class Servant, class... Args>
struct lambda_traits<R (L::*)(Servant, Args...)> : lambda_traits<R (L::*)(Servant, Args...) const> {
};
template <class R, class L, class Servant, class... Args>
struct lambda_traits<R (L::*)(Servant, Args...) noexcept>
    : lambda_traits<R (L::*)(Servant, Args...) const> {};

template <class F>
struct callable_traits : lambda_traits<decltype(&F::operator())> {};

#define PYRO_MEMBER_TRAITS(QUALIFIERS)                                                             \
    template <class R, class C, class... Args>                                                     \
    struct callable_traits<R (C::*)(Args...) QUALIFIERS> {                                         \
        using result = R;                                                                          \
        using params = arguments<Args...>;                                                         \
        static constexpr bool is_member = true;                                                    \
    };
PYRO_MEMBER_TRAITS()
PYRO_MEMBER_TRAITS(const)
PYRO_MEMBER_TRAITS(noexcept)
PYRO_MEMBER_TRAITS(const noexcept)
PYRO_MEMBER_TRAITS(&)
PYRO_MEMBER_TRAITS(const&)
PYRO_MEMBER_TRAITS(&noexcept)
PYRO_MEMBER_TRAITS(const& noexcept)
#undef PYRO_MEMBER_TRAITS

template <class R, class Servant, class... Args>
struct callable_traits<R (*)(Servant, Args...)> {
    using result = R;
    using params = arguments<Args...>;
    static constexpr bool is_member = false;
};
template <class R, class Servant, class... Args>
struct callable_traits<R (*)(Servant, Args...) noexcept>
    : callable_traits<R (*)(Servant, Args...)> {};

} // namespace pyro::detail
