#!/usr/bin/python3
"""Record the libpyro lab kit's golden Pyro4 vectors (tests/golden/vectors).

Real Pyro4 4.82 programs (pyro4-ns, pyro4-test-echoserver, pyro4-nsc, Pyro4 proxies and a small
lab server, tests/golden/capture/lab_server.py) talk on 127.0.0.1 through a recording relay;
every scenario becomes one JSON file in the format of tests/golden/vectors/README.md.

    tests/golden/capture.py --out tests/golden/vectors          # everything, 10-20 seconds
    tests/golden/capture.py --out /tmp/v --only echo_basic_types nsc_list
    tests/golden/capture.py --list

Run it with /usr/bin/python3 (Debian's python3-pyro4); a python3 found first on PATH may not
have Pyro4. As root with unshare(1), it runs in a private network namespace so the fixed ports
(47300-47316) cannot collide with anything; otherwise it stops if one of them is taken.
tests/golden/check_capture.py records into a temporary folder and compares with the corpus.
"""

import importlib.util
import os
import sys

# Fixed hash seed (the order of Python sets on the wire depends on it) and no .pyc files in
# the source tree: start again with both settled.
# A python3 without Pyro4 (e.g. one found first on PATH) hands over to Debian's.
SYSTEM_PYTHON = "/usr/bin/python3"
_interpreter = sys.executable
if importlib.util.find_spec("Pyro4") is None and os.path.exists(SYSTEM_PYTHON):
    _interpreter = SYSTEM_PYTHON
if (
    _interpreter != sys.executable
    or os.environ.get("PYTHONHASHSEED") != "0"
    or not sys.flags.dont_write_bytecode
):
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(_interpreter, [_interpreter, "-B", os.path.abspath(__file__)] + sys.argv[1:])
if importlib.util.find_spec("Pyro4") is None:
    sys.exit("capture.py: %s has no Pyro4 module; install Debian's python3-pyro4 (4.82) and "
             "run with %s" % (sys.executable, SYSTEM_PYTHON))

import argparse  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from capture import corpus, isolation, reference, scenarios, servers  # noqa: E402
from capture.relay import Recorder  # noqa: E402
from capture.scenarios import HMAC_KEY, HOST, PORTS  # noqa: E402

TOOL = "tests/golden/capture.py"
REFERENCE_FILES = ("serializer_values", "uri_parsing", "reference_outputs")
UDP_PORTS = ("bc_server", "bc_relay")


def settle_environment():
    for key in [k for k in os.environ if k.startswith("PYRO_")]:
        del os.environ[key]
    os.environ["PYRO_BROADCAST_ADDRS"] = "127.0.0.1"
    os.environ["PYRO_NS_HOST"] = HOST


def generated_by():
    import Pyro4
    import serpent

    return "%s against Pyro4 %s and serpent %s (PYTHONHASHSEED=0, all traffic on 127.0.0.1)" % (
        TOOL,
        Pyro4.__version__,
        serpent.__version__,
    )


def plan(only):
    """[(stem, scenario, serializer, record?)] in capture order."""
    everything = list(scenarios.runs())
    if not only:
        return [(stem, sc, ser, True) for stem, sc, ser in everything]
    wanted = set(only)
    chosen = [stem in wanted or sc["name"] in wanted for stem, sc, _ in everything]
    if not any(chosen):
        return []
    last = max(i for i, c in enumerate(chosen) if c)
    steps = []
    for i, (stem, sc, ser) in enumerate(everything[: last + 1]):
        if chosen[i]:
            steps.append((stem, sc, ser, True))
        elif sc["changes_ns"]:
            steps.append((stem, sc, ser, False))  # replayed for the registry state only
    return steps


def configure_client(serializer):
    import Pyro4

    Pyro4.config.reset()
    Pyro4.config.SERIALIZER = serializer
    # COMMTIMEOUT stays 0.0: it is part of a serialized Proxy's state


def run_nsc(sc):
    argv = [servers.PYRO4_NSC, "-n", HOST, "-p", str(PORTS["ns_relay"])] + sc["args"]
    done = subprocess.run(
        argv,
        input=sc["stdin"] or "",
        capture_output=True,
        text=True,
        timeout=60,
        env=servers.child_environment(),
    )
    return {
        "command": ["pyro4-nsc", "-n", HOST, "-p", "<ns relay port %d>" % PORTS["ns_relay"]]
        + sc["args"],
        "stdin": sc["stdin"],
        "exit_code": done.returncode,
        "stdout": done.stdout,
        "stderr": done.stderr,
    }


def capture_scenarios(steps, workdir, out_dir, verbose):
    written = []
    banners = {}
    recorder = Recorder()
    procs = servers.Processes(workdir)
    extras = []
    by_generator = generated_by()
    try:
        for name, listen, target in (
            ("ns", "ns_relay", "ns"),
            ("echo", "echo_relay", "echo"),
            ("echo_hmac", "echo_hmac_relay", "echo_hmac"),
            ("lab", "lab_relay", "lab"),
            ("observer", "observer_relay", "observer"),
            ("standin", "standin_relay", "standin"),
        ):
            recorder.add_tcp(name, PORTS[listen], PORTS[target])
        recorder.add_udp("broadcast", PORTS["bc_relay"], PORTS["bc_server"])
        recorder.start()

        procs.start("ns", [servers.PYRO4_NS, "-n", HOST, "-p", str(PORTS["ns"]), "-x"], PORTS["ns"])
        echo_argv = [servers.PYRO4_ECHO, "-H", HOST, "-p", str(PORTS["echo"])]
        procs.start("echo", echo_argv, PORTS["echo"])
        procs.start(
            "echo_hmac",
            [servers.PYRO4_ECHO, "-H", HOST, "-p", str(PORTS["echo_hmac"])],
            PORTS["echo_hmac"],
            {"PYRO_HMAC_KEY": HMAC_KEY.decode()},
        )
        procs.start(
            "lab", [servers.PYTHON, "-B", servers.LAB_SERVER, str(PORTS["lab"])], PORTS["lab"]
        )
        banners["ns"] = procs.wait_for_output("ns", "URI = ")
        banners["echo"] = procs.wait_for_output("echo", "echoserver running.")
        extras.append(servers.StandIn(PORTS["standin"]))
        extras.append(
            servers.BroadcastResponder(
                "PYRO:Pyro.NameServer@%s:%d" % (HOST, PORTS["ns_relay"]), PORTS["bc_server"]
            )
        )
        configure_client("serpent")
        scenarios.setup_registry()

        for stem, sc, ser, record in steps:
            procs.revive()
            configure_client(ser)
            recorder.reset()
            began = time.monotonic()
            outcome = scenarios.Steps()
            nsc = None
            try:
                if sc["kind"] == "nsc":
                    nsc = run_nsc(sc)
                else:
                    sc["run"](outcome, ser)
            except Exception as error:  # keep going; the check will show the damage
                outcome.note("scenario aborted", "%s: %s" % (type(error).__name__, error))
            left_open = recorder.wait_quiet()
            if left_open:
                print("warning: %s: still open after the scenario: %s" % (stem, ", ".join(left_open)),
                      file=sys.stderr)
            if not record:
                continue
            key = HMAC_KEY if sc["name"].startswith("hmac") else None
            document = {
                "scenario": sc["name"],
                "description": sc["description"],
                "serializer": ser,
                "serializer_id": {"serpent": 1, "json": 2}[ser],
                "generated_by": by_generator,
                "ports": dict(PORTS),
                "hmac_key": key.decode() if key else None,
                "client_outcome": outcome.items,
            }
            if nsc is not None:
                document.update(nsc)
            document["frames"] = corpus.frame_entries(recorder.frames(), key)
            path = os.path.join(out_dir, stem + ".json")
            corpus.write_json(path, document)
            written.append(path)
            if verbose:
                print("%-42s %3d frames  %.2f s" % (stem, len(document["frames"]),
                                                    time.monotonic() - began))
    finally:
        for extra in reversed(extras):
            extra.close()
        procs.stop_all()
        recorder.close()
    return written, banners


def main():
    parser = argparse.ArgumentParser(
        description="Record the golden Pyro4 vectors of the libpyro lab kit.",
        epilog="Names for --only: file stems (echo_basic_types_json), scenario names "
        "(echo_basic_types: both serializers) or the reference files (%s)." % ", ".join(REFERENCE_FILES),
    )
    parser.add_argument("--out", help="folder to write the vector files into")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="record only these")
    parser.add_argument("--list", action="store_true", help="print the file stems and exit")
    parser.add_argument("--no-netns", action="store_true",
                        help="never use a private network namespace")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    args = parser.parse_args()
    isolation.stop_on_sigterm()

    if args.list:
        for stem, sc, _ser in scenarios.runs():
            print(stem)
        for name in REFERENCE_FILES:
            print(name)
        return 0
    if not args.out:
        parser.error("--out DIR is required")
    known = {stem for stem, _s, _r in scenarios.runs()} | {sc["name"] for sc in scenarios.SCENARIOS}
    known |= set(REFERENCE_FILES)
    unknown = [name for name in args.only or [] if name not in known]
    if unknown:
        parser.error("unknown name(s): %s (see --list)" % ", ".join(unknown))

    if not args.no_netns and not isolation.inside() and isolation.can_unshare():
        code = isolation.rerun_isolated(isolation.self_command())
        if code is not None:
            return code
        print("note: could not create a network namespace; running on the host's loopback",
              file=sys.stderr)
    if isolation.inside():
        isolation.loopback_up()

    busy = isolation.busy_port(PORTS, UDP_PORTS)
    if busy:
        print("error: %s port %d (%s) on 127.0.0.1 is already in use; stop whatever holds it or "
              "run as root with unshare(1) for a private network namespace" % (busy[2], busy[1], busy[0]),
              file=sys.stderr)
        return 3

    settle_environment()
    out_dir = os.path.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    started = time.monotonic()
    steps = plan(args.only)
    wanted_refs = [n for n in REFERENCE_FILES if not args.only or n in args.only]
    workdir = tempfile.mkdtemp(prefix="libpyro-capture-")
    try:
        written, banners = [], {}
        if steps or "reference_outputs" in wanted_refs:
            written, banners = capture_scenarios(steps, workdir, out_dir, not args.quiet)
        for name in wanted_refs:
            if name == "serializer_values":
                content = reference.serializer_values()
            elif name == "uri_parsing":
                content = reference.uri_parsing()
            else:
                content = {"storage": reference.storage(workdir),
                           "commands": reference.commands(banners)}
            path = os.path.join(out_dir, name + ".json")
            # nothing machine-specific may stay in the texts
            corpus.write_json(path, corpus.replace_text(content, workdir, "<workdir>"))
            written.append(path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if not args.quiet:
        print("wrote %d files into %s in %.1f s" % (len(written), out_dir, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("capture.py: interrupted; the servers it started were stopped", file=sys.stderr)
        sys.exit(130)
