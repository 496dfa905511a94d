"""Turning recorded frames into vector documents, with named masks for what cannot be fixed."""

import json
import os
import re

from . import wire

MASK_REASONS = {
    "annotation CORR": "correlation id, a uuid4 the daemon draws at random for each answer "
    "(or the id a client or callback chose); always masked",
    "annotation HMAC": "HMAC-SHA1 signature; it covers the CORR value, so it changes with it",
    "annotation STRM": "item stream id, a uuid4 text the daemon draws at random",
    "payload": "the item stream id (36-character uuid text) that the client sends back in "
    "get_next_stream_item / close_stream",
}
REDACTED_NOTE = (
    "remote traceback text held absolute file names of the capturing machine; they were cut "
    "to package/module.py, then data_size, checksum and (for signed frames) the HMAC were "
    "computed again: a valid frame, but not the exact bytes that crossed the wire"
)
_UUID_TEXT = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def frame_entries(recorded, hmac_key):
    """The "frames" list of a scenario."""
    entries = []
    stream_ids = set()  # STRM values seen so far: the client echoes them in payloads
    for index, item in enumerate(recorded):
        raw = item["bytes"]
        redacted = False
        if item["transport"] == "tcp":
            raw, redacted = wire.redact_tracebacks(raw, hmac_key)
            decoded = wire.describe_frame(raw)
        else:
            decoded = {"text": raw.decode("latin-1")}
        entry = {
            "index": index,
            "relay": item["relay"],
            "transport": item["transport"],
            "connection": item["connection"],
            "direction": item["direction"],
            "length": len(raw),
            "hex": raw.hex(),
            "decoded": decoded,
        }
        if redacted:
            entry["redacted"] = REDACTED_NOTE
        masks = []
        for annotation in decoded.get("annotations", []):
            field = "annotation " + annotation["key"]
            if field in MASK_REASONS:
                masks.append(
                    {
                        "offset": annotation["value_offset"],
                        "length": annotation["length"],
                        "field": field,
                        "reason": MASK_REASONS[field],
                    }
                )
            if annotation["key"] == "STRM":
                stream_ids.add(bytes.fromhex(annotation["hex"]))
        if stream_ids and "payload_offset" in decoded and not decoded["payload_compressed"]:
            start = decoded["payload_offset"]
            for match in _UUID_TEXT.finditer(raw, start):
                if match.group(0) in stream_ids:
                    masks.append(
                        {
                            "offset": match.start(),
                            "length": match.end() - match.start(),
                            "field": "payload",
                            "reason": MASK_REASONS["payload"],
                        }
                    )
        entry["variable"] = masks
        entries.append(entry)
    return entries


def write_json(path, document):
    text = json.dumps(document, indent=1, ensure_ascii=False)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(tmp, path)


def replace_text(value, old, new):
    """value with every string's `old` replaced by `new` (lists and dicts walked)."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [replace_text(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: replace_text(item, old, new) for key, item in value.items()}
    return value
