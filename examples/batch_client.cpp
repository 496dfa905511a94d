// Batch calls: several calls on one proxy, sent as ONE request (Pyro4's Pyro4.batch(proxy)).
// Start example-parity-server first; it registers example.parity with the name server.
#include <iostream>

#include <pyro/pyro.hpp>

int main() try {
    pyro::Proxy parity("PYRONAME:example.parity", pyro::Config::from_environment());

    // Collect the calls: nothing is sent yet.
    pyro::Batch batch(parity);
    batch.call("slow_add", 1, 2, 0.0);
    batch.call("slow_add", 3, 4, 0.0);
    batch.call("fail_at", 2);          // raises on the server: the batch stops there
    batch.call("slow_add", 5, 6, 0.0); // so this one never runs

    // One round trip; the results come back in call order.
    const pyro::BatchResults results = batch.run();
    std::cout << "the server ran " << results.size() << " of " << results.calls() << " calls\n";
    try {
        for (const pyro::Value& result : results) { // throws when it reaches the failed call
            std::cout << "result: " << result.repr() << "\n";
        }
    } catch (const pyro::RemoteError& error) {
        std::cout << "call " << *results.failed_index() << " raised " << error.python_class()
                  << ": " << error.what() << "\n";
    }

    // A oneway batch: sent, and nothing comes back (not even errors).
    batch.call("slow_add", 1, 1, 1.0).call("slow_add", 2, 2, 1.0);
    batch.run_oneway();
    std::cout << "oneway batch sent, not waiting for it\n";
} catch (const std::exception& error) {
    std::cerr << "batch_client: " << error.what() << "\n";
    return 1;
}
