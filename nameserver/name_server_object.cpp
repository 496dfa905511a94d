#include "nameserver/name_server_object.hpp"

#include "pyro/errors.hpp"
#include "pyro/uri.hpp"

namespace pyro::ns {

namespace {

bool is_uri_value(const Value& value) {
    const Value* class_name = value.find("__class__");
    return class_name != nullptr && class_name->is_string() &&
           class_name->as_string() == "Pyro4.core.URI";
}

[[noreturn]] void not_iterable(const Value& value) {
    throw TypeError("'" + std::string(value.type_name()) + "' object is not iterable");
}

// Pyro4's checks for a metadata argument: a str is refused with `str_message`, anything false
// means "no tags", any other non-iterable fails as iter() would. Tags must be str here (Pyro4
// would also store other hashable values).
std::vector<std::string> tags_argument(const std::optional<Value>& value,
                                       const std::string& str_message) {
    if (!value) {
        return {};
    }
    if (value->is_string()) {
        throw TypeError(str_message);
    }
    if (!truthy(*value)) {
        return {};
    }
    std::vector<std::string> tags;
    const auto add = [&](const Value& tag) {
        if (!tag.is_string()) {
            throw TypeError("metadata tags must be str, not " + std::string(tag.type_name()));
        }
        tags.push_back(tag.as_string());
    };
    if (value->is_sequence()) {
        for (const auto& tag : value->items()) {
            add(tag);
        }
    } else if (value->is_dict()) {
        for (const auto& [key, ignored] : value->entries()) {
            add(key); // iterating a dict gives its keys
        }
    } else {
        not_iterable(*value);
    }
    return tags;
}

const std::string metadata_str_message =
    "metadata should not be a str, but another iterable (set, list, etc)";

// A prefix or regex filter: None → not given; a str → itself; another false value → given but
// empty (Pyro4 counts it as a filter, then skips it); anything else is a TypeError as in Python.
std::optional<std::string> text_filter(const std::optional<Value>& value, const char* what) {
    if (!value) {
        return std::nullopt;
    }
    if (value->is_string()) {
        return value->as_string();
    }
    if (!truthy(*value)) {
        return std::string();
    }
    throw TypeError(std::string(what) + " must be a str, not " + std::string(value->type_name()));
}

std::string quoted(const std::string& text) {
    return Value(text).repr();
}

Value tag_list(const Tags& tags) {
    return Value::list(Value::Items(tags.begin(), tags.end()));
}

Value uri_value(const std::string& text) {
    try {
        return to_value(Uri::parse(text));
    } catch (const PyroError&) {
        Registry::validate_uri(text); // throws with Pyro4's text
        throw;
    }
}

} // namespace

bool truthy(const Value& value) {
    switch (value.kind()) {
    case Value::Kind::None:
        return false;
    case Value::Kind::Bool:
        return value.as_bool();
    case Value::Kind::Int:
        return value.as_int() != 0;
    case Value::Kind::BigInt:
        return true; // never zero: zero fits in 64 bits
    case Value::Kind::Float:
        return value.as_float() != 0.0;
    case Value::Kind::Complex:
        return value.as_complex().real != 0.0 || value.as_complex().imag != 0.0;
    case Value::Kind::String:
        return !value.as_string().empty();
    case Value::Kind::Bytes:
        return !value.as_bytes().empty();
    case Value::Kind::List:
    case Value::Kind::Tuple:
    case Value::Kind::Set:
        return !value.items().empty();
    case Value::Kind::Dict:
        return !value.entries().empty();
    }
    return false;
}

std::int64_t NameServerObject::count() const {
    return static_cast<std::int64_t>(registry_->count());
}

Value NameServerObject::lookup(const Value& name,
                               const std::optional<Value>& return_metadata) const {
    if (!name.is_string()) {
        // What Python's "unknown name: " + name raises for a non-str name.
        throw TypeError("can only concatenate str (not \"" + std::string(name.type_name()) +
                        "\") to str");
    }
    const Entry entry = registry_->lookup(name.as_string());
    Value uri = uri_value(entry.uri);
    if (return_metadata && truthy(*return_metadata)) {
        return Value::tuple({std::move(uri), tag_list(entry.metadata)});
    }
    return uri;
}

void NameServerObject::register_name(const Value& name, const Value& uri,
                                     const std::optional<Value>& safe,
                                     const std::optional<Value>& metadata) {
    // Pyro4's order of checks: the URI, then the name, then the metadata.
    std::string uri_text;
    if (is_uri_value(uri)) {
        uri_text = uri_from_value(uri).str();
    } else if (uri.is_string()) {
        uri_text = uri.as_string();
        Registry::validate_uri(uri_text);
    } else {
        throw TypeError("only URIs or strings can be registered");
    }
    if (!name.is_string()) {
        throw TypeError("name must be a str");
    }
    const auto tags = tags_argument(metadata, metadata_str_message);
    registry_->register_name(name.as_string(), uri_text, safe && truthy(*safe), tags);
    if (log_.enabled(LogLevel::Info)) {
        log_.info("registered ", quoted(name.as_string()), " -> ", uri_text,
                  tags.empty() ? "" : " metadata ", tags.empty() ? "" : tag_list(tags).repr());
    }
}

void NameServerObject::set_metadata(const Value& name, const Value& metadata) {
    if (!name.is_string()) {
        throw TypeError("name must be a str");
    }
    const auto tags = tags_argument(metadata, metadata_str_message);
    registry_->set_metadata(name.as_string(), tags);
    if (log_.enabled(LogLevel::Info)) {
        log_.info("metadata of ", quoted(name.as_string()), " set to ", tag_list(tags).repr());
    }
}

std::int64_t NameServerObject::remove(const std::optional<Value>& name,
                                      const std::optional<Value>& prefix,
                                      const std::optional<Value>& regex) {
    // A name that is not a str can never be registered: nothing to remove by name.
    std::optional<std::string> name_text;
    if (name && name->is_string()) {
        name_text = name->as_string();
    }
    auto prefix_text = text_filter(prefix, "prefix");
    auto regex_text = text_filter(regex, "regex");
    const int removed = registry_->remove(name_text, prefix_text, regex_text);
    if (log_.enabled(LogLevel::Info)) {
        // The call as Python would print it: which of name, prefix and regex matched is the
        // registry's business, the count says what happened.
        std::string call;
        const auto argument = [&call](const char* key, const std::optional<std::string>& text) {
            if (text) {
                call += (call.empty() ? "" : ", ") + std::string(key) + "=" + quoted(*text);
            }
        };
        argument("name", name_text);
        argument("prefix", prefix_text);
        argument("regex", regex_text);
        log_.log(removed > 0 ? LogLevel::Info : LogLevel::Debug, "remove(", call, "): ", removed,
                 removed == 1 ? " name removed" : " names removed");
    }
    return removed;
}

Value NameServerObject::list(const std::optional<Value>& prefix, const std::optional<Value>& regex,
                             const std::optional<Value>& metadata_all,
                             const std::optional<Value>& metadata_any,
                             const std::optional<Value>& return_metadata) const {
    // Pyro4 checks "one filter at a time" before looking at any filter's type.
    if (int{prefix.has_value()} + int{regex.has_value()} + int{metadata_all.has_value()} +
            int{metadata_any.has_value()} >
        1) {
        throw RemoteError("builtins.ValueError", "you can only filter on one thing at a time");
    }
    ListFilter query;
    query.prefix = text_filter(prefix, "prefix");
    query.regex = text_filter(regex, "regex");
    // Here Pyro4 tests the truth value before the type: metadata_all="" lists everything.
    const auto tag_filter = [](const std::optional<Value>& value, const std::string& what) {
        std::optional<std::vector<std::string>> tags;
        if (value) {
            tags = truthy(*value) ? tags_argument(value, what + " should not be a str, but "
                                                                "another iterable (set, list, etc)")
                                  : std::vector<std::string>();
        }
        return tags;
    };
    query.metadata_all = tag_filter(metadata_all, "metadata_all");
    query.metadata_any = tag_filter(metadata_any, "metadata_any");
    const bool with_metadata = return_metadata && truthy(*return_metadata);
    Listing rows = registry_->list(query);
    Value::Entries result;
    result.reserve(rows.size());
    for (auto& row : rows) {
        Value value = with_metadata
                          ? Value::tuple({Value(std::move(row.uri)), tag_list(row.metadata)})
                          : Value(std::move(row.uri));
        result.emplace_back(Value(std::move(row.name)), std::move(value));
    }
    return Value::dict(std::move(result));
}

methods<NameServerObject> NameServerObject::interface() {
    return methods<NameServerObject>()
        .expose("remove", &NameServerObject::remove, {"name", "prefix", "regex"})
        .expose("count", &NameServerObject::count)
        .expose("list", &NameServerObject::list,
                {"prefix", "regex", "metadata_all", "metadata_any", "return_metadata"})
        .expose("register", &NameServerObject::register_name, {"name", "uri", "safe", "metadata"})
        .expose("lookup", &NameServerObject::lookup, {"name", "return_metadata"})
        .expose("ping", &NameServerObject::ping)
        .expose("set_metadata", &NameServerObject::set_metadata, {"name", "metadata"});
}

} // namespace pyro::ns
