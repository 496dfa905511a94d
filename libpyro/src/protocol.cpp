#include "protocol.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <type_traits>

#include "pyro/errors.hpp"
#include "pyro/remote_exception.hpp"

namespace pyro::detail {

Value invoke_payload(SerializerKind kind, const std::string& object, const std::string& method,
                     Value::Items params, std::optional<Value::Entries> kwargs) {
    Value kwargs_value = kwargs ? Value::dict(std::move(*kwargs)) : Value();
    if (kind == SerializerKind::Serpent) {
        return Value::tuple({Value(object), Value(method), Value::tuple(std::move(params)),
                             std::move(kwargs_value)});
    }
    return Value::dict({{"object", object},
                        {"method", method},
                        {"params", Value::list(std::move(params))},
                        {"kwargs", std::move(kwargs_value)}});
}

namespace {

// Each takes from `value` what the request keeps: a copy from a const Value, the parts
// themselves from one that is going away (a request's parameters are not copied twice).
template <typename V>
Value::Items params_of(V& params) {
    if (!params.is_sequence()) {
        throw SerializeError("invoke: params must be a list or tuple, got " +
                             std::string(params.type_name()));
    }
    if constexpr (std::is_const_v<V>) {
        return params.items();
    } else {
        return std::move(params.items());
    }
}

template <typename V>
Value::Entries kwargs_of(V& kwargs) {
    if (kwargs.is_none()) {
        return {};
    }
    if (!kwargs.is_dict()) {
        throw SerializeError("invoke: kwargs must be a dict or None, got " +
                             std::string(kwargs.type_name()));
    }
    if constexpr (std::is_const_v<V>) {
        return kwargs.entries();
    } else {
        return std::move(kwargs.entries());
    }
}

std::string text_of(const Value& value, const char* field) {
    if (!value.is_string()) {
        throw SerializeError(std::string("invoke: ") + field + " must be a str, got " +
                             std::string(value.type_name()));
    }
    return value.as_string();
}

// The entry of `key` in the dict `payload`, as const as `payload` is.
template <typename V>
V* field_of(V& payload, std::string_view key) {
    const Value* found = payload.find(key);
    // find() is const; `payload` itself is not when V is not, so neither is its entry.
    return const_cast<V*>(found);
}

template <typename V>
InvokeRequest parse_call(V& payload) {
    if (payload.is_dict()) {
        V* object = field_of(payload, "object");
        V* method = field_of(payload, "method");
        V* params = field_of(payload, "params");
        V* kwargs = field_of(payload, "kwargs");
        if (!object || !method || !params) {
            throw SerializeError("invoke: the call needs object, method and params");
        }
        return {text_of(*object, "object"), text_of(*method, "method"), params_of(*params),
                kwargs ? kwargs_of(*kwargs) : Value::Entries{}};
    }
    if (payload.is_sequence() && payload.kind() != Value::Kind::Set &&
        payload.items().size() == 4) {
        auto& items = payload.items();
        return {text_of(items[0], "object"), text_of(items[1], "method"), params_of(items[2]),
                kwargs_of(items[3])};
    }
    throw SerializeError("invoke: expected the call as a dict or a 4-tuple, got " +
                         std::string(payload.type_name()));
}

} // namespace

InvokeRequest parse_invoke(const Value& payload) {
    return parse_call(payload);
}

InvokeRequest parse_invoke(Value&& payload) {
    return parse_call(payload);
}

Value connect_payload(const std::string& object_id, bool with_metadata, Value handshake) {
    if (with_metadata) {
        return Value::dict({{"handshake", std::move(handshake)}, {"object", object_id}});
    }
    return Value::dict({{"handshake", std::move(handshake)}});
}

namespace {

Value names(const std::vector<std::string>& list, bool as_list) {
    Value::Items items(list.begin(), list.end());
    return as_list ? Value::list(std::move(items)) : Value::set(std::move(items));
}

std::vector<std::string> names_from(const Value* value) {
    std::vector<std::string> out;
    if (value && value->is_sequence()) {
        for (const auto& item : value->items()) {
            if (item.is_string()) {
                out.push_back(item.as_string());
            }
        }
    }
    return out;
}

} // namespace

Value metadata_to_value(const ObjectMetadata& metadata, bool as_lists) {
    return Value::dict({{"methods", names(metadata.methods, as_lists)},
                        {"oneway", names(metadata.oneway, as_lists)},
                        {"attrs", names(metadata.attrs, as_lists)}});
}

ObjectMetadata metadata_from_value(const Value& value) {
    if (!value.is_dict()) {
        throw ProtocolError("metadata must be a dict, got " + std::string(value.type_name()));
    }
    return {names_from(value.find("methods")), names_from(value.find("oneway")),
            names_from(value.find("attrs"))};
}

std::string marshal_encode_string(std::string_view text) {
    const bool ascii = std::all_of(text.begin(), text.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    std::string out;
    if (ascii && text.size() < 256) {
        out += static_cast<char>(0xFA); // short ASCII, with marshal's reference flag as Python
        out += static_cast<char>(text.size());
    } else {
        out += static_cast<char>(ascii ? 0xE1 : 0xF5);
        const auto size = static_cast<std::uint32_t>(text.size());
        for (int shift = 0; shift < 32; shift += 8) {
            out += static_cast<char>((size >> shift) & 0xFF); // little-endian
        }
    }
    out += text;
    return out;
}

Value exception_payload(const std::exception& error, std::string_view object,
                        std::string_view method) {
    std::string python_class = "builtins.RuntimeError";
    if (const auto* pyro_error = dynamic_cast<const PyroError*>(&error)) {
        python_class = pyro_error->python_class();
    } else if (dynamic_cast<const std::invalid_argument*>(&error) ||
               dynamic_cast<const std::domain_error*>(&error)) {
        python_class = "builtins.ValueError";
    } else if (dynamic_cast<const std::out_of_range*>(&error)) {
        python_class = "builtins.IndexError";
    }
    const std::string short_name = python_class.substr(python_class.rfind('.') + 1);
    std::vector<std::string> traceback{"Traceback (most recent call last):\n",
                                       "  File \"<libpyro C++ server>\", in " +
                                           std::string(object) + "." + std::string(method) + "\n",
                                       short_name + ": " + error.what() + "\n"};
    if (const auto* pyro_error = dynamic_cast<const PyroError*>(&error)) {
        return exception_to_value(*pyro_error, traceback);
    }
    return exception_to_value(RemoteError(python_class, error.what()), traceback);
}

void trace_frame(bool outgoing, std::string_view peer, const Message& message) {
    static std::mutex output_mutex;
    std::string block = "pyro trace ";
    block += outgoing ? "--> " : "<-- ";
    block += std::string(peer) + "  " + message_type_name(message.type) +
             " seq=" + std::to_string(message.seq);
    if (message.flags != 0) {
        block += " flags=" + flag_names(message.flags);
    }
    std::string body;
    try {
        body = payload_bytes(message);
    } catch (const PyroError& e) {
        body = std::string("<") + e.what() + ">";
    }
    switch (message.serializer_id) {
    case serializer_ids::serpent:
        block += " serpent";
        break;
    case serializer_ids::json:
        block += " json";
        break;
    case serializer_ids::marshal:
        block += " marshal";
        try {
            body = marshal_string(body);
        } catch (const PyroError&) {
        }
        break;
    default:
        break;
    }
    block += " " + std::to_string(message.payload.size()) + " bytes";
    for (const auto& annotation : message.annotations) {
        block += " " + annotation.key;
    }
    block += "\n";
    if (message.serializer_id == serializer_ids::serpent) {
        const auto newline = body.find('\n');
        if (body.starts_with("#") && newline != std::string::npos) {
            body.erase(0, newline + 1); // the serpent header line says nothing new
        }
    }
    block += "    " + body + "\n";
    const std::lock_guard lock(output_mutex);
    std::cerr << block << std::flush;
}

} // namespace pyro::detail
