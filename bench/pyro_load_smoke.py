"""Smoke test of pyro-load (ctest bench_pyro_load_smoke): behaviour, not speed.

    pyro_load_smoke.py PYRO_LOAD EXAMPLE_ECHO_SERVER

Starts example-echo-server on a free port, runs pyro-load against it for 0.5 s (json, then two
connections of serpent) and checks that each run printed one JSON object of the agreed shape
with calls done and no error.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support"))
import environment  # noqa: E402
import processes  # noqa: E402

FIELDS = {"mode": str, "serializer": str, "connections": int, "seconds": float, "calls": int,
          "calls_per_s": float, "p50_us": float, "p99_us": float, "mb_per_s": float,
          "errors": int, "error": str}


def check(result, argv):
    if result.returncode != 0 or result.timed_out:
        sys.exit(f"pyro-load {argv} failed ({result.returncode}):\n{result.output}")
    report = json.loads(result.output.strip().splitlines()[-1])
    for field, kind in FIELDS.items():
        if field not in report:
            sys.exit(f"no '{field}' in {report}")
        if kind is float and isinstance(report[field], int):
            continue
        if not isinstance(report[field], kind):
            sys.exit(f"'{field}' is not {kind.__name__} in {report}")
    if report["calls"] < 1 or report["errors"] != 0 or not 0 < report["p50_us"] <= report["p99_us"]:
        sys.exit(f"implausible report {report}")
    print(json.dumps(report))


def main():
    load, server_program = sys.argv[1], sys.argv[2]
    env = environment.pyro_environment(PYRO_HOST="127.0.0.1")
    server = processes.Process([server_program], env=env)
    try:
        line = server.wait_for(r"PYRO:echo@", timeout=10)
        if line is None:
            sys.exit("example-echo-server printed no URI")
        uri = line.split()[-1]
        for extra in (["--serializer", "json"], ["--serializer", "serpent", "--connections", "2"]):
            argv = [load, "--uri", uri, "--mode", "echo", "--seconds", "0.5"] + extra
            check(processes.run(argv, timeout=10, env=env), argv)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
