#include "support/random_value.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

#include "utf8.hpp"

namespace pyro::test {

namespace {

bool contains(const Value::Items& items, const Value& candidate) {
    return std::find(items.begin(), items.end(), candidate) != items.end();
}

} // namespace

ValueGenerator::ValueGenerator(std::uint64_t seed, Flavour flavour)
    : random_(seed), flavour_(flavour) {}

Value ValueGenerator::value(int depth) {
    const std::size_t kinds = depth < 4 ? 12 : 8; // containers only above a depth
    switch (below(kinds)) {
    case 0:
        return Value();
    case 1:
        return Value(below(2) == 1);
    case 2:
        return integer();
    case 3:
        return floating();
    case 4:
    case 5:
        return string();
    case 6:
        if (flavour_ == Flavour::Serpent) {
            return below(2) == 0 ? complex() : bytes();
        }
        return string();
    case 7:
        return big_integer();
    case 8:
        return Value::list(items(depth));
    case 9:
        return Value::tuple(items(depth));
    case 10:
        return set(depth);
    default:
        return dict(depth);
    }
}

std::size_t ValueGenerator::below(std::size_t n) {
    return static_cast<std::size_t>(random_() % n);
}

Value ValueGenerator::integer() {
    switch (below(3)) {
    case 0:
        return Value(static_cast<std::int64_t>(below(2001)) - 1000);
    case 1:
        return Value(static_cast<std::int64_t>(random_()));
    default:
        return Value(below(2) == 0 ? std::numeric_limits<std::int64_t>::min()
                                   : std::numeric_limits<std::int64_t>::max());
    }
}

Value ValueGenerator::big_integer() {
    std::string digits = below(2) == 0 ? "-" : "";
    digits += static_cast<char>('1' + below(9));
    for (std::size_t n = 19 + below(40); n > 0; --n) {
        digits += static_cast<char>('0' + below(10));
    }
    return Value::big_int(digits);
}

double ValueGenerator::any_double() {
    switch (below(4)) {
    case 0: {
        static constexpr double specials[] = {0.0,
                                              -0.0,
                                              0.1,
                                              1e16,
                                              1e-05,
                                              1e300,
                                              5e-324,
                                              std::numeric_limits<double>::max(),
                                              std::numeric_limits<double>::infinity(),
                                              -std::numeric_limits<double>::infinity(),
                                              std::numeric_limits<double>::quiet_NaN()};
        return specials[below(std::size(specials))];
    }
    case 1: {
        // Any bit pattern: subnormals, huge exponents, NaNs with payloads.
        const std::uint64_t bits = random_();
        double d = 0.0;
        std::memcpy(&d, &bits, sizeof d);
        return d;
    }
    case 2:
        return static_cast<double>(static_cast<std::int64_t>(below(2000001)) - 1000000) / 1000.0;
    default:
        return static_cast<double>(random_() >> 11) * 0x1p-53 *
               std::pow(10.0, static_cast<double>(below(40)) - 20.0);
    }
}

double ValueGenerator::number_double() {
    double d = any_double();
    while (std::isnan(d)) {
        d = any_double();
    }
    return d;
}

Value ValueGenerator::floating() {
    return Value(any_double());
}

// serpent cannot write a complex number with a NaN part.
Value ValueGenerator::complex() {
    return Value(Complex{number_double(), number_double()});
}

Value ValueGenerator::string() {
    std::string text;
    for (std::size_t n = below(8); n > 0; --n) {
        char32_t c = 0;
        switch (below(6)) {
        case 0:
            c = static_cast<char32_t>(below(0x20)); // C0 controls
            break;
        case 1: {
            static constexpr char32_t specials[] = {'"',    '\\',   '\'',   '/',     0x7F,
                                                    0x85,   0xA0,   0x2028, 0x2029,  0xFEFF,
                                                    0xFFFD, 0xFFFF, 0xE000, 0x10FFFF};
            c = specials[below(std::size(specials))];
            break;
        }
        case 2:
            c = static_cast<char32_t>(0x80 + below(0xD800 - 0x80));
            break;
        case 3:
            c = static_cast<char32_t>(0x10000 + below(0x100000));
            break;
        default:
            c = static_cast<char32_t>(0x20 + below(0x5F)); // printable ASCII
        }
        detail::append_utf8(text, c);
    }
    if (below(8) == 0) {
        // Words the codecs treat specially outside strings.
        static constexpr const char* words[] = {"NaN", "Infinity", "-Infinity",
                                                "0e0", "None",     "1e30000"};
        text = words[below(std::size(words))];
    }
    return Value(text);
}

Value ValueGenerator::bytes() {
    Bytes data(below(10));
    for (auto& b : data) {
        b = static_cast<std::uint8_t>(below(256));
    }
    return Value(std::move(data));
}

Value::Items ValueGenerator::items(int depth) {
    Value::Items result;
    for (std::size_t n = below(5); n > 0; --n) {
        result.push_back(value(depth + 1));
    }
    return result;
}

// A dict key or set element Python can hash; None only inside a tuple, as serpent wants.
Value ValueGenerator::hashable(bool inside_tuple) {
    switch (below(9)) {
    case 0:
        return integer();
    case 1:
        return Value(number_double());
    case 2:
        return Value(below(2) == 1);
    case 3:
        return complex();
    case 4:
        return big_integer();
    case 5: {
        Value::Items items;
        for (std::size_t n = below(3); n > 0; --n) {
            items.push_back(hashable(true));
        }
        return Value::tuple(std::move(items));
    }
    case 6:
        return inside_tuple ? Value() : string();
    default:
        return string();
    }
}

Value ValueGenerator::key() {
    if (flavour_ == Flavour::Serpent) {
        return hashable(false);
    }
    switch (below(8)) {
    case 0:
        return integer();
    case 1:
        return floating();
    case 2:
        return Value(below(2) == 1);
    case 3:
        return Value();
    case 4:
        return big_integer();
    default:
        return string();
    }
}

Value ValueGenerator::set(int depth) {
    if (flavour_ == Flavour::Json) {
        return Value::set(items(depth));
    }
    Value::Items elements;
    for (std::size_t n = below(5); n > 0; --n) {
        Value element = hashable(false);
        if (!contains(elements, element)) {
            elements.push_back(std::move(element));
        }
    }
    return Value::set(std::move(elements));
}

Value ValueGenerator::dict(int depth) {
    Value::Entries entries;
    Value::Items keys;
    for (std::size_t n = below(5); n > 0; --n) {
        Value k = key();
        if (!contains(keys, k)) {
            keys.push_back(k);
            entries.emplace_back(std::move(k), value(depth + 1));
        }
    }
    return Value::dict(std::move(entries));
}

} // namespace pyro::test
