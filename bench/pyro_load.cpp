// pyro-load — the kit's load generator for `./labkit bench`.
//
// Drives N connections (one thread and one libpyro proxy each) for T seconds and prints one line
// of JSON: calls done, calls per second, p50 and p99 latency in microseconds, payload MB/s, and
// the CPU time (user + system) this process spent per call while the clock ran: on a machine
// shared with other work that figure moves much less than the latencies do.
//
//   pyro-load --uri PYRO:echo@localhost:PORT --mode echo --serializer json --seconds 2
//   pyro-load --uri PYRO:Pyro.NameServer@localhost:9090 --mode lookup --connections 16
//   pyro-load --mode raw-server --port PORT            # the floor: a plain TCP echo server
//   pyro-load --mode raw --port PORT --size 110        # ping-pong of SIZE bytes against it
//
// Modes: echo (echo(message) on the object), payload (echo of --size bytes as str or bytes),
// lookup (name server lookups of --name), connect (connect + handshake + lookup + close per
// iteration), register (--count oneway registrations, then a count() to wait for them),
// raw / raw-server (plain blocking TCP, TCP_NODELAY, no protocol: the floor a call cannot beat).
//
// The raw mode uses POSIX sockets on purpose: the floor must be the cheapest loop the kernel
// allows, with nothing of libpyro's (or Asio's) machinery in it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pyro/pyro.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string mode = "echo";
    std::string uri;
    std::string serializer = "json";
    std::string name = "bench.name";
    std::string kind = "str"; // payload: str or bytes
    std::string message = "hello";
    int connections = 1;
    double seconds = 1.0;
    std::size_t size = 110;
    int port = 0;
    long count = 0;
};

[[noreturn]] void usage_error(const std::string& what) {
    std::cerr << "pyro-load: " << what << "\n"
              << "usage: pyro-load --mode echo|payload|lookup|connect|register|raw|raw-server\n"
                 "                 [--uri URI] [--serializer json|serpent] [--connections N]\n"
                 "                 [--seconds T] [--size BYTES] [--kind str|bytes] [--name NAME]\n"
                 "                 [--port PORT] [--count N] [--message TEXT]\n";
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) {
            usage_error("missing value after " + arg);
        }
        const std::string value = argv[++i];
        if (arg == "--mode") {
            o.mode = value;
        } else if (arg == "--uri") {
            o.uri = value;
        } else if (arg == "--serializer") {
            o.serializer = value;
        } else if (arg == "--name") {
            o.name = value;
        } else if (arg == "--kind") {
            o.kind = value;
        } else if (arg == "--message") {
            o.message = value;
        } else if (arg == "--connections") {
            o.connections = std::stoi(value);
        } else if (arg == "--seconds") {
            o.seconds = std::stod(value);
        } else if (arg == "--size") {
            o.size = static_cast<std::size_t>(std::stoul(value));
        } else if (arg == "--port") {
            o.port = std::stoi(value);
        } else if (arg == "--count") {
            o.count = std::stol(value);
        } else {
            usage_error("unknown option " + arg);
        }
    }
    if (o.connections < 1) {
        usage_error("--connections must be at least 1");
    }
    return o;
}

// What one connection did: a latency (nanoseconds) per completed call.
struct Worker {
    std::vector<std::uint32_t> latencies;
    std::string error;
};

pyro::Config client_config(const Options& o) {
    pyro::Config config;
    config.serializer = o.serializer;
    return config;
}

// Runs `call` in a loop until the deadline, timing each call. `prepare` runs once, untimed.
template <typename Prepare, typename Call>
void run_loop(Worker& worker, Clock::time_point deadline, std::atomic<bool>& go, Prepare prepare,
              Call call) {
    try {
        auto state = prepare();
        while (!go.load(std::memory_order_acquire)) {
            std::this_thread::yield();
        }
        worker.latencies.reserve(1 << 16);
        for (auto start = Clock::now(); start < deadline;) {
            call(state);
            const auto end = Clock::now();
            worker.latencies.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count()));
            start = end;
        }
    } catch (const std::exception& e) {
        worker.error = e.what();
    }
}

int raw_connect(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        throw std::runtime_error(std::string("raw connect: ") + std::strerror(errno));
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bool read_exactly(int fd, char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::read(fd, data, size);
        if (n <= 0) {
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n <= 0) {
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// User plus system CPU time of the whole process so far.
double process_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The floor's server: a thread per connection reading SIZE bytes and writing them back. The
// first 4 bytes a client sends are the message size, so one server serves any size.
int serve_raw(int port) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 128) != 0) {
        std::cerr << "pyro-load: raw-server: " << std::strerror(errno) << "\n";
        return 1;
    }
    std::cout << "raw echo server on 127.0.0.1:" << port << std::endl;
    for (;;) {
        const int fd = ::accept(listener, nullptr, nullptr);
        if (fd < 0) {
            continue;
        }
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::thread([fd] {
            std::uint32_t size = 0;
            if (read_exactly(fd, reinterpret_cast<char*>(&size), sizeof size)) {
                std::vector<char> buffer(size);
                while (read_exactly(fd, buffer.data(), size) &&
                       write_all(fd, buffer.data(), size)) {
                }
            }
            ::close(fd);
        }).detach();
    }
}

// The oneway registrations of --count names, spread over the connections, then one count().
int register_names(const Options& o) {
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    std::atomic<long> next{0};
    std::atomic<bool> failed{false};
    for (int c = 0; c < o.connections; ++c) {
        threads.emplace_back([&] {
            try {
                pyro::Proxy ns(o.uri, client_config(o));
                const std::string target = "PYRO:bench.object@localhost:1";
                for (long i = next++; i < o.count; i = next++) {
                    ns.invoke_oneway("register", {pyro::Value(o.name + "." + std::to_string(i)),
                                                  pyro::Value(target), pyro::Value(false)});
                }
                pyro::NameServer(std::move(ns)).ping(); // the oneways before it are done
            } catch (const std::exception& e) {
                std::cerr << "pyro-load: register: " << e.what() << "\n";
                failed = true;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    pyro::NameServer ns(pyro::Proxy(o.uri, client_config(o)));
    const int count = ns.count();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("{\"mode\":\"register\",\"count\":%d,\"seconds\":%.3f,\"per_s\":%.1f}\n", count,
                seconds, static_cast<double>(o.count) / seconds);
    return failed ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    if (o.mode == "raw-server") {
        return serve_raw(o.port);
    }
    if (o.mode == "register") {
        return register_names(o);
    }
    if (o.mode != "raw" && o.uri.empty()) {
        usage_error("--uri is required for mode " + o.mode);
    }
    pyro::Value payload(o.message);
    if (o.mode == "payload") {
        payload = o.kind == "bytes" ? pyro::Value(pyro::Bytes(o.size, 0x78))
                                    : pyro::Value(std::string(o.size, 'x'));
    }
    const pyro::Config config = client_config(o);

    std::vector<Worker> workers(static_cast<std::size_t>(o.connections));
    std::vector<std::thread> threads;
    std::atomic<bool> go{false};
    std::atomic<int> ready{0};
    const auto duration =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
    Clock::time_point deadline = Clock::time_point::max();
    std::atomic<std::int64_t> deadline_ticks{0};

    for (auto& worker : workers) {
        threads.emplace_back([&, w = &worker] {
            auto wait_deadline = [&] {
                ++ready;
                while (!go.load(std::memory_order_acquire)) {
                    std::this_thread::yield();
                }
                return Clock::time_point(Clock::duration(deadline_ticks.load()));
            };
            if (o.mode == "raw") {
                try {
                    const int fd = raw_connect(o.port);
                    const auto size = static_cast<std::uint32_t>(o.size);
                    write_all(fd, reinterpret_cast<const char*>(&size), sizeof size);
                    std::vector<char> buffer(o.size, 'x');
                    const auto end = wait_deadline();
                    std::atomic<bool> started{true};
                    run_loop(
                        *w, end, started, [] { return 0; },
                        [&](int) {
                            if (!write_all(fd, buffer.data(), buffer.size()) ||
                                !read_exactly(fd, buffer.data(), buffer.size())) {
                                throw std::runtime_error("raw connection closed");
                            }
                        });
                    ::close(fd);
                } catch (const std::exception& e) {
                    w->error = e.what();
                }
                return;
            }
            std::unique_ptr<pyro::NameServer> ns;
            std::unique_ptr<pyro::Proxy> proxy;
            try {
                if (o.mode == "lookup") {
                    ns = std::make_unique<pyro::NameServer>(pyro::Proxy(o.uri, config));
                    (void)ns->lookup(o.name); // connect and handshake before the clock starts
                } else if (o.mode != "connect") {
                    proxy = std::make_unique<pyro::Proxy>(o.uri, config);
                    (void)proxy->invoke("echo", {payload});
                }
            } catch (const std::exception& e) {
                w->error = e.what();
                ++ready;
                return;
            }
            const auto end = wait_deadline();
            std::atomic<bool> started{true};
            if (o.mode == "lookup") {
                run_loop(
                    *w, end, started, [] { return 0; }, [&](int) { (void)ns->lookup(o.name); });
            } else if (o.mode == "connect") {
                run_loop(
                    *w, end, started, [] { return 0; },
                    [&](int) {
                        pyro::NameServer fresh(pyro::Proxy(o.uri, config));
                        (void)fresh.lookup(o.name);
                    }); // the proxy closes its connection as it goes out of scope
            } else {
                run_loop(
                    *w, end, started, [] { return 0; },
                    [&](int) { (void)proxy->invoke("echo", {payload}); });
            }
        });
    }
    while (ready.load() < o.connections) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const double cpu_start = process_cpu_seconds();
    const auto start = Clock::now();
    deadline = start + duration;
    deadline_ticks = deadline.time_since_epoch().count();
    go.store(true, std::memory_order_release);
    for (auto& t : threads) {
        t.join();
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const double cpu = process_cpu_seconds() - cpu_start;

    std::vector<std::uint32_t> all;
    std::string error;
    for (const auto& w : workers) {
        all.insert(all.end(), w.latencies.begin(), w.latencies.end());
        if (error.empty() && !w.error.empty()) {
            error = w.error;
        }
    }
    auto percentile = [&](double p) {
        if (all.empty()) {
            return 0.0;
        }
        const auto index = static_cast<std::size_t>(p * static_cast<double>(all.size() - 1));
        std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(index), all.end());
        return static_cast<double>(all[index]) / 1000.0;
    };
    const double calls = static_cast<double>(all.size());
    const double p50 = percentile(0.50);
    const double p99 = percentile(0.99);
    const double bytes = o.mode == "payload" ? static_cast<double>(o.size) : 0.0;
    std::string escaped;
    for (const char ch : error) {
        escaped += (ch == '"' || ch == '\\') ? ' ' : ch;
    }
    std::printf("{\"mode\":\"%s\",\"serializer\":\"%s\",\"connections\":%d,\"seconds\":%.3f,"
                "\"calls\":%zu,\"calls_per_s\":%.1f,\"p50_us\":%.2f,\"p99_us\":%.2f,"
                "\"mb_per_s\":%.2f,\"cpu_us_per_call\":%.2f,\"errors\":%d,\"error\":\"%s\"}\n",
                o.mode.c_str(), o.serializer.c_str(), o.connections, elapsed, all.size(),
                calls / elapsed, p50, p99, calls * bytes / elapsed / 1e6,
                calls > 0 ? cpu * 1e6 / calls : 0.0, error.empty() ? 0 : 1, escaped.c_str());
    return error.empty() ? 0 : 1;
}
