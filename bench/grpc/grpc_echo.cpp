// pyro-grpc-echo — gRPC C++ unary echo, the reference row of ./labkit bench (built only where
// Debian's gRPC C++ is installed: ./labkit bench --peers).
//
//   pyro-grpc-echo --server --port PORT                 serves Echo on 127.0.0.1:PORT
//   pyro-grpc-echo --port PORT --seconds T [--message M]
//                                                       one channel, synchronous unary calls for
//                                                       T seconds; prints pyro-load's JSON report
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "echo.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    bool server = false;
    int port = 0;
    double seconds = 1.0;
    std::string message = "hello";
};

[[noreturn]] void usage_error(const std::string& what) {
    std::cerr << "pyro-grpc-echo: " << what << "\n"
              << "usage: pyro-grpc-echo --server --port PORT\n"
                 "       pyro-grpc-echo --port PORT [--seconds T] [--message TEXT]\n";
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--server") {
            o.server = true;
            continue;
        }
        if (i + 1 >= argc) {
            usage_error(arg + " needs a value");
        }
        const std::string value = argv[++i];
        try {
            if (arg == "--port") {
                o.port = std::stoi(value);
            } else if (arg == "--seconds") {
                o.seconds = std::stod(value);
            } else if (arg == "--message") {
                o.message = value;
            } else {
                usage_error("unknown option " + arg);
            }
        } catch (const std::logic_error&) {
            usage_error("bad value for " + arg + ": " + value);
        }
    }
    if (o.port <= 0 || o.port > 65535) {
        usage_error("--port must be 1..65535");
    }
    return o;
}

class EchoService final : public pyrobench::Echo::Service {
    grpc::Status Echo(grpc::ServerContext*, const pyrobench::EchoMessage* request,
                      pyrobench::EchoMessage* reply) override {
        reply->set_message(request->message());
        return grpc::Status::OK;
    }
};

int serve(const Options& o) {
    EchoService service;
    grpc::ServerBuilder builder;
    const std::string address = "127.0.0.1:" + std::to_string(o.port);
    builder.AddListeningPort(address, grpc::InsecureServerCredentials());
    builder.RegisterService(&service);
    const std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server) {
        std::cerr << "pyro-grpc-echo: cannot listen on " << address << "\n";
        return 1;
    }
    std::cout << "grpc echo server on " << address << std::endl;
    server->Wait(); // until the bench stops this process
    return 0;
}

int load(const Options& o) {
    const auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(o.port),
                                             grpc::InsecureChannelCredentials());
    const auto stub = pyrobench::Echo::NewStub(channel);
    pyrobench::EchoMessage request;
    request.set_message(o.message);
    pyrobench::EchoMessage reply;
    std::string error;
    const auto call = [&] {
        grpc::ClientContext context;
        const grpc::Status status = stub->Echo(&context, request, &reply);
        if (!status.ok()) {
            error = status.error_message();
        }
        return status.ok();
    };
    call(); // connect before the clock starts
    std::vector<std::uint32_t> latencies;
    latencies.reserve(1 << 16);
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(o.seconds));
    for (auto begin = start; error.empty() && begin < deadline;) {
        if (!call()) {
            break;
        }
        const auto end = Clock::now();
        latencies.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(end - begin).count()));
        begin = end;
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const auto percentile = [&](double p) {
        if (latencies.empty()) {
            return 0.0;
        }
        const auto index = static_cast<std::size_t>(p * static_cast<double>(latencies.size() - 1));
        std::nth_element(latencies.begin(), latencies.begin() + static_cast<std::ptrdiff_t>(index),
                         latencies.end());
        return static_cast<double>(latencies[index]) / 1000.0;
    };
    const double calls = static_cast<double>(latencies.size());
    const double p50 = percentile(0.50);
    const double p99 = percentile(0.99);
    for (char& ch : error) {
        ch = (ch == '"' || ch == '\\') ? ' ' : ch;
    }
    std::printf("{\"mode\":\"grpc-echo\",\"connections\":1,\"seconds\":%.3f,\"calls\":%zu,"
                "\"calls_per_s\":%.1f,\"p50_us\":%.2f,\"p99_us\":%.2f,\"mb_per_s\":0,"
                "\"errors\":%d,\"error\":\"%s\"}\n",
                elapsed, latencies.size(), calls / elapsed, p50, p99, error.empty() ? 0 : 1,
                error.c_str());
    return error.empty() ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    return o.server ? serve(o) : load(o);
}
