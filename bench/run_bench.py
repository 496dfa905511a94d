"""run_bench.py — the comparisons of `./labkit bench`, in one run, as ratios measured together.

    /usr/bin/python3 bench/run_bench.py BIN_DIR OUT_DIR [--quick] [--grpc-note TEXT]

BIN_DIR holds the Release programs (pyro-load, example-echo-server, echo-server, pyro-ns,
pyro-nsc); OUT_DIR receives results.md, results.json and results.png (gnuplot, when present).
The machine is shared and noisy, so every figure is the median of a few short runs and every
target is a ratio of two figures measured minutes apart in the same run, never an absolute.

Every server is started through tests/support/processes.py (it dies with this driver, through
PR_SET_PDEATHSIG) and stopped by its pid in a `finally`, whatever happens.
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))
import environment  # noqa: E402
import processes  # noqa: E402

PYTHON = "/usr/bin/python3"
GRPC_ROW = "gRPC C++ client -> gRPC C++ server (unary echo, reference)"
HOST = "127.0.0.1"


class Bench:
    def __init__(self, bin_dir, out_dir, quick):
        self.bin = bin_dir
        self.out = out_dir
        self.quick = quick
        self.reps = 1 if quick else 2
        self.seconds = 0.5 if quick else 1.0   # one echo measurement
        self.ns_seconds = 0.5 if quick else 2.0  # name server and connection rows
        self.rows = []
        self.servers = []
        self.env = environment.pyro_environment(PYRO_HOST=HOST, PYRO_ONEWAY_THREADED="false")
        self.cpus = os.cpu_count() or 1

    # --- processes ---------------------------------------------------------------------------
    def start(self, argv, ready, stdout_file=None, timeout=15):
        """Starts a server and waits for the line `ready` (a regex) on its stdout, or for its
        port when its stdout goes to a file."""
        if stdout_file is not None:
            if os.path.exists(stdout_file):
                os.remove(stdout_file)  # no stale line from an earlier run
            argv = ["/bin/sh", "-c", 'exec "$@" >"$0" 2>&1', stdout_file] + argv
        server = processes.Process(argv, env=self.env)
        self.servers.append(server)
        if stdout_file is not None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if os.path.exists(stdout_file):
                    with open(stdout_file, encoding="utf-8", errors="replace") as f:
                        for line in f:
                            if ready in line:
                                return server, line.strip()
                time.sleep(0.05)
            raise RuntimeError(f"{argv} did not print {ready!r}")
        line = server.wait_for(ready, timeout=timeout)
        if line is None:
            raise RuntimeError(f"{argv[0]} did not print {ready!r}: {server.lines()}")
        return server, line.strip()

    def stop(self, server):
        server.stop(first=signal.SIGINT, grace=3)
        self.servers.remove(server)

    def stop_all(self):
        for server in list(self.servers):
            server.stop(first=signal.SIGKILL)
        self.servers.clear()

    def pin(self, server, cpus):
        """Moves every thread of a running server to `cpus` ("0-1" unpins it)."""
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(server.process.pid)],
                       stdout=subprocess.DEVNULL, check=True)

    def load(self, argv, client_cpu=None, timeout=120):
        """Runs one load-generator invocation and returns its JSON report."""
        if client_cpu is not None:
            argv = ["taskset", "-c", client_cpu] + argv
        done = processes.run(argv, timeout=timeout, env=self.env)
        lines = [line for line in done.output.splitlines() if line.startswith("{")]
        if done.timed_out or not lines:
            raise RuntimeError(f"{argv} failed: {done.output[-500:]}")
        report = json.loads(lines[-1])
        if report.get("errors"):
            raise RuntimeError(f"{argv}: {report.get('error')}")
        return report

    def measure(self, argv, client_cpu=None):
        """The median of self.reps runs: p50, p99, calls/s, MB/s (NaN when a run failed: the
        row says so and the bench goes on)."""
        try:
            reports = [self.load(argv, client_cpu) for _ in range(self.reps)]
        except RuntimeError as e:
            print(f"  FAILED: {e}", flush=True)
            return {key: float("nan") for key in ("p50_us", "p99_us", "calls_per_s", "mb_per_s")}
        return {key: statistics.median(r[key] for r in reports)
                for key in ("p50_us", "p99_us", "calls_per_s", "mb_per_s")}

    def add(self, section, name, figures, **extra):
        row = {"section": section, "name": name, **figures, **extra}
        self.rows.append(row)
        shown = ", ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in figures.items())
        print(f"  {section:8} {name:58} {shown}", flush=True)
        return row

    def row(self, section, name, **match):
        for r in self.rows:
            if r["section"] == section and r["name"] == name and all(
                    r.get(k) == v for k, v in match.items()):
                return r
        return None

    def prog(self, name):
        return os.path.join(self.bin, name)

    def ns(self, port, python=False, storage="memory"):
        argv = (["/usr/bin/pyro4-ns"] if python else [self.prog("pyro-ns")]) + [
            "-n", HOST, "-p", str(port), "-x", "-s", storage]
        server, _ = self.start(argv, r"NS running|URI = |running on|Pyro.NameServer")
        self.wait_port(port)
        return server

    @staticmethod
    def wait_port(port, timeout=10):
        import socket
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nothing listens on port {port}")

    # --- the comparisons ---------------------------------------------------------------------
    def echo(self):
        print("echo round trip, 1 connection:", flush=True)
        out = os.path.join(self.out, "echo-server.stdout")
        ns_port = processes.free_port()
        lab_ns = self.ns(ns_port)
        example, line = self.start([self.prog("example-echo-server")], r"PYRO:echo@")
        example_uri = line.split()[-1]
        lab, line = self.start([self.prog("echo-server"), "--ns-host", HOST, "--ns-port",
                                str(ns_port)], "Object URI:", stdout_file=out)
        lab_uri = line.split()[-1]
        py_port = processes.free_port()
        py, _ = self.start(["/usr/bin/pyro4-test-echoserver", "-H", HOST, "-p", str(py_port)],
                           r"echoserver running")
        py_uri = f"PYRO:test.echoserver@{HOST}:{py_port}"
        raw_port = processes.free_port()
        raw, _ = self.start([self.prog("pyro-load"), "--mode", "raw-server", "--port",
                             str(raw_port)], r"raw echo server")
        servers = [example, lab, py, raw]
        grpc_uri = None
        if os.path.exists(self.prog("pyro-grpc-echo")):
            grpc_port = processes.free_port()
            grpc, _ = self.start([self.prog("pyro-grpc-echo"), "--server", "--port",
                                  str(grpc_port)], r"grpc echo server")
            servers.append(grpc)
            grpc_uri = str(grpc_port)
        pinnings = [("unpinned", None, None)]
        if self.cpus >= 2:
            pinnings.append(("cross-core", "1", "0"))
        pinnings.append(("same-core", "0", "0"))
        load = self.prog("pyro-load")
        for pinning, server_cpu, client_cpu in pinnings:
            for server in servers:
                self.pin(server, server_cpu or f"0-{self.cpus - 1}")
            common = ["--seconds", str(self.seconds)]
            for serializer in ("json", "serpent"):
                ser = ["--serializer", serializer]
                cases = [
                    ("libpyro client -> example-echo-server (library)", [load, "--uri", example_uri]),
                    ("libpyro client -> lab echo-server (stdout to file)", [load, "--uri", lab_uri]),
                    ("libpyro client -> pyro4-test-echoserver", [load, "--uri", py_uri]),
                    ("Pyro4 client -> pyro4-test-echoserver",
                     [PYTHON, os.path.join(HERE, "pyro4_load.py"), "--uri", py_uri]),
                ]
                for name, argv in cases:
                    figures = self.measure(argv + ["--mode", "echo"] + ser + common, client_cpu)
                    figures.pop("mb_per_s")
                    self.add("echo", name, figures, serializer=serializer, pinning=pinning)
            figures = self.measure([load, "--mode", "raw", "--port", str(raw_port), "--size",
                                    "110"] + common, client_cpu)
            figures.pop("mb_per_s")
            self.add("echo", "raw TCP ping-pong, 110 bytes (floor)", figures, serializer="-",
                     pinning=pinning)
            if grpc_uri is not None:
                figures = self.measure([self.prog("pyro-grpc-echo"), "--port", grpc_uri]
                                       + common, client_cpu)
                figures.pop("mb_per_s")
                self.add("echo", GRPC_ROW, figures, serializer="protobuf", pinning=pinning)
        for server in servers + [lab_ns]:
            self.stop(server)

    def name_server(self, storages):
        print("name server lookups:", flush=True)
        load = self.prog("pyro-load")
        for storage in storages:
            for python in (False, True):
                port = processes.free_port()
                tmp = None
                spec = storage
                if storage == "sql":
                    tmp = os.path.join(self.out, f"ns-{'py' if python else 'cpp'}.sqlite")
                    for leftover in (tmp,):
                        if os.path.exists(leftover):
                            os.remove(leftover)
                    spec = f"sql:{tmp}"
                ns = self.ns(port, python, spec)
                uri = f"PYRO:Pyro.NameServer@{HOST}:{port}"
                subprocess.run([self.prog("pyro-nsc"), "-n", HOST, "-p", str(port), "register",
                                "bench.name", f"PYRO:bench.object@{HOST}:1"], env=self.env,
                               stdout=subprocess.DEVNULL, check=True)
                server = "pyro4-ns" if python else "pyro-ns"
                for connections in (1, 16):
                    figures = self.measure([load, "--uri", uri, "--mode", "lookup",
                                            "--connections", str(connections), "--seconds",
                                            str(self.ns_seconds)])
                    figures.pop("mb_per_s")
                    self.add("ns", f"{server} lookup, {connections} conn", figures,
                             storage=storage, connections=connections)
                if storage == "memory":
                    # One client setting up connections one after another (a student's program)
                    # and 16 at once (a class starting its programs): the first is bound by two
                    # loopback round trips, the second by what the name server does per connection.
                    for connections in (1, 16):
                        figures = self.measure([load, "--uri", uri, "--mode", "connect",
                                                "--connections", str(connections),
                                                "--seconds", str(self.ns_seconds)])
                        figures.pop("mb_per_s")
                        self.add("connect", f"{server}: connect+handshake+lookup+close, "
                                 f"{connections} conn", figures, connections=connections)
                self.stop(ns)
        raw_port = processes.free_port()
        raw, _ = self.start([load, "--mode", "raw-server", "--port", str(raw_port)],
                            r"raw echo server")
        for connections in (1, 16):
            figures = self.measure([load, "--mode", "raw", "--port", str(raw_port), "--size",
                                    "110", "--connections", str(connections), "--seconds",
                                    str(self.ns_seconds)])
            figures.pop("mb_per_s")
            self.add("ns", f"raw TCP ping-pong, {connections} conn (floor)", figures,
                     storage="-", connections=connections)
        self.stop(raw)

    def payloads(self):
        print("payload echo (serpent, 1 connection, unpinned):", flush=True)
        example, line = self.start([self.prog("example-echo-server")], r"PYRO:echo@")
        example_uri = line.split()[-1]
        py_port = processes.free_port()
        py, _ = self.start(["/usr/bin/pyro4-test-echoserver", "-H", HOST, "-p", str(py_port)],
                           r"echoserver running")
        py_uri = f"PYRO:test.echoserver@{HOST}:{py_port}"
        for size, label in ((1024, "1 KB"), (65536, "64 KB"), (1048576, "1 MB")):
            for kind in ("str", "bytes"):
                args = ["--mode", "payload", "--serializer", "serpent", "--size", str(size),
                        "--kind", kind, "--seconds", str(self.seconds)]
                lib = self.measure([self.prog("pyro-load"), "--uri", example_uri] + args)
                self.add("payload", f"libpyro <-> libpyro, {label} {kind}", lib, size=label,
                         kind=kind, impl="libpyro")
                pyr = self.measure([PYTHON, os.path.join(HERE, "pyro4_load.py"), "--uri",
                                    py_uri] + args)
                self.add("payload", f"Pyro4 <-> Pyro4, {label} {kind}", pyr, size=label,
                         kind=kind, impl="Pyro4")
        self.stop(example)
        self.stop(py)

    def rss_mb(self, server):
        with open(f"/proc/{server.process.pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        return 0.0

    def memory(self):
        print("name server memory:", flush=True)
        counts = [(False, 10000 if self.quick else 100000), (True, 10000 if self.quick else 100000)]
        if not self.quick:
            counts.append((False, 1000000))
        for python, count in counts:
            port = processes.free_port()
            ns = self.ns(port, python)
            server = "pyro4-ns" if python else "pyro-ns"
            empty = self.rss_mb(ns)
            uri = f"PYRO:Pyro.NameServer@{HOST}:{port}"
            started = time.monotonic()
            try:
                report = self.load([self.prog("pyro-load"), "--uri", uri, "--mode", "register",
                                    "--count", str(count), "--connections", "4", "--name",
                                    "bench.memory"], timeout=240)
                registered = report["count"] - 1  # the name server's own entry
            except RuntimeError as e:
                print(f"  registration stopped: {e}", flush=True)
                registered = -1
            took = time.monotonic() - started
            loaded = self.rss_mb(ns)
            subprocess.run([self.prog("pyro-nsc"), "-n", HOST, "-p", str(port), "list"],
                           env=self.env, stdout=subprocess.DEVNULL, timeout=240, check=False)
            listed = self.rss_mb(ns)
            self.add("memory", f"{server}, {count:,} registrations",
                     {"empty_mb": empty, "registered_mb": loaded, "after_list_mb": listed,
                      "register_s": took}, server=server, count=count, registered=registered)
            self.stop(ns)

    def nsc_ping(self):
        print("pyro-nsc ping as a whole process:", flush=True)
        port = processes.free_port()
        ns = self.ns(port)
        runs = {"pyro-nsc": (self.prog("pyro-nsc"), 5 if self.quick else 20),
                "pyro4-nsc": ("/usr/bin/pyro4-nsc", 3 if self.quick else 8)}
        for name, (program, n) in runs.items():
            times = []
            for _ in range(n):
                started = time.perf_counter()
                subprocess.run([program, "-n", HOST, "-p", str(port), "ping"], env=self.env,
                               stdout=subprocess.DEVNULL, check=True)
                times.append(time.perf_counter() - started)
            self.add("nsc", f"{name} ping", {"median_ms": statistics.median(times) * 1000,
                                             "runs": n})
        self.stop(ns)


# --- targets, tables, chart --------------------------------------------------------------------
def ratio(a, b):
    return a / b if a and b else float("nan")


def targets(bench, grpc_note):
    t = []
    r = bench.row

    def add(what, value, goal, holds, detail):
        t.append({"target": what, "value": value, "goal": goal,
                  "holds": bool(holds) if holds is not None and value == value else None, "detail": detail})

    pin = "cross-core" if bench.cpus >= 2 else "same-core"
    lib = r("echo", "libpyro client -> example-echo-server (library)", serializer="json", pinning=pin)
    raw = r("echo", "raw TCP ping-pong, 110 bytes (floor)", pinning=pin)
    if lib and raw:
        v = ratio(lib["p50_us"], raw["p50_us"])
        add("library echo json p50 / raw floor p50 (pinned " + pin + ")", v, "<= 1.15", v <= 1.15,
            f"{lib['p50_us']:.1f} us vs {raw['p50_us']:.1f} us")
    for ser in ("json", "serpent"):
        lab = r("echo", "libpyro client -> lab echo-server (stdout to file)", serializer=ser, pinning=pin)
        py = r("echo", "libpyro client -> pyro4-test-echoserver", serializer=ser, pinning=pin)
        if lab and py:
            v = ratio(lab["calls_per_s"], py["calls_per_s"])
            add(f"lab echo-server / pyro4-test-echoserver calls/s (libpyro client, {ser})", v,
                ">= 1.3", v >= 1.3, f"{lab['calls_per_s']:.0f} vs {py['calls_per_s']:.0f}")
    for ser in ("serpent", "json"):
        ours = r("echo", "libpyro client -> pyro4-test-echoserver", serializer=ser, pinning=pin)
        theirs = r("echo", "Pyro4 client -> pyro4-test-echoserver", serializer=ser, pinning=pin)
        if ours and theirs:
            v = ratio(ours["calls_per_s"], theirs["calls_per_s"])
            add(f"libpyro client / Pyro4 client -> pyro4-test-echoserver calls/s ({ser})", v,
                ">= 1.0", v >= 1.0, f"{ours['calls_per_s']:.0f} vs {theirs['calls_per_s']:.0f}")
    for conns, goal in ((1, 1.5), (16, 6.0)):
        ours = r("ns", f"pyro-ns lookup, {conns} conn", storage="memory")
        theirs = r("ns", f"pyro4-ns lookup, {conns} conn", storage="memory")
        if ours and theirs:
            v = ratio(ours["calls_per_s"], theirs["calls_per_s"])
            add(f"pyro-ns / pyro4-ns lookups/s, {conns} conn", v, f">= {goal}", v >= goal,
                f"{ours['calls_per_s']:.0f} vs {theirs['calls_per_s']:.0f}")
    ours = r("ns", "pyro-ns lookup, 16 conn", storage="memory")
    floor = r("ns", "raw TCP ping-pong, 16 conn (floor)")
    if ours and floor:
        v = ratio(ours["calls_per_s"], floor["calls_per_s"])
        add("pyro-ns lookups/s / raw ping-pong, 16 conn", v, ">= 0.70", v >= 0.70,
            f"{ours['calls_per_s']:.0f} vs {floor['calls_per_s']:.0f}")
    for conns in (1, 16):
        ours = r("connect", f"pyro-ns: connect+handshake+lookup+close, {conns} conn")
        theirs = r("connect", f"pyro4-ns: connect+handshake+lookup+close, {conns} conn")
        if ours and theirs:
            v = ratio(ours["calls_per_s"], theirs["calls_per_s"])
            add(f"connection set-up per second, pyro-ns / pyro4-ns, {conns} conn", v, ">= 5",
                v >= 5, f"{ours['calls_per_s']:.0f} vs {theirs['calls_per_s']:.0f}")
    for kind in ("str", "bytes"):
        ours = r("payload", f"libpyro <-> libpyro, 1 MB {kind}")
        theirs = r("payload", f"Pyro4 <-> Pyro4, 1 MB {kind}")
        if ours and theirs:
            v = ratio(ours["mb_per_s"], theirs["mb_per_s"])
            add(f"1 MB echo MB/s, libpyro / Pyro4 ({kind})", v, ">= 3", v >= 3,
                f"{ours['mb_per_s']:.1f} vs {theirs['mb_per_s']:.1f} MB/s")
    big = [x for x in bench.rows if x["section"] == "memory" and x.get("server") == "pyro-ns"]
    if big:
        largest = max(big, key=lambda x: x["count"])
        note = "" if largest["count"] >= 1000000 else " (1M not run; --quick)"
        add(f"pyro-ns RSS with {largest['count']:,} registrations{note}",
            largest["registered_mb"], "< 300 MB (1M)",
            largest["registered_mb"] < 300 if largest["count"] >= 1000000 else None,
            f"{largest['registered_mb']:.0f} MB, {largest['after_list_mb']:.0f} MB after list")
    ours, theirs = r("nsc", "pyro-nsc ping"), r("nsc", "pyro4-nsc ping")
    if ours and theirs:
        v = ratio(theirs["median_ms"], ours["median_ms"])
        add("pyro4-nsc ping time / pyro-nsc ping time", v, ">= 20", v >= 20,
            f"{ours['median_ms']:.1f} ms vs {theirs['median_ms']:.1f} ms")
    grpc = r("echo", GRPC_ROW, pinning=pin)
    if lib and grpc:
        v = ratio(lib["p50_us"], grpc["p50_us"])
        add("library echo json p50 / gRPC C++ unary echo p50 (pinned " + pin + ")", v, "< 1",
            v < 1, f"{lib['p50_us']:.1f} us vs {grpc['p50_us']:.1f} us")
    else:
        add("gRPC C++ unary echo", float("nan"), "reference", None, grpc_note)
    return t


def fmt(x, digits=1):
    if isinstance(x, float):
        if x != x:
            return "-"
        return f"{x:,.{digits}f}"
    return str(x)


def write_markdown(bench, goals, path, header):
    lines = [header, ""]
    lines += ["### Targets", "", "| target | measured | goal | holds | figures |",
              "|---|---:|---|---|---|"]
    for g in goals:
        holds = {True: "yes", False: "**no**", None: "n/a"}[g["holds"]]
        lines.append(f"| {g['target']} | {fmt(g['value'], 2)} | {g['goal']} | {holds} | "
                     f"{g['detail']} |")
    lines += ["", "### Echo round trip, 1 connection (\"hello\")", "",
              "| pinning | serializer | client -> server | p50 us | p99 us | calls/s | p50 / floor |",
              "|---|---|---|---:|---:|---:|---:|"]
    for x in bench.rows:
        if x["section"] != "echo":
            continue
        floor = bench.row("echo", "raw TCP ping-pong, 110 bytes (floor)", pinning=x["pinning"])
        lines.append(f"| {x['pinning']} | {x['serializer']} | {x['name']} | {fmt(x['p50_us'])} | "
                     f"{fmt(x['p99_us'])} | {fmt(x['calls_per_s'], 0)} | "
                     f"{fmt(ratio(x['p50_us'], floor['p50_us']) if floor else float('nan'), 2)} |")
    lines += ["", "### Name server (unpinned)", "",
              "| storage | what | p50 us | p99 us | per s |", "|---|---|---:|---:|---:|"]
    for x in bench.rows:
        if x["section"] in ("ns", "connect"):
            lines.append(f"| {x.get('storage', 'memory')} | {x['name']} | {fmt(x['p50_us'])} | "
                         f"{fmt(x['p99_us'])} | {fmt(x['calls_per_s'], 0)} |")
    lines += ["", "### Payload echo (serpent, 1 connection; MB/s = payload bytes echoed per s)", "",
              "| size | kind | libpyro MB/s | Pyro4 MB/s | ratio | libpyro p50 us | Pyro4 p50 us |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for x in bench.rows:
        if x["section"] == "payload" and x["impl"] == "libpyro":
            y = bench.row("payload", x["name"].replace("libpyro <-> libpyro", "Pyro4 <-> Pyro4"))
            lines.append(f"| {x['size']} | {x['kind']} | {fmt(x['mb_per_s'])} | {fmt(y['mb_per_s'])} | "
                         f"{fmt(ratio(x['mb_per_s'], y['mb_per_s']), 2)} | {fmt(x['p50_us'])} | "
                         f"{fmt(y['p50_us'])} |")
    lines += ["", "### Name server memory (memory storage; VmRSS)", "",
              "| server, registrations | empty MB | registered MB | after list MB | register s |",
              "|---|---:|---:|---:|---:|"]
    for x in bench.rows:
        if x["section"] == "memory":
            lines.append(f"| {x['name']} | {fmt(x['empty_mb'])} | {fmt(x['registered_mb'])} | "
                         f"{fmt(x['after_list_mb'])} | {fmt(x['register_s'])} |")
    lines += ["", "### Whole process: `nsc ping`", "", "| program | median ms | runs |",
              "|---|---:|---:|"]
    for x in bench.rows:
        if x["section"] == "nsc":
            lines.append(f"| {x['name']} | {fmt(x['median_ms'])} | {x['runs']} |")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def nz(x):
    """A figure for gnuplot: a failed (NaN) measurement is drawn as 0."""
    return 0.0 if x != x else x


def write_chart(bench, out):
    """Three bar panels: echo calls/s (pinned cross-core), name server lookups/s, 1 MB MB/s."""
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        print("gnuplot not found: no chart (apt-get install gnuplot-nox)", flush=True)
        return None
    pin = "cross-core" if bench.cpus >= 2 else "same-core"
    short = {
        "libpyro client -> example-echo-server (library)": "libpyro -> libpyro",
        "libpyro client -> lab echo-server (stdout to file)": "libpyro -> lab echo-server",
        "libpyro client -> pyro4-test-echoserver": "libpyro -> Pyro4",
        "Pyro4 client -> pyro4-test-echoserver": "Pyro4 -> Pyro4",
    }
    peaks = {"echo": 1.0, "ns": 1.0, "payload": 1.0}  # room above the bars for the key
    echo = os.path.join(out, "chart-echo.dat")
    with open(echo, "w", encoding="utf-8") as f:
        for name, label in short.items():
            j = bench.row("echo", name, serializer="json", pinning=pin)
            s = bench.row("echo", name, serializer="serpent", pinning=pin)
            f.write(f'"{label}" {nz(j["calls_per_s"]):.0f} {nz(s["calls_per_s"]):.0f}\n')
            peaks["echo"] = max(peaks["echo"], j["calls_per_s"], s["calls_per_s"])
        raw = bench.row("echo", "raw TCP ping-pong, 110 bytes (floor)", pinning=pin)
        f.write(f'"raw TCP (floor)" {nz(raw["calls_per_s"]):.0f} {nz(raw["calls_per_s"]):.0f}\n')
        peaks["echo"] = max(peaks["echo"], raw["calls_per_s"])
    ns = os.path.join(out, "chart-ns.dat")
    with open(ns, "w", encoding="utf-8") as f:
        for server in ("pyro-ns", "pyro4-ns"):
            one = bench.row("ns", f"{server} lookup, 1 conn", storage="memory")
            many = bench.row("ns", f"{server} lookup, 16 conn", storage="memory")
            f.write(f'"{server}" {nz(one["calls_per_s"]):.0f} {nz(many["calls_per_s"]):.0f}\n')
            peaks["ns"] = max(peaks["ns"], one["calls_per_s"], many["calls_per_s"])
        one = bench.row("ns", "raw TCP ping-pong, 1 conn (floor)")
        many = bench.row("ns", "raw TCP ping-pong, 16 conn (floor)")
        f.write(f'"raw TCP (floor)" {nz(one["calls_per_s"]):.0f} {nz(many["calls_per_s"]):.0f}\n')
        peaks["ns"] = max(peaks["ns"], one["calls_per_s"], many["calls_per_s"])
    payload = os.path.join(out, "chart-payload.dat")
    with open(payload, "w", encoding="utf-8") as f:
        for size in ("1 KB", "64 KB", "1 MB"):
            for kind in ("str", "bytes"):
                a = bench.row("payload", f"libpyro <-> libpyro, {size} {kind}")
                b = bench.row("payload", f"Pyro4 <-> Pyro4, {size} {kind}")
                f.write(f'"{size} {kind}" {nz(a["mb_per_s"]):.2f} {nz(b["mb_per_s"]):.2f}\n')
                peaks["payload"] = max(peaks["payload"], a["mb_per_s"], b["mb_per_s"])
    png = os.path.join(out, "results.png")
    script = f"""
set terminal pngcairo size 1500,560 font "DejaVu Sans,11"
set output "{png}"
set multiplot layout 1,3 title "libpyro vs Pyro4 4.82 — {datetime.date.today()}, 2 shared noisy cores, medians" font ",13"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top left
set xtics rotate by 20 right scale 0 nomirror
set format y "%g"
set bmargin 7
set lmargin 12
set yrange [0:{peaks["echo"] * 1.3:.0f}]
set title "Echo round trip, 1 connection ({pin} pinned)\\ncalls/s, higher is better"
plot "{echo}" using 2:xtic(1) title "json" lc rgb "#1f77b4", "" using 3 title "serpent" lc rgb "#ff7f0e"
set yrange [0:{peaks["ns"] * 1.3:.0f}]
set title "Name server lookups (memory storage)\\nlookups/s, higher is better"
plot "{ns}" using 2:xtic(1) title "1 connection" lc rgb "#2ca02c", "" using 3 title "16 connections" lc rgb "#9467bd"
set title "Payload echo, serpent, 1 connection\\nMB/s (log scale), higher is better"
set logscale y
set yrange [0.5:{peaks["payload"] * 8:.0f}]
set format y "%g"
plot "{payload}" using 2:xtic(1) title "libpyro <-> libpyro" lc rgb "#1f77b4", "" using 3 title "Pyro4 <-> Pyro4" lc rgb "#d62728"
unset multiplot
"""
    subprocess.run([gnuplot], input=script, text=True, check=True)
    return png


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("out_dir")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--replot", action="store_true",
                        help="only redraw results.png from OUT_DIR/results.json")
    parser.add_argument("--grpc-note", default="skipped: gRPC packages not installed "
                        "(./labkit bench --peers installs them)")
    o = parser.parse_args()
    os.makedirs(o.out_dir, exist_ok=True)
    bench = Bench(o.bin_dir, o.out_dir, o.quick)
    if o.replot:
        with open(os.path.join(o.out_dir, "results.json"), encoding="utf-8") as f:
            saved = json.load(f)
        bench.rows, bench.cpus = saved["rows"], saved["cpus"]
        print(write_chart(bench, o.out_dir))
        return
    started = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    try:
        bench.echo()
        bench.name_server(["memory"] if o.quick else ["memory", "sql"])
        bench.payloads()
        bench.memory()
        bench.nsc_ping()
    finally:
        bench.stop_all()
    took = time.monotonic() - started
    goals = targets(bench, o.grpc_note)
    header = (f"## libpyro bench, {datetime.datetime.now():%Y-%m-%d %H:%M} — "
              f"{'quick' if o.quick else 'full'} run, {took:.0f} s, {bench.cpus} cores "
              f"(shared, noisy: compare ratios within one run, not absolutes). Medians of "
              f"{bench.reps} runs of {bench.seconds} s (echo, payload) / {bench.ns_seconds} s "
              f"(name server), loopback, Release build.")
    md = os.path.join(o.out_dir, "results.md")
    write_markdown(bench, goals, md, header)
    with open(os.path.join(o.out_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"date": datetime.datetime.now().isoformat(timespec="seconds"),
                   "quick": o.quick, "cpus": bench.cpus, "seconds": took, "rows": bench.rows,
                   "targets": goals}, f, indent=1, default=str)
    png = write_chart(bench, o.out_dir)
    print()
    with open(md, encoding="utf-8") as f:
        print(f.read())
    print(f"written: {md}, results.json" + (f", {png}" if png else ""))


if __name__ == "__main__":
    main()
