#include "pyro/message.hpp"

#include "protocol.hpp"
#include "pyro/errors.hpp"
#include "sha1.hpp"

// next_in is const with ZLIB_CONST: the payload is never written through it.
#define ZLIB_CONST
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <map>
#include <new>
#include <stdexcept>
#include <utility>

namespace pyro {

namespace {

constexpr std::string_view magic = "PYRO";
constexpr std::uint16_t checksum_magic = 0x34E9;
constexpr std::string_view hmac_key_name = "HMAC";
constexpr std::size_t annotation_header_size = 6;
constexpr std::size_t max_u16 = 0xFFFF;
constexpr std::size_t max_data_size = 0x7FFFFFFF;
// Pyro4 compresses only payloads of at least this many bytes (§1.5).
constexpr std::size_t compression_threshold = 200;

std::uint16_t read_u16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

std::uint32_t read_u32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

void append_u16(std::string& out, std::size_t value) {
    out += static_cast<char>((value >> 8) & 0xFF);
    out += static_cast<char>(value & 0xFF);
}

void append_u32(std::string& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out += static_cast<char>((value >> shift) & 0xFF);
    }
}

// §1.2. data_size is signed on the wire; Python sums the signed value and masks, which the
// two's-complement wrap of the unsigned sum reproduces.
std::uint16_t header_checksum(std::uint16_t type, std::uint16_t version, std::int32_t data_size,
                              std::uint16_t annotations_size, std::uint16_t serializer_id,
                              std::uint16_t flags, std::uint16_t seq) {
    const std::uint32_t sum = std::uint32_t{type} + version +
                              static_cast<std::uint32_t>(data_size) + annotations_size +
                              serializer_id + flags + seq + checksum_magic;
    return static_cast<std::uint16_t>(sum & 0xFFFF);
}

std::string hex16(std::uint16_t value) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out = "0x";
    for (int shift = 12; shift >= 0; shift -= 4) {
        out += digits[(value >> shift) & 0xF];
    }
    return out;
}

// Keys and magic come from the network: show them quoted, with anything unprintable escaped, so
// an error message never carries raw control bytes into a log.
std::string quoted(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out = "'";
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7F && c != '\'' && c != '\\') {
            out += c;
        } else {
            out += "\\x";
            out += digits[byte >> 4];
            out += digits[byte & 0xF];
        }
    }
    out += '\'';
    return out;
}

bool is_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Pyro4's MAX_MESSAGE_SIZE check and wording (message.py), used on both sides (§1.4).
void check_message_size(std::size_t data_size, std::size_t annotations_size,
                        const MessageLimits& limits) {
    const std::size_t total = data_size + annotations_size;
    if (limits.max_message_size != 0 && total > limits.max_message_size) {
        throw MessageTooLargeError("max message size exceeded (" + std::to_string(total) +
                                   " where max=" + std::to_string(limits.max_message_size) + ")");
    }
}

std::size_t frame_size(const MessageHeader& header) {
    return message_header_size + header.annotations_size +
           static_cast<std::size_t>(header.data_size);
}

std::string frame_layout(const MessageHeader& header) {
    return std::to_string(frame_size(header)) + " bytes (24 header + " +
           std::to_string(header.annotations_size) + " annotations + " +
           std::to_string(header.data_size) + " payload)";
}

// Walks the chunks of an annotation block (§1.3) without ever reading past its end; calls
// visit(key, value) for each. Python trusts the lengths and would slice short; we refuse.
template <typename Visit>
void walk_annotations(std::string_view block, Visit&& visit) {
    std::size_t offset = 0;
    while (offset < block.size()) {
        const std::size_t left = block.size() - offset;
        if (left < annotation_header_size) {
            throw ProtocolError("truncated annotation chunk header: " + std::to_string(left) +
                                " bytes left, a chunk header needs 6");
        }
        const std::string_view key = block.substr(offset, 4);
        if (!is_ascii(key)) {
            throw ProtocolError("annotation key must be ASCII: " + quoted(key));
        }
        const std::size_t length =
            read_u16(reinterpret_cast<const std::uint8_t*>(block.data() + offset + 4));
        const std::size_t value_room = left - annotation_header_size;
        if (length > value_room) {
            throw ProtocolError("annotation chunk " + quoted(key) + " of length " +
                                std::to_string(length) + " overruns the annotations (" +
                                std::to_string(value_room) + " bytes left)");
        }
        visit(key, block.substr(offset + annotation_header_size, length));
        offset += annotation_header_size + length;
    }
}

// The whole-frame checks shared by decode_message and MessageReader: header, limits, exact size
// and annotation structure. Returns the header.
MessageHeader check_frame(std::string_view frame, const MessageLimits& limits) {
    if (frame.size() < message_header_size) {
        throw ProtocolError("truncated frame: got " + std::to_string(frame.size()) +
                            " bytes, the header alone needs 24");
    }
    const auto header = MessageHeader::decode(std::span<const std::uint8_t, message_header_size>{
        reinterpret_cast<const std::uint8_t*>(frame.data()), message_header_size});
    check_message_size(static_cast<std::size_t>(header.data_size), header.annotations_size, limits);
    const std::size_t expected = frame_size(header);
    if (frame.size() < expected) {
        throw ProtocolError("truncated frame: got " + std::to_string(frame.size()) +
                            " bytes, expected " + frame_layout(header));
    }
    if (frame.size() > expected) {
        throw ProtocolError("trailing bytes after the frame: got " + std::to_string(frame.size()) +
                            " bytes, expected " + frame_layout(header));
    }
    walk_annotations(frame.substr(message_header_size, header.annotations_size),
                     [](std::string_view, std::string_view) {});
    return header;
}

// Builds the Message from a frame check_frame accepted. The payload is moved out of `frame` so
// the reader hands over its buffer without copying the (possibly large) payload.
Message build_message(const MessageHeader& header, std::string frame) {
    Message message;
    message.type = header.type;
    message.flags = header.flags;
    message.seq = header.seq;
    message.serializer_id = header.serializer_id;
    walk_annotations(std::string_view{frame}.substr(message_header_size, header.annotations_size),
                     [&](std::string_view key, std::string_view value) {
                         message.annotations.push_back({std::string{key}, std::string{value}});
                     });
    frame.erase(0, message_header_size + header.annotations_size);
    message.payload = std::move(frame);
    return message;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    unsigned difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        difference |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
    }
    return difference == 0;
}

std::string zlib_error(int code, const z_stream& stream) {
    if (stream.msg != nullptr) {
        return stream.msg;
    }
    return "zlib error " + std::to_string(code);
}

} // namespace

std::string message_type_name(MessageType type) {
    switch (type) {
    case MessageType::Connect:
        return "MSG_CONNECT";
    case MessageType::ConnectOk:
        return "MSG_CONNECTOK";
    case MessageType::ConnectFail:
        return "MSG_CONNECTFAIL";
    case MessageType::Invoke:
        return "MSG_INVOKE";
    case MessageType::Result:
        return "MSG_RESULT";
    case MessageType::Ping:
        return "MSG_PING";
    }
    return "MSG_UNKNOWN(" + std::to_string(static_cast<unsigned>(type)) + ")";
}

std::string flag_names(std::uint16_t value) {
    static constexpr std::array<std::pair<std::uint16_t, std::string_view>, 7> names{{
        {flags::exception, "FLAGS_EXCEPTION"},
        {flags::compressed, "FLAGS_COMPRESSED"},
        {flags::oneway, "FLAGS_ONEWAY"},
        {flags::batch, "FLAGS_BATCH"},
        {flags::meta_on_connect, "FLAGS_META_ON_CONNECT"},
        {flags::item_stream_result, "FLAGS_ITEMSTREAMRESULT"},
        {flags::keep_serialized, "FLAGS_KEEPSERIALIZED"},
    }};
    if (value == 0) {
        return "0";
    }
    std::string out;
    std::uint16_t rest = value;
    for (const auto& [bit, name] : names) {
        if ((value & bit) != 0) {
            out += out.empty() ? "" : "|";
            out += name;
            rest = static_cast<std::uint16_t>(rest & ~bit);
        }
    }
    // Bits Pyro4 does not define still show, so a log line never hides what came in.
    if (rest != 0) {
        out += out.empty() ? "" : "|";
        out += hex16(rest);
    }
    return out;
}

MessageHeader MessageHeader::decode(std::span<const std::uint8_t, message_header_size> bytes) {
    const std::uint8_t* p = bytes.data();
    const std::string_view tag{reinterpret_cast<const char*>(p), 4};
    if (tag != magic) {
        throw ProtocolError("invalid data or unsupported protocol version: magic " + quoted(tag) +
                            ", expected 'PYRO'");
    }
    const std::uint16_t version = read_u16(p + 4);
    if (version != protocol_version) {
        throw ProtocolError("invalid data or unsupported protocol version: version " +
                            std::to_string(version) + ", expected " +
                            std::to_string(protocol_version));
    }
    MessageHeader header;
    header.type = static_cast<MessageType>(read_u16(p + 6));
    header.flags = read_u16(p + 8);
    header.seq = read_u16(p + 10);
    header.data_size = static_cast<std::int32_t>(read_u32(p + 12));
    header.serializer_id = read_u16(p + 16);
    header.annotations_size = read_u16(p + 18);
    header.reserved = read_u16(p + 20);
    header.checksum = read_u16(p + 22);

    const std::uint16_t expected =
        header_checksum(static_cast<std::uint16_t>(header.type), version, header.data_size,
                        header.annotations_size, header.serializer_id, header.flags, header.seq);
    if (header.checksum != expected) {
        throw ProtocolError("header checksum mismatch: got " + hex16(header.checksum) +
                            ", expected " + hex16(expected));
    }
    // Checked after the checksum: a negative size with a valid checksum was built that way on
    // purpose, and §1.1 allows only 0..0x7FFFFFFF.
    if (header.data_size < 0) {
        throw ProtocolError("invalid message size (outside range 0..2Gb): data size " +
                            std::to_string(header.data_size));
    }
    return header;
}

const std::string* Message::annotation(std::string_view key) const {
    for (auto it = annotations.rbegin(); it != annotations.rend(); ++it) {
        if (it->key == key) {
            return &it->value;
        }
    }
    return nullptr;
}

void Message::set_annotation(std::string key, std::string value) {
    auto first = std::find_if(annotations.begin(), annotations.end(),
                              [&](const Annotation& a) { return a.key == key; });
    if (first == annotations.end()) {
        annotations.push_back({std::move(key), std::move(value)});
        return;
    }
    first->value = std::move(value);
    // Later duplicates (only a decoded frame has them) would otherwise win, as in Python's dict.
    annotations.erase(std::remove_if(std::next(first), annotations.end(),
                                     [&](const Annotation& a) { return a.key == first->key; }),
                      annotations.end());
}

void Message::remove_annotation(std::string_view key) {
    std::erase_if(annotations, [&](const Annotation& a) { return a.key == key; });
}

std::string encode_message(const Message& message, std::string_view hmac_key,
                           const MessageLimits& limits) {
    std::string frame =
        detail::encode_message_head(message, hmac_key, limits, message.payload.size());
    frame += message.payload;
    return frame;
}

std::string detail::encode_message_head(const Message& message, std::string_view hmac_key,
                                        const MessageLimits& limits, std::size_t room) {
    // With a key, any HMAC chunk is dropped and a fresh one appended last, as Pyro4 does (§3.2).
    Annotation hmac_chunk;
    if (!hmac_key.empty()) {
        hmac_chunk = {std::string{hmac_key_name}, message_hmac(message, hmac_key)};
    }
    // The chunks in wire order, visited twice (sizes, then bytes) without a list of them: a
    // reply is encoded per call.
    const auto for_each_chunk = [&](auto&& visit) {
        for (const auto& annotation : message.annotations) {
            if (hmac_key.empty() || annotation.key != hmac_key_name) {
                visit(&annotation);
            }
        }
        if (!hmac_key.empty()) {
            visit(&hmac_chunk);
        }
    };

    std::size_t annotations_size = 0;
    for_each_chunk([&](const Annotation* chunk) {
        if (chunk->key.size() != 4) {
            throw ProtocolError("annotation key must be of length 4: " + quoted(chunk->key));
        }
        if (!is_ascii(chunk->key)) {
            throw ProtocolError("annotation key must be ASCII: " + quoted(chunk->key));
        }
        if (chunk->value.size() > max_u16) {
            throw ProtocolError("annotation " + quoted(chunk->key) + " value too large: " +
                                std::to_string(chunk->value.size()) + " bytes, at most 65535");
        }
        annotations_size += annotation_header_size + chunk->value.size();
    });
    if (annotations_size > max_u16) {
        throw ProtocolError("annotations too large: " + std::to_string(annotations_size) +
                            " bytes in all, at most 65535");
    }
    if (message.payload.size() > max_data_size) {
        throw MessageTooLargeError("invalid message size (outside range 0..2Gb): " +
                                   std::to_string(message.payload.size()) + " payload bytes");
    }
    check_message_size(message.payload.size(), annotations_size, limits);

    const auto data_size = static_cast<std::int32_t>(message.payload.size());
    const auto type = static_cast<std::uint16_t>(message.type);
    std::string frame;
    frame.reserve(message_header_size + annotations_size + room);
    frame += magic;
    append_u16(frame, protocol_version);
    append_u16(frame, type);
    append_u16(frame, message.flags);
    append_u16(frame, message.seq);
    append_u32(frame, static_cast<std::uint32_t>(data_size));
    append_u16(frame, message.serializer_id);
    append_u16(frame, annotations_size);
    append_u16(frame, 0); // reserved
    append_u16(frame, header_checksum(type, protocol_version, data_size,
                                      static_cast<std::uint16_t>(annotations_size),
                                      message.serializer_id, message.flags, message.seq));
    for_each_chunk([&](const Annotation* chunk) {
        frame += chunk->key;
        append_u16(frame, chunk->value.size());
        frame += chunk->value;
    });
    return frame;
}

Message decode_message(std::string_view frame, const MessageLimits& limits) {
    const MessageHeader header = check_frame(frame, limits);
    return build_message(header, std::string{frame});
}

std::string message_hmac(const Message& message, std::string_view key) {
    // Python hashes its annotations dict: one value per key (the last one), keys in sorted
    // order. std::string_view compares through char_traits, i.e. byte-wise like memcmp.
    std::map<std::string_view, std::string_view> values;
    for (const auto& annotation : message.annotations) {
        if (annotation.key != hmac_key_name) {
            values[annotation.key] = annotation.value;
        }
    }
    detail::HmacSha1 mac{key};
    mac.update(message.payload);
    for (const auto& [name, value] : values) {
        mac.update(value);
    }
    return mac.finish();
}

void verify_hmac(const Message& message, std::string_view key) {
    // Pyro4 treats an empty key as no key (`bool(hmac_key)`), so do we.
    const std::string* received = message.annotation(hmac_key_name);
    if (received != nullptr && !key.empty()) {
        if (!constant_time_equal(*received, message_hmac(message, key))) {
            throw SecurityError("message hmac mismatch");
        }
        return;
    }
    if ((received != nullptr) != !key.empty()) {
        throw SecurityError("hmac key config not symmetric");
    }
}

void compress_payload(Message& message) {
    if (message.has_flag(flags::compressed) || message.payload.size() < compression_threshold) {
        return;
    }
    // compress2 at Z_DEFAULT_COMPRESSION is what Python's zlib.compress(data) does, so the bytes
    // match a Python sender's (§1.5).
    uLongf size = compressBound(static_cast<uLong>(message.payload.size()));
    std::string compressed(size, '\0');
    const int code = compress2(reinterpret_cast<Bytef*>(compressed.data()), &size,
                               reinterpret_cast<const Bytef*>(message.payload.data()),
                               static_cast<uLong>(message.payload.size()), Z_DEFAULT_COMPRESSION);
    if (code != Z_OK) {
        // Only Z_MEM_ERROR is possible with a compressBound buffer; sending uncompressed is
        // always allowed.
        return;
    }
    if (size >= message.payload.size()) {
        return;
    }
    compressed.resize(size);
    message.payload = std::move(compressed);
    message.flags = static_cast<std::uint16_t>(message.flags | flags::compressed);
}

std::string payload_bytes(const Message& message, const MessageLimits& limits) {
    if (!message.has_flag(flags::compressed)) {
        return message.payload;
    }
    z_stream stream{};
    if (inflateInit(&stream) != Z_OK) {
        throw std::bad_alloc();
    }
    struct InflateEnd {
        z_stream* stream;
        ~InflateEnd() { inflateEnd(stream); }
    } cleanup{&stream};

    // Inflate through a fixed window and append only what fits under the limit: a bomb costs at
    // most max_inflated_size plus one window, whatever it claims to expand to.
    std::array<Bytef, 64 * 1024> window{};
    std::string out;
    stream.next_in = reinterpret_cast<const Bytef*>(message.payload.data());
    stream.avail_in = static_cast<uInt>(message.payload.size());
    int code = Z_OK;
    while (code != Z_STREAM_END) {
        stream.next_out = window.data();
        stream.avail_out = static_cast<uInt>(window.size());
        code = inflate(&stream, Z_NO_FLUSH);
        if (code != Z_OK && code != Z_STREAM_END) {
            if (code == Z_BUF_ERROR) {
                // No progress possible with all input consumed: the stream just stops.
                throw ProtocolError("invalid compressed payload: truncated zlib stream");
            }
            if (code == Z_MEM_ERROR) {
                throw std::bad_alloc();
            }
            throw ProtocolError("invalid compressed payload: " + zlib_error(code, stream));
        }
        const std::size_t produced = window.size() - stream.avail_out;
        if (produced > limits.max_inflated_size - out.size()) {
            throw ProtocolError("compressed payload inflates beyond the limit of " +
                                std::to_string(limits.max_inflated_size) + " bytes");
        }
        out.append(reinterpret_cast<const char*>(window.data()), produced);
    }
    // Python's zlib.decompress would ignore bytes after the stream; no Pyro sender makes them,
    // so they mean a corrupted or forged frame.
    if (stream.avail_in != 0) {
        throw ProtocolError("invalid compressed payload: " + std::to_string(stream.avail_in) +
                            " bytes after the end of the zlib stream");
    }
    return out;
}

std::size_t MessageReader::bytes_wanted() const {
    if (ready_) {
        return 0;
    }
    if (!header_) {
        return message_header_size - buffer_.size();
    }
    return frame_size(*header_) - buffer_.size();
}

std::size_t MessageReader::feed(std::string_view data) {
    return feed(std::span<const std::uint8_t>{reinterpret_cast<const std::uint8_t*>(data.data()),
                                              data.size()});
}

// A reader that threw keeps the bytes that made it throw, so the next feed() runs the same check
// on them and throws again: a failed reader stays failed without a separate state.
std::size_t MessageReader::feed(std::span<const std::uint8_t> data) {
    if (ready_) {
        return 0;
    }
    const auto* bytes = reinterpret_cast<const char*>(data.data());
    std::size_t used = 0;
    if (!header_) {
        used = std::min(data.size(), message_header_size - buffer_.size());
        buffer_.append(bytes, used);
        if (buffer_.size() < message_header_size) {
            return used;
        }
        // §1.4: validate the header and the size limit before any body byte is stored.
        const auto header =
            MessageHeader::decode(std::span<const std::uint8_t, message_header_size>{
                reinterpret_cast<const std::uint8_t*>(buffer_.data()), message_header_size});
        check_message_size(static_cast<std::size_t>(header.data_size), header.annotations_size,
                           limits_);
        header_ = header;
        // One part per call, as bytes_wanted() announced it: the caller sees the header (and can
        // judge the type) before any body byte is taken.
        if (frame_size(header) > message_header_size) {
            return used;
        }
    }

    const std::size_t total = frame_size(*header_);
    const std::size_t take = std::min(data.size() - used, total - buffer_.size());
    if (take > 0) {
        // Grow with what has arrived, never past the announced size: a header that announces
        // 2 GiB (with no limit set) costs memory only as the bytes really come in.
        // Not reserved at once even for an honest large frame: 200 stalled clients announcing
        // 2 GiB each would then hold 200 reservations (MessageReaderFeed.UnlimitedReader…).
        const std::size_t needed = buffer_.size() + take;
        if (needed > buffer_.capacity()) {
            buffer_.reserve(std::min(total, std::max(needed, 2 * buffer_.capacity())));
        }
        buffer_.append(bytes + used, take);
        used += take;
    }
    if (buffer_.size() == total) {
        walk_annotations(
            std::string_view{buffer_}.substr(message_header_size, header_->annotations_size),
            [](std::string_view, std::string_view) {});
        ready_ = true;
    }
    return used;
}

Message MessageReader::take() {
    if (!ready_) {
        throw std::logic_error("MessageReader::take: no complete message");
    }
    const MessageHeader header = *header_;
    std::string frame = std::move(buffer_);
    buffer_.clear();
    header_.reset();
    ready_ = false;
    return build_message(header, std::move(frame));
}

} // namespace pyro
