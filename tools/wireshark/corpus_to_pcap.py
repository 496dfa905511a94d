#!/usr/bin/python3
"""Turn golden-corpus scenarios into a pcap that Wireshark reads as real loopback traffic.

    /usr/bin/python3 tools/wireshark/corpus_to_pcap.py tests/golden/vectors/ns_ping_json.json -o ns_ping.pcap
    tshark -r ns_ping.pcap -X lua_script:tools/wireshark/pyro4.lua -O pyro4

Each scenario file (tests/golden/vectors/README.md describes them) lists its frames in arrival
order with their relay, transport, connection and direction. Every TCP connection becomes one
TCP stream on 127.0.0.1 (SYN, SYN/ACK, ACK; the frames as PSH/ACK segments with correct sequence
and acknowledgement numbers; FIN/ACK at the end), every UDP exchange one datagram pair. The
server port is the relay port from the file's `ports` (`ns_relay`, `echo_relay`, …, `bc_relay`
for the broadcast relay), unless `--port RELAY=PORT` says otherwise (e.g. `ns=9090`). Client
ports are 40000 + 100 × (scenario number) + connection, so several scenarios in one pcap stay
apart. Timestamps are synthetic: 1 ms between packets.

Options that change the segmentation (for testing TCP reassembly):
  --split-at N    cut every TCP frame longer than N bytes into two segments at byte N
  --mss N         cut every TCP frame into segments of at most N bytes
  --coalesce      put consecutive frames of one connection and direction into one segment
"""

import argparse
import json
import struct
import sys

LINKTYPE_ETHERNET = 1
CLIENT_IP = SERVER_IP = bytes([127, 0, 0, 1])
BASE_TIME_US = 1_700_000_000 * 1_000_000
STEP_US = 1000

# The corpus names relays by role; its `ports` table names the relay ports (README "What was running").
RELAY_PORT_KEY = {"broadcast": "bc_relay"}


def checksum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip_packet(proto: int, payload: bytes, ident: int) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000,
                         64, proto, 0, CLIENT_IP, SERVER_IP)
    header = header[:10] + struct.pack("!H", checksum16(header)) + header[12:]
    return header + payload


def transport_checksum(proto: int, segment: bytes) -> int:
    pseudo = CLIENT_IP + SERVER_IP + struct.pack("!BBH", 0, proto, len(segment))
    return checksum16(pseudo + segment)


def tcp_segment(sport, dport, seq, ack, flags, payload=b""):
    header = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                         5 << 4, flags, 65495, 0, 0)
    segment = header + payload
    csum = transport_checksum(6, segment)
    return segment[:16] + struct.pack("!H", csum) + segment[18:]


def udp_datagram(sport, dport, payload):
    datagram = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    csum = transport_checksum(17, datagram) or 0xFFFF
    return datagram[:6] + struct.pack("!H", csum) + datagram[8:]


FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10


class PcapWriter:
    def __init__(self):
        self.records = []
        self.time_us = BASE_TIME_US
        self.ident = 1

    def add(self, proto, transport_bytes):
        frame = b"\0" * 12 + b"\x08\x00" + ip_packet(proto, transport_bytes, self.ident)
        self.ident += 1
        self.records.append((self.time_us, frame))
        self.time_us += STEP_US

    def bytes(self):
        out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, LINKTYPE_ETHERNET)]
        for t, frame in self.records:
            out.append(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), len(frame)))
            out.append(frame)
        return b"".join(out)


class TcpStream:
    def __init__(self, writer, cport, sport):
        self.w, self.cport, self.sport = writer, cport, sport
        self.cseq, self.sseq = 1000, 5000  # initial sequence numbers
        self.open = False
        self.closed = False

    def handshake(self):
        self.w.add(6, tcp_segment(self.cport, self.sport, self.cseq, 0, SYN))
        self.cseq += 1
        self.w.add(6, tcp_segment(self.sport, self.cport, self.sseq, self.cseq, SYN | ACK))
        self.sseq += 1
        self.w.add(6, tcp_segment(self.cport, self.sport, self.cseq, self.sseq, ACK))
        self.open = True

    def send(self, from_client, payload):
        if from_client:
            self.w.add(6, tcp_segment(self.cport, self.sport, self.cseq, self.sseq, PSH | ACK, payload))
            self.cseq += len(payload)
        else:
            self.w.add(6, tcp_segment(self.sport, self.cport, self.sseq, self.cseq, PSH | ACK, payload))
            self.sseq += len(payload)

    def close(self):
        self.w.add(6, tcp_segment(self.cport, self.sport, self.cseq, self.sseq, FIN | ACK))
        self.cseq += 1
        self.w.add(6, tcp_segment(self.sport, self.cport, self.sseq, self.cseq, FIN | ACK))
        self.sseq += 1
        self.w.add(6, tcp_segment(self.cport, self.sport, self.cseq, self.sseq, ACK))
        self.closed = True


def segments(data, args):
    if args.mss:
        return [data[i:i + args.mss] for i in range(0, len(data), args.mss)]
    if args.split_at and len(data) > args.split_at:
        return [data[:args.split_at], data[args.split_at:]]
    return [data]


def server_port(scenario, relay, overrides):
    if relay in overrides:
        return overrides[relay]
    return scenario["ports"][RELAY_PORT_KEY.get(relay, relay + "_relay")]


def add_scenario(writer, scenario, number, args, overrides):
    streams = {}
    frames = scenario.get("frames", [])
    pending = []  # coalesced bytes: (stream, from_client, bytes)

    def flush():
        if pending:
            stream, from_client, data = pending[0][0], pending[0][1], b"".join(p[2] for p in pending)
            for part in segments(data, args):
                stream.send(from_client, part)
            pending.clear()

    for frame in frames:
        data = bytes.fromhex(frame["hex"])
        from_client = frame["direction"] == "client->server"
        cport = 40000 + 100 * number + frame["connection"]
        sport = server_port(scenario, frame["relay"], overrides)
        if frame.get("transport", "tcp") == "udp":
            flush()
            src, dst = (cport, sport) if from_client else (sport, cport)
            writer.add(17, udp_datagram(src, dst, data))
            continue
        stream = streams.get(frame["connection"])
        if stream is None:
            flush()
            stream = streams[frame["connection"]] = TcpStream(writer, cport, sport)
            stream.handshake()
        if args.coalesce and pending and (pending[0][0] is not stream or pending[0][1] != from_client):
            flush()
        pending.append((stream, from_client, data))
        if not args.coalesce:
            flush()
    flush()
    for stream in streams.values():
        stream.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("scenarios", nargs="+", help="scenario files (tests/golden/vectors/*.json)")
    parser.add_argument("-o", "--output", required=True, help="pcap file to write")
    parser.add_argument("--port", action="append", default=[], metavar="RELAY=PORT",
                        help="server port for a relay (ns, echo, …, broadcast) instead of its relay port")
    parser.add_argument("--split-at", type=int, default=0, metavar="N")
    parser.add_argument("--mss", type=int, default=0, metavar="N")
    parser.add_argument("--coalesce", action="store_true")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.port:
        relay, _, port = item.partition("=")
        if not port.isdigit():
            parser.error(f"--port wants RELAY=PORT, got {item!r}")
        overrides[relay] = int(port)
    writer = PcapWriter()
    for number, path in enumerate(args.scenarios):
        with open(path, encoding="utf-8") as f:
            scenario = json.load(f)
        if "frames" not in scenario:
            parser.error(f"{path}: not a scenario file (no frames)")
        add_scenario(writer, scenario, number, args, overrides)
    with open(args.output, "wb") as f:
        f.write(writer.bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
