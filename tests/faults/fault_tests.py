#!/usr/bin/python3
"""Fault tests: hostile or broken peers against pyro-ns and a lab server, and what survives them.

    fault_tests.py SCENARIO --name-server PROG [--echo-server PROG] [--observable-server PROG]
                   [--observer PROG] [--notifier PROG]

Each scenario starts its own name server on a free 127.0.0.1 port (and a lab server where the
fault is about one), registers a few names with the real Pyro4, does one fault to the target and
checks what the faulty client saw. Then the real Pyro4 client must still ping the name server and
look every name up within RECOVERY_LIMIT seconds, and no registration may be lost. Every line
starting with "fault:" says what the fault did (ctest -V shows it).

Exit status: 0 passed, 1 a check failed, 2 wrong usage. Run with /usr/bin/python3 (Pyro4).
"""

import argparse
import marshal
import os
import pathlib
import random
import re
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import zlib

import Pyro4
import Pyro4.errors
import serpent

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
import processes  # noqa: E402
from environment import pyro_environment  # noqa: E402
from processes import free_port  # noqa: E402

Pyro4.config.reset(useenvironment=False)  # the test's own calls ignore the caller's PYRO_*
Pyro4.config.COMMTIMEOUT = 5.0

SCENARIO_BUDGET = 60  # seconds; a scenario that takes longer fails (and is cleaned up)
RECOVERY_LIMIT = 1.0  # seconds for the real client's ping and lookups after a fault
# --slowdown N (a sanitizer build's PYRO_TEST_TIMEOUT_FACTOR) multiplies both. --sanitized: the
# programs carry a sanitizer runtime, whose shadow memory and quarantine hide what the program
# itself allocates, so the memory figures are printed but not checked.
SLOWDOWN = 1
SANITIZED = False
KEPT_NAMES = 5  # registrations made before every fault that must all be there afterwards

# The frame header (PYRO4-WIRE.md §1): magic, version, type, flags, seq, data size (signed),
# serializer id, annotations size, reserved, checksum.
HEADER = struct.Struct("!4sHHHHiHHHH")
VERSION = 48
MSG_CONNECT, MSG_CONNECTOK, MSG_CONNECTFAIL, MSG_INVOKE, MSG_RESULT, MSG_PING = 1, 2, 3, 4, 5, 6
FLAGS_EXCEPTION, FLAGS_COMPRESSED = 1, 2
SERPENT, JSON, MARSHAL = 1, 2, 3
TYPE_NAMES = {1: "CONNECT", 2: "CONNECTOK", 3: "CONNECTFAIL", 4: "INVOKE", 5: "RESULT",
              6: "PING"}


class Failure(Exception):
    """A check that did not hold: what was expected, what came, and the programs' output."""

    def __init__(self, message, *programs):
        text = message
        for program in programs:
            text += "\n" + program.describe()
        super().__init__(text)


def report(text):
    print("fault: " + text, flush=True)


def note(text):
    print("  " + text, flush=True)


# ---------------------------------------------------------------------------------------------
# Frames and a raw client


def frame(msg_type, data, serializer=JSON, flags=0, seq=0, magic=b"PYRO", size=None,
          checksum_delta=0):
    """One frame as a client sends it; `size`, `magic` and `checksum_delta` can lie."""
    size = len(data) if size is None else size
    checksum = (msg_type + VERSION + size + serializer + flags + seq + 0x34E9) & 0xFFFF
    return HEADER.pack(magic, VERSION, msg_type, flags, seq, size, serializer, 0, 0,
                       (checksum + checksum_delta) & 0xFFFF) + data


def connect_frame(serializer=JSON):
    if serializer == JSON:
        return frame(MSG_CONNECT, b'{"handshake": "hello"}', JSON)
    return frame(MSG_CONNECT, serpent.dumps({"handshake": "hello"}), SERPENT)


def invoke_frame(obj, method, params, serializer=JSON, seq=1):
    if serializer == JSON:
        import json
        data = json.dumps({"object": obj, "method": method, "params": params,
                           "kwargs": {}}).encode()
    else:
        data = serpent.dumps((obj, method, tuple(params), {}))
    return frame(MSG_INVOKE, data, serializer, seq=seq)


class Reply:
    """What came back on a raw connection: a frame, the connection's end, or silence."""

    def __init__(self, kind, msg_type=None, flags=0, serializer=None, data=b"", error=None):
        self.kind = kind  # "frame", "closed", "reset" or "silent"
        self.msg_type, self.flags, self.serializer, self.data = msg_type, flags, serializer, data
        self.error = error

    def text(self):
        """The payload as text when it is a marshal or json/serpent string, else its repr."""
        if self.serializer == MARSHAL:
            try:
                return str(marshal.loads(self.data))
            except (ValueError, EOFError, TypeError):
                pass
        return self.data[:300].decode("utf-8", "replace")

    def __str__(self):
        if self.kind == "frame":
            extra = " (exception)" if self.flags & FLAGS_EXCEPTION else ""
            return "%s%s %r" % (TYPE_NAMES.get(self.msg_type, self.msg_type), extra,
                                self.text()[:200])
        if self.kind == "reset":
            return "connection reset (%s)" % self.error
        return {"closed": "the connection closed", "silent": "nothing"}[self.kind]


def receive_exactly(sock, count):
    chunks, got = [], 0
    while got < count:
        chunk = sock.recv(min(count - got, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_reply(sock, timeout):
    """The next frame, or how the connection ended, or silence after `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        header = receive_exactly(sock, HEADER.size)
        magic, _v, msg_type, flags, _seq, size, serializer, ann, _r, _c = HEADER.unpack(header)
        if magic != b"PYRO":
            raise Failure("the server answered a frame with magic %r" % magic)
        receive_exactly(sock, ann)
        return Reply("frame", msg_type, flags, serializer, receive_exactly(sock, size))
    except socket.timeout:
        return Reply("silent")
    except EOFError:
        return Reply("closed")
    except ConnectionResetError as error:
        return Reply("reset", error=error)


def raw_connection(port, handshake=None):
    """A TCP connection to 127.0.0.1:port; with handshake=JSON or SERPENT the CONNECT is done."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if handshake is not None:
        sock.sendall(connect_frame(handshake))
        answer = read_reply(sock, 5)
        if answer.kind != "frame" or answer.msg_type != MSG_CONNECTOK:
            raise Failure("the handshake was not accepted: %s" % answer)
    return sock


def reset_close(sock):
    """Closes with a TCP reset (SO_LINGER 0), as a client that crashes or is unplugged."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def until_closed(sock, timeout):
    """Reads and discards until the peer closes; what ended it ("closed", "reset", "silent")."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return "closed"
    except socket.timeout:
        return "silent"
    except ConnectionResetError:
        return "reset"
    return "silent"


# ---------------------------------------------------------------------------------------------
# Processes and the world a scenario runs in


class Program(processes.LabelledProcess):
    def peak_memory_mb(self, field="VmHWM"):
        """The peak resident size (VmHWM), or with field="VmPeak" the peak virtual size, in
        MiB."""
        with open("/proc/%d/status" % self.pid) as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def open_files(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))


class World:
    """A name server on a free port (optionally with storage), lab programs, kept names."""

    def __init__(self, options, storage=None, ns_env=None, with_echo=False):
        self.options = options
        self.with_echo = with_echo
        self.storage = storage
        self.ns_env = ns_env or {}
        self.programs = []
        self.ns = None
        self.ns_port = free_port()
        self.env = pyro_environment(
            PYRO_NS_HOST="127.0.0.1", PYRO_NS_PORT=str(self.ns_port),
            PYRO_NS_BCPORT=str(free_port(socket.SOCK_DGRAM)), PYRO_HOST="127.0.0.1",
            PYRO_BROADCAST_ADDRS="127.0.0.1")
        self.kept = {}

    def __enter__(self):
        try:
            self.start_name_server()
            for index in range(KEPT_NAMES):
                name = "kept.name%d" % index
                uri = "PYRO:obj_kept%d@127.0.0.1:%d" % (index, 40000 + index)
                with self.ns_proxy() as ns:
                    ns.register(name, uri)
                self.kept[name] = uri
            if self.with_echo:
                self.start_echo_server()
        except BaseException:
            self.stop_all()
            raise
        return self

    def __exit__(self, *exc):
        signal.alarm(0)
        self.stop_all()
        return False

    def stop_all(self):
        for program in reversed(self.programs):
            program.stop()

    def start(self, label, argv, env=None):
        started = Program(label, argv, env or self.env)
        self.programs.append(started)
        note("started %s (pid %d): %s"
             % (label, started.pid, " ".join(argv).replace("\n", "; ")))
        return started

    def start_name_server(self):
        args = [self.options.name_server, "-n", "127.0.0.1", "-p", str(self.ns_port), "-x"]
        if self.storage:
            args += ["-s", self.storage]
        env = dict(self.env)
        env.update(self.ns_env)
        self.ns = self.start("pyro-ns", args, env)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.ns.running():
            try:
                with self.ns_proxy() as proxy:
                    proxy.ping()
                return self.ns
            except Pyro4.errors.CommunicationError:
                time.sleep(0.05)
        raise Failure("the name server did not answer on 127.0.0.1:%d" % self.ns_port, self.ns)

    def ns_uri(self):
        return "PYRO:Pyro.NameServer@127.0.0.1:%d" % self.ns_port

    def ns_proxy(self):
        proxy = Pyro4.Proxy(self.ns_uri())
        proxy._pyroTimeout = 5
        return proxy

    def start_echo_server(self):
        server = self.start("echo-server", [self.options.echo_server])
        self.wait_registered("echo.server", server)
        return server

    def wait_registered(self, name, server, different_from=None):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with self.ns_proxy() as ns:
                    uri = str(ns.lookup(name))
                if uri != different_from:
                    self.kept[name] = uri
                    return uri
            except Pyro4.errors.NamingError:
                pass
            if not server.running():
                raise Failure("%s ended before registering '%s'" % (server.label, name), server)
            time.sleep(0.05)
        raise Failure("%s did not register '%s' within 10 s" % (server.label, name), server)

    def target_port(self, target):
        """The TCP port of the target: the name server, or the echo server's daemon."""
        if target == "ns":
            return self.ns_port
        return Pyro4.URI(self.kept["echo.server"]).port

    def expect_alive(self, what):
        """Every program still runs a moment after `what` (a crash shows with its output)."""
        time.sleep(0.2)
        for program in self.programs:
            if not program.running():
                program.wait_exit(1)
                raise Failure("%s died after %s" % (program.label, what), program)

    def time_ping_lookup(self):
        """Seconds the real client needs for a ping and one lookup on a new connection."""
        start = time.monotonic()
        with self.ns_proxy() as ns:
            ns.ping()
            ns.lookup("kept.name0")
        return time.monotonic() - start

    def expect_recovered(self, what):
        """The real client pings and looks every kept name up within RECOVERY_LIMIT, the
        list is complete, and a lab server registered here still answers a call."""
        try:
            self._expect_recovered(what)
        except Pyro4.errors.PyroError as error:
            raise Failure("the real Pyro4 client failed after %s: %s: %s"
                          % (what, type(error).__name__, error), *self.programs) from None

    def _expect_recovered(self, what):
        for program in self.programs:
            if not program.running():
                raise Failure("%s died after %s" % (program.label, what), program)
        start = time.monotonic()
        with self.ns_proxy() as ns:
            ns.ping()
            found = {name: str(ns.lookup(name)) for name in self.kept}
        elapsed = time.monotonic() - start
        if "echo.server" in self.kept:
            call_start = time.monotonic()
            with Pyro4.Proxy("PYRONAME:echo.server@127.0.0.1:%d" % self.ns_port) as echo:
                echo._pyroTimeout = 5
                answer = echo.echo("still there?")
            call_elapsed = time.monotonic() - call_start
            if answer != "still there?":
                raise Failure("the echo server answered %r after %s" % (answer, what))
            if call_elapsed > RECOVERY_LIMIT * SLOWDOWN:
                raise Failure("the echo call took %.2f s after %s (limit %g s)"
                              % (call_elapsed, what, RECOVERY_LIMIT * SLOWDOWN), *self.programs)
        if elapsed > RECOVERY_LIMIT * SLOWDOWN:
            raise Failure("ping and %d lookups took %.2f s after %s (limit %g s)"
                          % (len(self.kept), elapsed, what, RECOVERY_LIMIT * SLOWDOWN),
                          *self.programs)
        if found != self.kept:
            raise Failure("registrations changed after %s: expected %s, got %s"
                          % (what, self.kept, found))
        with self.ns_proxy() as ns:
            listed = ns.list(prefix="kept.")
        missing = [name for name in self.kept if name.startswith("kept.") and name not in listed]
        if missing:
            raise Failure("registrations lost after %s: %s" % (what, missing))
        note("afterwards: ping + %d lookups in %.3f s, no registration lost"
             % (len(self.kept), elapsed))


def expect_close_without_crash(world, sock, what, timeout=5):
    ended = until_closed(sock, timeout)
    if ended == "silent":
        raise Failure("the server kept the connection open %g s after %s; expected it to close"
                      % (timeout, what))
    return ended


def expect_connectfail(reply, text, what):
    if reply.kind != "frame" or reply.msg_type != MSG_CONNECTFAIL or text not in reply.text():
        raise Failure("after %s the client got %s; expected CONNECTFAIL %r" % (what, reply, text))


# ---------------------------------------------------------------------------------------------
# Scenarios: each takes the options and a target ("ns" or "echo")


def world_for(options, target, **kwargs):
    """A World whose lab server (for target "echo") is started on entering."""
    return World(options, with_echo=target == "echo", **kwargs)


def random_bytes(options, target):
    with world_for(options, target) as world:
        noise = random.Random(11).randbytes(1 << 20)
        if noise.startswith(b"PYRO"):
            noise = b"X" + noise[1:]
        sock = raw_connection(world.target_port(target))
        sender_error = []

        def send():
            try:
                sock.sendall(noise)
            except OSError as error:  # the server closed before it took everything
                sender_error.append(error)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        reply = read_reply(sock, 5)
        ended = until_closed(sock, 5) if reply.kind == "frame" else reply.kind
        sender.join(5)
        sock.close()
        if reply.kind == "silent" or ended == "silent":
            raise Failure("1 MB of random bytes got %s and the connection stayed open; expected "
                          "CONNECTFAIL or a close" % reply)
        if reply.kind == "frame":
            expect_connectfail(reply, "invalid data or unsupported protocol version",
                               "1 MB of random bytes")
        report("1 MB of random bytes to %s: the client got %s, then %s%s" % (
            target, reply, ended, " (the sender saw: %s)" % sender_error[0] if sender_error
            else ""))
        world.expect_recovered("1 MB of random bytes")


def wrong_magic(options, target):
    with world_for(options, target) as world:
        sock = raw_connection(world.target_port(target))
        sock.sendall(frame(MSG_CONNECT, b'{"handshake": "hello"}', magic=b"PYRX"))
        reply = read_reply(sock, 5)
        expect_connectfail(reply, "invalid data or unsupported protocol version", "magic PYRX")
        ended = expect_close_without_crash(world, sock, "the CONNECTFAIL")
        sock.close()
        report("CONNECT with magic 'PYRX' to %s: the client got %s, then %s" % (target, reply,
                                                                                 ended))
        world.expect_recovered("a wrong magic")


def bad_checksum(options, target):
    with world_for(options, target) as world:
        sock = raw_connection(world.target_port(target))
        sock.sendall(frame(MSG_CONNECT, b'{"handshake": "hello"}', checksum_delta=1))
        reply = read_reply(sock, 5)
        expect_connectfail(reply, "header checksum mismatch", "a CONNECT with a bad checksum")
        ended = expect_close_without_crash(world, sock, "the CONNECTFAIL")
        sock.close()
        report("CONNECT with its checksum off by one to %s: the client got %s, then %s"
               % (target, reply, ended))
        # After a good handshake, a bad checksum cannot be answered reliably: closed, no reply.
        sock = raw_connection(world.target_port(target), handshake=JSON)
        bad = bytearray(invoke_frame("Pyro.NameServer", "ping", []))
        bad[22] ^= 0x01
        sock.sendall(bytes(bad))
        reply = read_reply(sock, 5)
        sock.close()
        if reply.kind not in ("closed", "reset"):
            raise Failure("an INVOKE with a bad checksum after the handshake got %s; expected "
                          "the connection to close without an answer" % reply)
        report("INVOKE with a bad checksum after the handshake: %s, no answer" % reply)
        world.expect_recovered("a bad checksum")


def huge_header(options, target):
    with world_for(options, target) as world:
        server = world.programs[-1]
        before = server.peak_memory_mb()
        virtual_before = server.peak_memory_mb("VmPeak")
        sock = raw_connection(world.target_port(target))
        claim = frame(MSG_CONNECT, b'{"handshake": "hello"}', size=0x7FFFFFFF)
        sock.sendall(claim + b"x" * 65536)
        reply = read_reply(sock, 1)
        # The connection is still open (or closed) while the real client works.
        world.expect_recovered("a header claiming 2 GiB (its connection still open)")
        peak = server.peak_memory_mb()
        virtual = server.peak_memory_mb("VmPeak") - virtual_before
        sock.close()
        if not SANITIZED and (peak - before > 64 or virtual > 1536):
            raise Failure("the server's peak memory grew by %.0f MiB (resident) and %.0f MiB "
                          "(virtual) after a header claiming 2 GiB (limits 64 and 1536 MiB): it "
                          "allocates what the header claims" % (peak - before, virtual), server)
        report("a header claiming 2 GiB - 1 of payload, then 64 KiB, to %s: the client got %s; "
               "the server's peak memory grew by %.1f MiB resident, %.0f MiB virtual"
               % (target, reply, peak - before, virtual))
        # The same with PYRO_MAX_MESSAGE_SIZE, as an instructor sets it: refused at once.
    if target != "ns":
        return
    with World(options, ns_env={"PYRO_MAX_MESSAGE_SIZE": "1048576"}) as world:
        sock = raw_connection(world.ns_port)
        sock.sendall(frame(MSG_CONNECT, b'{"handshake": "hello"}', size=0x7FFFFFFF))
        reply = read_reply(sock, 5)
        ended = reply.kind if reply.kind != "frame" else until_closed(sock, 5)
        sock.close()
        if reply.kind == "silent" or ended == "silent":
            raise Failure("with PYRO_MAX_MESSAGE_SIZE=1048576 a header claiming 2 GiB got %s and "
                          "the connection stayed open; expected it refused" % reply)
        report("the same with PYRO_MAX_MESSAGE_SIZE=1048576: %s, then %s" % (reply, ended))
        world.expect_recovered("a header over PYRO_MAX_MESSAGE_SIZE")


def truncated_header(options, target):
    with world_for(options, target) as world:
        sock = raw_connection(world.target_port(target))
        sock.sendall(connect_frame()[:10])
        sock.close()
        world.expect_alive("10 header bytes and a close")
        report("10 of the 24 header bytes to %s, then close: the client saw nothing (it left)"
               % target)
        sock = raw_connection(world.target_port(target))
        sock.sendall(connect_frame()[:10])
        reset_close(sock)
        world.expect_alive("10 header bytes and a reset")
        report("the same, closed with a TCP reset")
        world.expect_recovered("a truncated header")


def stalled_connections(options, target):
    with world_for(options, target) as world:
        server = world.programs[-1]
        files_before = server.open_files()
        stalled = []
        try:
            for index in range(200):
                sock = raw_connection(world.target_port(target),
                                      handshake=JSON if index % 3 == 2 else None)
                if index % 3 == 1:
                    sock.sendall(connect_frame()[:12])  # half a header, then nothing
                stalled.append(sock)
            report("200 stalled connections to %s: 67 silent, 67 half a header, 66 idle after "
                   "the handshake" % target)
            world.expect_recovered("200 stalled connections (still open)")
        finally:
            for sock in stalled:
                sock.close()
        deadline = time.monotonic() + 5
        while server.open_files() > files_before + 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        if server.open_files() > files_before + 5:
            raise Failure("the server still holds %d files 5 s after the 200 stalled clients "
                          "left (it had %d before)" % (server.open_files(), files_before), server)
        report("after they closed, the server holds %d open files (%d before)"
               % (server.open_files(), files_before))
        world.expect_recovered("200 stalled connections (closed)")


def invalid_payload(options, target, serializer):
    label = {JSON: "json", SERPENT: "serpent"}[serializer]
    bodies = {JSON: [b'{"object": "Pyro.NameServer", "method": "ping", "params": [',
                     b"\xff\xfe not json at all", b'["a", "list", "not", "a", "call"]'],
              SERPENT: [b"# serpent utf-8 python3.2\n('Pyro.NameServer','ping',(",
                        b"# serpent utf-8 python3.2\n__import__('os').system('true')",
                        b"# serpent utf-8 python3.2\n" + b"(" * 100000]}[serializer]
    with world_for(options, target) as world:
        for body in bodies:
            sock = raw_connection(world.target_port(target), handshake=serializer)
            sock.sendall(frame(MSG_INVOKE, body, serializer, seq=1))
            reply = read_reply(sock, 5)
            world.expect_alive("invalid %s %r" % (label, body[:40]))
            if reply.kind == "silent":
                raise Failure("invalid %s %r got no answer within 5 s and the connection stayed "
                              "open" % (label, body[:40]))
            if reply.kind == "frame" and not (reply.msg_type == MSG_RESULT
                                              and reply.flags & FLAGS_EXCEPTION):
                raise Failure("invalid %s %r got %s; expected an exception or a close"
                              % (label, body[:40], reply))
            report("INVOKE with invalid %s %r (%d bytes) to %s: the client got %s"
                   % (label, body[:40], len(body), target, reply))
            # The connection still works when the server answered (Pyro4 keeps it).
            if reply.kind == "frame":
                sock.sendall(frame(MSG_PING, b"ping", 42, seq=2))
                pong = read_reply(sock, 5)
                report("  then PING on the same connection: %s" % pong)
            sock.close()
        world.expect_recovered("invalid %s" % label)


def invalid_json(options, target):
    invalid_payload(options, target, JSON)


def invalid_serpent(options, target):
    invalid_payload(options, target, SERPENT)


def zlib_bomb_bytes(inflated):
    """A valid zlib stream of `inflated` zero bytes (a multiple of 4 MiB), about 1/1000 of that.
    After a full flush the compressor starts afresh, so every further 4 MiB of zeros compresses
    to the same bytes: they are repeated instead of compressing 1 GiB (seconds in Python)."""
    zeros = bytes(1 << 22)
    count = inflated // len(zeros)
    packer = zlib.compressobj(9)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = packer.flush()  # the last block, then the Adler-32 of what this packer saw
    adler = 1
    for _ in range(count):
        adler = zlib.adler32(zeros, adler)
    return first + again * (count - 1) + tail[:-4] + struct.pack(">I", adler)


def zlib_bomb(options, target):
    body = zlib_bomb_bytes(1 << 30)  # 1 GiB of zeros, about 1 MB compressed
    with world_for(options, target) as world:
        server = world.programs[-1]
        before = server.peak_memory_mb()
        sock = raw_connection(world.target_port(target), handshake=JSON)
        start = time.monotonic()
        sock.sendall(frame(MSG_INVOKE, body, JSON, flags=FLAGS_COMPRESSED, seq=1))
        # Meanwhile another client: is it served while the bomb is inflated?
        during = []
        meanwhile = threading.Thread(target=lambda: during.append(world.time_ping_lookup()),
                                     daemon=True)
        time.sleep(0.2)
        meanwhile.start()
        reply = read_reply(sock, 30)
        took = time.monotonic() - start
        meanwhile.join(10)
        sock.close()
        peak = server.peak_memory_mb()
        if reply.kind == "silent":
            raise Failure("a zlib bomb got no answer within 30 s (the server's peak memory grew "
                          "by %.0f MiB)" % (peak - before), server)
        if reply.kind == "frame" and not (reply.msg_type == MSG_RESULT
                                          and reply.flags & FLAGS_EXCEPTION):
            raise Failure("a zlib bomb got %s; expected an exception or a close" % reply)
        if not SANITIZED and peak - before > 300:
            raise Failure("the server's peak memory grew by %.0f MiB inflating a zlib bomb "
                          "(limit 300 MiB)" % (peak - before), server)
        report("INVOKE of %d bytes inflating to 1 GiB to %s: the client got %s after %.2f s; "
               "the server's peak memory grew by %.0f MiB" % (len(body), target, reply, took,
                                                              peak - before))
        report("a ping + lookup by another client meanwhile took %s" % (
            "%.3f s" % during[0] if during else "more than 10 s"))
        world.expect_recovered("a zlib bomb")


def disconnect_mid_reply(options, target):
    with world_for(options, target) as world:
        if target == "ns":
            # More than the kernel buffers on both sides hold (4 MiB + 4 KiB here), so the name
            # server is still writing when the client leaves.
            with world.ns_proxy() as ns:
                for index in range(2400):
                    ns.register("bulk.%04d.%s" % (index, "n" * 1000),
                                "PYRO:obj_%s@127.0.0.1:%d" % ("u" * 1000, 1024 + index))
            call = invoke_frame("Pyro.NameServer", "list", [])
        else:
            call = invoke_frame(Pyro4.URI(world.kept["echo.server"]).object, "echo",
                                ["y" * (8 << 20)])
        for ending in ("close", "reset"):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the reply must queue
            sock.settimeout(5)
            sock.connect(("127.0.0.1", world.target_port(target)))
            sock.sendall(connect_frame())
            if read_reply(sock, 5).msg_type != MSG_CONNECTOK:
                raise Failure("no CONNECTOK")
            sock.sendall(call)
            sock.settimeout(30)  # a Debug build takes seconds to decode and encode 8 MiB
            started = time.monotonic()
            head = receive_exactly(sock, 4096)
            first = time.monotonic() - started
            size = HEADER.unpack(head[:HEADER.size])[5]
            if ending == "close":
                sock.close()
            else:
                reset_close(sock)
            world.expect_alive("a client that left mid-reply (%s)" % ending)
            report("%s to %s: read 4 KiB of a %d-byte reply (first bytes after %.2f s), then "
                   "%s" % ("list() of 2400 long names" if target == "ns" else "echo of 8 MiB",
                           target, size, first,
                           "closed" if ending == "close" else "reset the connection"))
        time.sleep(0.3)
        world.expect_recovered("a client that left mid-reply")


def observer_hangs(options, target):
    del target
    hang_script = (
        "import sys, threading, Pyro4\n"
        "Pyro4.config.reset(useenvironment=False)\n"
        "@Pyro4.expose\n"
        "class Hang(object):\n"
        "    def update(self, message):\n"
        "        print('update arrived, hanging', flush=True)\n"
        "        threading.Event().wait()\n"
        "d = Pyro4.Daemon(host='127.0.0.1')\n"
        "uri = d.register(Hang())\n"
        "Pyro4.Proxy(sys.argv[1]).register_observer(uri)\n"
        "print('registered', uri, flush=True)\n"
        "d.requestLoop()\n")
    with World(options) as world:
        observable = world.start("observable-server", [options.observable_server])
        uri = world.wait_registered("example.observable", observable)
        good = world.start("observer", [options.observer])
        if not good.wait_for(r"registered", 10):
            raise Failure("the observer did not register", good)
        hang = world.start("hanging observer", [sys.executable, "-c", hang_script, uri])
        if not hang.wait_for(r"^registered", 10):
            raise Failure("the hanging observer did not register", hang)
        start = time.monotonic()
        first = processes.run([options.notifier, "first"], 30, env=world.env)
        took = time.monotonic() - start
        if first.timed_out or first.returncode != 0 or "Observers notified: 1" not in first.output:
            raise Failure("the notifier with a hanging observer: %s after %.1f s%s; expected "
                          "'Observers notified: 1' after the observer's timeout"
                          % ("killed after 30 s" if first.timed_out else
                             "exit code %d" % first.returncode, took,
                             "\n" + first.output), observable, hang)
        if not observable.wait_for(r"is gone .*dropping it", 2):
            raise Failure("the observable did not say it dropped the hanging observer",
                          observable)
        report("an observer whose update() never returns: the notifier returned after %.1f s "
               "with 'Observers notified: 1'; the observable said %r" % (
                   took, observable.wait_for(r"is gone", 0)))
        start = time.monotonic()
        second = processes.run([options.notifier, "second"], 10, env=world.env)
        took = time.monotonic() - start
        if second.returncode != 0 or "Observers notified: 1" not in second.output \
                or took > 2 * SLOWDOWN:
            raise Failure("the next notification took %.1f s and said %r; expected 1 observer "
                          "notified at once (the hanging one dropped)" % (took, second.output))
        if not good.wait_for(r"Update received: second", 5):
            raise Failure("the good observer missed the notifications", good)
        report("the next notification returned in %.2f s, the good observer got both" % took)
        world.expect_recovered("a hanging observer")


def kill_server(options, target):
    del target
    with World(options) as world:
        server = world.start_echo_server()
        old_uri = world.kept.pop("echo.server")
        clients = 4
        stop = threading.Event()
        seen = [[] for _ in range(clients)]
        calls = [0] * clients

        def client(index):
            proxy = Pyro4.Proxy("PYRONAME:echo.server@127.0.0.1:%d" % world.ns_port)
            proxy._pyroTimeout = 5
            with proxy:
                while not stop.is_set():
                    try:
                        proxy.echo("call %d" % calls[index])
                        calls[index] += 1
                        if seen[index] and seen[index][-1] != "ok":
                            seen[index].append("ok")
                    except Pyro4.errors.CommunicationError as error:
                        name = type(error).__name__
                        if not seen[index] or seen[index][-1] != name:
                            seen[index].append(name)
                        time.sleep(0.05)

        threads = [threading.Thread(target=client, args=(i,), daemon=True)
                   for i in range(clients)]
        for thread in threads:
            thread.start()
        # And libpyro's own proxies (tests/faults/fault_client.cpp), calling the same way.
        cpp_clients = [world.start("libpyro client %d" % i, [
            options.fault_client, "PYRONAME:echo.server@127.0.0.1:%d" % world.ns_port, "25"])
            for i in range(2)]
        for cpp_client in cpp_clients:
            if cpp_client.wait_for(r"^ok$", 10) is None:
                raise Failure("the libpyro client made no call", cpp_client)
        time.sleep(0.5)
        before = sum(calls)
        os.kill(server.pid, signal.SIGKILL)
        server.wait_exit(5)
        report("kill -9 of the echo server (pid %d) after %d calls from %d clients"
               % (server.pid, before, clients))
        time.sleep(0.5)
        restarted = world.start("echo-server (restarted)", [options.echo_server])
        world.wait_registered("echo.server", restarted, different_from=old_uri)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(s and s[-1] == "ok" for s in seen):
            time.sleep(0.05)
        stop.set()
        for thread in threads:
            thread.join(10)
        for index, events in enumerate(seen):
            note("client %d saw: %s" % (index, " -> ".join(events)))
        for index, events in enumerate(seen):
            if not events or events[0] != "ConnectionClosedError":
                raise Failure("client %d saw %s after the kill; expected ConnectionClosedError "
                              "first" % (index, events or "no error"))
            if events[-1] != "ok":
                raise Failure("client %d did not reach the restarted server through PYRONAME "
                              "within 10 s (saw %s)" % (index, events), restarted)
        for cpp_client in cpp_clients:
            cpp_client.wait_exit(15)
            lines = cpp_client.lines()
            note("%s saw: %s" % (cpp_client.label, " -> ".join(lines)))
            errors = [line for line in lines if line not in ("ok", "recovered", "not recovered")]
            # A call in flight at the kill gets ConnectionClosedError. libpyro also checks an
            # idle connection before it sends, so when the kill falls between two calls, the
            # next one reconnects at once and is refused, saying the server is gone.
            if not errors or not (errors[0].startswith("ConnectionClosedError") or (
                    errors[0].startswith("ConnectionRefusedError")
                    and "its server is gone" in errors[0])):
                raise Failure("%s saw %s after the kill; expected ConnectionClosedError first (or,"
                              " between two calls, ConnectionRefusedError saying the server is "
                              "gone)" % (cpp_client.label, errors[:1] or "no error"), cpp_client)
            leaked = [line for line in errors if re.search(r"boost|\[system:|\.hpp:", line)]
            if leaked:
                raise Failure("%s got an error message with the library's source location in it "
                              "(a message for students, not for Boost's authors): %r"
                              % (cpp_client.label, leaked[0]), cpp_client)
            if not lines or lines[-1] != "recovered":
                raise Failure("%s did not reach the restarted server through PYRONAME"
                              % cpp_client.label, cpp_client, restarted)
            world.programs.remove(cpp_client)
        report("every client (4 Pyro4, 2 libpyro) got ConnectionClosedError, then reached the "
               "restarted server through PYRONAME (%d Pyro4 calls in all)" % sum(calls))
        world.programs.remove(server)
        world.expect_recovered("kill -9 of a server")


def kill_name_server(options, kind):
    folder = tempfile.mkdtemp(prefix="faults-ns-")
    try:
        storage = "%s:%s" % (kind, os.path.join(folder, "names." + ("db" if kind == "sql"
                                                                    else "dbm")))
        with World(options, storage=storage) as world:
            clients = 8
            acknowledged = [[] for _ in range(clients)]
            in_flight = [None] * clients
            errors = [None] * clients
            stop = threading.Event()

            def client(index):
                with world.ns_proxy() as ns:
                    ns._pyroTimeout = 5
                    count = 0
                    while not stop.is_set():
                        name = "c%d.name%05d" % (index, count)
                        uri = "PYRO:obj_%d_%d@127.0.0.1:%d" % (index, count, 1024 + count)
                        in_flight[index] = name
                        try:
                            ns.register(name, uri)
                        except Pyro4.errors.PyroError as error:
                            errors[index] = type(error).__name__
                            return
                        in_flight[index] = None
                        acknowledged[index].append((name, uri))
                        count += 1

            threads = [threading.Thread(target=client, args=(i,), daemon=True)
                       for i in range(clients)]
            start = time.monotonic()
            for thread in threads:
                thread.start()
            time.sleep(1.0)
            os.kill(world.ns.pid, signal.SIGKILL)
            took = time.monotonic() - start
            world.ns.wait_exit(5)
            for thread in threads:
                thread.join(10)
            stop.set()
            total = sum(len(a) for a in acknowledged)
            pending = [name for name in in_flight if name]
            report("kill -9 of pyro-ns -s %s after %.1f s of registrations from %d clients: %d "
                   "acknowledged (%.0f/s), %d in flight; the clients got %s" % (
                       kind, took, clients, total, total / took, len(pending),
                       sorted(set(e for e in errors if e))))
            if total == 0:
                raise Failure("no registration was acknowledged before the kill", world.ns)
            world.programs.remove(world.ns)
            world.start_name_server()
            with world.ns_proxy() as ns:
                listed = ns.list()
            lost = [(name, uri) for a in acknowledged for name, uri in a
                    if listed.get(name) != uri]
            if lost:
                raise Failure("%d acknowledged registrations are missing or wrong after the "
                              "restart, e.g. %s" % (len(lost), lost[:3]), world.ns)
            arrived = sum(1 for name in pending if name in listed)
            report("after the restart every acknowledged registration is there (%d of %d in "
                   "flight too)" % (arrived, len(pending)))
            world.expect_recovered("kill -9 of pyro-ns with %s storage" % kind)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def kill_ns_sql(options, target):
    del target
    kill_name_server(options, "sql")


def kill_ns_dbm(options, target):
    del target
    kill_name_server(options, "dbm")


SCENARIOS = {f.__name__: f for f in (
    random_bytes, wrong_magic, bad_checksum, huge_header, truncated_header, stalled_connections,
    invalid_json, invalid_serpent, zlib_bomb, disconnect_mid_reply, observer_hangs, kill_server,
    kill_ns_sql, kill_ns_dbm)}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--target", choices=("ns", "echo"), default="ns",
                        help="the program the fault is done to: pyro-ns or the echo lab server")
    parser.add_argument("--name-server", required=True, metavar="PROG")
    parser.add_argument("--slowdown", type=int, default=1, metavar="N",
                        help="time limits times N (sanitizer builds)")
    parser.add_argument("--sanitized", action="store_true",
                        help="the programs carry a sanitizer runtime: no memory checks")
    for role in ("echo-server", "observable-server", "observer", "notifier", "fault-client"):
        parser.add_argument("--" + role, metavar="PROG", default=role)
    options = parser.parse_args(argv)
    global SCENARIO_BUDGET, SLOWDOWN, SANITIZED
    SLOWDOWN = max(1, options.slowdown)
    SANITIZED = options.sanitized
    SCENARIO_BUDGET *= SLOWDOWN

    def out_of_time(_signum, _frame):
        raise Failure("the scenario took more than %d s" % SCENARIO_BUDGET)

    def terminated(signum, _frame):
        raise SystemExit("fault_tests.py: stopped by %s" % signal.Signals(signum).name)

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, terminated)  # so `finally` still stops the programs
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    print("== %s against %s" % (options.scenario, options.target), flush=True)
    signal.alarm(SCENARIO_BUDGET)
    try:
        SCENARIOS[options.scenario](options, options.target)
    except (Failure, Pyro4.errors.PyroError, OSError) as failure:
        print("FAILED %s: %s: %s" % (options.scenario, type(failure).__name__, failure),
              flush=True)
        return 1
    finally:
        signal.alarm(0)
    print("passed %s" % options.scenario, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
