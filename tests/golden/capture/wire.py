"""Pyro4 frame arithmetic: cut, describe and rebuild frames (PYRO4-WIRE.md sections 1-4).

Nothing here talks to the network; the relay hands finished frames to describe_frame() and the
corpus writer stores what it returns.
"""

import ast
import hashlib
import hmac
import json
import marshal
import os
import re
import struct
import uuid
import zlib

HEADER_FORMAT = struct.Struct(">4sHHHHiHHHH")
HEADER_SIZE = HEADER_FORMAT.size  # 24
PROTOCOL_VERSION = 48
CHECKSUM_SALT = 0x34E9

TYPE_NAMES = {
    1: "MSG_CONNECT",
    2: "MSG_CONNECTOK",
    3: "MSG_CONNECTFAIL",
    4: "MSG_INVOKE",
    5: "MSG_RESULT",
    6: "MSG_PING",
}
FLAG_BITS = (
    (0x01, "FLAGS_EXCEPTION"),
    (0x02, "FLAGS_COMPRESSED"),
    (0x04, "FLAGS_ONEWAY"),
    (0x08, "FLAGS_BATCH"),
    (0x10, "FLAGS_META_ON_CONNECT"),
    (0x20, "FLAGS_ITEMSTREAMRESULT"),
    (0x40, "FLAGS_KEEPSERIALIZED"),
)
FLAG_COMPRESSED = 0x02
SERIALIZER_NAMES = {
    1: "serpent",
    2: "json",
    3: "marshal",
    4: "pickle",
    5: "dill",
    6: "msgpack",
    7: "cloudpickle",
    42: "(none: ping)",
}


def frame_length(buffer):
    """Total length of the frame at the start of buffer, or None while the header is incomplete.

    Returns -1 when the buffer does not start with a Pyro header at all.
    """
    if len(buffer) < HEADER_SIZE:
        return None if buffer[: len(buffer)] == b"PYRO"[: len(buffer)] else -1
    if buffer[:4] != b"PYRO":
        return -1
    fields = HEADER_FORMAT.unpack_from(buffer)
    return HEADER_SIZE + fields[7] + fields[5]


def checksum(msg_type, flags, seq, data_size, serializer_id, annotations_size):
    total = msg_type + PROTOCOL_VERSION + data_size + annotations_size + serializer_id + flags + seq
    return (total + CHECKSUM_SALT) & 0xFFFF


def split_frame(raw):
    """(header tuple, [(key, value bytes, value offset)], payload bytes) of a complete frame."""
    fields = HEADER_FORMAT.unpack_from(raw)
    annotations_size = fields[7]
    annotations = []
    pos = HEADER_SIZE
    end = HEADER_SIZE + annotations_size
    while pos < end:
        key, length = struct.unpack_from(">4sH", raw, pos)
        start = pos + 6
        annotations.append((key.decode("ascii"), raw[start : start + length], start))
        pos = start + length
    return fields, annotations, raw[end : end + fields[5]]


def build_frame(msg_type, flags, seq, serializer_id, annotations, payload, hmac_key=None):
    """Encode a frame as Pyro4 does; with hmac_key, (re)sign it: HMAC goes last."""
    annotations = [(k, v) for k, v in annotations if k != "HMAC"]
    if hmac_key is not None:
        digest = hmac.new(hmac_key, payload, hashlib.sha1)
        for _key, value in sorted(annotations):
            digest.update(value)
        annotations.append(("HMAC", digest.digest()))
    chunks = b"".join(struct.pack(">4sH", k.encode("ascii"), len(v)) + v for k, v in annotations)
    header = HEADER_FORMAT.pack(
        b"PYRO",
        PROTOCOL_VERSION,
        msg_type,
        flags,
        seq,
        len(payload),
        serializer_id,
        len(chunks),
        0,
        checksum(msg_type, flags, seq, len(payload), serializer_id, len(chunks)),
    )
    return header + chunks + payload


# ------------------------------------------------------------------------------------------
# Payload values as [tag, value] trees (vectors/README.md, "payload_value")


class OrderedObject:
    """A json object as the text lists it (order and duplicates kept)."""

    __slots__ = ("pairs",)

    def __init__(self, pairs):
        self.pairs = pairs


def _tagged_pairs(pairs):
    return [[tagged(key), tagged(item)] for key, item in pairs]


def _tagged_items(items):
    return [tagged(item) for item in items]


# Scalars first (bool before int: True is an int in Python), then containers. Sets are listed in
# repr order: a literal parser does not keep the order the text had.
_TAGGERS = (
    (bool, lambda v: ["bool", v]),
    (int, lambda v: ["int", str(v)]),
    (float, lambda v: ["float", repr(v)]),
    (complex, lambda v: ["complex", [repr(v.real), repr(v.imag)]]),
    (str, lambda v: ["str", v]),
    ((bytes, bytearray), lambda v: ["bytes", bytes(v).hex()]),
    (OrderedObject, lambda v: ["dict", _tagged_pairs(v.pairs)]),
    (dict, lambda v: ["dict", _tagged_pairs(v.items())]),
    (tuple, lambda v: ["tuple", _tagged_items(v)]),
    (list, lambda v: ["list", _tagged_items(v)]),
    ((set, frozenset), lambda v: ["set", _tagged_items(sorted(v, key=repr))]),
)


def tagged(value):
    """The payload_value form of a parsed value: nested [type, value] pairs."""
    if value is None:
        return ["None"]
    for types, tag in _TAGGERS:
        if isinstance(value, types):
            return tag(value)
    return ["repr", repr(value)]


def _payload_view(serializer_id, payload):
    """Fields describing a payload: payload_text or payload_hex, payload_value, payload_note."""
    view = {}
    try:
        if serializer_id == 2:
            text = payload.decode("utf-8")
            view["payload_text"] = text
            view["payload_value"] = tagged(json.loads(text, object_pairs_hook=OrderedObject))
        elif serializer_id == 1:
            text = payload.decode("utf-8")
            view["payload_text"] = text
            view["payload_value"] = tagged(ast.literal_eval(text))
        elif serializer_id == 3:
            view["payload_hex"] = payload.hex()
            view["payload_value"] = tagged(marshal.loads(payload))
        else:
            try:
                view["payload_text"] = payload.decode("ascii")
            except UnicodeDecodeError:
                view["payload_hex"] = payload.hex()
                view["payload_note"] = "binary payload"
    except Exception as problem:  # an odd payload is described, not fatal
        if "payload_text" not in view and "payload_hex" not in view:
            view["payload_hex"] = payload.hex()
        view["payload_note"] = "%s: %s" % (type(problem).__name__, problem)
    return view


def describe_frame(raw):
    """The "decoded" object of a TCP frame."""
    if len(raw) < HEADER_SIZE or raw[:4] != b"PYRO":
        return {"not_a_pyro_frame": True}
    fields, annotations, payload = split_frame(raw)
    magic, version, msg_type, flags, seq, data_size, ser_id, ann_size, reserved, csum = fields
    header = {
        "magic": magic.decode("ascii"),
        "version": version,
        "type": msg_type,
        "type_name": TYPE_NAMES.get(msg_type, "?"),
        "flags": flags,
        "flag_names": [name for bit, name in FLAG_BITS if flags & bit],
        "seq": seq,
        "data_size": data_size,
        "serializer_id": ser_id,
        "serializer_name": SERIALIZER_NAMES.get(ser_id, "?"),
        "annotations_size": ann_size,
        "reserved": reserved,
        "checksum": csum,
        "checksum_valid": csum == checksum(msg_type, flags, seq, data_size, ser_id, ann_size),
    }
    listed = []
    for key, value, offset in annotations:
        item = {"key": key, "length": len(value), "value_offset": offset, "hex": value.hex()}
        if key == "CORR" and len(value) == 16:
            item["uuid"] = str(uuid.UUID(bytes=value))
        if key == "STRM":
            item["text"] = value.decode("utf-8", "replace")
        listed.append(item)
    decoded = {
        "header": header,
        "annotations": listed,
        "payload_offset": HEADER_SIZE + ann_size,
        "payload_compressed": bool(flags & FLAG_COMPRESSED),
    }
    if flags & FLAG_COMPRESSED:
        decoded["payload_zlib_hex"] = payload.hex()
        payload = zlib.decompress(payload)
        decoded["payload_decompressed_size"] = len(payload)
    decoded.update(_payload_view(ser_id, payload))
    return decoded


# ------------------------------------------------------------------------------------------
# Traceback path redaction

_FILE_IN_TRACEBACK = re.compile(r'File (\\*)"(/[^"\\]+)\\*"')
_TOOL_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tests/golden


def short_path(path):
    """An absolute source path as package/module.py."""
    for marker in ("/dist-packages/", "/site-packages/"):
        if marker in path:
            return path.rsplit(marker, 1)[1]
    if path.startswith(_TOOL_DIR + os.sep):
        return os.path.relpath(path, _TOOL_DIR)
    stdlib = re.search(r"/(python3\.\d+/[^/].*)$", path)
    if stdlib:
        return stdlib.group(1)
    return os.path.basename(path)


def redact_tracebacks(raw, hmac_key=None):
    """Shorten absolute file names in a frame's payload. Returns (frame, changed).

    The header's data_size and checksum follow the new length; a frame that carried an HMAC is
    signed again with hmac_key.
    """
    if len(raw) < HEADER_SIZE or raw[:4] != b"PYRO":
        return raw, False
    fields, annotations, payload = split_frame(raw)
    flags, seq, ser_id, msg_type = fields[3], fields[4], fields[6], fields[2]
    if flags & FLAG_COMPRESSED or ser_id not in (1, 2):
        return raw, False
    text = payload.decode("utf-8")

    def shorten(match):
        return match.group(0).replace(match.group(2), short_path(match.group(2)))

    new_text = _FILE_IN_TRACEBACK.sub(shorten, text)
    if new_text == text:
        return raw, False
    signed = any(key == "HMAC" for key, _v, _o in annotations)
    rebuilt = build_frame(
        msg_type,
        flags,
        seq,
        ser_id,
        [(key, value) for key, value, _o in annotations],
        new_text.encode("utf-8"),
        hmac_key if signed else None,
    )
    return rebuilt, True
