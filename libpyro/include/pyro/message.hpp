// pyro::Message — one Pyro4 wire frame (PYRO4-WIRE.md §1–§3): a 24-byte header, annotation
// chunks and the payload bytes, with the checksum, HMAC-SHA1 signing, zlib compression and size
// limits handled here so nothing else in the kit touches raw header bytes.
//
// Message is a regular value type. The free functions are pure and thread-safe; a MessageReader
// belongs to one connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pyro {

constexpr std::size_t message_header_size = 24;
constexpr std::uint16_t protocol_version = 48;

enum class MessageType : std::uint16_t {
    Connect = 1,
    ConnectOk = 2,
    ConnectFail = 3,
    Invoke = 4,
    Result = 5,
    Ping = 6,
};

// "MSG_CONNECT", …; "MSG_UNKNOWN(9)" for a value outside the enum.
[[nodiscard]] std::string message_type_name(MessageType type);

// Flag bits (§2.2).
namespace flags {
constexpr std::uint16_t exception = 0x01;
constexpr std::uint16_t compressed = 0x02;
constexpr std::uint16_t oneway = 0x04;
constexpr std::uint16_t batch = 0x08;
constexpr std::uint16_t meta_on_connect = 0x10;
constexpr std::uint16_t item_stream_result = 0x20;
constexpr std::uint16_t keep_serialized = 0x40;
} // namespace flags

// "FLAGS_EXCEPTION|FLAGS_ITEMSTREAMRESULT"; "0" when none.
[[nodiscard]] std::string flag_names(std::uint16_t flags);

// Serializer ids (§4.1).
namespace serializer_ids {
constexpr std::uint16_t serpent = 1;
constexpr std::uint16_t json = 2;
constexpr std::uint16_t marshal = 3;
constexpr std::uint16_t ping = 42;
} // namespace serializer_ids

struct Annotation {
    std::string key;   // exactly 4 ASCII characters
    std::string value; // raw bytes
    friend bool operator==(const Annotation&, const Annotation&) = default;
};

// The decoded header fields, as they were on the wire.
struct MessageHeader {
    MessageType type{};
    std::uint16_t flags = 0;
    std::uint16_t seq = 0;
    std::int32_t data_size = 0;
    std::uint16_t serializer_id = 0;
    std::uint16_t annotations_size = 0;
    std::uint16_t reserved = 0;
    std::uint16_t checksum = 0;

    // Validates magic, version, checksum and that data_size is not negative; throws
    // ProtocolError ("invalid data or unsupported protocol version", "header checksum mismatch",
    // …) otherwise. Does not judge the message type: the connection knows what it expects.
    static MessageHeader decode(std::span<const std::uint8_t, message_header_size> bytes);
};

struct Message {
    MessageType type = MessageType::Invoke;
    std::uint16_t flags = 0;
    std::uint16_t seq = 0;
    std::uint16_t serializer_id = serializer_ids::json;
    // In wire order. Decoding keeps every chunk (HMAC included); encoding with a key replaces
    // any HMAC chunk with a fresh one, appended last as Pyro4 does.
    std::vector<Annotation> annotations;
    // The payload bytes as they travel: zlib data when FLAGS_COMPRESSED is set.
    std::string payload;

    [[nodiscard]] bool has_flag(std::uint16_t flag) const { return (flags & flag) != 0; }
    // The value of the last chunk with this key, as Python's dict keeps the last one.
    [[nodiscard]] const std::string* annotation(std::string_view key) const;
    // Replaces the value of an existing key in place, else appends the chunk.
    void set_annotation(std::string key, std::string value);
    void remove_annotation(std::string_view key);

    friend bool operator==(const Message&, const Message&) = default;
};

struct MessageLimits {
    // Largest data_size + annotations_size accepted or produced; 0 = unlimited (Pyro4's
    // MAX_MESSAGE_SIZE). A frame can never exceed 2 GiB - 1 of payload whatever this says.
    std::size_t max_message_size = 0;
    // Largest payload after zlib inflation; guards against compression bombs.
    std::size_t max_inflated_size = 256u * 1024u * 1024u;
};

// Encodes a frame. With a non-empty hmac_key the frame is signed (HMAC chunk last). Throws
// ProtocolError for a bad annotation key or a value over 65535 bytes, MessageTooLargeError when
// the limits are exceeded.
[[nodiscard]] std::string encode_message(const Message& message, std::string_view hmac_key = {},
                                         const MessageLimits& limits = {});

// Decodes one complete frame (exactly: no bytes may follow). Throws ProtocolError on any
// malformation and MessageTooLargeError over the limit. Does not check the HMAC (verify_hmac).
[[nodiscard]] Message decode_message(std::string_view frame, const MessageLimits& limits = {});

// HMAC-SHA1 of the payload followed by the values of the other annotations in key order
// (§3.2). Returns the 20 raw digest bytes.
[[nodiscard]] std::string message_hmac(const Message& message, std::string_view key);

// Pyro4's receiving rules (§3.2): throws SecurityError("hmac key config not symmetric") when one
// side has a key and the other not, SecurityError("message hmac mismatch") on a bad digest.
void verify_hmac(const Message& message, std::string_view key);

// Sets FLAGS_COMPRESSED and deflates the payload when that makes it smaller (Pyro4 compresses
// only payloads of 200 bytes or more); otherwise leaves the message as it is.
void compress_payload(Message& message);
// The payload as the serializer must read it: inflated when FLAGS_COMPRESSED is set. Throws
// ProtocolError for broken zlib data or an inflated size over the limit.
[[nodiscard]] std::string payload_bytes(const Message& message, const MessageLimits& limits = {});

// Incremental frame reader for stream sockets: it tells how many bytes it wants next (header
// first, then annotations and payload), validates the header as soon as it is complete, and
// never allocates more than the header announced after checking it against the limits.
//
//   MessageReader reader{limits};
//   while (!reader.has_message()) {
//       auto n = read_some(socket, buffer, reader.bytes_wanted());
//       reader.feed({buffer, n});
//   }
//   Message m = reader.take();
class MessageReader {
public:
    explicit MessageReader(MessageLimits limits = {}) : limits_(limits) {}

    // Bytes needed to finish the current part (header, or the rest of the frame); 0 when a
    // message is ready to take.
    [[nodiscard]] std::size_t bytes_wanted() const;
    // Consumes up to bytes_wanted() bytes and returns how many it took. Throws ProtocolError /
    // MessageTooLargeError as decode_message does; the reader is then unusable.
    std::size_t feed(std::span<const std::uint8_t> data);
    std::size_t feed(std::string_view data);
    [[nodiscard]] bool has_message() const { return ready_; }
    // The header once its 24 bytes are in (e.g. to check the type before the body arrives).
    [[nodiscard]] const std::optional<MessageHeader>& header() const { return header_; }
    // Returns the complete message and resets the reader for the next frame.
    Message take();

private:
    MessageLimits limits_;
    std::string buffer_;
    std::optional<MessageHeader> header_;
    bool ready_ = false;
};

} // namespace pyro
