// pyro::Batch — many calls on one proxy sent as one request (Pyro4's Pyro4.batch(proxy)).
//
//   pyro::Batch batch(proxy);
//   batch.call("add", 1, 2);
//   batch.call("divide", 1, 0);                 // raises ZeroDivisionError on the server
//   batch.call("add", 3, 4);                    // not run: the batch stops at a failure
//   pyro::BatchResults results = batch.run();   // one round trip
//   int three = results.get<int>(0);            // 3
//   results.get<int>(1);                        // throws RemoteError (builtins.ZeroDivisionError)
//   for (const pyro::Value& r : results) ...    // yields 3, then throws as Pyro4's generator
//
// On the wire (PYRO4-WIRE.md §5.7): one INVOKE of method "<batch>" with FLAGS_BATCH whose params
// are the (method, args, kwargs) of each call. The server runs them in order and stops at the
// first exception; its answer lists one result per call it ran, the failed one last (wrapped as
// Pyro4.futures._ExceptionWrapper). A oneway batch (FLAGS_ONEWAY too) gets no answer at all.
// As in Pyro4, the calls are not checked against the object's metadata here and a batch is not
// retried after a lost connection; an unknown method fails the whole batch on the server.
#pragma once

#include <cstddef>
#include <exception>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pyro/convert.hpp"
#include "pyro/future.hpp"
#include "pyro/proxy.hpp"
#include "pyro/value.hpp"

namespace pyro {

// What a batch returned: the results in call order, up to and including a failed call.
class BatchResults {
public:
    BatchResults() = default;
    // `reply`: the server's result list; `methods`: the names of the calls sent, in order.
    // Throws ProtocolError when the reply is not a list or has more entries than calls.
    BatchResults(const Value& reply, std::vector<std::string> methods);

    // How many calls were sent, and how many the server ran (a failed one included).
    [[nodiscard]] std::size_t calls() const noexcept { return methods_.size(); }
    [[nodiscard]] std::size_t size() const noexcept { return results_.size(); }
    // True when every call ran and none failed.
    [[nodiscard]] bool ok() const noexcept { return !error_ && results_.size() == methods_.size(); }
    // The position of the call that raised, if one did.
    [[nodiscard]] std::optional<std::size_t> failed_index() const noexcept;
    // The exception it raised (its C++ class, as a call would throw it), or null.
    [[nodiscard]] std::exception_ptr error() const noexcept { return error_; }

    // The i-th call's result. Rethrows the remote exception for the call that raised; throws
    // PyroError for a call the server did not run (after the failure) or past calls().
    [[nodiscard]] Value at(std::size_t i) const;
    // As at(i), converted as call<R> converts a reply (TypeError naming the method otherwise).
    template <class R>
    [[nodiscard]] R get(std::size_t i) const {
        return reply_from_value<R>(methods_.at(i), at(i));
    }

    // Iterates as Pyro4's result generator: each result in turn, and reaching the failed call
    // throws its exception.
    class const_iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Value;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = Value;
        const_iterator() = default;
        const_iterator(const BatchResults* results, std::size_t index)
            : results_(results), index_(index) {}
        Value operator*() const { return results_->at(index_); }
        const_iterator& operator++() {
            ++index_;
            return *this;
        }
        const_iterator operator++(int) {
            const_iterator before = *this;
            ++index_;
            return before;
        }
        friend bool operator==(const const_iterator& a, const const_iterator& b) {
            return a.index_ == b.index_;
        }

    private:
        const BatchResults* results_ = nullptr;
        std::size_t index_ = 0;
    };
    [[nodiscard]] const_iterator begin() const { return {this, 0}; }
    [[nodiscard]] const_iterator end() const { return {this, results_.size()}; }

private:
    std::vector<std::string> methods_;
    Value::Items results_; // the failed call's entry stays the wrapper dict
    std::exception_ptr error_;
};

class Batch {
public:
    // The proxy must outlive the batch; the batch's calls go over the proxy's connection, in turn
    // with the proxy's other calls.
    explicit Batch(Proxy& proxy) : proxy_(&proxy) {}

    // Adds a call (nothing is sent yet): batch.call("add", 1, 2).call("add", 3, 4).
    template <class... Args>
    Batch& call(std::string_view method, const Args&... args) {
        return add(method, Value::Items{pyro::to_value(args)...});
    }
    // The dynamic form, with keyword arguments.
    Batch& add(std::string_view method, Value::Items args = {}, Value::Entries kwargs = {});

    [[nodiscard]] std::size_t size() const noexcept { return calls_.size(); }
    [[nodiscard]] bool empty() const noexcept { return calls_.empty(); }
    void clear() noexcept;

    // Sends the calls as one request and waits for their results. The batch is empty afterwards,
    // ready for new calls (as Pyro4's); when sending fails it keeps them, and throws as a call
    // would (a communication error, or the exception of a request the server refused whole).
    [[nodiscard]] BatchResults run();
    // Sends them as a oneway batch: returns once sent; the server runs them all, in order, and
    // answers nothing (not even a failure).
    void run_oneway();
    // Pyro4's batch(asynchronous=True): the request runs on a thread of its own, over the proxy
    // (so after the proxy's calls already under way). The batch is empty at once.
    [[nodiscard]] Future<BatchResults> run_async();

private:
    Proxy* proxy_;
    Value::Items calls_;
    std::vector<std::string> methods_;
};

} // namespace pyro
