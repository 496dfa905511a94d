// Fuzz target: the message reader (PYRO4-WIRE.md §1–§3). The input is a byte stream as a socket
// would deliver it: frames are read with MessageReader, then each one's HMAC is checked, its
// payload inflated and deserialized, and it must survive encode → decode unchanged.
//
// Documented errors (pyro::PyroError and its subclasses) are expected answers to bad input;
// anything else escaping, a crash, a leak or a hang is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pyro/errors.hpp"
#include "pyro/message.hpp"
#include "pyro/serializer.hpp"

namespace {

// Small limits keep a header that announces gigabytes from being an out-of-memory "finding":
// the limits are what a daemon configures, and the reader must honour them.
constexpr pyro::MessageLimits limits{.max_message_size = 1u << 20, .max_inflated_size = 1u << 20};

void check_frame(const pyro::Message& message) {
    for (const std::string_view key : {std::string_view{}, std::string_view{"labkit-secret"}}) {
        try {
            pyro::verify_hmac(message, key);
        } catch (const pyro::PyroError&) {
        }
    }
    (void)pyro::message_hmac(message, "labkit-secret");

    // What decode accepted, encode must write and decode read back as the same message.
    try {
        const std::string frame = pyro::encode_message(message, {}, limits);
        if (!(pyro::decode_message(frame, limits) == message)) {
            std::abort(); // a decoded frame that does not survive re-encoding
        }
    } catch (const pyro::PyroError&) {
        // Encoding may refuse what decoding accepted (e.g. a key that is not 4 ASCII bytes).
    }

    try {
        const std::string payload = pyro::payload_bytes(message, limits);
        switch (message.serializer_id) {
        case pyro::serializer_ids::serpent:
            (void)pyro::from_serpent(payload);
            break;
        case pyro::serializer_ids::json:
            (void)pyro::from_json(payload);
            break;
        case pyro::serializer_ids::marshal:
            (void)pyro::marshal_string(payload);
            break;
        default:
            break;
        }
    } catch (const pyro::PyroError&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    try {
        (void)pyro::decode_message(input, limits);
    } catch (const pyro::PyroError&) {
    }

    // The stream reader, fed exactly what it asks for, frame after frame.
    pyro::MessageReader reader(limits);
    std::string_view rest = input;
    try {
        while (!rest.empty()) {
            const std::size_t taken = reader.feed(rest.substr(0, reader.bytes_wanted()));
            rest.remove_prefix(taken);
            if (reader.has_message()) {
                check_frame(reader.take());
            } else if (taken == 0) {
                std::abort(); // the reader wants bytes but takes none: a livelock
            }
        }
    } catch (const pyro::PyroError&) {
    }
    return 0;
}
