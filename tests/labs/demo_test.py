#!/usr/bin/python3
"""Runs a lab demo as `./labkit demo LAB` does, without a terminal, and checks it.

    demo_test.py LAB DEMO_SCRIPT BIN_DIR

Passes when the demo ends with exit code 0, shows the lines that prove the exercise worked and
the steps for separate terminals, and leaves no process behind: neither the PIDs it reported
("started NAME (pid N)") nor any process still carrying its name server's port. Also checks that
`--tmux` without a terminal says so and starts nothing.
"""

import os
import pathlib
import re
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
import processes  # noqa: E402
from processes import alive  # noqa: E402

EXPECTED = {
    "echo": ["[echo-client] Reply: HOLA",
             "[echo-server] 'echo.server' removed from the name server."],
    "observer": ["[observer-1] Update received: Hello, Observers!",
                 "[observer-2] Update received: Hello, Observers!",
                 "[observer-1] Observer unregistered."],
    "introspect": ["[introspect-client] greet('World') -> Hello, World!",
                   "[introspect-client] add(2, 3) -> 5"],
    "colorsquare": ["[transmit] square is now (0, 128, 255)",
                    "[receive] set_color(0, 128, 255)",
                    "[receive] 'example.colorsquare' removed from the name server."],
}
COMMON = ["started name-server (pid ", "To do the same yourself, open ", "1. the name server:"]


def run(argv, timeout):
    """Runs the demo as from a plain terminal without tmux or NO_COLOR (the demo's output
    depends on both); None for the exit code when it did not finish in time (all of it is
    killed then)."""
    env = {key: value for key, value in os.environ.items() if key not in ("TMUX", "NO_COLOR")}
    demo = processes.run(argv, timeout, env=env)
    return (None if demo.timed_out else demo.returncode), demo.output


def processes_with_port(port):
    """PIDs of processes whose environment or command line names the demo's name server port."""
    marks = (b"PYRO_NS_PORT=%d" % port, b"-p\0%d" % port)
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        for part in ("environ", "cmdline"):
            try:
                with open("/proc/%s/%s" % (entry, part), "rb") as data:
                    text = b"\0" + data.read()
            except OSError:
                continue
            if any(b"\0" + mark + b"\0" in text + b"\0" for mark in marks) and alive(int(entry)):
                found.append(int(entry))
                break
    return found


def main(lab, script, bin_dir):
    problems = []
    started = time.monotonic()
    code, output = run(["bash", script, bin_dir], timeout=60)
    print("$ %s %s   (%.1f s)" % (script, bin_dir, time.monotonic() - started))
    print("".join("  | " + line + "\n" for line in output.splitlines()), end="")
    if code is None:
        problems.append("it did not finish within 60 s (killed it)")
    elif code != 0:
        problems.append("it ended with exit code %d; expected 0" % code)
    for text in EXPECTED[lab] + COMMON:
        if text not in output:
            problems.append("its output lacks: %s" % text)
    pids = [int(pid) for pid in re.findall(r"started \S+ \(pid (\d+)\)", output)]
    if not pids:
        problems.append("it reported no started programs")
    time.sleep(0.2)  # a process that just ended may not be reaped yet
    left = [pid for pid in pids if alive(pid)]
    port = re.search(r"name server on 127\.0\.0\.1:(\d+)", output)
    if port:
        left += [pid for pid in processes_with_port(int(port.group(1))) if pid not in left]
    if left:
        problems.append("processes it started are still running: %s" % ", ".join(map(str, left)))
        for pid in left:  # leave the machine clean for the next test
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    code, output = run(["bash", script, bin_dir, "--tmux"], timeout=10)
    print("$ %s %s --tmux   (no terminal)" % (script, bin_dir))
    print("".join("  | " + line + "\n" for line in output.splitlines()), end="")
    if code in (None, 0) or "none is attached" not in output or "started" in output:
        problems.append("--tmux without a terminal should fail at once, saying that no terminal "
                        "is attached, and start nothing")

    if problems:
        print("FAILED demo %s:\n  - %s" % (lab, "\n  - ".join(problems)))
        return 1
    print("passed demo %s" % lab)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in EXPECTED:
        sys.exit("usage: demo_test.py {%s} DEMO_SCRIPT BIN_DIR" % ",".join(EXPECTED))
    sys.exit(main(*sys.argv[1:]))
