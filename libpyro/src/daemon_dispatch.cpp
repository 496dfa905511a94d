// Calls, on a worker thread: the object and method a request names, the servant instance its
// mode asks for, the call, and the RESULT message (or the exception result) built from it.
#include <exception>

#include "call_context.hpp"
#include "current_call.hpp"
#include "daemon_impl.hpp"
#include "pyro/errors.hpp"
#include "pyro/remote_exception.hpp"
#include "pyro/serializer.hpp"
#include "random_id.hpp"

namespace pyro {

namespace {

bool is_private_name(std::string_view name) {
    // Pyro4 (§5.4 step 6): names starting with '_' are private, except "__dunder__" names.
    const bool dunder = name.size() > 4 && name.starts_with("__") && name.ends_with("__");
    return name.starts_with("_") && !dunder;
}

// The Python class a client sees for an exception result payload.
std::string_view sent_class(const Value& payload) {
    const Value* name = payload.find("__class__");
    return name != nullptr && name->is_string() ? std::string_view(name->as_string()) : "?";
}

} // namespace

void Daemon::Impl::log_call_error(const ConnectionState& state, std::string_view object,
                                  std::string_view method, const std::exception& error,
                                  const Value& payload, bool sent) const {
    // The normal end of an item stream is no error (Pyro4 logs none either).
    if (log.enabled(LogLevel::Info) && sent_class(payload) != "builtins.StopIteration") {
        log.info(object, ".", method, "() called from ", state.peer, " raised: ", error.what(),
                 sent ? "; sent back as " : "; oneway call, nothing sent back",
                 sent ? sent_class(payload) : std::string_view());
    }
}

Message Daemon::Impl::reply_to(const Message& request, MessageType type,
                               std::uint16_t serializer_id, std::string payload,
                               std::uint16_t reply_flags, bool with_corr) const {
    Message reply;
    reply.type = type;
    reply.seq = request.seq;
    reply.serializer_id = serializer_id;
    reply.flags = reply_flags;
    // §3.1: answers carry the request's correlation id, or a fresh one; exception results none.
    if (with_corr) {
        const std::string* corr = request.annotation("CORR");
        reply.annotations.push_back({"CORR", corr ? *corr : detail::random_uuid_bytes()});
    }
    reply.payload = std::move(payload);
    if (config.compression && type == MessageType::Result) {
        compress_payload(reply);
    }
    return reply;
}

std::optional<Message> Daemon::Impl::cached_answer(const Message& request) const {
    const std::uint16_t id = request.serializer_id;
    if (!answers_on.load(std::memory_order_relaxed) || request.type != MessageType::Invoke ||
        request.flags != 0 || id >= answers.size() ||
        request.payload.size() > answer_request_limit) {
        return std::nullopt;
    }
    for (const auto& annotation : request.annotations) {
        // Any other annotation is the servant's to read (current_context().annotations).
        if (annotation.key != "CORR" && annotation.key != "HMAC") {
            return std::nullopt;
        }
    }
    std::string payload;
    {
        const std::shared_lock lock(answers_mutex);
        const auto found = answers[id].find(std::string_view(request.payload));
        if (found == answers[id].end() || found->second.rule->version() != found->second.version) {
            return std::nullopt; // a stale answer is replaced by the call that follows
        }
        payload = found->second.payload;
    }
    return reply_to(request, MessageType::Result, id, std::move(payload), 0, true);
}

std::shared_ptr<const Daemon::Impl::AnswerRule>
Daemon::Impl::answer_rule(const Message& request, std::string_view object,
                          std::string_view method) const {
    if (!answers_on.load(std::memory_order_relaxed) || request.flags != 0 ||
        request.serializer_id >= answers.size() || request.payload.size() > answer_request_limit) {
        return nullptr;
    }
    const std::shared_lock lock(answers_mutex);
    for (const auto& rule : answer_rules) {
        if (rule->object == object && rule->method == method) {
            return rule;
        }
    }
    return nullptr;
}

void Daemon::Impl::remember_answer(const Message& request, std::shared_ptr<const AnswerRule> rule,
                                   std::uint64_t version, const std::string& payload) {
    const std::lock_guard lock(answers_mutex);
    if (std::find(answer_rules.begin(), answer_rules.end(), rule) == answer_rules.end()) {
        return; // unregistered during the call
    }
    auto& remembered = answers[request.serializer_id];
    if (remembered.size() >= answer_limit) {
        remembered.clear();
    }
    remembered.insert_or_assign(request.payload, Answer{std::move(rule), version, payload});
}

Value Daemon::Impl::call(const detail::InvokeRequest& request, ConnectionState& state) {
    const auto entry = find(request.object);
    if (!entry) {
        throw DaemonError("unknown object");
    }
    std::shared_ptr<void> instance;
    switch (entry->mode) {
    case InstanceMode::Single:
        instance = entry->single;
        break;
    case InstanceMode::PerCall:
        instance = entry->factory();
        break;
    case InstanceMode::Session: {
        const std::lock_guard lock(state.mutex);
        auto& slot = state.sessions[request.object];
        if (!slot) {
            slot = entry->factory();
        }
        instance = slot;
        break;
    }
    }
    const Interface& interface = entry->interface;
    // §5.8: attribute access travels as these two method names.
    if (request.method == "__getattr__" || request.method == "__setattr__") {
        const bool setting = request.method == "__setattr__";
        if (request.params.size() != (setting ? 2u : 1u) || !request.params[0].is_string()) {
            throw TypeError(request.method + " needs the attribute name" +
                            (setting ? " and a value" : ""));
        }
        const std::string& name = request.params[0].as_string();
        if (setting) {
            detail::set_attribute(interface, instance.get(), name, request.params[1]);
            return Value();
        }
        return detail::get_attribute(interface, instance.get(), name);
    }
    if (is_private_name(request.method)) {
        throw RemoteError("builtins.AttributeError",
                          "attempt to access private attribute '" + request.method + "'");
    }
    if (detail::StreamCall* streaming = detail::StreamCall::current()) {
        streaming->servant = instance; // a stream the method returns may use its servant
    }
    // A Proxy the servant makes from an argument takes this daemon's Config (call_context.hpp).
    const detail::DaemonConfigScope scope(config);
    return detail::invoke(interface, instance.get(), request.method, request.params,
                          request.kwargs);
}

Message Daemon::Impl::dispatch(const Message& request, ConnectionState& state, bool oneway) {
    SerializerKind kind = SerializerKind::Json;
    std::string object = "?";
    std::string method = "?";
    try {
        kind = serializer_from_id(request.serializer_id);
    } catch (const SerializeError&) {
        // Nothing we could answer in: the client would not read json either.
        throw ProtocolError("message used serializer that is not accepted: " +
                            std::to_string(request.serializer_id));
    }
    const auto exception_reply = [&](const std::exception& error) {
        const Value payload = detail::exception_payload(error, object, method);
        log_call_error(state, object, method, error, payload, !oneway);
        return reply_to(request, MessageType::Result, request.serializer_id,
                        serialize(kind, payload), flags::exception, false);
    };
    if (!oneway) {
        if (auto answer = cached_answer(request)) {
            return std::move(*answer);
        }
    }
    // current_context() and auto-proxies inside the call (context.hpp, autoproxy.hpp).
    CallContext context = detail::call_context_for(request, *state.client);
    const detail::DaemonAccess::Call running{this, &context};
    const detail::DaemonAccess::Scope scope(running);
    try {
        if (request.has_flag(flags::keep_serialized)) {
            throw ProtocolError("FLAGS_KEEPSERIALIZED is a Python-only feature; libpyro does "
                                "not support it");
        }
        // An uncompressed payload is parsed where it is, not copied first.
        const auto invoke =
            detail::parse_invoke(request.has_flag(flags::compressed)
                                     ? deserialize(kind, payload_bytes(request, limits))
                                     : deserialize(kind, std::string_view(request.payload)));
        object = invoke.object;
        method = invoke.method;
        auto rule = oneway ? nullptr : answer_rule(request, object, method);
        const std::uint64_t version = rule ? rule->version() : 0; // before the call reads
        Value result;
        std::shared_ptr<const AnswerRule> remember; // set when this answer may be given again
        if (request.has_flag(flags::batch)) {
            // §5.7: run in order, stop at the first failure, which travels wrapped.
            Value::Items results;
            // Pyro4 looks the object up before the loop and each method up before the try
            // around its call: an unknown object or method fails the whole request (the calls
            // before it have run), it is not a wrapped result.
            const auto entry = find(invoke.object);
            if (!entry) {
                throw DaemonError("unknown object");
            }
            std::string streamed; // a method that returned an item stream: Pyro4 cannot send it
            for (const auto& item : invoke.params) {
                if (!item.is_sequence() || item.items().size() != 3) {
                    throw SerializeError("batch: each call must be (method, args, kwargs)");
                }
                const auto& parts = item.items();
                detail::InvokeRequest single{invoke.object, parts[0].as_string(), parts[1].items(),
                                             parts[2].is_none() ? Value::Entries{}
                                                                : parts[2].entries()};
                if (is_private_name(single.method)) {
                    throw RemoteError("builtins.AttributeError",
                                      "attempt to access private attribute '" + single.method +
                                          "'");
                }
                if (!entry->interface.has_method(single.method)) {
                    const std::string missing = "remote object has no exposed method '";
                    throw RemoteError("builtins.AttributeError", missing + single.method + "'");
                }
                try {
                    const detail::StreamCall stream_call(oneway ? nullptr : &state);
                    results.push_back(call(single, state));
                    if (stream_call.produced && streamed.empty()) {
                        streamed = single.method;
                    }
                } catch (const std::exception& error) {
                    Value payload = detail::exception_payload(error, object, single.method);
                    log_call_error(state, object, single.method, error, payload, !oneway);
                    results.push_back(Value::dict({{"__class__", "Pyro4.futures._ExceptionWrapper"},
                                                   {"exception", std::move(payload)}}));
                    break;
                }
            }
            if (!streamed.empty() && !oneway) {
                throw SerializeError("cannot send the item stream " + streamed +
                                     "() returned in a batch call (Pyro4 streams no batch "
                                     "results); call it on its own, or return a list");
            }
            result = Value::list(std::move(results));
        } else {
            detail::StreamCall stream_call(oneway ? nullptr : &state);
            result = call(invoke, state);
            if (stream_call.produced && !oneway) {
                return start_stream(request, kind, stream_call, state);
            }
            if (rule && context.response_annotations.empty() && !stream_call.produced) {
                remember = std::move(rule);
            }
        }
        std::string payload;
        try {
            payload = serialize(kind, result);
        } catch (const PyroError& error) {
            throw SerializeError(std::string("Error serializing result of ") + method +
                                 "(): " + error.what());
        }
        if (remember && payload.size() <= answer_size_limit) {
            remember_answer(request, std::move(remember), version, payload);
        }
        // The context has the correlation id already (the request's or a fresh one): the CORR
        // chunk takes it, not a second fresh id.
        Message reply =
            reply_to(request, MessageType::Result, request.serializer_id, std::move(payload),
                     request.has_flag(flags::batch) ? flags::batch : 0, false);
        reply.annotations.push_back({"CORR", {}});
        detail::add_response_annotations(reply, std::move(context));
        return reply;
    } catch (const std::exception& error) {
        return exception_reply(error);
    }
}

} // namespace pyro
