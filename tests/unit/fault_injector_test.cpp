// PYRO_FAULTS: the spec's grammar, one generator per connection, and each kind of fault.
#include <vector>

#include <gtest/gtest.h>

#include "fault_injector.hpp"
#include "pyro/config.hpp"
#include "pyro/errors.hpp"

namespace pyro::detail {
namespace {

using namespace std::chrono_literals;

std::vector<FaultDecision> decisions(const FaultSpec& spec, std::uint64_t ordinal, int count,
                                     bool may_cut = true) {
    FaultConnection connection(spec, ordinal, may_cut);
    std::vector<FaultDecision> out;
    for (int i = 0; i < count; ++i) {
        out.push_back(connection.next());
    }
    return out;
}

std::string pattern(const std::vector<FaultDecision>& list) {
    std::string text;
    for (const auto& decision : list) {
        text += decision.describe() + ";";
    }
    return text;
}

TEST(FaultSpec, ParsesEveryPart) {
    const FaultSpec spec =
        parse_fault_spec("seed=42,drop=0.1,delay=20-200ms,dup=0.05,close-after=3");
    EXPECT_EQ(spec.seed, 42u);
    EXPECT_DOUBLE_EQ(spec.drop, 0.1);
    EXPECT_DOUBLE_EQ(spec.dup, 0.05);
    EXPECT_EQ(spec.delay_min, 20ms);
    EXPECT_EQ(spec.delay_max, 200ms);
    EXPECT_EQ(spec.close_after, 3u);
    EXPECT_EQ(parse_fault_spec(" delay=50ms , seed=1 ").delay_min, 50ms);
    EXPECT_EQ(parse_fault_spec(" delay=50ms , seed=1 ").delay_max, 50ms);
    EXPECT_EQ(parse_fault_spec(""), FaultSpec{});
}

TEST(FaultSpec, BadPartIsNamed) {
    const auto message = [](const char* text) {
        try {
            (void)parse_fault_spec(text);
        } catch (const PyroError& error) {
            return std::string(error.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message("seed=1,drop=2"),
              "PYRO_FAULTS='seed=1,drop=2': bad part 'drop=2': drop must be a probability from 0 "
              "to 1, e.g. drop=0.1");
    EXPECT_NE(message("loss=0.1").find("bad part 'loss=0.1': unknown fault 'loss'"),
              std::string::npos);
    EXPECT_NE(message("delay=200-20ms").find("bad part 'delay=200-20ms'"), std::string::npos);
    EXPECT_NE(message("close-after=0").find("bad part 'close-after=0'"), std::string::npos);
    EXPECT_NE(message("seed").find("bad part 'seed'"), std::string::npos);
    EXPECT_NE(message("seed=x").find("bad part 'seed=x'"), std::string::npos);
}

TEST(FaultSpec, ConfigReadsAndChecksPyroFaults) {
    const auto lookup = [](const char* value) {
        return [value](std::string_view name) -> std::optional<std::string> {
            if (name == "PYRO_FAULTS") {
                return std::string(value);
            }
            return std::nullopt;
        };
    };
    EXPECT_EQ(Config::from_environment(lookup("seed=3,drop=0.5")).faults, "seed=3,drop=0.5");
    EXPECT_THROW((void)Config::from_environment(lookup("drop=lots")), PyroError);
    EXPECT_EQ(FaultInjector::from_config(Config{}), nullptr);
}

TEST(FaultConnection, SameSeedAndOrdinalSameFaults) {
    const FaultSpec spec = parse_fault_spec("seed=42,drop=0.3,dup=0.3,delay=1-100ms");
    EXPECT_EQ(pattern(decisions(spec, 5, 200)), pattern(decisions(spec, 5, 200)));
    // Another ordinal or seed gives another sequence.
    EXPECT_NE(pattern(decisions(spec, 5, 200)), pattern(decisions(spec, 6, 200)));
    FaultSpec other = spec;
    other.seed = 43;
    EXPECT_NE(pattern(decisions(spec, 5, 200)), pattern(decisions(other, 5, 200)));
}

TEST(FaultConnection, GeneratorIsSeedPlusOrdinal) {
    // The contract the handout relies on: connection k of seed s is connection 0 of seed s + k.
    const FaultSpec a = parse_fault_spec("seed=40,drop=0.5");
    const FaultSpec b = parse_fault_spec("seed=42,drop=0.5");
    EXPECT_EQ(pattern(decisions(a, 2, 100)), pattern(decisions(b, 0, 100)));
}

TEST(FaultConnection, DropRateFollowsTheSpec) {
    const auto dropped = [](const char* text) {
        int count = 0;
        for (const auto& decision : decisions(parse_fault_spec(text), 0, 10000)) {
            count += decision.drop ? 1 : 0;
        }
        return count;
    };
    EXPECT_EQ(dropped("seed=1"), 0);
    EXPECT_EQ(dropped("seed=1,drop=1"), 10000);
    EXPECT_NEAR(dropped("seed=1,drop=0.1"), 1000, 150);
}

TEST(FaultConnection, DuplicatesButNeverADroppedMessage) {
    int duplicated = 0;
    for (const auto& decision : decisions(parse_fault_spec("seed=9,dup=0.25,drop=0.5"), 0, 8000)) {
        EXPECT_FALSE(decision.drop && decision.duplicate);
        duplicated += decision.duplicate ? 1 : 0;
    }
    EXPECT_NEAR(duplicated, 1000, 150); // 0.25 of the half that is not dropped
}

TEST(FaultConnection, DelaysStayInTheRange) {
    auto lowest = 1000ms;
    auto highest = 0ms;
    for (const auto& decision : decisions(parse_fault_spec("seed=7,delay=20-200ms"), 0, 5000)) {
        lowest = std::min(lowest, decision.delay);
        highest = std::max(highest, decision.delay);
    }
    EXPECT_EQ(lowest, 20ms);
    EXPECT_EQ(highest, 200ms);
    for (const auto& decision : decisions(parse_fault_spec("delay=30ms"), 0, 10)) {
        EXPECT_EQ(decision.delay, 30ms);
        EXPECT_EQ(decision.describe(), "delay 30ms");
    }
}

TEST(FaultConnection, CloseAfterCutsTheNthMessageOfTheFirstConnectionOnly) {
    const FaultSpec spec = parse_fault_spec("close-after=3");
    const auto first = decisions(spec, 0, 6, /*may_cut=*/true);
    for (std::size_t i = 0; i < first.size(); ++i) {
        EXPECT_EQ(first[i].cut, i == 2) << i;
    }
    EXPECT_EQ(first[2].describe(), "close-after");
    for (const auto& decision : decisions(spec, 1, 6, /*may_cut=*/false)) {
        EXPECT_FALSE(decision.any());
    }
    const FaultInjector injector(spec);
    FaultConnection a = injector.open();
    FaultConnection b = injector.open();
    (void)a.next(), (void)a.next();
    (void)b.next(), (void)b.next();
    EXPECT_TRUE(a.next().cut);
    EXPECT_FALSE(b.next().cut);
    EXPECT_EQ(b.ordinal(), a.ordinal() + 1);
}

} // namespace
} // namespace pyro::detail
