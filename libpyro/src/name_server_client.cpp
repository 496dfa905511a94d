#include "pyro/name_server.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "locate.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"

namespace pyro {

namespace {

Value string_list(const std::vector<std::string>& items) {
    return Value::list(Value::Items(items.begin(), items.end()));
}

std::vector<std::string> strings_of(const Value& value) {
    std::vector<std::string> out;
    if (value.is_sequence()) {
        for (const auto& item : value.items()) {
            out.push_back(item.as_string());
        }
    }
    return out;
}

// What lookup answers decode to, remembered per thread: a client looking the same names up again
// (every PYRONAME: proxy does) gets the same bytes back, and parsing them and the URI inside was
// half of its instructions per lookup (issue 12). Bytes are compared whole, so a changed
// registration is a new entry; the oldest entry makes room.
class LookupAnswers {
public:
    const Uri* find(SerializerKind kind, std::string_view bytes) const {
        for (const auto& entry : entries_) {
            if (entry.kind == kind && entry.bytes == bytes) {
                return &entry.uri;
            }
        }
        return nullptr;
    }

    void remember(SerializerKind kind, std::string bytes, const Uri& uri) {
        if (bytes.size() > max_answer_size) {
            return;
        }
        if (entries_.size() < capacity) {
            entries_.push_back({kind, std::move(bytes), uri});
            return;
        }
        entries_[oldest_] = {kind, std::move(bytes), uri};
        oldest_ = (oldest_ + 1) % capacity;
    }

private:
    static constexpr std::size_t capacity = 32;
    static constexpr std::size_t max_answer_size = 1024;
    struct Entry {
        SerializerKind kind;
        std::string bytes;
        Uri uri;
    };
    std::vector<Entry> entries_;
    std::size_t oldest_ = 0;
};

Uri ns_uri(const std::string& host, int port) {
    if (host.starts_with("./u:")) {
        return Uri::unix_socket("Pyro.NameServer", host.substr(4));
    }
    return Uri::pyro("Pyro.NameServer", host, port);
}

// Where locate_ns() looked, and the first failure that was not "nothing listens there": that one
// names a name server (or something) that exists but cannot be used, and is what to report.
struct Search {
    std::vector<std::string> tried;
    std::exception_ptr problem;
    std::string problem_place;
};

// How long the search waits for a handshake when PYRO_COMMTIMEOUT is 0 (wait forever). A name
// server answers at once; a web server on that port waits for a line end that libpyro's json
// CONNECT does not contain, and the search would hang without a word.
constexpr std::chrono::seconds search_handshake_limit{5};

// A name server at a known address, bound (handshake done) so a failure shows here.
std::optional<NameServer> try_direct(const Uri& uri, const Config& config, Search& search) {
    search.tried.push_back(uri.location());
    const bool unbounded = config.comm_timeout <= 0;
    try {
        Proxy proxy(uri, config);
        if (unbounded) {
            proxy.set_timeout(search_handshake_limit);
        }
        proxy.bind();
        if (unbounded) {
            proxy.set_timeout(std::chrono::duration<double>(0)); // calls wait as configured
        }
        return NameServer(std::move(proxy));
    } catch (const TimeoutError& error) {
        if (!search.problem) {
            search.problem_place = uri.location();
            search.problem = unbounded
                                 ? std::make_exception_ptr(TimeoutError(
                                       "no answer to the Pyro handshake within " +
                                       std::to_string(search_handshake_limit.count()) +
                                       " s: what listens there took the connection but did not "
                                       "answer; it is not a Pyro server (a web server, say) or "
                                       "it is stopped (Ctrl-Z); check the host and port"))
                                 : std::current_exception();
        }
    } catch (const UnknownSerializerError&) {
        throw; // no name server anywhere can help: say so at once
    } catch (const ConnectionRefusedError&) {
        // Nothing listens there: look further, as Pyro4's locateNS does.
    } catch (const HandshakeError& error) {
        if (!search.problem) {
            search.problem_place = uri.location();
            if (std::string_view(error.what()).find("rejected: unknown object") !=
                std::string_view::npos) {
                search.problem = std::make_exception_ptr(HandshakeError(
                    "a Pyro server listens there, but it is not a name server (it has no object "
                    "'Pyro.NameServer'); give the name server's host and port with "
                    "--ns-host/--ns-port or PYRO_NS_HOST/PYRO_NS_PORT"));
            } else {
                search.problem = std::current_exception();
            }
        }
    } catch (const PyroError&) {
        if (!search.problem) {
            search.problem = std::current_exception();
            search.problem_place = uri.location();
        }
    }
    return std::nullopt;
}

// The error `problem` again, of the same class, its message saying it came from the name server
// at `place`.
[[noreturn]] void fail_at(const std::string& place, const std::exception_ptr& problem) {
    const std::string prefix = "cannot use the name server at " + place + ": ";
    try {
        std::rethrow_exception(problem);
    } catch (const HmacKeyError& e) {
        throw HmacKeyError(prefix + e.what());
    } catch (const SerializerNotAcceptedError& e) {
        throw SerializerNotAcceptedError(prefix + e.what());
    } catch (const HandshakeError& e) {
        throw HandshakeError(prefix + e.what());
    } catch (const NotPyroPeerError& e) {
        throw NotPyroPeerError(prefix + e.what());
    } catch (const TimeoutError& e) {
        throw TimeoutError(prefix + e.what());
    } catch (const ConnectionClosedError& e) {
        throw ConnectionClosedError(prefix + e.what());
    } catch (const ProtocolError& e) {
        throw ProtocolError(prefix + e.what());
    } catch (const CommunicationError& e) {
        throw CommunicationError(prefix + e.what());
    } catch (const SecurityError& e) {
        throw SecurityError(prefix + e.what());
    } catch (const PyroError& e) {
        throw PyroError(prefix + e.what());
    }
}

// Nothing answered anywhere: no name server runs where this program looked.
[[noreturn]] void not_found(const Search& search) {
    if (search.problem) {
        fail_at(search.problem_place, search.problem);
    }
    std::string places;
    for (std::size_t i = 0; i < search.tried.size(); ++i) {
        places += (i == 0 ? "" : ", ") + search.tried[i];
    }
    throw NamingError("Failed to locate the nameserver (looked at " + places +
                      "); start one with 'pyro-ns' (or Python's 'pyro4-ns'), or give its host "
                      "and port with --ns-host/--ns-port or PYRO_NS_HOST/PYRO_NS_PORT");
}

} // namespace

void NameServer::ping() {
    proxy_.call<void>("ping");
}

int NameServer::count() {
    return proxy_.call<int>("count");
}

Uri NameServer::lookup(std::string_view name) {
    try {
        std::string answer = proxy_.invoke_serialized("lookup", {Value(name)});
        const SerializerKind kind = proxy_.serializer();
        thread_local LookupAnswers answers;
        if (const Uri* known = answers.find(kind, answer)) {
            return *known;
        }
        Uri uri = uri_from_value(deserialize(kind, answer));
        answers.remember(kind, std::move(answer), uri);
        return uri;
    } catch (const NamingError& error) {
        // Pyro4's name server words it "unknown name: NAME"; the class tells it apart here.
        if (std::string_view(error.what()).starts_with("unknown name")) {
            UnknownNameError unknown(error.what());
            unknown.set_remote_traceback(error.remote_traceback());
            // What arrived stays reachable (pyro-httpgateway passes it on, attributes included).
            unknown.set_remote_value(error.remote_value());
            throw unknown;
        }
        throw;
    }
}

Registration NameServer::lookup_with_metadata(std::string_view name) {
    const Value result = proxy_.invoke("lookup", {Value(name)}, {{"return_metadata", true}});
    if (!result.is_sequence() || result.items().size() != 2) {
        throw ProtocolError("lookup(return_metadata=True) must return (uri, metadata), got " +
                            result.repr());
    }
    return {std::string(name), uri_from_value(result.items()[0]).str(),
            strings_of(result.items()[1])};
}

void NameServer::register_name(std::string_view name, const Uri& uri, bool safe,
                               const std::vector<std::string>& metadata) {
    Value::Entries kwargs{{"safe", safe}};
    if (!metadata.empty()) {
        kwargs.emplace_back("metadata", string_list(metadata));
    }
    proxy_.invoke("register", {Value(name), Value(uri.str())}, std::move(kwargs));
}

int NameServer::remove(std::string_view name) {
    return from_value<int>(proxy_.invoke("remove", {Value(name)}));
}

int NameServer::remove_prefix(std::string_view prefix) {
    return from_value<int>(proxy_.invoke("remove", {}, {{"prefix", Value(prefix)}}));
}

int NameServer::remove_regex(std::string_view regex) {
    return from_value<int>(proxy_.invoke("remove", {}, {{"regex", Value(regex)}}));
}

std::vector<Registration> NameServer::list(const ListFilter& filter) {
    Value::Entries kwargs;
    if (filter.prefix) {
        kwargs.emplace_back("prefix", *filter.prefix);
    }
    if (filter.regex) {
        kwargs.emplace_back("regex", *filter.regex);
    }
    if (filter.metadata_all) {
        kwargs.emplace_back("metadata_all", string_list(*filter.metadata_all));
    }
    if (filter.metadata_any) {
        kwargs.emplace_back("metadata_any", string_list(*filter.metadata_any));
    }
    kwargs.emplace_back("return_metadata", true);
    const Value result = proxy_.invoke("list", {}, std::move(kwargs));
    std::vector<Registration> out;
    for (const auto& [key, entry] : result.entries()) {
        if (entry.is_sequence() && entry.items().size() == 2) {
            out.push_back(
                {key.as_string(), entry.items()[0].as_string(), strings_of(entry.items()[1])});
        } else {
            out.push_back({key.as_string(), entry.as_string(), {}});
        }
    }
    return out;
}

void NameServer::set_metadata(std::string_view name, const std::vector<std::string>& metadata) {
    proxy_.invoke("set_metadata", {Value(name), string_list(metadata)});
}

NameServer locate_ns(const Config& config, std::optional<std::string> host,
                     std::optional<int> port) {
    if (port == 0) {
        port.reset(); // as in Pyro4, port 0 means "not given"
    }
    Search search;
    if (host) {
        if (auto ns = try_direct(ns_uri(*host, port.value_or(config.ns_port)), config, search)) {
            return std::move(*ns);
        }
        not_found(search);
    }
    if (detail::is_loopback_host(config.ns_host)) {
        if (auto ns =
                try_direct(ns_uri(config.ns_host, port.value_or(config.ns_port)), config, search)) {
            return std::move(*ns);
        }
    }
    if (config.prefer_ip_version != 6 && !config.broadcast_addrs.empty()) {
        // §8.2 step 2: three rounds of GET_NSURI, 0.7 s each.
        const int bcport = port.value_or(config.ns_bcport);
        search.tried.push_back("UDP broadcast port " + std::to_string(bcport));
        const auto answer = detail::probe_get_nsuri(bcport, config.broadcast_addrs,
                                                    std::chrono::milliseconds(700), 3);
        std::optional<Uri> found;
        if (answer) {
            try {
                found = Uri::parse(*answer);
            } catch (const PyroError&) {
                // Not a name server's answer: go on as if none came.
            }
        }
        if (found) {
            if (auto ns = try_direct(*found, config, search)) {
                return std::move(*ns);
            }
        }
    }
    const Uri uri = ns_uri(config.ns_host, config.ns_port);
    if (std::find(search.tried.begin(), search.tried.end(), uri.location()) == search.tried.end()) {
        if (auto ns = try_direct(uri, config, search)) {
            return std::move(*ns);
        }
    }
    not_found(search);
}

Uri resolve(const Uri& uri, const Config& config) {
    if (uri.protocol() == Uri::Protocol::Pyro) {
        return uri;
    }
    NameServer ns =
        uri.has_location()
            ? locate_ns(config, uri.is_unix_socket() ? "./u:" + uri.socket_path() : uri.host(),
                        uri.port())
            : locate_ns(config);
    if (uri.protocol() == Uri::Protocol::PyroName) {
        return ns.lookup(uri.object());
    }
    ListFilter filter;
    filter.metadata_all = uri.tags();
    const auto candidates = ns.list(filter);
    if (candidates.empty()) {
        std::string tags;
        for (const auto& tag : uri.tags()) {
            tags += (tags.empty() ? "'" : ", '") + tag + "'";
        }
        throw NamingError("no registrations available with desired metadata properties {" + tags +
                          "}");
    }
    thread_local std::mt19937 engine{std::random_device{}()};
    std::uniform_int_distribution<std::size_t> pick(0, candidates.size() - 1);
    return Uri::parse(candidates[pick(engine)].uri);
}

} // namespace pyro
