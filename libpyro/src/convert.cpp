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

} // namespace pyro
