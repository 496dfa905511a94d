#include "pyro/methods.hpp"

#include <algorithm>

namespace pyro {

namespace {

[[noreturn]] void attribute_error(const std::string& message) {
    throw RemoteError("builtins.AttributeError", message);
}

std::string plural(std::size_t n, std::string_view word) {
    return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

} // namespace

bool Interface::has_method(std::string_view name) const {
    return methods_.contains(name);
}

bool Interface::is_oneway(std::string_view name) const {
    const auto found = methods_.find(name);
    return found != methods_.end() && found->second.oneway;
}

bool Interface::has_attribute(std::string_view name) const {
    return attributes_.contains(name);
}

Value detail::invoke(const Interface& interface, void* servant, std::string_view method,
                     const Value::Items& args, const Value::Entries& kwargs) {
    const auto found = interface.methods_.find(method);
    if (found == interface.methods_.end()) {
        attribute_error("remote object has no exposed method '" + std::string(method) + "'");
    }
    return found->second.invoke(servant, args, kwargs);
}

Value detail::get_attribute(const Interface& interface, void* servant, std::string_view name) {
    const auto found = interface.attributes_.find(name);
    if (found == interface.attributes_.end()) {
        attribute_error("attempt to access unexposed or unknown remote attribute '" +
                        std::string(name) + "'");
    }
    return found->second.get(servant);
}

void detail::set_attribute(const Interface& interface, void* servant, std::string_view name,
                           const Value& value) {
    const auto found = interface.attributes_.find(name);
    if (found == interface.attributes_.end()) {
        attribute_error("attempt to access unexposed or unknown remote attribute '" +
                        std::string(name) + "'");
    }
    if (!found->second.set) {
        // Pyro4's words for a property without a setter (util.set_exposed_property_value).
        attribute_error("attempt to access unexposed or unknown remote attribute '" +
                        std::string(name) + "'");
    }
    found->second.set(servant, value);
}

void Interface::add_method(std::string name, Invoker invoker, bool oneway) {
    if (methods_.contains(name) || attributes_.contains(name)) {
        throw PyroError("'" + name + "' is exposed twice");
    }
    metadata_.methods.push_back(name);
    if (oneway) {
        metadata_.oneway.push_back(name);
    }
    methods_.emplace(std::move(name), Method{std::move(invoker), oneway});
}

void Interface::add_attribute(std::string name, Getter getter, Setter setter) {
    if (methods_.contains(name) || attributes_.contains(name)) {
        throw PyroError("'" + name + "' is exposed twice");
    }
    metadata_.attrs.push_back(name);
    attributes_.emplace(std::move(name), Attribute{std::move(getter), std::move(setter)});
}

namespace detail {

namespace {

// How a parameter is called in messages: its name as Python quotes it, or its position.
std::string parameter_label(const std::vector<std::string>& names, std::size_t index) {
    return index < names.size() ? "'" + names[index] + "'"
                                : "argument " + std::to_string(index + 1);
}

// Python's list of names: 'a', 'a' and 'b', 'a', 'b', and 'c'.
std::string joined_labels(const std::vector<std::string>& labels) {
    std::string out;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) {
            out += labels.size() == 2 ? " and " : (i + 1 == labels.size() ? ", and " : ", ");
        }
        out += labels[i];
    }
    return out;
}

} // namespace

void check_parameter_names(std::string_view method, std::size_t parameter_count,
                           const std::vector<std::string>& names) {
    if (names.empty()) {
        return;
    }
    if (names.size() != parameter_count) {
        throw PyroError("exposing " + std::string(method) +
                        "(): " + plural(parameter_count, "parameter") + " but " +
                        std::to_string(names.size()) + " parameter name" +
                        (names.size() == 1 ? "" : "s") + " given; name each parameter once");
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
            names.begin() + static_cast<std::ptrdiff_t>(i)) {
            throw PyroError("exposing " + std::string(method) + "(): parameter name '" + names[i] +
                            "' given twice");
        }
    }
}

// The texts are Python 3's for a plain function, so a Python caller sees what a Python servant
// would have told it.
std::vector<const Value*> bind_arguments(std::string_view method, std::size_t parameter_count,
                                         const std::vector<std::string>& parameter_names,
                                         const std::vector<bool>& optional,
                                         const Value::Items& args, const Value::Entries& kwargs) {
    const std::string name(method);
    const auto required = static_cast<std::size_t>(
        std::find(optional.rbegin(), optional.rend(), false).base() - optional.begin());
    if (args.size() > parameter_count) {
        const std::string takes = required == parameter_count
                                      ? plural(parameter_count, "positional argument")
                                      : "from " + std::to_string(required) + " to " +
                                            plural(parameter_count, "positional argument");
        throw TypeError(name + "() takes " + takes + " but " + std::to_string(args.size()) +
                        (args.size() == 1 ? " was" : " were") + " given");
    }
    std::vector<const Value*> slots(parameter_count, nullptr);
    for (std::size_t i = 0; i < args.size(); ++i) {
        slots[i] = &args[i];
    }
    for (const auto& [key, value] : kwargs) {
        if (!key.is_string()) {
            throw TypeError(name + "() keywords must be strings");
        }
        const auto& keyword = key.as_string();
        const auto position = std::find(parameter_names.begin(), parameter_names.end(), keyword);
        if (position == parameter_names.end()) {
            throw TypeError(name + "() got an unexpected keyword argument '" + keyword + "'");
        }
        auto& slot = slots[static_cast<std::size_t>(position - parameter_names.begin())];
        if (slot != nullptr) {
            throw TypeError(name + "() got multiple values for argument '" + keyword + "'");
        }
        slot = &value;
    }
    std::vector<std::string> missing;
    for (std::size_t i = 0; i < required; ++i) {
        if (slots[i] == nullptr && !optional[i]) {
            missing.push_back(parameter_label(parameter_names, i));
        }
    }
    if (!missing.empty()) {
        throw TypeError(name + "() missing " + std::to_string(missing.size()) + " required " +
                        (missing.size() == 1 ? "positional argument: " : "positional arguments: ") +
                        joined_labels(missing));
    }
    return slots;
}

void bad_argument(std::string_view method, std::size_t index, const RemoteError& error) {
    const std::string message =
        std::string(method) + "() argument " + std::to_string(index + 1) + ": " + error.what();
    if (dynamic_cast<const TypeError*>(&error) != nullptr) {
        throw TypeError(message);
    }
    throw RemoteError(error.python_class(), message);
}

} // namespace detail
} // namespace pyro
