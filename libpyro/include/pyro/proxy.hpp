// pyro::Proxy — calls a remote object as if it were local.
//
//   pyro::Proxy echo("PYRONAME:echo.server");          // resolved through the name server
//   std::string reply = echo.call<std::string>("echo", "hello");
//
// The connection is made on first use (or bind()): the handshake fetches the object's metadata,
// so the proxy knows its methods, oneway methods and attributes (Pyro4's _pyroMethods,
// _pyroOneway, _pyroAttrs). A call to a name the object does not expose fails locally with an
// AttributeError-style RemoteError, without a round trip. Remote exceptions arrive as C++
// exceptions: Pyro4.errors.* as the matching pyro:: class, anything else as RemoteError carrying
// the Python class name; all carry the remote traceback.
//
// A proxy may be shared between threads: calls on one proxy are serialised (one connection), and
// every member function may be called from any thread (none hands out a reference into state a
// call may change).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "pyro/config.hpp"
#include "pyro/convert.hpp"
#include "pyro/log.hpp"
#include "pyro/object_metadata.hpp"
#include "pyro/serializer.hpp"
#include "pyro/stream.hpp"
#include "pyro/uri.hpp"
#include "pyro/value.hpp"

namespace pyro {

class Proxy {
public:
    // Takes the serializer (PYRO_SERIALIZER), timeout (PYRO_COMMTIMEOUT), HMAC key and name
    // server location from config, and logs through Logger(config) (log.hpp) or the logger given.
    // Does not connect yet. Throws UnknownSerializerError for a config.serializer libpyro does
    // not speak, PyroError for a bad config.log_level.
    explicit Proxy(Uri uri, Config config = {});
    explicit Proxy(std::string_view uri, Config config = {});
    Proxy(Uri uri, Config config, Logger logger);
    Proxy(std::string_view uri, Config config, Logger logger);
    ~Proxy();
    Proxy(Proxy&&) noexcept;
    Proxy& operator=(Proxy&&) noexcept;
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;

    // Calls a method and converts the result: call<int>("add", 2, 3). A oneway method returns at
    // once (R must then be void or Value). Blocks until the result arrives or the timeout passes
    // (TimeoutError); a lost connection gives ConnectionClosedError.
    // For a method that returns a generator (a Pyro4 item stream), call<pyro::Stream> gives its
    // items one at a time (stream.hpp); any other R then fails, and the server's stream is
    // closed.
    template <class R = Value, class... Args>
    R call(std::string_view method, const Args&... args) {
        if constexpr (std::is_same_v<R, Stream>) {
            return invoke_stream(method, Value::Items{pyro::to_value(args)...});
        } else {
            Value result = invoke(method, Value::Items{pyro::to_value(args)...});
            if constexpr (std::is_void_v<R>) {
                return;
            } else {
                return reply_from_value<R>(method, result);
            }
        }
    }

    // The dynamic form: positional and keyword arguments as Values.
    Value invoke(std::string_view method, Value::Items args = {}, Value::Entries kwargs = {});
    // A call whose result comes back as the server serialized it (with serializer()), unparsed:
    // for a caller that decodes answers which repeat byte for byte only once (NameServer::lookup).
    // Remote exceptions are thrown as by invoke().
    std::string invoke_serialized(std::string_view method, Value::Items args = {},
                                  Value::Entries kwargs = {});
    // A call whose result is iterated (stream.hpp): an item stream, or a list/tuple/set result.
    // TypeError for any other result.
    Stream invoke_stream(std::string_view method, Value::Items args = {},
                         Value::Entries kwargs = {});
    // Sends the call with FLAGS_ONEWAY whatever the metadata says; does not wait.
    void invoke_oneway(std::string_view method, Value::Items args = {}, Value::Entries kwargs = {});

    // Pyro4's _pyroInvokeBatch, for pyro::Batch (batch.hpp): one INVOKE "<batch>" with
    // FLAGS_BATCH whose params are `calls`, each (method, args tuple, kwargs dict). Returns the
    // server's result list, or None for a oneway batch. Not retried.
    Value invoke_batch(Value::Items calls, bool oneway = false);

    // Pyro4's copy.copy(proxy), for pyro::AsyncProxy (async_proxy.hpp): an unconnected proxy with
    // this one's URI, config, logger, serializer, timeout, HMAC key and correlation id.
    [[nodiscard]] Proxy copy() const;

    // Remote attributes (Pyro4's exposed properties).
    Value get_attribute(std::string_view name);
    template <class R>
    R get(std::string_view name) {
        return from_value<R>(get_attribute(name));
    }
    void set_attribute(std::string_view name, const Value& value);

    // Connects now (resolving PYRONAME/PYROMETA) and performs the handshake. Each cause of failure
    // has its class (errors.hpp) and a message saying what to do: ConnectionRefusedError (nothing
    // listens there), TimeoutError (no answer within the timeout), HmacKeyError (the HMAC keys
    // differ or one side has none), SerializerNotAcceptedError, NotPyroPeerError (not a Pyro4
    // server there), HandshakeError (another refusal, e.g. no such object).
    void bind();
    // Closes the connection; the next call connects again.
    void release();
    // MSG_PING round trip, without metadata or a method call.
    void ping();

    // What the remote object exposes (connects first if needed). A copy, so it stays valid while
    // another thread's call reconnects and replaces the proxy's own.
    [[nodiscard]] ObjectMetadata metadata();

    // The URI as given, and the PYRO: URI actually connected to (after resolution).
    [[nodiscard]] const Uri& uri() const;
    [[nodiscard]] Uri resolved_uri();

    void set_timeout(std::chrono::duration<double> timeout); // 0: wait forever
    void set_hmac_key(std::string key);
    void set_serializer(SerializerKind serializer);
    [[nodiscard]] SerializerKind serializer() const;
    // Pyro4's _pyroHandshake: the data sent with the connection handshake ("hello" unless set),
    // which the server's validate_handshake (Pyro4's validateHandshake) judges; used from the
    // next connection on. handshake_response() is what the server answered (after bind() or the
    // first call; None before).
    void set_handshake(Value data);
    [[nodiscard]] Value handshake_response() const;
    // The annotations of the last reply (Pyro4's _pyroResponseAnnotations): CORR and whatever
    // the servant added (response_annotations in context.hpp), raw bytes; HMAC left out.
    [[nodiscard]] std::map<std::string, std::string> response_annotations() const;
    // Pyro4's correlation id: sent as CORR on every frame when set (16 raw bytes).
    void set_correlation_id(std::string id16);

    // Pyro4's class dict for a proxy, to pass this object as an argument (callbacks).
    [[nodiscard]] Value to_value() const;

private:
    struct Impl; // proxy.cpp
    friend class Stream;
    // A Stream's call on the proxy's connection to Pyro.Daemon (get_next_stream_item,
    // close_stream); `proxy` is the Impl, type-erased so stream.hpp need not know it.
    static Value stream_request(const std::weak_ptr<void>& proxy, const char* method,
                                const std::string& stream_id, bool oneway);
    std::shared_ptr<Impl> impl_; // shared with the Streams it started (weakly)
};

// Proxies travel as Pyro4.core.Proxy class dicts; a received URI string, URI dict or Proxy dict
// becomes a fresh, unconnected Proxy (with the default Config).
template <>
struct convert<Proxy> {
    static constexpr std::string_view python_name = "Proxy";
    static Value to(const Proxy& proxy) { return proxy.to_value(); }
    static Proxy from(const Value& value);
};

} // namespace pyro
