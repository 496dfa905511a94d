#include "fault_injector.hpp"

#include <charconv>
#include <cmath>

#include "pyro/errors.hpp"
#include "split_commas.hpp"

namespace pyro::detail {

namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

template <class Number>
bool parse_number(std::string_view text, Number& out) {
    const auto* end = text.data() + text.size();
    const auto [ptr, error] = std::from_chars(text.data(), end, out);
    return error == std::errc() && ptr == end && !text.empty();
}

bool parse_milliseconds(std::string_view text, std::chrono::milliseconds& out) {
    std::uint32_t count = 0;
    if (!parse_number(text, count)) {
        return false;
    }
    out = std::chrono::milliseconds(count);
    return true;
}

} // namespace

FaultSpec parse_fault_spec(std::string_view text) {
    FaultSpec spec;
    for (const std::string& raw : split_commas(text)) {
        const std::string_view part = trim(raw);
        if (part.empty()) {
            continue;
        }
        const auto bad = [&](std::string_view why) {
            throw PyroError("PYRO_FAULTS='" + std::string(text) + "': bad part '" +
                            std::string(part) + "': " + std::string(why));
        };
        const auto equals = part.find('=');
        if (equals == std::string_view::npos) {
            bad("expected NAME=VALUE with NAME one of seed, drop, dup, delay, close-after");
        }
        const std::string_view name = trim(part.substr(0, equals));
        const std::string_view value = trim(part.substr(equals + 1));
        if (name == "seed") {
            if (!parse_number(value, spec.seed)) {
                bad("seed must be a whole number, e.g. seed=42");
            }
        } else if (name == "drop" || name == "dup") {
            double probability = 0;
            if (!parse_number(value, probability) || !(probability >= 0 && probability <= 1)) {
                bad(std::string(name) + " must be a probability from 0 to 1, e.g. " +
                    std::string(name) + "=0.1");
            }
            (name == "drop" ? spec.drop : spec.dup) = probability;
        } else if (name == "delay") {
            std::string_view range = value;
            if (range.ends_with("ms")) {
                range.remove_suffix(2);
            }
            const auto dash = range.find('-');
            const std::string_view low = range.substr(0, dash);
            const std::string_view high =
                dash == std::string_view::npos ? low : range.substr(dash + 1);
            if (!parse_milliseconds(low, spec.delay_min) ||
                !parse_milliseconds(high, spec.delay_max) || spec.delay_min > spec.delay_max) {
                bad("delay must be MIN-MAXms or MSms, e.g. delay=20-200ms");
            }
        } else if (name == "close-after") {
            if (!parse_number(value, spec.close_after) || spec.close_after == 0) {
                bad("close-after must be a message count from 1, e.g. close-after=3");
            }
        } else {
            bad("unknown fault '" + std::string(name) +
                "'; expected seed, drop, dup, delay or close-after");
        }
    }
    return spec;
}

std::string FaultDecision::describe() const {
    if (cut) {
        return "close-after";
    }
    if (drop) {
        return "drop";
    }
    std::string text;
    if (duplicate) {
        text = "dup";
    }
    if (delay.count() > 0) {
        text += (text.empty() ? "delay " : "+delay ") + std::to_string(delay.count()) + "ms";
    }
    return text;
}

FaultConnection::FaultConnection(const FaultSpec& spec, std::uint64_t ordinal, bool may_cut)
    : spec_(spec), ordinal_(ordinal), may_cut_(may_cut), random_(spec.seed + ordinal) {}

double FaultConnection::uniform() {
    return static_cast<double>(random_() >> 11U) * 0x1.0p-53;
}

FaultDecision FaultConnection::next() {
    ++count_;
    // Always three draws per message, whatever the outcome, so a message's fate depends only on
    // its position in the connection.
    const double drop_draw = uniform();
    const double dup_draw = uniform();
    const double delay_draw = uniform();
    FaultDecision decision;
    if (may_cut_ && spec_.close_after != 0 && count_ == spec_.close_after) {
        decision.cut = true;
        return decision;
    }
    if (drop_draw < spec_.drop) {
        decision.drop = true;
        return decision;
    }
    decision.duplicate = dup_draw < spec_.dup;
    if (spec_.delay_max.count() > 0) {
        const auto span =
            static_cast<double>(spec_.delay_max.count() - spec_.delay_min.count() + 1);
        decision.delay =
            spec_.delay_min +
            std::chrono::milliseconds(static_cast<std::int64_t>(std::floor(delay_draw * span)));
    }
    return decision;
}

void log_fault(const Logger& log, const FaultConnection& connection, const FaultDecision& fault,
               bool sent, const Message& message, std::string_view peer) {
    log.warning("PYRO_FAULTS: ", fault.describe(), sent ? " sent " : " received ",
                message_type_name(message.type), " seq=", message.seq, sent ? " to " : " from ",
                peer, " (connection ", connection.ordinal(), ", message ", connection.count(), ")");
}

std::shared_ptr<const FaultInjector> FaultInjector::from_config(const Config& config) {
    if (config.faults.empty()) {
        return nullptr;
    }
    return std::make_shared<const FaultInjector>(parse_fault_spec(config.faults));
}

FaultConnection FaultInjector::open() const {
    const bool first = !opened_.exchange(true);
    return FaultConnection(spec_, next_fault_connection_ordinal(), first);
}

std::uint64_t next_fault_connection_ordinal() noexcept {
    static std::atomic<std::uint64_t> next{0};
    return next.fetch_add(1);
}

} // namespace pyro::detail
