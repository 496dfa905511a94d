#include "pyro/convert.hpp"

#include "base64.hpp"

namespace pyro {

Bytes convert<Bytes>::from(const Value& v) {
    if (v.is_bytes()) {
        return v.as_bytes();
    }
    const Value* data = v.find("data");
    const Value* encoding = v.find("encoding");
    if (data && encoding && data->is_string() && *encoding == Value("base64")) {
        if (auto bytes = detail::base64_decode(data->as_string())) {
            return std::move(*bytes);
        }
        throw TypeError("invalid base64 data in bytes dict");
    }
    detail::wrong_type("bytes", v);
}

namespace {

// "an int", "a str": Python type names with their English article.
std::string with_article(std::string_view type_name) {
    const bool vowel = !type_name.empty() &&
                       std::string_view("aeiou").find(type_name.front()) != std::string_view::npos;
    return (vowel ? "an " : "a ") + std::string(type_name);
}

// The reply as Python shows it, shortened: a reply may be megabytes.
std::string short_repr(const Value& value) {
    constexpr std::size_t limit = 60;
    std::string text = value.repr();
    if (text.size() > limit) {
        std::size_t cut = limit;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
            --cut; // not inside a UTF-8 sequence
        }
        text.resize(cut);
        text += "...";
    }
    return text;
}

} // namespace

void detail::bad_reply(std::string_view method, const Value& reply, std::string_view expected,
                       const RemoteError& error) {
    std::string message = "the server's reply to " + std::string(method) + "() was ";
    message += reply.is_none() ? std::string("None")
                               : with_article(reply.type_name()) + " (" + short_repr(reply) + ")";
    if (!expected.empty() && reply.type_name() != expected) {
        message += ", expected " + with_article(expected);
    } else {
        message += std::string(", which does not convert: ") + error.what();
    }
    if (dynamic_cast<const TypeError*>(&error) != nullptr) {
        throw TypeError(message);
    }
    throw RemoteError(error.python_class(), message);
}

} // namespace pyro
