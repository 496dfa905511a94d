// Wire frames (PYRO4-WIRE.md §1–§3): header, annotations, limits, HMAC, compression and the
// incremental reader, checked against hand-made frames and frames captured from Pyro4 4.82.
#include "pyro/errors.hpp"
#include "pyro/message.hpp"
#include "sha1.hpp"
#include "support/hex.hpp"
#include "support/vectors.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <new>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

// The largest single allocation made through operator new, to show that hostile sizes are refused
// before memory is taken (zlib bomb, 2 GiB header). Replacing the global operators is allowed by
// the standard and works under ASan, which sees plain malloc/free pairs.
namespace {
std::atomic<std::size_t> largest_allocation{0};

void* counted_allocation(std::size_t size) {
    std::size_t seen = largest_allocation.load(std::memory_order_relaxed);
    while (size > seen && !largest_allocation.compare_exchange_weak(seen, size)) {
    }
    return std::malloc(size == 0 ? 1 : size);
}
} // namespace

// These replace the global operators for the whole test program, so new and free really do
// pair up; GCC cannot see that across the replacement and warns at -O2.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
    if (void* p = counted_allocation(size)) {
        return p;
    }
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    return operator new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return counted_allocation(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return counted_allocation(size);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}

namespace {

using pyro::Message;
using pyro::MessageLimits;
using pyro::MessageReader;
using pyro::MessageType;
using pyro::ProtocolError;
using pyro::test::from_hex;
using pyro::test::to_hex;
namespace flags = pyro::flags;

// Runs `action`, expecting exception E whose what() contains `fragment`.
template <typename E>
void expect_error(const std::function<void()>& action, const std::string& fragment) {
    try {
        action();
        ADD_FAILURE() << "no exception; expected one containing: " << fragment;
    } catch (const E& error) {
        EXPECT_NE(std::string{error.what()}.find(fragment), std::string::npos)
            << "message: " << error.what() << "\nexpected fragment: " << fragment;
    } catch (const std::exception& error) {
        ADD_FAILURE() << "wrong exception type: " << error.what();
    }
}

std::string u16(std::uint32_t value) {
    return {static_cast<char>((value >> 8) & 0xFF), static_cast<char>(value & 0xFF)};
}

// A header built by hand, independent of the encoder under test. The checksum is the §1.2
// formula unless given.
std::string raw_header(std::uint16_t type, std::uint16_t flag_bits, std::uint16_t seq,
                       std::int32_t data_size, std::uint16_t serializer_id,
                       std::uint16_t annotations_size, std::optional<std::uint16_t> checksum = {},
                       std::string_view magic = "PYRO", std::uint16_t version = 48) {
    const auto size = static_cast<std::uint32_t>(data_size);
    const std::uint32_t sum = std::uint32_t{type} + version + size + annotations_size +
                              serializer_id + flag_bits + seq + 0x34E9u;
    std::string header{magic};
    header += u16(version) + u16(type) + u16(flag_bits) + u16(seq);
    header += u16(size >> 16) + u16(size);
    header += u16(serializer_id) + u16(annotations_size) + u16(0);
    header += u16(checksum.value_or(static_cast<std::uint16_t>(sum & 0xFFFF)));
    return header;
}

std::string chunk(std::string_view key, std::string_view value) {
    return std::string{key} + u16(static_cast<std::uint32_t>(value.size())) + std::string{value};
}

boost::json::value read_vector(const std::string& name) {
    std::ifstream in{pyro::test::vectors_dir() / name, std::ios::binary};
    std::stringstream text;
    text << in.rdbuf();
    return boost::json::parse(text.str());
}

const boost::json::array& frames_of(const boost::json::value& vector) {
    return vector.at("frames").as_array();
}

std::string frame_bytes(const boost::json::value& frame) {
    return from_hex(frame.at("hex").as_string());
}

Message sample_message() {
    Message message;
    message.type = MessageType::Result;
    message.flags = flags::exception | flags::batch;
    message.seq = 65535;
    message.serializer_id = pyro::serializer_ids::serpent;
    message.annotations = {{"CORR", std::string(16, '\x7f')}, {"USER", "odd"}, {"NULL", ""}};
    message.payload = std::string("binary\0payload\xff", 15);
    return message;
}

// Names ------------------------------------------------------------------------------------------

TEST(MessageNames, TypeNames) {
    EXPECT_EQ(pyro::message_type_name(MessageType::Connect), "MSG_CONNECT");
    EXPECT_EQ(pyro::message_type_name(MessageType::ConnectOk), "MSG_CONNECTOK");
    EXPECT_EQ(pyro::message_type_name(MessageType::ConnectFail), "MSG_CONNECTFAIL");
    EXPECT_EQ(pyro::message_type_name(MessageType::Invoke), "MSG_INVOKE");
    EXPECT_EQ(pyro::message_type_name(MessageType::Result), "MSG_RESULT");
    EXPECT_EQ(pyro::message_type_name(MessageType::Ping), "MSG_PING");
    EXPECT_EQ(pyro::message_type_name(static_cast<MessageType>(9)), "MSG_UNKNOWN(9)");
}

TEST(MessageNames, FlagNames) {
    EXPECT_EQ(pyro::flag_names(0), "0");
    EXPECT_EQ(pyro::flag_names(flags::exception | flags::item_stream_result),
              "FLAGS_EXCEPTION|FLAGS_ITEMSTREAMRESULT");
    EXPECT_EQ(pyro::flag_names(flags::oneway | flags::batch), "FLAGS_ONEWAY|FLAGS_BATCH");
    EXPECT_EQ(pyro::flag_names(0x7F),
              "FLAGS_EXCEPTION|FLAGS_COMPRESSED|FLAGS_ONEWAY|FLAGS_BATCH|FLAGS_META_ON_CONNECT|"
              "FLAGS_ITEMSTREAMRESULT|FLAGS_KEEPSERIALIZED");
    EXPECT_EQ(pyro::flag_names(0x8010), "FLAGS_META_ON_CONNECT|0x8000");
}

// Message members
// ----------------------------------------------------------------------------------

TEST(MessageAnnotations, LastDuplicateWinsAndSetReplacesInPlace) {
    Message message;
    message.annotations = {{"AAAA", "1"}, {"BBBB", "2"}, {"AAAA", "3"}};
    ASSERT_NE(message.annotation("AAAA"), nullptr);
    EXPECT_EQ(*message.annotation("AAAA"), "3");
    EXPECT_EQ(message.annotation("CCCC"), nullptr);

    message.set_annotation("AAAA", "new");
    EXPECT_EQ(message.annotations, (std::vector<pyro::Annotation>{{"AAAA", "new"}, {"BBBB", "2"}}));
    message.set_annotation("CCCC", "appended");
    EXPECT_EQ(message.annotations.back(), (pyro::Annotation{"CCCC", "appended"}));
    message.remove_annotation("BBBB");
    message.remove_annotation("ZZZZ");
    EXPECT_EQ(message.annotations,
              (std::vector<pyro::Annotation>{{"AAAA", "new"}, {"CCCC", "appended"}}));
}

// Header and the worked example of §1.2
// ------------------------------------------------------------

TEST(MessageHeaderDecode, WorkedExampleOfSection1_2) {
    const auto vector = read_vector("ns_ping_json.json");
    const auto& frame = frames_of(vector).at(0);
    const std::string bytes = frame_bytes(frame);
    EXPECT_EQ(to_hex(bytes.substr(0, 24)), "5059524f003000010010000000000033000200000000355f");

    Message message;
    message.type = MessageType::Connect;
    message.flags = flags::meta_on_connect;
    message.seq = 0;
    message.serializer_id = pyro::serializer_ids::json;
    message.payload = R"({"handshake": "hello", "object": "Pyro.NameServer"})";
    EXPECT_EQ(to_hex(pyro::encode_message(message)), to_hex(bytes));

    const auto header = pyro::MessageHeader::decode(
        std::span<const std::uint8_t, 24>{reinterpret_cast<const std::uint8_t*>(bytes.data()), 24});
    EXPECT_EQ(header.type, MessageType::Connect);
    EXPECT_EQ(header.flags, flags::meta_on_connect);
    EXPECT_EQ(header.seq, 0);
    EXPECT_EQ(header.data_size, 51);
    EXPECT_EQ(header.serializer_id, 2);
    EXPECT_EQ(header.annotations_size, 0);
    EXPECT_EQ(header.reserved, 0);
    EXPECT_EQ(header.checksum, 0x355F);
    EXPECT_EQ(pyro::decode_message(bytes), message);
}

TEST(MessageHeaderDecode, ReservedFieldIsIgnoredAndKept) {
    std::string bytes = raw_header(6, 0, 0, 4, 42, 0) + "ping";
    bytes[21] = '\x07';
    const auto header = pyro::MessageHeader::decode(
        std::span<const std::uint8_t, 24>{reinterpret_cast<const std::uint8_t*>(bytes.data()), 24});
    EXPECT_EQ(header.reserved, 7);
    EXPECT_EQ(pyro::decode_message(bytes).payload, "ping");
}

TEST(MessageHeaderDecode, UnknownTypeIsLeftToTheConnection) {
    const auto message = pyro::decode_message(raw_header(9, 0, 1, 0, 2, 0));
    EXPECT_EQ(static_cast<int>(message.type), 9);
}

// Round trips
// --------------------------------------------------------------------------------------

TEST(MessageRoundTrip, AnnotationsFlagsAndBinaryPayload) {
    const Message message = sample_message();
    const std::string frame = pyro::encode_message(message);
    EXPECT_EQ(frame.size(), 24u + (6 + 16) + (6 + 3) + 6 + 15);
    EXPECT_EQ(pyro::decode_message(frame), message);
}

TEST(MessageRoundTrip, EmptyPayloadAndNoAnnotations) {
    Message message;
    message.type = MessageType::Ping;
    message.serializer_id = pyro::serializer_ids::ping;
    const std::string frame = pyro::encode_message(message);
    EXPECT_EQ(frame.size(), 24u);
    EXPECT_EQ(pyro::decode_message(frame), message);
}

TEST(MessageRoundTrip, FrameMadeByPythonPyro4) {
    // Pyro4 4.82: Message(MSG_RESULT, b'payload', 1, 0x21, 65535, annotations={"USER": b"odd"}).
    const std::string python = from_hex("5059524f003000050021ffff00000007000100090000354f55534552"
                                        "00036f64647061796c6f6164");
    const Message message = pyro::decode_message(python);
    EXPECT_EQ(message.flags, flags::exception | flags::item_stream_result);
    EXPECT_EQ(message.seq, 65535);
    EXPECT_EQ(message.annotations, (std::vector<pyro::Annotation>{{"USER", "odd"}}));
    EXPECT_EQ(pyro::encode_message(message), python);
}

TEST(MessageRoundTrip, EveryFrameOfNsPingReencodesByteForByte) {
    const auto vector = read_vector("ns_ping_json.json");
    for (const auto& frame : frames_of(vector)) {
        const std::string bytes = frame_bytes(frame);
        const Message message = pyro::decode_message(bytes);
        const auto& header = frame.at("decoded").at("header");
        EXPECT_EQ(static_cast<int>(message.type), header.at("type").as_int64());
        EXPECT_EQ(message.seq, header.at("seq").as_int64());
        EXPECT_EQ(pyro::flag_names(message.flags) == "0",
                  header.at("flag_names").as_array().empty());
        EXPECT_EQ(pyro::encode_message(message), bytes) << "frame " << frame.at("index");
    }
}

// Malformed frames
// ---------------------------------------------------------------------------------

const std::string good_frame = raw_header(4, 0, 1, 2, 2, 0) + "{}";

TEST(MessageMalformed, WrongMagic) {
    expect_error<ProtocolError>(
        [] { (void)pyro::decode_message(raw_header(4, 0, 1, 2, 2, 0, {}, "HTTP") + "{}"); },
        "invalid data or unsupported protocol version: magic 'HTTP', expected 'PYRO'");
    expect_error<ProtocolError>(
        [] { (void)pyro::decode_message(raw_header(4, 0, 1, 2, 2, 0, {}, "PY\r\n") + "{}"); },
        "magic 'PY\\x0d\\x0a'");
}

TEST(MessageMalformed, WrongVersion) {
    expect_error<ProtocolError>(
        [] { (void)pyro::decode_message(raw_header(4, 0, 1, 2, 2, 0, {}, "PYRO", 47) + "{}"); },
        "invalid data or unsupported protocol version: version 47, expected 48");
}

TEST(MessageMalformed, BadChecksum) {
    const std::string frame =
        raw_header(1, flags::meta_on_connect, 0, 51, 2, 0, 0x1234) + std::string(51, 'x');
    expect_error<ProtocolError>([&] { (void)pyro::decode_message(frame); },
                                "header checksum mismatch: got 0x1234, expected 0x355f");
}

TEST(MessageMalformed, NegativeDataSize) {
    // The checksum is right for -1, so only the size rule can refuse it.
    expect_error<ProtocolError>([] { (void)pyro::decode_message(raw_header(4, 0, 1, -1, 2, 0)); },
                                "invalid message size (outside range 0..2Gb): data size -1");
}

TEST(MessageMalformed, TruncatedHeader) {
    expect_error<ProtocolError>([] { (void)pyro::decode_message(good_frame.substr(0, 10)); },
                                "truncated frame: got 10 bytes, the header alone needs 24");
    expect_error<ProtocolError>([] { (void)pyro::decode_message(""); },
                                "truncated frame: got 0 bytes");
}

TEST(MessageMalformed, TruncatedBody) {
    expect_error<ProtocolError>(
        [] { (void)pyro::decode_message(good_frame.substr(0, 25)); },
        "truncated frame: got 25 bytes, expected 26 bytes (24 header + 0 annotations + 2 payload)");
}

TEST(MessageMalformed, TrailingBytes) {
    expect_error<ProtocolError>([] { (void)pyro::decode_message(good_frame + "x"); },
                                "trailing bytes after the frame: got 27 bytes, expected 26 bytes");
}

TEST(MessageMalformed, AnnotationOverrun) {
    // The chunk claims 16 bytes, but only 10 remain inside annotations_size.
    const std::string annotations = "CORR" + u16(16) + std::string(10, 'c');
    const std::string frame = raw_header(5, 0, 1, 2, 2, 16) + annotations + "{}";
    expect_error<ProtocolError>(
        [&] { (void)pyro::decode_message(frame); },
        "annotation chunk 'CORR' of length 16 overruns the annotations (10 bytes left)");
}

TEST(MessageMalformed, AnnotationOverrunIntoPayloadIsStillRefused) {
    // Enough bytes follow in the frame, but they belong to the payload: the walk must stop at
    // annotations_size, not at the end of the buffer.
    const std::string frame =
        raw_header(5, 0, 1, 30, 2, 8) + "CORR" + u16(16) + "cc" + std::string(30, 'p');
    expect_error<ProtocolError>(
        [&] { (void)pyro::decode_message(frame); },
        "annotation chunk 'CORR' of length 16 overruns the annotations (2 bytes left)");
}

TEST(MessageMalformed, TruncatedAnnotationChunkHeader) {
    const std::string frame = raw_header(5, 0, 1, 0, 2, 3) + "COR";
    expect_error<ProtocolError>([&] { (void)pyro::decode_message(frame); },
                                "truncated annotation chunk header: 3 bytes left");
    const std::string after_chunk = raw_header(5, 0, 1, 0, 2, 10) + chunk("AAAA", "") + "BBBB";
    expect_error<ProtocolError>([&] { (void)pyro::decode_message(after_chunk); },
                                "truncated annotation chunk header: 4 bytes left");
}

TEST(MessageMalformed, ZeroLengthAndOddLengthChunksAreValid) {
    // Python accepts both: an empty value and any odd length are ordinary chunks (§1.3).
    const std::string annotations = chunk("NULL", "") + chunk("ODDS", "abc") + chunk("ZERO", "");
    const std::string frame =
        raw_header(5, 0, 1, 2, 2, static_cast<std::uint16_t>(annotations.size())) + annotations +
        "{}";
    const Message message = pyro::decode_message(frame);
    EXPECT_EQ(message.annotations,
              (std::vector<pyro::Annotation>{{"NULL", ""}, {"ODDS", "abc"}, {"ZERO", ""}}));
    EXPECT_EQ(pyro::encode_message(message), frame);
}

TEST(MessageMalformed, NonAsciiAnnotationKey) {
    const std::string annotations = chunk("K\xe9Y!", "v");
    const std::string frame = raw_header(5, 0, 1, 0, 2, 7) + annotations;
    expect_error<ProtocolError>([&] { (void)pyro::decode_message(frame); },
                                "annotation key must be ASCII: 'K\\xe9Y!'");
}

// Limits
// -------------------------------------------------------------------------------------------

TEST(MessageSizeLimits, DecodeOverTheLimit) {
    const std::string frame =
        raw_header(5, 0, 1, 10, 2, 9) + chunk("USER", "odd") + std::string(10, 'p');
    MessageLimits limits;
    limits.max_message_size = 19;
    EXPECT_NO_THROW((void)pyro::decode_message(frame, limits));
    limits.max_message_size = 18;
    expect_error<pyro::MessageTooLargeError>([&] { (void)pyro::decode_message(frame, limits); },
                                             "max message size exceeded (19 where max=18)");
}

TEST(MessageSizeLimits, LimitIsCheckedBeforeTheBodyIsRequired) {
    // A lone header announcing too much fails on size, not as a truncated frame.
    MessageLimits limits;
    limits.max_message_size = 1000;
    expect_error<pyro::MessageTooLargeError>(
        [&] { (void)pyro::decode_message(raw_header(4, 0, 1, 0x7FFFFFFF, 2, 0), limits); },
        "max message size exceeded (2147483647 where max=1000)");
}

TEST(MessageSizeLimits, EncodeOverTheLimit) {
    const Message message = sample_message();
    const std::size_t size = message.payload.size() + (6 + 16) + (6 + 3) + 6;
    MessageLimits limits;
    limits.max_message_size = size;
    EXPECT_NO_THROW((void)pyro::encode_message(message, {}, limits));
    // The HMAC chunk counts too.
    expect_error<pyro::MessageTooLargeError>(
        [&] { (void)pyro::encode_message(message, "key", limits); },
        "max message size exceeded (" + std::to_string(size + 26) +
            " where max=" + std::to_string(size) + ")");
}

TEST(MessageEncode, BadAnnotationKeys) {
    Message message;
    message.annotations = {{"ABC", "v"}};
    expect_error<ProtocolError>([&] { (void)pyro::encode_message(message); },
                                "annotation key must be of length 4: 'ABC'");
    message.annotations = {{"ABCDE", "v"}};
    expect_error<ProtocolError>([&] { (void)pyro::encode_message(message); },
                                "annotation key must be of length 4: 'ABCDE'");
    message.annotations = {{"\xc3\xa9"
                            "ab",
                            "v"}};
    expect_error<ProtocolError>([&] { (void)pyro::encode_message(message); },
                                "annotation key must be ASCII: '\\xc3\\xa9ab'");
}

TEST(MessageEncode, AnnotationValueAndTotalSizes) {
    Message message;
    message.annotations = {{"BIGG", std::string(65536, 'v')}};
    expect_error<ProtocolError>([&] { (void)pyro::encode_message(message); },
                                "annotation 'BIGG' value too large: 65536 bytes, at most 65535");

    // 6 + 65529 is exactly the u16 maximum.
    message.annotations = {{"BIGG", std::string(65529, 'v')}};
    const std::string frame = pyro::encode_message(message);
    EXPECT_EQ(pyro::decode_message(frame), message);

    message.annotations.push_back({"MORE", ""});
    expect_error<ProtocolError>([&] { (void)pyro::encode_message(message); },
                                "annotations too large: 65541 bytes in all, at most 65535");
    message.annotations.pop_back();
    expect_error<ProtocolError>([&] { (void)pyro::encode_message(message, "key"); },
                                "annotations too large: 65561 bytes in all, at most 65535");
}

// HMAC
// ---------------------------------------------------------------------------------------------

TEST(MessageHmac, SignAndVerify) {
    const std::string frame = pyro::encode_message(sample_message(), "secret");
    const Message message = pyro::decode_message(frame);
    ASSERT_EQ(message.annotations.size(), 4u);
    EXPECT_EQ(message.annotations.back().key, "HMAC");
    EXPECT_EQ(message.annotations.back().value.size(), 20u);
    EXPECT_NO_THROW(pyro::verify_hmac(message, "secret"));
    EXPECT_EQ(message.annotations.back().value, pyro::message_hmac(message, "secret"));
}

TEST(MessageHmac, InputIsPayloadThenValuesInKeyOrder) {
    Message message;
    message.payload = "data";
    message.annotations = {{"ZZZZ", "z"}, {"HMAC", "ignored"}, {"AAAA", "a"}, {"MMMM", "m"}};
    pyro::detail::HmacSha1 expected{"k"};
    expected.update("data");
    expected.update("a");
    expected.update("m");
    expected.update("z");
    EXPECT_EQ(pyro::message_hmac(message, "k"), expected.finish());
}

TEST(MessageHmac, MatchesAFrameSignedByPythonPyro4) {
    // Pyro4 4.82: Message(MSG_INVOKE, b'{"x": 1}', 2, 0, 7, annotations={"ZZZZ": b"last",
    // "CORR": b"0123456789abcdef", "AAAA": b""}, hmac_key=b"labkit-secret").to_bytes()
    const std::string python = from_hex(
        "5059524f003000040000000700000008000200400000356e5a5a5a5a00046c617374434f5252001030313233"
        "343536373839616263646566414141410000484d4143001441d9bdfc5bbbf16870745b7e2ed58f044be2f86e"
        "7b2278223a20317d");
    const Message message = pyro::decode_message(python);
    EXPECT_NO_THROW(pyro::verify_hmac(message, "labkit-secret"));

    Message unsigned_message = message;
    unsigned_message.remove_annotation("HMAC");
    EXPECT_EQ(pyro::encode_message(unsigned_message, "labkit-secret"), python);
}

TEST(MessageHmac, EncodingWithAKeyReplacesAnOldHmacChunk) {
    Message message = sample_message();
    message.annotations.insert(message.annotations.begin(), {"HMAC", std::string(20, 'x')});
    const Message decoded = pyro::decode_message(pyro::encode_message(message, "secret"));
    EXPECT_EQ(std::count_if(decoded.annotations.begin(), decoded.annotations.end(),
                            [](const pyro::Annotation& a) { return a.key == "HMAC"; }),
              1);
    EXPECT_EQ(decoded.annotations.back().key, "HMAC");
    EXPECT_NO_THROW(pyro::verify_hmac(decoded, "secret"));
}

TEST(MessageHmac, Mismatch) {
    Message message = pyro::decode_message(pyro::encode_message(sample_message(), "secret"));
    expect_error<pyro::SecurityError>([&] { pyro::verify_hmac(message, "other"); },
                                      "message hmac mismatch");
    message.payload += "tampered";
    expect_error<pyro::SecurityError>([&] { pyro::verify_hmac(message, "secret"); },
                                      "message hmac mismatch");
    // A digest of the wrong length is a mismatch too, not an out-of-bounds compare.
    message.set_annotation("HMAC", "short");
    expect_error<pyro::SecurityError>([&] { pyro::verify_hmac(message, "secret"); },
                                      "message hmac mismatch");
}

TEST(MessageHmac, KeyConfigNotSymmetric) {
    const Message unsigned_message = sample_message();
    expect_error<pyro::SecurityError>([&] { pyro::verify_hmac(unsigned_message, "secret"); },
                                      "hmac key config not symmetric");
    const Message signed_message =
        pyro::decode_message(pyro::encode_message(sample_message(), "secret"));
    expect_error<pyro::SecurityError>([&] { pyro::verify_hmac(signed_message, ""); },
                                      "hmac key config not symmetric");
    EXPECT_NO_THROW(pyro::verify_hmac(unsigned_message, ""));
}

TEST(MessageHmac, EveryFrameOfTheHmacVectorVerifies) {
    const auto vector = read_vector("hmac_json.json");
    const std::string key{vector.at("hmac_key").as_string()};
    ASSERT_EQ(key, "labkit-secret");
    ASSERT_FALSE(frames_of(vector).empty());
    for (const auto& frame : frames_of(vector)) {
        const std::string bytes = frame_bytes(frame);
        const Message message = pyro::decode_message(bytes);
        EXPECT_NO_THROW(pyro::verify_hmac(message, key)) << "frame " << frame.at("index");
        expect_error<pyro::SecurityError>([&] { pyro::verify_hmac(message, "wrong-key"); },
                                          "message hmac mismatch");
        // Signing again gives the very bytes Pyro4 sent (HMAC last, same digest).
        EXPECT_EQ(pyro::encode_message(message, key), bytes) << "frame " << frame.at("index");
    }
}

// Compression
// --------------------------------------------------------------------------------------

std::string compressible_text(std::size_t size) {
    std::string text;
    while (text.size() < size) {
        text += "abcdefghij";
    }
    text.resize(size);
    return text;
}

TEST(MessageCompression, SmallPayloadsStayAsTheyAre) {
    Message message;
    message.payload = compressible_text(199);
    pyro::compress_payload(message);
    EXPECT_FALSE(message.has_flag(flags::compressed));
    EXPECT_EQ(message.payload, compressible_text(199));
}

TEST(MessageCompression, IncompressiblePayloadStaysAsItIs) {
    std::mt19937 random{42};
    std::string noise(500, '\0');
    for (auto& c : noise) {
        c = static_cast<char>(random() & 0xFF);
    }
    Message message;
    message.payload = noise;
    pyro::compress_payload(message);
    EXPECT_FALSE(message.has_flag(flags::compressed));
    EXPECT_EQ(message.payload, noise);
}

TEST(MessageCompression, RoundTripThroughAFrame) {
    Message message = sample_message();
    message.payload = compressible_text(5000);
    pyro::compress_payload(message);
    ASSERT_TRUE(message.has_flag(flags::compressed));
    EXPECT_LT(message.payload.size(), 5000u);
    EXPECT_EQ(to_hex(message.payload.substr(0, 2)), "789c");
    const std::string compressed = message.payload;
    pyro::compress_payload(message); // already compressed: untouched
    EXPECT_EQ(message.payload, compressed);

    const Message decoded = pyro::decode_message(pyro::encode_message(message));
    EXPECT_EQ(pyro::payload_bytes(decoded), compressible_text(5000));
}

TEST(MessageCompression, UncompressedPayloadIsReturnedAsIs) {
    EXPECT_EQ(pyro::payload_bytes(sample_message()), sample_message().payload);
}

TEST(MessageCompression, RealCompressedFrameFromPyro4) {
    const auto vector = read_vector("compression_json.json");
    const auto& frames = frames_of(vector);
    const auto found = std::find_if(frames.begin(), frames.end(), [](const auto& frame) {
        return frame.at("decoded").at("payload_compressed").as_bool();
    });
    ASSERT_NE(found, frames.end());
    const auto& decoded_json = found->at("decoded");
    const std::string text{decoded_json.at("payload_text").as_string()};

    const Message message = pyro::decode_message(frame_bytes(*found));
    ASSERT_TRUE(message.has_flag(flags::compressed));
    EXPECT_EQ(pyro::payload_bytes(message), text);
    EXPECT_EQ(static_cast<std::int64_t>(text.size()),
              decoded_json.at("payload_decompressed_size").as_int64());

    // Python's zlib.compress and ours agree byte for byte, so the whole frame is reproducible.
    Message ours = message;
    ours.flags = 0;
    ours.payload = text;
    pyro::compress_payload(ours);
    EXPECT_EQ(to_hex(ours.payload), std::string{decoded_json.at("payload_zlib_hex").as_string()});
    EXPECT_EQ(pyro::encode_message(ours), frame_bytes(*found));
}

TEST(MessageCompression, BrokenData) {
    Message message;
    message.flags = flags::compressed;
    message.payload = "not zlib at all";
    expect_error<ProtocolError>([&] { (void)pyro::payload_bytes(message); },
                                "invalid compressed payload: incorrect header check");

    Message good;
    good.payload = compressible_text(1000);
    pyro::compress_payload(good);
    message.payload = good.payload.substr(0, good.payload.size() - 5);
    expect_error<ProtocolError>([&] { (void)pyro::payload_bytes(message); },
                                "invalid compressed payload: truncated zlib stream");
    message.payload = good.payload + "junk";
    expect_error<ProtocolError>([&] { (void)pyro::payload_bytes(message); },
                                "4 bytes after the end of the zlib stream");
    message.payload = good.payload;
    message.payload[message.payload.size() - 1] ^= 1; // Adler-32
    expect_error<ProtocolError>([&] { (void)pyro::payload_bytes(message); },
                                "invalid compressed payload: incorrect data check");
    message.payload.clear();
    expect_error<ProtocolError>([&] { (void)pyro::payload_bytes(message); },
                                "invalid compressed payload");
}

TEST(MessageCompression, InflatedSizeLimit) {
    Message message;
    message.payload = compressible_text(1000);
    pyro::compress_payload(message);
    MessageLimits limits;
    limits.max_inflated_size = 1000;
    EXPECT_EQ(pyro::payload_bytes(message, limits).size(), 1000u);
    limits.max_inflated_size = 999;
    expect_error<ProtocolError>([&] { (void)pyro::payload_bytes(message, limits); },
                                "compressed payload inflates beyond the limit of 999 bytes");
}

TEST(MessageCompression, ZlibBombIsRefusedWithoutAllocatingIt) {
    Message bomb;
    bomb.payload.assign(100u * 1024 * 1024, '\0');
    pyro::compress_payload(bomb);
    ASSERT_TRUE(bomb.has_flag(flags::compressed));
    EXPECT_LT(bomb.payload.size(), 200u * 1024);

    // The tracker is live: it saw the 100 MB the test itself allocated.
    EXPECT_GE(largest_allocation.load(), 100u * 1024 * 1024);

    MessageLimits limits;
    limits.max_inflated_size = 1024 * 1024;
    largest_allocation = 0;
    expect_error<ProtocolError>([&] { (void)pyro::payload_bytes(bomb, limits); },
                                "compressed payload inflates beyond the limit of 1048576 bytes");
    EXPECT_LE(largest_allocation.load(), 2u * 1024 * 1024);
}

// MessageReader
// ------------------------------------------------------------------------------------

std::string three_frames() {
    Message ping;
    ping.type = MessageType::Ping;
    ping.serializer_id = pyro::serializer_ids::ping;
    ping.payload = "ping";
    Message big = sample_message();
    big.payload = compressible_text(3000);
    return pyro::encode_message(sample_message()) + pyro::encode_message(ping) +
           pyro::encode_message(big, "secret");
}

// Feeds `stream` in pieces chosen by next_size and collects the messages.
std::vector<Message> read_all(std::string_view stream,
                              const std::function<std::size_t()>& next_size,
                              const MessageLimits& limits = {}) {
    MessageReader reader{limits};
    std::vector<Message> messages;
    while (!stream.empty()) {
        const std::size_t offered = std::min(next_size(), stream.size());
        const std::size_t wanted = reader.bytes_wanted();
        const std::size_t used = reader.feed(stream.substr(0, offered));
        EXPECT_EQ(used, std::min(offered, wanted));
        stream.remove_prefix(used);
        if (reader.has_message()) {
            EXPECT_EQ(reader.bytes_wanted(), 0u);
            EXPECT_EQ(reader.feed(stream.substr(0, 1)), 0u);
            messages.push_back(reader.take());
            EXPECT_FALSE(reader.has_message());
            EXPECT_FALSE(reader.header().has_value());
            EXPECT_EQ(reader.bytes_wanted(), 24u);
        }
    }
    EXPECT_EQ(reader.bytes_wanted(), 24u) << "a frame was left incomplete";
    return messages;
}

std::vector<Message> expected_three() {
    std::vector<Message> messages;
    const std::string owned = three_frames();
    std::size_t offset = 0;
    for (const std::size_t size : {24u + 22 + 9 + 6 + 15, 28u, 24u + 22 + 9 + 6 + 26 + 3000}) {
        messages.push_back(pyro::decode_message(std::string_view{owned}.substr(offset, size)));
        offset += size;
    }
    EXPECT_EQ(offset, owned.size());
    return messages;
}

TEST(MessageReaderFeed, ByteByByte) {
    EXPECT_EQ(read_all(three_frames(), [] { return std::size_t{1}; }), expected_three());
}

TEST(MessageReaderFeed, RandomChunkSizes) {
    std::mt19937 random{7};
    std::uniform_int_distribution<std::size_t> size{1, 200};
    for (int round = 0; round < 20; ++round) {
        EXPECT_EQ(read_all(three_frames(), [&] { return size(random); }), expected_three());
    }
}

TEST(MessageReaderFeed, WholeStreamOffered) {
    // Offered everything at once, the reader still takes one part at a time.
    EXPECT_EQ(read_all(three_frames(), [] { return std::size_t{1} << 20; }), expected_three());
}

TEST(MessageReaderFeed, SpanOverloadAndHeaderBeforeBody) {
    const std::string frame = pyro::encode_message(sample_message());
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(frame.data());
    MessageReader reader;
    EXPECT_EQ(reader.bytes_wanted(), 24u);
    EXPECT_EQ(reader.feed(std::span<const std::uint8_t>{bytes, 23}), 23u);
    EXPECT_FALSE(reader.header().has_value());
    EXPECT_EQ(reader.feed(std::span<const std::uint8_t>{bytes + 23, 1}), 1u);
    ASSERT_TRUE(reader.header().has_value());
    EXPECT_EQ(reader.header()->type, MessageType::Result);
    EXPECT_EQ(reader.bytes_wanted(), frame.size() - 24);
    EXPECT_EQ(reader.feed(std::span<const std::uint8_t>{bytes + 24, frame.size() - 24}),
              frame.size() - 24);
    ASSERT_TRUE(reader.has_message());
    EXPECT_EQ(reader.take(), sample_message());
}

TEST(MessageReaderFeed, TakeWithoutMessage) {
    MessageReader reader;
    EXPECT_THROW((void)reader.take(), std::logic_error);
}

TEST(MessageReaderFeed, BadHeaderFailsAtOnceAndStaysFailed) {
    MessageReader reader;
    const std::string frame = raw_header(1, 0, 0, 0, 2, 0, 0x1234);
    EXPECT_EQ(reader.feed(std::string_view{frame}.substr(0, 23)), 23u);
    expect_error<ProtocolError>([&] { reader.feed(std::string_view{frame}.substr(23)); },
                                "header checksum mismatch: got 0x1234");
    expect_error<ProtocolError>([&] { reader.feed(good_frame); }, "header checksum mismatch");
    expect_error<ProtocolError>([&] { reader.feed(std::string_view{}); },
                                "header checksum mismatch");
    EXPECT_FALSE(reader.has_message());
}

TEST(MessageReaderFeed, AnnotationOverrunFailsAndStaysFailed) {
    const std::string frame =
        raw_header(5, 0, 1, 2, 2, 16) + "CORR" + u16(16) + std::string(10, 'c') + "{}";
    MessageReader reader;
    EXPECT_EQ(reader.feed(frame.substr(0, 24)), 24u);
    expect_error<ProtocolError>([&] { reader.feed(frame.substr(24)); },
                                "annotation chunk 'CORR' of length 16 overruns the annotations");
    expect_error<ProtocolError>([&] { reader.feed(good_frame); }, "overruns the annotations");
    EXPECT_FALSE(reader.has_message());
}

TEST(MessageReaderFeed, TwoGibHeaderRefusedBeforeAllocation) {
    MessageLimits limits;
    limits.max_message_size = 1024 * 1024;
    MessageReader reader{limits};
    const std::string header = raw_header(5, 0, 1, 0x7FFFFFFF, 2, 0xFFFF);
    largest_allocation = 0;
    expect_error<pyro::MessageTooLargeError>(
        [&] { reader.feed(header); }, "max message size exceeded (2147549182 where max=1048576)");
    EXPECT_LT(largest_allocation.load(), 4096u);
    expect_error<pyro::MessageTooLargeError>([&] { reader.feed(std::string_view{}); },
                                             "max message size exceeded");
}

TEST(MessageReaderFeed, UnlimitedReaderGrowsOnlyWithTheBytesThatArrive) {
    MessageReader reader;
    const std::string header = raw_header(5, 0, 1, 0x7FFFFFFF, 2, 0);
    largest_allocation = 0;
    EXPECT_EQ(reader.feed(header), 24u);
    EXPECT_EQ(reader.bytes_wanted(), 0x7FFFFFFFu);
    EXPECT_EQ(reader.feed(std::string(1000, 'p')), 1000u);
    EXPECT_EQ(reader.bytes_wanted(), 0x7FFFFFFFu - 1000);
    EXPECT_LT(largest_allocation.load(), 64u * 1024);
}

TEST(MessageReaderFeed, LimitExactlyReachedIsAccepted) {
    const std::string frame = pyro::encode_message(sample_message());
    MessageLimits limits;
    limits.max_message_size = frame.size() - 24;
    EXPECT_EQ(read_all(
                  frame, [] { return std::size_t{7}; }, limits)
                  .at(0),
              sample_message());
}

} // namespace
