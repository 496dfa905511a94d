#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, made from the kit's golden corpus.

    make_seeds.py VECTORS_DIR OUT_DIR

writes OUT_DIR/TARGET/NAME for every target in tests/fuzz/ (message, serpent, json, uri, nsc,
dbm). Seeds are real traffic and texts captured from Pyro4 4.82, so the fuzzers start from
inputs that reach deep into each parser instead of rediscovering "PYRO" byte by byte. The output
folder is a build folder, never the repository: the seeds are derived data.
"""

import dbm.dumb
import glob
import hashlib
import json
import os
import shutil
import sys
import tempfile

TARGETS = ("message", "serpent", "json", "uri", "nsc", "dbm")


class Seeds:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = {target: 0 for target in TARGETS}
        for target in TARGETS:
            folder = os.path.join(out_dir, target)
            shutil.rmtree(folder, ignore_errors=True)  # no stale seeds from an older corpus
            os.makedirs(folder)

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        # Named by content, as libFuzzer names corpus files: duplicates collapse.
        name = hashlib.sha1(data).hexdigest()
        path = os.path.join(self.out_dir, target, name)
        if not os.path.exists(path):
            with open(path, "wb") as out:
                out.write(data)
            self.count[target] += 1


def frame_seeds(seeds, vector):
    streams = {}
    for frame in vector.get("frames", []):
        raw = bytes.fromhex(frame["hex"])
        seeds.add("message", raw)
        # One direction of one connection, as the reader meets it on a socket.
        key = (frame.get("relay"), frame.get("connection"), frame.get("direction"))
        streams[key] = streams.get(key, b"") + raw
        decoded = frame.get("decoded", {})
        text = decoded.get("payload_text")
        serializer = decoded.get("header", {}).get("serializer_id")
        if text is not None and serializer == 1:
            seeds.add("serpent", text)
        elif text is not None and serializer == 2:
            seeds.add("json", text)
    for stream in streams.values():
        seeds.add("message", stream)


def serializer_value_seeds(seeds, vector):
    for value in vector.get("values", []):
        for target in ("serpent", "json"):
            if isinstance(value.get(target), dict) and "text" in value[target]:
                seeds.add(target, value[target]["text"])
    for accepted in vector.get("python_accepts", []):
        if accepted.get("serializer") in ("serpent", "json") and "hex" in accepted:
            seeds.add(accepted["serializer"], bytes.fromhex(accepted["hex"]))


def nsc_seeds(seeds, vector):
    # The argument list without the program name, one per line; the relay port placeholder
    # becomes a number, as pyro-nsc would see it.
    arguments = [
        "47310" if argument.startswith("<") and argument.endswith(">") else argument
        for argument in vector["command"][1:]
    ]
    command = "\n".join(arguments)
    seeds.add("nsc", command)
    stdin = vector.get("stdin") or ""
    # The name server's answers become the fake server's reply (nsc_fuzz.cpp's input layout).
    for frame in vector.get("frames", []):
        decoded = frame.get("decoded", {})
        if frame.get("direction") == "server->client" and decoded.get("payload_text"):
            if decoded.get("header", {}).get("serializer_id") == 1:
                seeds.add("nsc", command + "\0" + decoded["payload_text"] + "\0" + stdin)


def dbm_seeds(seeds):
    # Python's own dbm.dumb writes the files, exactly as pyro4-ns -s dbm:FILE would.
    contents = [
        {},
        {"Pyro.NameServer": "PYRO:Pyro.NameServer@localhost:9090"},
        {
            "example.echo": "PYRO:obj_1@127.0.0.1:4444",
            "it's \"quoted\"": "PYRO:q@[::1]:1",
            "caf\u00e9\u00ff\t\n": "PYRO:x@./u:/tmp/sock",
            "big": "PYRO:" + "b" * 700 + "@h:1",
        },
    ]
    for number, entries in enumerate(contents):
        with tempfile.TemporaryDirectory() as work:
            base = os.path.join(work, "db")
            with dbm.dumb.open(base, "c") as db:
                for key, value in entries.items():
                    db[key.encode("latin-1")] = value.encode("utf-8")
                if number == 2:
                    db[b"big"] = b"PYRO:small@h:2"  # rewritten in place, as an update does
            with open(base + ".dir", "rb") as index, open(base + ".dat", "rb") as data:
                seeds.add("dbm", index.read() + b"\0" + data.read())


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    vectors_dir, out_dir = sys.argv[1:]
    seeds = Seeds(out_dir)
    for path in sorted(glob.glob(os.path.join(vectors_dir, "*.json"))):
        with open(path, encoding="utf-8") as f:
            vector = json.load(f)
        frame_seeds(seeds, vector)
        serializer_value_seeds(seeds, vector)
        for uri in vector.get("uris", []):
            seeds.add("uri", uri["input"])
        if os.path.basename(path).startswith("nsc_") and "command" in vector:
            nsc_seeds(seeds, vector)
    dbm_seeds(seeds)
    print("seeds: " + ", ".join(f"{target} {seeds.count[target]}" for target in TARGETS))
    empty = [target for target in TARGETS if seeds.count[target] == 0]
    if empty:
        sys.exit(f"no seeds for {', '.join(empty)}: is {vectors_dir} the golden corpus?")


if __name__ == "__main__":
    main()
