#include "support/tagged_value.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "support/hex.hpp"

namespace pyro::test {

namespace {

double parse_python_float(const std::string& text) {
    if (text == "inf") {
        return std::numeric_limits<double>::infinity();
    }
    if (text == "-inf") {
        return -std::numeric_limits<double>::infinity();
    }
    if (text == "nan") {
        return std::numeric_limits<double>::quiet_NaN();
    }
    // from_chars, unlike stod, accepts subnormals such as 5e-324 that Python writes.
    double value = 0.0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        throw std::invalid_argument("not a Python float: '" + text + "'");
    }
    return value;
}

Value::Items convert_items(const boost::json::value& list) {
    Value::Items items;
    for (const auto& element : list.as_array()) {
        items.push_back(from_tagged(element));
    }
    return items;
}

} // namespace

Value from_tagged(const boost::json::value& tagged) {
    const auto& pair = tagged.as_array();
    const std::string tag(pair.at(0).as_string());
    if (tag == "None") {
        return Value();
    }
    const auto& body = pair.at(1);
    if (tag == "bool") {
        return Value(body.as_bool());
    }
    if (tag == "int") {
        return Value::big_int(std::string(body.as_string()));
    }
    if (tag == "float") {
        return Value(parse_python_float(std::string(body.as_string())));
    }
    if (tag == "complex") {
        const auto& parts = body.as_array();
        return Value(Complex{parse_python_float(std::string(parts.at(0).as_string())),
                             parse_python_float(std::string(parts.at(1).as_string()))});
    }
    if (tag == "str") {
        return Value(std::string(body.as_string()));
    }
    if (tag == "bytes") {
        const std::string raw = from_hex(std::string(body.as_string()));
        return Value(Bytes(raw.begin(), raw.end()));
    }
    if (tag == "list") {
        return Value::list(convert_items(body));
    }
    if (tag == "tuple") {
        return Value::tuple(convert_items(body));
    }
    if (tag == "set") {
        return Value::set(convert_items(body));
    }
    if (tag == "dict") {
        Value::Entries entries;
        for (const auto& entry : body.as_array()) {
            const auto& kv = entry.as_array();
            entries.emplace_back(from_tagged(kv.at(0)), from_tagged(kv.at(1)));
        }
        return Value::dict(std::move(entries));
    }
    throw std::invalid_argument("tagged value with unknown tag '" + tag + "'");
}

bool is_convertible(const boost::json::value& tagged) {
    try {
        (void)from_tagged(tagged);
        return true;
    } catch (const std::invalid_argument&) {
        return false;
    }
}

} // namespace pyro::test
