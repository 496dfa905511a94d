#!/usr/bin/python3
"""The Wireshark dissector (tools/wireshark/pyro4.lua) against the kit's golden corpus.

    /usr/bin/python3 tests/dissector/dissector_test.py [--vectors DIR] [--only STEM...] [--jobs N]

Every scenario of tests/golden/vectors becomes a pcap (tools/wireshark/corpus_to_pcap.py, the
relay ports 473xx, so Pyro is found only by the heuristic); tshark dissects it with the Lua
script (two passes, PDML) and every Pyro frame it shows must carry the header, annotations and
payload the corpus documents for that frame, and the request/response links the corpus implies.
Then, over the whole corpus in one pcap each: every frame split inside its header, every frame cut
into 40-byte segments, and consecutive frames coalesced into one segment (TCP reassembly); the
registered ports 9090/9091 with heuristics off; and a negative control (heuristic off on 473xx:
no Pyro at all).

Exit 0 when all checks pass, 1 on any mismatch, 77 (ctest SKIP_RETURN_CODE) when tshark is not
installed or cannot run Lua scripts. Wireshark may refuse Lua as root: then tshark runs as
`nobody` (setpriv), from a private copy of the script and pcaps. PYRO_DISSECTOR_USER=root|nobody
forces one way.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
KIT = os.path.dirname(os.path.dirname(HERE))
DISSECTOR = os.path.join(KIT, "tools", "wireshark", "pyro4.lua")
PCAP_WRITER = os.path.join(KIT, "tools", "wireshark", "corpus_to_pcap.py")
VECTORS = os.path.join(KIT, "tests", "golden", "vectors")
SKIP = 77
TSHARK_TIMEOUT = 60

MSG_CONNECT, MSG_CONNECTOK, MSG_CONNECTFAIL, MSG_INVOKE, MSG_RESULT, MSG_PING = 1, 2, 3, 4, 5, 6
FLAG_FIELDS = [(0x01, "exception"), (0x02, "compressed"), (0x04, "oneway"), (0x08, "batch"),
               (0x10, "meta_on_connect"), (0x20, "itemstreamresult"), (0x40, "keepserialized")]


def skip(reason):
    print(f"SKIPPED: {reason}")
    sys.exit(SKIP)


class Tshark:
    """Runs tshark with the dissector, as root or, where root may not run Lua, as nobody."""

    def __init__(self, workdir, user):
        self.workdir = workdir
        self.tshark = shutil.which("tshark")
        if not self.tshark:
            skip("tshark is not installed (./labkit setup installs it: apt-get install tshark)")
        self.script = os.path.join(workdir, "pyro4.lua")
        shutil.copyfile(DISSECTOR, self.script)
        os.chmod(self.script, 0o644)
        self.prefix = []
        if user == "nobody" or (user == "auto" and os.geteuid() == 0 and not self.lua_works()):
            setpriv = shutil.which("setpriv")
            if os.geteuid() != 0 or not setpriv:
                skip("tshark refuses Lua for this user and cannot switch to 'nobody' (needs root and setpriv)")
            self.prefix = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
            print("running tshark as nobody" + (" (this tshark does not run Lua scripts as root)"
                                                if user == "auto" else ""))
        if not self.lua_works():
            skip("tshark runs but does not load Lua scripts (built without Lua, or Lua disabled in init.lua)")

    def lua_works(self):
        probe = os.path.join(self.workdir, "probe.lua")
        with open(probe, "w") as f:
            f.write('print("pyro4-lua-probe")\n')
        os.chmod(probe, 0o644)
        empty = os.path.join(self.workdir, "empty.pcap")
        with open(empty, "wb") as f:
            f.write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
        os.chmod(empty, 0o644)
        try:
            out = subprocess.run(self.prefix + [self.tshark, "-X", f"lua_script:{probe}", "-r", empty],
                                 capture_output=True, text=True, timeout=TSHARK_TIMEOUT,
                                 env=self.env(), cwd=self.workdir)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return "pyro4-lua-probe" in out.stdout

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESHARK")}
        env["HOME"] = self.workdir  # no personal profile; nobody's home does not exist
        env["LC_ALL"] = "C.UTF-8"
        return env

    def pdml(self, pcap, *extra):
        cmd = self.prefix + [self.tshark, "-2", "-n", "-X", f"lua_script:{self.script}", "-r", pcap,
                             "-T", "pdml", *extra]
        out = subprocess.run(cmd, capture_output=True, timeout=TSHARK_TIMEOUT, env=self.env(),
                             cwd=self.workdir)
        if out.returncode != 0:
            raise RuntimeError(f"tshark failed on {pcap}: {out.stderr.decode(errors='replace')}")
        stderr = out.stderr.decode(errors="replace")
        lua_errors = [l for l in stderr.splitlines() if "Lua" in l or "lua" in l]
        if lua_errors:
            raise RuntimeError(f"Lua errors from tshark on {pcap}: {lua_errors[:3]}")
        return parse_pdml(out.stdout)


def parse_pdml(data):
    """A list of packets: {number, time, ports, pyro: [proto element], bc: [proto element]}."""
    packets = []
    for packet in ET.fromstring(data).iter("packet"):
        p = {"pyro": [], "bc": []}
        for proto in packet.findall("proto"):
            name = proto.get("name")
            if name == "pyro4":
                p["pyro"].append(proto)
            elif name == "pyro4_bc":
                p["bc"].append(proto)
            elif name == "frame":
                for field in proto.iter("field"):
                    if field.get("name") == "frame.number":
                        p["number"] = int(field.get("show"))
                    elif field.get("name") == "frame.time_relative":
                        p["time"] = float(field.get("show"))
            elif name in ("tcp", "udp"):
                ports = {}
                for field in proto.findall("field"):
                    if field.get("name") in (f"{name}.srcport", f"{name}.dstport"):
                        ports[field.get("name").split(".")[1]] = int(field.get("show"))
                p["ports"] = (ports.get("srcport"), ports.get("dstport"))
        packets.append(p)
    return packets


def fields(proto, name):
    return [f for f in proto.iter("field") if f.get("name") == name]


def one(proto, name):
    found = fields(proto, name)
    return found[0] if len(found) == 1 else None


def show(proto, name):
    field = one(proto, name)
    return None if field is None else field.get("show")


class Checker:
    def __init__(self):
        self.failures = []
        self.checks = 0

    def eq(self, where, what, got, want):
        self.checks += 1
        if got != want:
            self.failures.append(f"{where}: {what}: dissector shows {got!r}, corpus says {want!r}")

    def true(self, where, what, ok, detail=""):
        self.checks += 1
        if not ok:
            self.failures.append(f"{where}: {what} {detail}".rstrip())


def expected_pairs(frames):
    """Request index -> response index from the corpus: same TCP connection, same seq, the answer
    type (CONNECT → CONNECTOK/CONNECTFAIL, INVOKE without ONEWAY → RESULT, PING → PING), the
    first such frame in the other direction after the request (PYRO4-WIRE.md §2.3)."""
    answer_types = {MSG_CONNECT: (MSG_CONNECTOK, MSG_CONNECTFAIL), MSG_INVOKE: (MSG_RESULT,),
                    MSG_PING: (MSG_PING,)}
    pairs, taken = {}, set()
    for i, req in enumerate(frames):
        h = req["decoded"].get("header")
        if req["transport"] != "tcp" or req["direction"] != "client->server" or h is None:
            continue
        if h["type"] not in answer_types or (h["type"] == MSG_INVOKE and h["flags"] & 0x04):
            continue
        for j in range(i + 1, len(frames)):
            res = frames[j]
            r = res["decoded"].get("header")
            if (j not in taken and r and res["connection"] == req["connection"]
                    and res["direction"] == "server->client"
                    and r["type"] in answer_types[h["type"]] and r["seq"] == h["seq"]):
                pairs[i] = j
                taken.add(j)
                break
    return pairs


def check_frame(c, where, proto, frame):
    d = frame["decoded"]
    h = d["header"]
    c.eq(where, "magic", show(proto, "pyro4.magic"), h["magic"])
    c.eq(where, "version", show(proto, "pyro4.version"), str(h["version"]))
    c.eq(where, "type", show(proto, "pyro4.type"), str(h["type"]))
    type_field = one(proto, "pyro4.type")
    c.true(where, "type name", type_field is not None and f": {h['type_name']} (" in type_field.get("showname"),
           f"{type_field.get('showname') if type_field is not None else None!r} lacks {h['type_name']}")
    flags = show(proto, "pyro4.flags")
    c.eq(where, "flags", flags and int(flags, 16), h["flags"])
    c.eq(where, "flag names", show(proto, "pyro4.flags.names") or "", ",".join(h["flag_names"]))
    for bit, name in FLAG_FIELDS:
        c.eq(where, f"flag bit {name}", show(proto, f"pyro4.flags.{name}"), "1" if h["flags"] & bit else "0")
    c.eq(where, "seq", show(proto, "pyro4.seq"), str(h["seq"]))
    c.eq(where, "data_size", show(proto, "pyro4.data_size"), str(h["data_size"]))
    c.eq(where, "serializer_id", show(proto, "pyro4.serializer"), str(h["serializer_id"]))
    ser = one(proto, "pyro4.serializer")
    c.true(where, "serializer name", ser is not None and f": {h['serializer_name']} (" in ser.get("showname"),
           f"{ser.get('showname') if ser is not None else None!r} lacks {h['serializer_name']}")
    c.eq(where, "annotations_size", show(proto, "pyro4.annotations_size"), str(h["annotations_size"]))
    reserved = show(proto, "pyro4.reserved")
    c.eq(where, "reserved", reserved and int(reserved, 16), h["reserved"])
    checksum = show(proto, "pyro4.checksum")
    c.eq(where, "checksum", checksum and int(checksum, 16), h["checksum"])
    c.eq(where, "checksum valid", show(proto, "pyro4.checksum.valid"), "1" if h["checksum_valid"] else "0")

    anns = d["annotations"]
    c.eq(where, "annotation keys", [f.get("show") for f in fields(proto, "pyro4.annotation.key")],
         [a["key"] for a in anns])
    c.eq(where, "annotation lengths", [f.get("show") for f in fields(proto, "pyro4.annotation.length")],
         [str(a["length"]) for a in anns])
    c.eq(where, "annotation values", [f.get("value") for f in fields(proto, "pyro4.annotation.value")],
         [a["hex"] for a in anns if a["length"]])
    c.eq(where, "CORR uuids", [f.get("show") for f in fields(proto, "pyro4.annotation.corr")],
         [a["uuid"] for a in anns if "uuid" in a])
    c.eq(where, "HMAC hex", [f.get("value") for f in fields(proto, "pyro4.annotation.hmac")],
         [a["hex"] for a in anns if a["key"] == "HMAC"])
    c.eq(where, "STRM text", [f.get("show") for f in fields(proto, "pyro4.annotation.strm")],
         [a["text"] for a in anns if "text" in a])
    c.eq(where, "HMAC present", show(proto, "pyro4.hmac_present"),
         "1" if any(a["key"] == "HMAC" for a in anns) else "0")

    wire_payload = frame["hex"][2 * d["payload_offset"]:]
    payload = one(proto, "pyro4.payload")
    c.eq(where, "payload bytes", payload is not None and payload.get("value"), wire_payload or False)
    c.eq(where, "payload compressed", show(proto, "pyro4.payload.compressed"),
         "1" if d["payload_compressed"] else None)
    if d["payload_compressed"]:
        c.eq(where, "decompressed size", show(proto, "pyro4.payload.decompressed_size"),
             str(d["payload_decompressed_size"]))
    if "payload_text" in d:
        text = one(proto, "pyro4.payload.text")
        got = bytes.fromhex(text.get("value")).decode("utf-8") if text is not None else None
        c.eq(where, "payload text", got, d["payload_text"])
    elif "payload_hex" in d:  # marshal: the string inside it
        marshal = show(proto, "pyro4.payload.marshal_text")
        raw = bytes.fromhex(d["payload_hex"])
        c.true(where, "marshal text", marshal is not None and marshal.encode() in raw,
               f"{marshal!r} not in {raw!r}")


def check_capture(c, label, packets, scenarios, client_port_base=40000):
    """Every Pyro frame of `scenarios` (in order) must appear once, in order, in `packets`."""
    shown = []  # (packet, proto) for every pyro4 PDU, in packet order
    bc_shown = []
    for p in packets:
        shown += [(p, proto) for proto in p["pyro"]]
        bc_shown += [(p, proto) for proto in p["bc"]]
    want = []  # (scenario number, index, frame, scenario) for TCP frames
    want_udp = []
    for n, scenario in enumerate(scenarios):
        for i, frame in enumerate(scenario["frames"]):
            (want if frame["transport"] == "tcp" else want_udp).append((n, i, frame, scenario))
    c.eq(label, "number of Pyro frames dissected", len(shown), len(want))
    c.eq(label, "number of broadcast datagrams dissected", len(bc_shown), len(want_udp))
    where_of = {}  # (scenario number, frame index) -> packet
    for (packet, proto), (n, i, frame, scenario) in zip(shown, want):
        where = f"{label}: {scenario['scenario']}/{scenario['serializer']} frame {frame['index']}"
        client_port = client_port_base + 100 * n + frame["connection"]
        src_dst = packet["ports"]
        expect_client = src_dst[0] if frame["direction"] == "client->server" else src_dst[1]
        c.eq(where, "connection (client port)", expect_client, client_port)
        check_frame(c, where, proto, frame)
        where_of[(n, i)] = (packet, proto)
    for (packet, proto), (n, i, frame, scenario) in zip(bc_shown, want_udp):
        where = f"{label}: {scenario['scenario']} datagram {frame['index']}"
        text = frame["decoded"]["text"]
        if text == "GET_NSURI":
            c.eq(where, "broadcast request", show(proto, "pyro4_bc.request"), text)
        else:
            c.eq(where, "broadcast reply URI", show(proto, "pyro4_bc.uri"), text)
        where_of[(n, i)] = (packet, proto)
    # Pairing: response_in / request_in / round-trip time, and nothing where the corpus has no pair.
    for n, scenario in enumerate(scenarios):
        frames = scenario["frames"]
        pairs = expected_pairs(frames)
        answers = {j: i for i, j in pairs.items()}
        for i, frame in enumerate(frames):
            if frame["transport"] != "tcp" or (n, i) not in where_of:
                continue
            packet, proto = where_of[(n, i)]
            where = f"{label}: {scenario['scenario']}/{scenario['serializer']} frame {frame['index']}"
            want_resp = where_of.get((n, pairs[i]), ({},))[0].get("number") if i in pairs else None
            got_resp = show(proto, "pyro4.response_in")
            c.eq(where, "response in frame", got_resp and int(got_resp), want_resp)
            if i in answers:
                req_packet = where_of.get((n, answers[i]), ({},))[0]
                got_req = show(proto, "pyro4.request_in")
                c.eq(where, "request in frame", got_req and int(got_req), req_packet.get("number"))
                rtt = show(proto, "pyro4.time")
                want_rtt = packet["time"] - req_packet.get("time", 0)
                c.true(where, "round-trip time", rtt is not None and abs(float(rtt) - want_rtt) < 1e-6,
                       f"{rtt!r} != {want_rtt:.9f}")
            else:
                c.eq(where, "request in frame", show(proto, "pyro4.request_in"), None)
    # The broadcast pair.
    for n, scenario in enumerate(scenarios):
        udp = [i for i, f in enumerate(scenario["frames"]) if f["transport"] == "udp"]
        for a, b in zip(udp[::2], udp[1::2]):
            if (n, a) in where_of and (n, b) in where_of:
                (pa, qa), (pb, qb) = where_of[(n, a)], where_of[(n, b)]
                c.eq(f"{label}: {scenario['scenario']} broadcast", "response in", show(qa, "pyro4_bc.response_in"),
                     str(pb["number"]))
                c.eq(f"{label}: {scenario['scenario']} broadcast", "request in", show(qb, "pyro4_bc.request_in"),
                     str(pa["number"]))


def make_pcap(workdir, name, paths, *options):
    out = os.path.join(workdir, name)
    subprocess.run([sys.executable, PCAP_WRITER, *paths, "-o", out, *options], check=True,
                   timeout=TSHARK_TIMEOUT)
    os.chmod(out, 0o644)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", default=VECTORS)
    parser.add_argument("--only", nargs="*", help="file stems, e.g. ns_ping_json")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    paths = sorted(glob.glob(os.path.join(args.vectors, "*.json")))
    scenarios, scenario_paths = [], []
    for path in paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        if args.only and stem not in args.only:
            continue
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if "frames" in data:
            scenarios.append(data)
            scenario_paths.append(path)
    if not scenarios:
        print(f"FAIL: no scenario files in {args.vectors}")
        return 1

    workdir = tempfile.mkdtemp(prefix="pyro-dissector-")
    os.chmod(workdir, 0o755)  # tshark may run as nobody
    try:
        tshark = Tshark(workdir, os.environ.get("PYRO_DISSECTOR_USER", "auto"))
        c = Checker()

        # 1. One pcap per scenario, relay ports: found by the heuristic.
        def run_one(k):
            pcap = make_pcap(workdir, f"s{k}.pcap", [scenario_paths[k]])
            return k, tshark.pdml(pcap)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = dict(pool.map(run_one, range(len(scenarios))))
        for k, scenario in enumerate(scenarios):
            stem = os.path.splitext(os.path.basename(scenario_paths[k]))[0]
            check_capture(c, stem, results[k], [scenario])
        per_scenario_checks = c.checks
        print(f"per-scenario pcaps: {len(scenarios)} scenarios, "
              f"{sum(len(s['frames']) for s in scenarios)} frames, {per_scenario_checks} checks")

        # 2. TCP reassembly: the whole corpus in one pcap, segmented three ways.
        for label, options in (("split-in-header", ["--split-at", "10"]),
                               ("split-40-byte-segments", ["--mss", "40"]),
                               ("coalesced", ["--coalesce"])):
            before = c.checks
            pcap = make_pcap(workdir, f"{label}.pcap", scenario_paths, *options)
            check_capture(c, label, tshark.pdml(pcap), scenarios)
            print(f"{label}: {c.checks - before} checks")

        # 3. The registered ports, heuristics off; and the negative control.
        port_stems = [p for p in scenario_paths
                      if os.path.basename(p) in ("broadcast_locate.json", "ns_ping_json.json")]
        if port_stems:
            port_scenarios = [s for s, p in zip(scenarios, scenario_paths) if p in port_stems]
            pcap = make_pcap(workdir, "ports.pcap", port_stems, "--port", "ns=9090", "--port", "broadcast=9091")
            before = c.checks
            check_capture(c, "ports-9090-9091", tshark.pdml(
                pcap, "--disable-heuristic", "pyro4_tcp", "--disable-heuristic", "pyro4_bc_udp"), port_scenarios)
            print(f"registered ports 9090/9091, heuristics off: {c.checks - before} checks")
        control = make_pcap(workdir, "control.pcap", scenario_paths[:1])
        packets = tshark.pdml(control, "--disable-heuristic", "pyro4_tcp", "--disable-heuristic", "pyro4_bc_udp")
        c.eq("control", "Pyro frames on relay ports with the heuristic off",
             sum(len(p["pyro"]) + len(p["bc"]) for p in packets), 0)
        # One frame split across two segments, on its own: SYN, SYN/ACK, ACK, then packets 4 and 5.
        tcp_first = [p for s, p in zip(scenarios, scenario_paths)
                     if s["frames"][0]["transport"] == "tcp" and s["frames"][0]["length"] > 30][:1]
        pcap = make_pcap(workdir, "split.pcap", tcp_first, "--split-at", "30")
        packets = tshark.pdml(pcap)
        first = next((p for p in packets if p["pyro"]), None)
        c.true("split", "first Pyro frame shown in the packet of its second segment",
               first is not None and first["number"] == 5, f"(packet {first and first['number']})")

        for failure in c.failures[:60]:
            print("FAIL", failure)
        if len(c.failures) > 60:
            print(f"... and {len(c.failures) - 60} more failures")
        print(f"{c.checks} checks, {len(c.failures)} failures")
        return 1 if c.failures else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
