#!/usr/bin/python3
"""Is tests/golden/vectors still what tests/golden/capture.py records?

Records a fresh corpus into a temporary folder and compares it, file by file and frame by frame,
with the committed one. Only the byte ranges a frame lists under "variable" (named masks:
annotation CORR / HMAC / STRM, stream ids in payloads) may differ; everything else, including
client_outcome, nsc output and the reference files, must be identical. Exit status 0 means
identical; 1 lists every difference; 2 means the capture itself failed.

    tests/golden/check_capture.py                        # full check (10-20 seconds)
    tests/golden/check_capture.py --only item_stream     # just these (see capture.py --list)
    tests/golden/check_capture.py --compare DIR_A DIR_B  # compare two existing folders

As root with unshare(1) the capture runs in a private network namespace (unshare -n, loopback
brought up inside), so the fixed ports 47300-47316 cannot collide with a parallel ctest or a
student's name server. Otherwise it runs on the host's loopback and stops with one line if a
port is taken.
"""

import os
import sys

if not sys.flags.dont_write_bytecode:
    os.execv(sys.executable, [sys.executable, "-B", os.path.abspath(__file__)] + sys.argv[1:])

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from capture import isolation  # noqa: E402
from capture.scenarios import PORTS  # noqa: E402

CAPTURE = os.path.join(HERE, "capture.py")
DEFAULT_CORPUS = os.path.join(HERE, "vectors")
MAX_LINES_PER_FILE = 12


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def masked_values(frame):
    """The byte strings under the frame's masks, with the names they appear under in decoded."""
    raw = bytes.fromhex(frame["hex"])
    found = []
    for mask in frame.get("variable", []):
        value = raw[mask["offset"] : mask["offset"] + mask["length"]]
        spellings = [value.hex()]
        if len(value) == 16:
            spellings.append(str(uuid.UUID(bytes=value)))
        try:
            text = value.decode("ascii")
            if text.isprintable() and len(text) >= 8:
                spellings.append(text)
        except UnicodeDecodeError:
            pass
        found.append((mask["field"], spellings))
    return found


def masked_hex(frame, masks):
    raw = bytearray(bytes.fromhex(frame["hex"]))
    for mask in masks:
        for i in range(mask["offset"], min(len(raw), mask["offset"] + mask["length"])):
            raw[i] = 0
    return bytes(raw)


def normalized_decoded(frame):
    text = json.dumps(frame.get("decoded"), sort_keys=True, ensure_ascii=False)
    for field, spellings in masked_values(frame):
        for spelling in sorted(spellings, key=len, reverse=True):
            text = text.replace(spelling, "<%s>" % field)
    return text


def mask_key(mask):
    return (mask["offset"], mask["length"], mask["field"])


def first_difference(a, b, prefix=""):
    """Where two JSON values first differ, as a readable path."""
    if type(a) is not type(b):
        return "%s: %s vs %s" % (prefix or "(top)", short(a), short(b))
    if isinstance(a, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return "%s.%s: only in %s" % (prefix, key, "committed" if key in a else "new")
            found = first_difference(a[key], b[key], "%s.%s" % (prefix, key))
            if found:
                return found
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, "%s[%d]" % (prefix, i))
            if found:
                return found
        if len(a) != len(b):
            return "%s: %d vs %d items" % (prefix, len(a), len(b))
        return None
    if a != b and not (a != a and b != b):  # NaN equals NaN here
        return "%s: %s vs %s" % (prefix or "(top)", short(a), short(b))
    return None


def short(value, width=70):
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."


def byte_ranges(a, b):
    """Differing byte ranges of two equal-length byte strings, as 'start..end' texts."""
    ranges, start = [], None
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and start is None:
            start = i
        elif x == y and start is not None:
            ranges.append((start, i - 1))
            start = None
    if start is not None:
        ranges.append((start, len(a) - 1))
    return ranges


def region(frame, offset):
    decoded = frame.get("decoded", {})
    if "header" not in decoded:
        return "datagram"
    if offset < 24:
        return "header"
    for annotation in decoded.get("annotations", []):
        if annotation["value_offset"] - 6 <= offset < annotation["value_offset"] + annotation["length"]:
            return "annotation " + annotation["key"]
    return "payload"


def compare_frames(old, new):
    problems = []
    for i in range(max(len(old), len(new))):
        if i >= len(old) or i >= len(new):
            which = "new capture" if i >= len(old) else "committed corpus"
            frame = (new if i >= len(old) else old)[i]
            problems.append("frame %d (%s conn %s %s): only in the %s" % (
                i, frame["relay"], frame["connection"], frame["direction"], which))
            continue
        a, b = old[i], new[i]
        where = "frame %d (%s conn %s %s)" % (i, a["relay"], a["connection"], a["direction"])
        for key in ("relay", "transport", "connection", "direction", "length"):
            if a.get(key) != b.get(key):
                problems.append("%s: %s %s vs %s" % (where, key, short(a.get(key)), short(b.get(key))))
        if ("redacted" in a) != ("redacted" in b):
            problems.append("%s: redacted in only one of them" % where)
        masks_a = sorted(map(mask_key, a.get("variable", [])))
        masks_b = sorted(map(mask_key, b.get("variable", [])))
        if masks_a != masks_b:
            problems.append("%s: variable masks differ: %s vs %s" % (where, masks_a, masks_b))
        masks = a.get("variable", []) + b.get("variable", [])
        ha, hb = masked_hex(a, masks), masked_hex(b, masks)
        if len(ha) != len(hb):
            problems.append("%s: %d bytes vs %d bytes" % (where, len(ha), len(hb)))
        elif ha != hb:
            spans = byte_ranges(ha, hb)
            shown = ", ".join("%d..%d (%s)" % (s, e, region(a, s)) for s, e in spans[:4])
            problems.append("%s: bytes differ outside the masks at %s%s" % (
                where, shown, " ..." if len(spans) > 4 else ""))
        elif normalized_decoded(a) != normalized_decoded(b):
            problems.append("%s: decoded differs: %s" % (
                where, first_difference(json.loads(normalized_decoded(a)), json.loads(normalized_decoded(b)))))
    return problems


IGNORED_FIELDS = set()


def compare_files(old_path, new_path):
    old, new = load(old_path), load(new_path)
    problems = []
    if "frames" not in old or "frames" not in new:
        for key in IGNORED_FIELDS:
            old.pop(key, None)
            new.pop(key, None)
        found = first_difference(old, new)
        if found:
            problems.append("content differs at %s" % found)
        return problems
    for key in sorted(set(old) | set(new)):
        if key == "frames" or key in IGNORED_FIELDS:
            continue
        if key not in old or key not in new:
            problems.append("field %s only in the %s" % (key, "committed corpus" if key in old else "new capture"))
        else:
            found = first_difference(old[key], new[key], key)
            if found:
                problems.append("field %s" % found)
    problems += compare_frames(old["frames"], new["frames"])
    return problems


def compare_dirs(committed, fresh, names=None):
    """Print a report; return the number of files that differ."""
    def listing(folder):
        return {f for f in os.listdir(folder) if f.endswith(".json")}

    old_files, new_files = listing(committed), listing(fresh)
    if names is not None:
        old_files &= names
    failures = 0
    for name in sorted(old_files | new_files):
        if name not in new_files:
            print("FAIL %s: in the committed corpus, not produced by the capture" % name)
            failures += 1
            continue
        if name not in old_files:
            print("FAIL %s: produced by the capture, missing from the committed corpus" % name)
            failures += 1
            continue
        problems = compare_files(os.path.join(committed, name), os.path.join(fresh, name))
        if problems:
            failures += 1
            print("FAIL %s: %d difference(s)" % (name, len(problems)))
            for line in problems[:MAX_LINES_PER_FILE]:
                print("     " + line)
            if len(problems) > MAX_LINES_PER_FILE:
                print("     ... and %d more" % (len(problems) - MAX_LINES_PER_FILE))
    total = len(old_files | new_files)
    print("%d of %d files identical outside the masked ranges" % (total - failures, total))
    return failures


def main():
    parser = argparse.ArgumentParser(description="Re-record the golden vectors and compare.")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS, help="committed corpus (default: %(default)s)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="check only these (capture.py --list)")
    parser.add_argument("--keep", metavar="DIR", help="record into DIR and keep it")
    parser.add_argument("--compare", nargs=2, metavar=("COMMITTED", "FRESH"),
                        help="only compare two existing folders")
    parser.add_argument("--no-netns", action="store_true", help="never use a network namespace")
    parser.add_argument("--ignore-field", action="append", default=[], metavar="KEY",
                        help="top-level scenario field not to compare (e.g. description when "
                        "comparing with a corpus made by another tool)")
    args = parser.parse_args()
    IGNORED_FIELDS.update(args.ignore_field)
    isolation.stop_on_sigterm()

    if args.compare:
        return 1 if compare_dirs(*args.compare) else 0

    if not args.no_netns and not isolation.inside() and isolation.can_unshare():
        code = isolation.rerun_isolated(isolation.self_command())
        if code is not None:
            return code
        print("note: no network namespace could be made; capturing on the host's loopback")
    if isolation.inside():
        isolation.loopback_up()
    else:
        busy = isolation.busy_port(PORTS, ("bc_server", "bc_relay"))
        if busy:
            print("FAIL: %s port %d (%s) on 127.0.0.1 is in use, so the capture cannot run; free it "
                  "or run as root with unshare(1) available" % (busy[2], busy[1], busy[0]))
            return 2

    fresh = args.keep or tempfile.mkdtemp(prefix="libpyro-check-")
    try:
        python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        command = [python, "-B", CAPTURE, "--out", fresh, "--quiet", "--no-netns"]
        if args.only:
            command += ["--only"] + args.only
        code = isolation.run_child(command)
        if code != 0:
            print("FAIL: capture.py exited with status %d" % code)
            return 2
        names = None
        if args.only:
            names = {f for f in os.listdir(fresh) if f.endswith(".json")}
        failures = compare_dirs(os.path.abspath(args.corpus), fresh, names)
    finally:
        if not args.keep:
            shutil.rmtree(fresh, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("check_capture.py: interrupted")
        sys.exit(130)
