// Asynchronous calls: start a slow call, do other things, collect the result later (Pyro4's
// Pyro4.asyncproxy(proxy)). Start example-parity-server first (it registers example.parity).
#include <chrono>
#include <iostream>

#include <pyro/pyro.hpp>

int main() try {
    using namespace std::chrono_literals;
    pyro::Proxy parity("PYRONAME:example.parity", pyro::Config::from_environment());
    pyro::AsyncProxy async(parity); // each async call gets its own connection and thread

    // Returns at once; the server needs 2 seconds for this one.
    pyro::Future<int> sum = async.call<int>("slow_add", 20, 22, 2.0);
    while (!sum.wait(500ms)) { // false while the call is still running
        std::cout << "still waiting... meanwhile the plain proxy works: 1+1 = "
                  << parity.call<int>("slow_add", 1, 1, 0.0) << "\n";
    }
    std::cout << "slow_add gave " << sum.value() << "\n";

    // then(): each step gets the previous result when it arrives.
    pyro::Future<std::string> text =
        async.call<int>("slow_add", 1, 2, 1.0).then([](int x) { return x * 10; }).then([](int x) {
            return "result " + std::to_string(x);
        });
    std::cout << text.value() << "\n";

    // value() rethrows the remote exception.
    try {
        async.call<void>("fail_at", 0).value();
    } catch (const pyro::RemoteError& error) {
        std::cout << "fail_at raised " << error.python_class() << ": " << error.what() << "\n";
    }
} catch (const std::exception& error) {
    std::cerr << "async_client: " << error.what() << "\n";
    return 1;
}
