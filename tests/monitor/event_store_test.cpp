// The monitor's event ring: what it keeps, what it refuses, and that it stays bounded.
#include "monitor/event_store.hpp"

#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace {

using pyro::monitor::EventStore;
using pyro::monitor::EventStoreLimits;

std::string datagram(int seq, const std::string& extra = "") {
    return R"({"v":1,"process":"echo-client","pid":42,"role":"proxy","dir":"out",)"
           R"("local":"127.0.0.1:50000","peer":"127.0.0.1:9090","type":"MSG_INVOKE",)"
           R"("flags":0,"flag_names":"0","seq":)" +
           std::to_string(seq) + R"(,"serializer":"json","size":100,"time":1.5)" + extra + "}";
}

std::uint64_t id_of(const std::string& event) {
    return boost::json::parse(event).as_object().at("id").to_number<std::uint64_t>();
}

TEST(EventStore, KeepsEventsWithIdsAndTheReceivedTime) {
    EventStore store;
    EXPECT_EQ(store.add(datagram(1, R"x(,"method":"echo","args":"('hi',)")x"), 7.0), 1u);
    EXPECT_EQ(store.add(datagram(2), 8.0), 2u);
    const auto events = store.since(0, 100);
    ASSERT_EQ(events.size(), 2u);
    const auto first = boost::json::parse(events[0]).as_object();
    EXPECT_EQ(first.at("id").to_number<std::uint64_t>(), 1u);
    EXPECT_EQ(first.at("received").as_double(), 7.0);
    EXPECT_EQ(first.at("method").as_string(), "echo");
    EXPECT_EQ(first.at("seq").as_int64(), 1);
}

TEST(EventStore, SinceReturnsOnlyNewerEventsUpToTheLimit) {
    EventStore store;
    for (int i = 1; i <= 10; ++i) {
        store.add(datagram(i), 0.0);
    }
    auto events = store.since(7, 100);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(id_of(events[0]), 8u);
    EXPECT_EQ(id_of(events[2]), 10u);
    events = store.since(2, 3);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(id_of(events[0]), 3u);
    EXPECT_TRUE(store.since(10, 100).empty());
    EXPECT_TRUE(store.since(1000, 100).empty());

    const auto page = boost::json::parse(store.since_json(2, 3)).as_object();
    EXPECT_EQ(page.at("events").as_array().size(), 3u);
    EXPECT_TRUE(page.at("more").as_bool());
    EXPECT_EQ(page.at("stats").as_object().at("last_id").to_number<std::uint64_t>(), 10u);
}

TEST(EventStore, RingKeepsOnlyTheLastCapacityEvents) {
    EventStoreLimits limits;
    limits.capacity = 100;
    EventStore store(limits);
    for (int i = 1; i <= 1000; ++i) {
        store.add(datagram(i % 60000), 0.0);
    }
    const auto stats = store.stats();
    EXPECT_EQ(stats.accepted, 1000u);
    EXPECT_EQ(stats.evicted, 900u);
    EXPECT_EQ(stats.first_id, 901u);
    EXPECT_EQ(stats.last_id, 1000u);
    const auto events = store.since(0, 100000);
    ASSERT_EQ(events.size(), 100u);
    EXPECT_EQ(id_of(events.front()), 901u);
    // Asking from an id that was evicted gives what is left, from the oldest kept.
    EXPECT_EQ(id_of(store.since(500, 1).front()), 901u);
}

TEST(EventStore, RingIsAlsoBoundedInBytes) {
    EventStoreLimits limits;
    limits.capacity = 1'000'000;
    limits.max_bytes = 50'000;
    EventStore store(limits);
    const std::string big(4000, 'x');
    for (int i = 0; i < 1000; ++i) {
        store.add(datagram(i, R"(,"args":")" + big + "\""), 0.0);
    }
    EXPECT_LE(store.stats().bytes, 50'000u);
    EXPECT_GT(store.stats().evicted, 900u);
}

TEST(EventStore, HostileDatagramsAreCountedAndIgnored) {
    EventStoreLimits limits;
    limits.max_datagram_size = 2000;
    EventStore store(limits);
    const std::string hostile[] = {
        "",
        "not json",
        "[1,2,3]",
        "{}",
        R"({"v":2,"process":"x"})",
        datagram(1).substr(0, 40),                                   // cut off
        datagram(1, R"(,"args":")" + std::string(3000, 'a') + "\""), // too large
        datagram(1, R"(,"method":42)"),                              // a decoded field not a text
        R"({"v":1,"process":"x","pid":-1,"local":"a","peer":"b","type":"t","seq":1,"size":1,)"
        R"("flags":0,"time":1,"dir":"out"})", // negative pid
        R"({"v":1,"process":"x","pid":1,"local":"a","peer":"b","type":"t","seq":1,"size":1,)"
        R"("flags":0,"time":1,"dir":"sideways"})",         // no such direction
        std::string("{\"v\":1,\"process\":\"\xff\xfe\"}"), // invalid UTF-8
        std::string(100, '[') + std::string(100, ']'),     // deep nesting
    };
    for (const auto& text : hostile) {
        EXPECT_EQ(store.add(text, 0.0), 0u) << text.substr(0, 80);
    }
    EXPECT_EQ(store.stats().rejected, std::size(hostile));
    EXPECT_EQ(store.stats().accepted, 0u);
    EXPECT_TRUE(store.since(0, 10).empty());
    // A good one still gets id 1: rejected datagrams use no ids.
    EXPECT_EQ(store.add(datagram(1), 0.0), 1u);
}

} // namespace
