// Payload shapes of the Pyro4 connection protocol (PYRO4-WIRE.md §4.2, §5), shared by the daemon
// and the proxy so both sides agree on every byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pyro/config.hpp"
#include "pyro/message.hpp"
#include "pyro/methods.hpp"
#include "pyro/serializer.hpp"
#include "pyro/value.hpp"

namespace pyro::detail {

// encode_message without the payload: the header and the annotations, with `room` bytes reserved
// after them. A large payload can then be sent from where it is (a gather write), not copied.
[[nodiscard]] std::string encode_message_head(const Message& message, std::string_view hmac_key,
                                              const MessageLimits& limits, std::size_t room);

// The INVOKE payload: json {"object", "method", "params", "kwargs"} in that key order; serpent a
// 4-tuple with params as a tuple. kwargs None is how Pyro4 sends attribute access (§5.8).
[[nodiscard]] Value invoke_payload(SerializerKind kind, const std::string& object,
                                   const std::string& method, Value::Items params,
                                   std::optional<Value::Entries> kwargs);

struct InvokeRequest {
    std::string object;
    std::string method;
    Value::Items params;
    Value::Entries kwargs;
};
// Accepts every form Python peers send: dict (json), tuple or list (serpent), params as list or
// tuple, kwargs as dict or None. Throws SerializeError for anything else.
[[nodiscard]] InvokeRequest parse_invoke(const Value& payload);
// The same, taking the parameters out of `payload` instead of copying them.
[[nodiscard]] InvokeRequest parse_invoke(Value&& payload);

// {"handshake": "hello", "object": id} (or without "object" when metadata is off); the
// handshake data is Pyro4's _pyroHandshake.
[[nodiscard]] Value connect_payload(const std::string& object_id, bool with_metadata,
                                    Value handshake = Value("hello"));

// {"methods": […], "oneway": […], "attrs": […]} — lists or, as get_metadata() without as_lists
// returns them, sets.
[[nodiscard]] Value metadata_to_value(const ObjectMetadata& metadata, bool as_lists);
// From the "meta" dict of a CONNECTOK or a get_metadata() result (lists, tuples or sets).
[[nodiscard]] ObjectMetadata metadata_from_value(const Value& value);

// A marshal-serialized string (serializer id 3), the form in which a Python daemon sends
// CONNECTFAIL for header-level failures (§4.1).
[[nodiscard]] std::string marshal_encode_string(std::string_view text);

// The payload of an exception result for any C++ exception: PyroError keeps its Python class;
// std::invalid_argument/domain_error → builtins.ValueError, out_of_range → IndexError, others →
// builtins.RuntimeError. The traceback names the C++ method, so a Python client shows where.
[[nodiscard]] Value exception_payload(const std::exception& error, std::string_view object,
                                      std::string_view method);

// PYRO_TRACE: one readable block per frame on stderr, e.g.
//   pyro trace --> 127.0.0.1:9090  MSG_INVOKE seq=1 json 78 bytes
//       {"object": "echo.server", "method": "echo", "params": ["hi"], "kwargs": {}}
void trace_frame(bool outgoing, std::string_view peer, const Message& message);

} // namespace pyro::detail
