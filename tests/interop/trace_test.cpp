// PYRO_TRACE=1: a client and a server process print every frame they send or receive on stderr,
// each frame as one block — a header line (direction, peer, type, seq, flags, serializer, size,
// annotations) and the payload text indented below it — never torn apart by other output.
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "interop/peers.hpp"

namespace pyro::test {
namespace {

using namespace std::chrono_literals;

struct Frame {
    std::string direction; // "-->" sent, "<--" received
    std::string peer;
    std::string type;
    int seq = -1;
    std::string flags;
    std::string serializer;
    std::string payload;
};

// Splits a trace into frames; every line must belong to a block: a header line followed by one
// indented payload line (json and serpent payloads are single lines).
std::vector<Frame> parse_trace(const std::string& text, std::string& problem) {
    static const std::regex header(
        "^pyro trace (-->|<--) (\\S+)  (MSG_[A-Z]+) seq=(\\d+)(?: flags=(\\S+))? "
        "(json|serpent|marshal) (\\d+) bytes((?: [A-Z]{4})*)$");
    std::vector<Frame> frames;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::smatch match;
        if (!std::regex_match(line, match, header)) {
            problem = "not a frame header: '" + line + "'";
            return frames;
        }
        Frame frame{match[1], match[2], match[3], std::stoi(match[4]), match[5], match[6], {}};
        std::string payload;
        if (!std::getline(lines, payload) || !payload.starts_with("    ")) {
            problem = "frame '" + line + "' has no indented payload line, got '" + payload + "'";
            return frames;
        }
        frame.payload = payload.substr(4);
        frames.push_back(std::move(frame));
    }
    return frames;
}

std::string summary(const std::vector<Frame>& frames) {
    std::string out;
    for (const auto& f : frames) {
        out += f.direction + " " + f.type + " seq=" + std::to_string(f.seq) + " " + f.serializer +
               "\n";
    }
    return out;
}

struct Call {
    std::string serializer;
    std::string method;
    std::string argument;
};

TEST(Trace, EveryFrameIsOneBlockOnBothSides) {
    Peer server = start_interop_server({{"PYRO_TRACE", "1"}});
    ASSERT_FALSE(server.uri.empty());

    const std::vector<Call> calls{
        {"json", "echo", "trace message 0: h\xc3\xa9llo 'quoted'"},
        {"serpent", "echo", "trace message 1: h\xc3\xa9llo 'quoted'"},
        {"json", "echo", "trace message 2"},
        {"serpent", "echo", "trace message 3"},
        {"serpent", "fail_value", "trace failure 4"},
    };
    // The clients run at the same time, so the server's trace has their frames interleaved.
    std::vector<std::unique_ptr<ChildProcess>> clients;
    for (const auto& call : calls) {
        clients.push_back(std::make_unique<ChildProcess>(
            std::vector<std::string>{INTEROP_CLIENT, server.uri, call.method, call.argument},
            ChildProcess::Environment{{"PYRO_TRACE", "1"},
                                      {"PYRO_SERIALIZER", call.serializer},
                                      {"PYRO_COMMTIMEOUT", "20"}}));
    }

    for (std::size_t i = 0; i < calls.size(); ++i) {
        ChildProcess& client = *clients[i];
        const Call& call = calls[i];
        const bool fails = call.method == "fail_value";
        EXPECT_EQ(client.wait(20s), fails ? 1 : 0) << client.describe();
        std::string stderr_text = client.read_all(Stream::Stderr, 10s);
        if (fails) {
            // The client's own one-line error follows the trace.
            const std::string error_line = "interop_client: " + call.argument + "\n";
            ASSERT_TRUE(stderr_text.ends_with(error_line)) << client.describe();
            stderr_text.resize(stderr_text.size() - error_line.size());
        }
        std::string problem;
        const auto frames = parse_trace(stderr_text, problem);
        ASSERT_TRUE(problem.empty()) << problem << "\n" << client.describe();
        ASSERT_EQ(frames.size(), 4u) << summary(frames) << client.describe();
        const std::vector<std::pair<std::string, std::string>> expected{{"-->", "MSG_CONNECT"},
                                                                        {"<--", "MSG_CONNECTOK"},
                                                                        {"-->", "MSG_INVOKE"},
                                                                        {"<--", "MSG_RESULT"}};
        for (std::size_t f = 0; f < frames.size(); ++f) {
            EXPECT_EQ(frames[f].direction, expected[f].first) << summary(frames);
            EXPECT_EQ(frames[f].type, expected[f].second) << summary(frames);
            EXPECT_EQ(frames[f].seq, f < 2 ? 0 : 1) << summary(frames);
            EXPECT_EQ(frames[f].serializer, call.serializer) << summary(frames);
            EXPECT_EQ(frames[f].peer, frames[0].peer);
        }
        EXPECT_EQ(frames[0].flags, "FLAGS_META_ON_CONNECT");
        EXPECT_NE(frames[0].payload.find("interop.server"), std::string::npos);
        EXPECT_NE(frames[1].payload.find("fail_value"), std::string::npos); // the metadata
        EXPECT_NE(frames[2].payload.find(call.method), std::string::npos);
        EXPECT_NE(frames[2].payload.find(call.argument), std::string::npos) << frames[2].payload;
        EXPECT_NE(frames[3].payload.find(call.argument), std::string::npos) << frames[3].payload;
        EXPECT_EQ(frames[3].flags, fails ? "FLAGS_EXCEPTION" : "");
    }

    EXPECT_EQ(server.process->terminate(), 0) << server.process->describe();
    std::string problem;
    const auto frames = parse_trace(server.process->read_all(Stream::Stderr, 10s), problem);
    ASSERT_TRUE(problem.empty()) << problem << "\n" << server.process->describe();
    // Per connection, in order: CONNECT in, CONNECTOK out, INVOKE in, RESULT out.
    std::map<std::string, std::vector<Frame>> by_peer;
    for (const auto& frame : frames) {
        by_peer[frame.peer].push_back(frame);
    }
    ASSERT_EQ(by_peer.size(), calls.size()) << summary(frames);
    std::vector<bool> seen(calls.size(), false);
    for (const auto& [peer, connection] : by_peer) {
        ASSERT_EQ(connection.size(), 4u) << peer << "\n" << summary(connection);
        EXPECT_EQ(connection[0].direction + connection[0].type, "<--MSG_CONNECT");
        EXPECT_EQ(connection[1].direction + connection[1].type, "-->MSG_CONNECTOK");
        EXPECT_EQ(connection[2].direction + connection[2].type, "<--MSG_INVOKE");
        EXPECT_EQ(connection[3].direction + connection[3].type, "-->MSG_RESULT");
        for (std::size_t i = 0; i < calls.size(); ++i) {
            if (connection[2].payload.find(calls[i].argument) != std::string::npos) {
                seen[i] = true;
                EXPECT_EQ(connection[2].serializer, calls[i].serializer);
                EXPECT_NE(connection[3].payload.find(calls[i].argument), std::string::npos);
            }
        }
    }
    EXPECT_EQ(seen, std::vector<bool>(calls.size(), true)) << summary(frames);
}

TEST(Trace, OffByDefault) {
    // Explicitly off, whatever the environment running the tests says.
    Peer server = start_interop_server({{"PYRO_TRACE", "0"}});
    ASSERT_FALSE(server.uri.empty());
    ChildProcess client({INTEROP_CLIENT, server.uri, "greet", "quiet"}, {{"PYRO_TRACE", "0"}});
    EXPECT_EQ(client.wait(20s), 0) << client.describe();
    EXPECT_EQ(client.read_all(Stream::Stdout, 10s), "'Hello, quiet!'\n");
    EXPECT_EQ(client.read_all(Stream::Stderr, 10s), "");
    EXPECT_EQ(server.process->terminate(), 0);
    EXPECT_EQ(server.process->read_all(Stream::Stderr, 10s), "");
}

} // namespace
} // namespace pyro::test
