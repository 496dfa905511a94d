#!/usr/bin/python3
"""`./labkit new weather.station DIR` end to end (ctest starter_new_project, label starter):
the project is written, builds against the libpyro given with --prefix, its own black-box test
passes (ctest in the project: the C++ programs and the Python twins), and a Python Pyro4 client
calls the C++ server by name, positionally and by keyword.

    new_project_test.py --kit KIT --prefix PREFIX --work DIR

Every process it starts (a Pyro4 name server, the server) is stopped by its pid, whatever happens.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

import Pyro4
import Pyro4.errors

NAME = "weather.station"


def fail(message: str) -> None:
    print(f"FAILED: {message}", flush=True)
    sys.exit(1)


# The whole test ends before ctest's limit (600 s), so that no command it started outlives it.
DEADLINE = time.monotonic() + 560


def run(argv, timeout, cwd=None):
    timeout = min(timeout, max(DEADLINE - time.monotonic(), 1))
    print("$ " + " ".join(map(str, argv)), flush=True)
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        fail(f"{argv[0]} did not finish within {timeout} s (killed it)")
    return process.returncode, output


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_name_server(port, process):
    """Until the name server answers a ping (the server started next must find it)."""
    Pyro4.config.COMMTIMEOUT = 5.0
    deadline = time.monotonic() + 15
    while True:
        try:
            with Pyro4.Proxy(f"PYRO:Pyro.NameServer@127.0.0.1:{port}") as ns:
                ns.ping()
            return
        except Pyro4.errors.CommunicationError:
            if process.poll() is not None or time.monotonic() > deadline:
                fail("the Pyro4 name server did not start")
            time.sleep(0.1)


def call_from_python(server_path: pathlib.Path) -> None:
    """A Pyro4 name server and the C++ server; a Python proxy calls it by name."""
    port = free_port()
    env = dict(os.environ, PYRO_NS_HOST="127.0.0.1", PYRO_NS_PORT=str(port),
               PYRO_HOST="127.0.0.1", PYRO_NS_BCPORT=str(free_port(socket.SOCK_DGRAM)),
               PYRO_BROADCAST_ADDRS="127.0.0.1")
    started = []
    try:
        for argv in ([sys.executable, "-m", "Pyro4.naming", "-n", "127.0.0.1", "-p", str(port)],
                     [str(server_path)]):
            started.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT, text=True))
            print(f"started pid {started[-1].pid}: {' '.join(argv)}", flush=True)
            if len(started) == 1:
                wait_for_name_server(port, started[0])
        deadline = time.monotonic() + 15
        while True:
            try:
                with Pyro4.Proxy(f"PYRONAME:{NAME}@127.0.0.1:{port}") as station:
                    positional = station.hello("Python")
                    keyword = station.hello(who="keywords")
                    calls = station.calls()
                break
            except (TypeError, ValueError, AttributeError) as error:  # raised by the server
                fail(f"'{NAME}' refused a call from Python: {type(error).__name__}: {error}")
            except (Pyro4.errors.NamingError, Pyro4.errors.CommunicationError) as error:
                ended = [p for p in started if p.poll() is not None]
                if ended or time.monotonic() > deadline:
                    fail(f"a Python client could not call '{NAME}': {error}" + "".join(
                        f"\n  {' '.join(p.args)} ended with {p.returncode}:\n{p.stdout.read()}"
                        for p in ended))
                time.sleep(0.2)
        expected = f"Hello, Python, from {NAME}!"
        if positional != expected or keyword != f"Hello, keywords, from {NAME}!" or calls != 2:
            fail(f"Python got {positional!r}, {keyword!r}, calls() = {calls!r}; expected "
                 f"{expected!r}, the keyword call's greeting and 2")
        print(f"a Python client called '{NAME}': {positional!r}, {keyword!r}, calls() = {calls}")
    finally:
        for process in reversed(started):
            if process.poll() is None:
                process.kill()
            process.wait()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kit", type=pathlib.Path, required=True)
    parser.add_argument("--prefix", type=pathlib.Path, required=True)
    parser.add_argument("--work", type=pathlib.Path, required=True)
    args = parser.parse_args(argv)
    kit = args.kit.resolve()
    project = args.work.resolve() / NAME
    shutil.rmtree(project, ignore_errors=True)
    project.parent.mkdir(parents=True, exist_ok=True)

    # ./labkit new writes it (the way a student runs it: from the kit, into a folder given).
    code, output = run([str(kit / "labkit"), "new", NAME, str(project)], 60)
    print(output, end="")
    if code != 0:
        fail(f"./labkit new {NAME} exited with {code}")
    for name in ("server.cpp", "client.cpp", "python/server.py", "python/client.py",
                 "CMakeLists.txt", "test/black_box_test.py", "project", "README.md"):
        if not (project / name).is_file():
            fail(f"the project has no {name}")
    code, output = run([str(kit / "labkit"), "new", "not a name", str(project.parent / "x")], 30)
    if code != 2 or "not a usable name" not in output or (project.parent / "x").exists():
        fail(f"./labkit new with a bad name: expected exit code 2 and one line, got {code}: "
             f"{output}")

    # It builds with one configure and one build, and its own test passes.
    configure = ["cmake", "-S", str(project), "-B", str(project / "build"),
                 "-DPYRO_KIT_SOURCE_DIR=", f"-DCMAKE_PREFIX_PATH={args.prefix.resolve()}"]
    if shutil.which("ccache"):
        configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
    for step in (configure, ["cmake", "--build", str(project / "build"), "-j", "2"]):
        code, output = run(step, 600)
        if code != 0:
            print(output[-6000:])
            fail(f"the project does not build: {' '.join(step[:2])} failed")
    code, output = run(["ctest", "--test-dir", str(project / "build"), "--output-on-failure"],
                       300)
    print(output, end="")
    if code != 0 or "100% tests passed" not in output:
        fail("the project's own black-box test did not pass")

    call_from_python(project / "build/bin/weather-station-server")
    print(f"passed: ./labkit new {NAME} builds, its test passes, Python calls it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
