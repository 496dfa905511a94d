#include "pyro/name_server.hpp"

#include <chrono>
#include <random>

#include <boost/asio.hpp>

#include "net.hpp"
#include "pyro/errors.hpp"

namespace pyro {

namespace asio = boost::asio;

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

bool is_loopback_host(const std::string& host) {
    return host == "localhost" || host == "::1" || host.starts_with("127.");
}

Uri ns_uri(const std::string& host, int port) {
    if (host.starts_with("./u:")) {
        return Uri::unix_socket("Pyro.NameServer", host.substr(4));
    }
    return Uri::pyro("Pyro.NameServer", host, port);
}

// A name server at a known address, bound (handshake done) so a failure shows here.
std::optional<NameServer> try_direct(const Uri& uri, const Config& config) {
    try {
        Proxy proxy(uri, config);
        proxy.bind();
        return NameServer(std::move(proxy));
    } catch (const PyroError&) {
        // Not a name server there (refused, wrong object, bad handshake): look further, as
        // Pyro4's locateNS does.
        return std::nullopt;
    }
}

// §8.2 step 2: up to three rounds of GET_NSURI to every broadcast address, 0.7 s each.
std::optional<Uri> broadcast_lookup(const Config& config, int port) {
    asio::io_context io;
    asio::ip::udp::socket socket(io);
    boost::system::error_code error;
    socket.open(asio::ip::udp::v4(), error);
    if (error) {
        return std::nullopt;
    }
    socket.set_option(asio::socket_base::broadcast(true), error);
    socket.set_option(asio::socket_base::reuse_address(true), error);
    std::vector<asio::ip::udp::endpoint> targets;
    for (const auto& address : config.broadcast_addrs) {
        const std::string name = address == "<broadcast>" ? "255.255.255.255"
                                 : address.empty()        ? "0.0.0.0"
                                                          : address;
        const auto ip = asio::ip::make_address_v4(name, error);
        if (!error) {
            targets.emplace_back(ip, static_cast<unsigned short>(port));
        }
    }
    static constexpr std::string_view request = "GET_NSURI";
    for (int round = 0; round < 3; ++round) {
        for (const auto& target : targets) {
            socket.send_to(asio::buffer(request), target, 0, error); // unreachable: ignored
        }
        std::array<char, 100> reply{}; // Pyro4 reads at most 100 bytes (§8.2)
        asio::ip::udp::endpoint sender;
        std::size_t received = 0;
        bool done = false;
        socket.async_receive_from(asio::buffer(reply), sender,
                                  [&](const boost::system::error_code& e, std::size_t n) {
                                      done = !e;
                                      received = n;
                                  });
        io.restart();
        io.run_for(std::chrono::milliseconds(700));
        if (!io.stopped()) {
            socket.cancel(error);
            io.restart();
            io.run();
        }
        if (done) {
            try {
                return Uri::parse(std::string(reply.data(), received));
            } catch (const PyroError&) {
                // Not a name server's answer; try the next round.
            }
        }
    }
    return std::nullopt;
}

[[noreturn]] void not_found(const std::vector<std::string>& tried) {
    std::string places;
    for (std::size_t i = 0; i < tried.size(); ++i) {
        places += (i == 0 ? "" : ", ") + tried[i];
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
    return uri_from_value(proxy_.invoke("lookup", {Value(name)}));
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
    std::vector<std::string> tried;
    if (host) {
        const Uri uri = ns_uri(*host, port.value_or(config.ns_port));
        if (auto ns = try_direct(uri, config)) {
            return std::move(*ns);
        }
        not_found({uri.location()});
    }
    if (is_loopback_host(config.ns_host)) {
        const Uri uri = ns_uri(config.ns_host, port.value_or(config.ns_port));
        tried.push_back(uri.location());
        if (auto ns = try_direct(uri, config)) {
            return std::move(*ns);
        }
    }
    if (config.prefer_ip_version != 6 && !config.broadcast_addrs.empty()) {
        const int bcport = port.value_or(config.ns_bcport);
        tried.push_back("UDP broadcast port " + std::to_string(bcport));
        if (const auto found = broadcast_lookup(config, bcport)) {
            return NameServer(Proxy(*found, config));
        }
    }
    const Uri uri = ns_uri(config.ns_host, config.ns_port);
    if (std::find(tried.begin(), tried.end(), uri.location()) == tried.end()) {
        tried.push_back(uri.location());
        if (auto ns = try_direct(uri, config)) {
            return std::move(*ns);
        }
    }
    not_found(tried);
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
