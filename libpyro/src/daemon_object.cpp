// The Pyro.Daemon object every daemon serves (PYRO4-WIRE.md §7.1), with Pyro4's method names
// and parameter names, so Python clients can call it too.
#include <optional>
#include <string>
#include <vector>

#include "daemon_impl.hpp"
#include "pyro/errors.hpp"

namespace pyro {

class Daemon::Impl::Object {
public:
    explicit Object(Daemon::Impl& daemon) : daemon_(daemon) {}
    void ping() const noexcept {}
    std::string info() const;
    std::vector<std::string> registered() const;
    Value get_metadata(const std::string& object_id, std::optional<bool> as_lists) const;
    // Item streams (§5.9, daemon_streams.hpp); the caller's connection adopts a lingering stream.
    Value get_next_stream_item(const std::string& stream_id) const {
        const detail::StreamCall* call = detail::StreamCall::current();
        return daemon_.streams.next(stream_id, call ? call->connection : nullptr);
    }
    void close_stream(const std::string& stream_id) const { daemon_.streams.close(stream_id); }

private:
    Daemon::Impl& daemon_;
};

std::string Daemon::Impl::Object::info() const {
    const std::size_t count = registered().size();
    return "Pyro.Daemon bound on " + daemon_.bound_location + ", NAT " +
           (daemon_.advertised_location == daemon_.bound_location ? "None"
                                                                  : daemon_.advertised_location) +
           ", " + std::to_string(count) + " objects registered. Servertype: libpyro asio (" +
           std::to_string(daemon_.connection_count.load()) + " connections)";
}

std::vector<std::string> Daemon::Impl::Object::registered() const {
    const std::lock_guard lock(daemon_.objects_mutex);
    return daemon_.order;
}

Value Daemon::Impl::Object::get_metadata(const std::string& object_id,
                                         std::optional<bool> as_lists) const {
    const auto entry = daemon_.find(object_id);
    if (!entry) {
        throw DaemonError("unknown object");
    }
    return detail::metadata_to_value(entry->interface.metadata(), as_lists.value_or(false));
}

void Daemon::Impl::register_daemon_object(Daemon& daemon) {
    daemon.register_object(
        std::make_shared<Object>(*this),
        methods<Object>()
            .expose("close_stream", &Object::close_stream, {"streamId"})
            .expose("registered", &Object::registered)
            .expose("get_next_stream_item", &Object::get_next_stream_item, {"streamId"})
            .expose("ping", &Object::ping)
            .expose("get_metadata", &Object::get_metadata, {"objectId", "as_lists"})
            .expose("info", &Object::info),
        "Pyro.Daemon");
}

} // namespace pyro
