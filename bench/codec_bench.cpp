// Serializers and frames: the work done for every call, on both sides.
#include <benchmark/benchmark.h>

#include <pyro/pyro.hpp>

namespace {

// What a typical lab call carries: an INVOKE with a few arguments.
pyro::Value small_call() {
    return pyro::Value::dict({{"object", "example.remote.object"},
                              {"method", "greet"},
                              {"params", pyro::Value::list({"World", 42, 3.5})},
                              {"kwargs", pyro::Value::dict()}});
}

// A bulky result: 1,000 records of mixed types.
pyro::Value large_result() {
    pyro::Value::Items records;
    for (int i = 0; i < 1000; ++i) {
        records.push_back(pyro::Value::dict({{"id", i},
                                             {"name", "observer-" + std::to_string(i)},
                                             {"score", i * 0.25},
                                             {"tags", pyro::Value::tuple({"lab", "pyro"})},
                                             {"active", i % 2 == 0}}));
    }
    return pyro::Value::list(std::move(records));
}

// The payload rows of ./labkit bench (issue 12): one call carrying a megabyte of text or bytes.
pyro::Value megabyte_call(bool bytes) {
    const std::size_t size = 1 << 20;
    pyro::Value payload =
        bytes ? pyro::Value(pyro::Bytes(size, 0x78)) : pyro::Value(std::string(size, 'x'));
    return pyro::Value::dict({{"object", "echo"},
                              {"method", "echo"},
                              {"params", pyro::Value::tuple({std::move(payload)})},
                              {"kwargs", pyro::Value::dict()}});
}

void dumps(benchmark::State& state, pyro::SerializerKind kind, const pyro::Value& value) {
    std::size_t bytes = 0;
    for (auto _ : state) {
        const std::string text = pyro::serialize(kind, value);
        bytes += text.size();
        benchmark::DoNotOptimize(text.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void loads(benchmark::State& state, pyro::SerializerKind kind, const pyro::Value& value) {
    const std::string text = pyro::serialize(kind, value);
    for (auto _ : state) {
        benchmark::DoNotOptimize(pyro::deserialize(kind, text));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void frame_round_trip(benchmark::State& state, std::string_view hmac_key) {
    pyro::Message message;
    message.type = pyro::MessageType::Invoke;
    message.seq = 7;
    message.payload = pyro::to_json(small_call());
    for (auto _ : state) {
        const std::string frame = pyro::encode_message(message, hmac_key);
        const pyro::Message back = pyro::decode_message(frame);
        if (!hmac_key.empty()) {
            pyro::verify_hmac(back, hmac_key);
        }
        benchmark::DoNotOptimize(back.payload.data());
    }
}

} // namespace

BENCHMARK_CAPTURE(dumps, json_small, pyro::SerializerKind::Json, small_call());
BENCHMARK_CAPTURE(dumps, serpent_small, pyro::SerializerKind::Serpent, small_call());
BENCHMARK_CAPTURE(loads, json_small, pyro::SerializerKind::Json, small_call());
BENCHMARK_CAPTURE(loads, serpent_small, pyro::SerializerKind::Serpent, small_call());
BENCHMARK_CAPTURE(dumps, json_large, pyro::SerializerKind::Json, large_result());
BENCHMARK_CAPTURE(dumps, serpent_large, pyro::SerializerKind::Serpent, large_result());
BENCHMARK_CAPTURE(loads, json_large, pyro::SerializerKind::Json, large_result());
BENCHMARK_CAPTURE(loads, serpent_large, pyro::SerializerKind::Serpent, large_result());
BENCHMARK_CAPTURE(dumps, json_1mb_str, pyro::SerializerKind::Json, megabyte_call(false));
BENCHMARK_CAPTURE(loads, json_1mb_str, pyro::SerializerKind::Json, megabyte_call(false));
BENCHMARK_CAPTURE(dumps, serpent_1mb_str, pyro::SerializerKind::Serpent, megabyte_call(false));
BENCHMARK_CAPTURE(loads, serpent_1mb_str, pyro::SerializerKind::Serpent, megabyte_call(false));
BENCHMARK_CAPTURE(dumps, serpent_1mb_bytes, pyro::SerializerKind::Serpent, megabyte_call(true));
BENCHMARK_CAPTURE(loads, serpent_1mb_bytes, pyro::SerializerKind::Serpent, megabyte_call(true));
BENCHMARK_CAPTURE(frame_round_trip, plain, "");
BENCHMARK_CAPTURE(frame_round_trip, hmac, "lab-secret");

BENCHMARK_MAIN();
