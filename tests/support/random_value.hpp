// Random pyro::Values for property tests, the same sequence from the same seed on every
// standard library and machine:
//
//   pyro::test::ValueGenerator generator(seed, pyro::test::Flavour::Serpent);
//   for (int i = 0; i < 3000; ++i) {
//       const pyro::Value value = generator.value();
//       ...
//   }
//
// Scalars of every kind with their edge cases (int64 limits, big integers, NaN, infinities,
// signed zeros, subnormals, control and non-BMP characters, words the codecs treat specially),
// and lists, tuples, sets and dicts nested up to four levels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>

#include "pyro/value.hpp"

namespace pyro::test {

// Json: every kind json carries, keys of every scalar kind (None and NaN included), sets of
// anything (json writes them as arrays). Serpent: every kind, complex and bytes too, with keys
// and set elements limited to what Python can hash (as the serpent writer requires), no NaN in
// them, and no key or set element twice.
enum class Flavour : std::uint8_t { Json, Serpent };

// Draws from mt19937_64 with plain modulo arithmetic (the std:: distributions are not specified
// bit for bit). A value type; not thread-safe (one generator per thread).
class ValueGenerator {
public:
    ValueGenerator(std::uint64_t seed, Flavour flavour);

    // The next random value; `depth` is how deeply it will be nested (containers only below 4).
    // Never throws but std::bad_alloc.
    [[nodiscard]] Value value(int depth = 0);

private:
    std::size_t below(std::size_t n);
    Value integer();
    Value big_integer();
    double any_double();
    double number_double();
    Value floating();
    Value complex();
    Value string();
    Value bytes();
    Value::Items items(int depth);
    Value hashable(bool inside_tuple);
    Value key();
    Value set(int depth);
    Value dict(int depth);

    std::mt19937_64 random_;
    Flavour flavour_;
};

} // namespace pyro::test
