// The server processes the interop tests talk to, started on free 127.0.0.1 ports. Each returns
// the running process and the URI it printed; a server that does not come up fails the test
// with its output.
#pragma once

#include <memory>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/python.hpp"
#include "support/vectors.hpp"

namespace pyro::test {

struct Peer {
    std::unique_ptr<ChildProcess> process;
    std::string uri; // empty when the server did not start
};

inline Peer start_peer(std::vector<std::string> argv, ChildProcess::Environment env,
                       const std::regex& uri_line) {
    Peer peer;
    peer.process = std::make_unique<ChildProcess>(std::move(argv), std::move(env));
    if (const auto match =
            peer.process->wait_for_match(uri_line, std::chrono::seconds(20), Stream::Stdout)) {
        peer.uri = (*match)[1];
    } else {
        ADD_FAILURE() << "server did not print its URI: " << peer.process->describe();
    }
    return peer;
}

// libpyro's interop_server (interop_server.cpp): the URI of interop.server.
inline Peer start_interop_server(ChildProcess::Environment env = {}) {
    return start_peer({INTEROP_SERVER, std::to_string(free_tcp_port())}, std::move(env),
                      std::regex("^URI (PYRO:\\S+)$"));
}

// The real Pyro4 test echo server: `pyro4-test-echoserver -H 127.0.0.1 -p PORT`.
inline Peer start_echo_server() {
    return start_peer({"/usr/bin/pyro4-test-echoserver", "-H", "127.0.0.1", "-p",
                       std::to_string(free_tcp_port())},
                      python_environment(), std::regex("^echo uri: (PYRO:\\S+)$"));
}

// python_peer_server.py; `serializer` is what its callback proxies speak (PYRO_SERIALIZER).
inline Peer start_python_peer(const std::string& serializer = "serpent") {
    return start_peer(
        {python_interpreter(), std::string(INTEROP_SCRIPTS) + "/python_peer_server.py",
         std::to_string(free_tcp_port())},
        python_environment({{"PYRO_SERIALIZER", serializer}}), std::regex("^URI (PYRO:\\S+)$"));
}

} // namespace pyro::test
