#include "pyro/batch.hpp"

#include <utility>

#include "pyro/errors.hpp"
#include "pyro/remote_exception.hpp"

namespace pyro {

namespace {

// §6.8: how a failed call stands in a batch's result list.
const Value* wrapped_exception(const Value& entry) {
    if (!entry.is_dict()) {
        return nullptr;
    }
    const Value* cls = entry.find("__class__");
    if (cls == nullptr || *cls != Value("Pyro4.futures._ExceptionWrapper")) {
        return nullptr;
    }
    return entry.find("exception");
}

} // namespace

BatchResults::BatchResults(const Value& reply, std::vector<std::string> methods)
    : methods_(std::move(methods)) {
    if (!reply.is_sequence()) {
        throw ProtocolError("batch: the server answered a " + std::string(reply.type_name()) +
                            " instead of a list of results");
    }
    results_ = reply.items();
    if (results_.size() > methods_.size()) {
        throw ProtocolError("batch: the server answered " + std::to_string(results_.size()) +
                            " results for " + std::to_string(methods_.size()) + " calls");
    }
    // Only the last entry can be a failure: the server stops there.
    if (!results_.empty()) {
        if (const Value* exception = wrapped_exception(results_.back())) {
            error_ = exception_from_value(*exception);
        }
    }
    if (!error_ && results_.size() != methods_.size()) {
        throw ProtocolError("batch: the server answered " + std::to_string(results_.size()) +
                            " results for " + std::to_string(methods_.size()) +
                            " calls, and none of them failed");
    }
}

std::optional<std::size_t> BatchResults::failed_index() const noexcept {
    if (!error_) {
        return std::nullopt;
    }
    return results_.size() - 1;
}

Value BatchResults::at(std::size_t i) const {
    if (i >= methods_.size()) {
        throw PyroError("batch result " + std::to_string(i) + " does not exist: the batch had " +
                        std::to_string(methods_.size()) + " calls");
    }
    if (error_ && i == results_.size() - 1) {
        std::rethrow_exception(error_);
    }
    if (i >= results_.size()) {
        const std::size_t failed = results_.size() - 1;
        throw PyroError("batch call " + std::to_string(i) + " (" + methods_[i] +
                        ") was not run: call " + std::to_string(failed) + " (" + methods_[failed] +
                        ") raised before it");
    }
    return results_[i];
}

Batch& Batch::add(std::string_view method, Value::Items args, Value::Entries kwargs) {
    // (method, args, kwargs) as Pyro4 collects them; json writes the tuples as lists.
    calls_.push_back(Value::tuple(
        {Value(method), Value::tuple(std::move(args)), Value::dict(std::move(kwargs))}));
    methods_.emplace_back(method);
    return *this;
}

void Batch::clear() noexcept {
    calls_.clear();
    methods_.clear();
}

BatchResults Batch::run() {
    const Value reply = proxy_->invoke_batch(calls_);
    std::vector<std::string> methods = std::move(methods_);
    clear();
    return BatchResults(reply, std::move(methods));
}

void Batch::run_oneway() {
    (void)proxy_->invoke_batch(calls_, true);
    clear();
}

Future<BatchResults> Batch::run_async() {
    Value::Items calls = std::move(calls_);
    std::vector<std::string> methods = std::move(methods_);
    clear();
    return detail::launch<BatchResults>(
        [proxy = proxy_, calls = std::move(calls), methods = std::move(methods)]() mutable {
            return BatchResults(proxy->invoke_batch(std::move(calls)), std::move(methods));
        });
}

} // namespace pyro
