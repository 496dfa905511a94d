#!/usr/bin/python3
"""The black-box test of '@NAME@' (written by `./labkit new @NAME@`; ctest runs it).

    black_box_test.py --server PROG --client PROG

Starts a Pyro4 name server on a free 127.0.0.1 port, then the server (PROG ending in .py runs
with this Python), and checks, from outside:
  1. the server registers '@NAME@' in the name server;
  2. a Python Pyro4 proxy calls hello('test') and gets "Hello, test, from @NAME@!";
  3. the client prints "hello('World') -> Hello, World, from @NAME@!" and exits with 0;
  4. after Ctrl-C the server exits with 0 and '@NAME@' is gone from the name server.
Every process it starts is stopped by its pid, whatever happens. Add your own checks below.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time

import Pyro4
import Pyro4.errors

NAME = "@NAME@"
TIME_LIMIT = 60  # seconds for the whole test


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Failure(Exception):
    pass


def command(program):
    return [sys.executable, program] if program.endswith(".py") else [program]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--client", required=True)
    args = parser.parse_args()

    port = free_port()
    env = dict(os.environ, PYRO_NS_HOST="127.0.0.1", PYRO_NS_PORT=str(port),
               PYRO_HOST="127.0.0.1", PYRO_NS_BCPORT=str(free_port()),
               PYRO_BROADCAST_ADDRS="127.0.0.1", PYTHONUNBUFFERED="1")
    Pyro4.config.COMMTIMEOUT = 5.0
    started = []

    def start(argv):
        process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        started.append(process)
        print("started pid %d: %s" % (process.pid, " ".join(argv)), flush=True)
        return process

    def lookup(ns_uri):
        try:
            with Pyro4.Proxy(ns_uri) as ns:
                return ns.lookup(NAME)
        except Pyro4.errors.NamingError:
            return None

    def out_of_time(_signum, _frame):
        raise Failure("the test took more than %d s" % TIME_LIMIT)

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(TIME_LIMIT)
    try:
        ns_uri = "PYRO:Pyro.NameServer@127.0.0.1:%d" % port
        start([sys.executable, "-m", "Pyro4.naming", "-n", "127.0.0.1", "-p", str(port)])
        deadline = time.monotonic() + 10
        while True:
            try:
                with Pyro4.Proxy(ns_uri) as ns:
                    ns.ping()
                break
            except Pyro4.errors.CommunicationError:
                if time.monotonic() > deadline:
                    raise Failure("the name server did not start within 10 s")
                time.sleep(0.1)

        # 1. The server registers its name.
        server = start(command(args.server))
        deadline = time.monotonic() + 10
        while lookup(ns_uri) is None:
            if server.poll() is not None:
                raise Failure("the server ended (exit code %d) before registering '%s':\n%s"
                              % (server.returncode, NAME, server.stdout.read()))
            if time.monotonic() > deadline:
                raise Failure("the server did not register '%s' within 10 s" % NAME)
            time.sleep(0.1)
        print("1. '%s' is registered" % NAME)

        # 2. Python calls it.
        with Pyro4.Proxy("PYRONAME:%s@127.0.0.1:%d" % (NAME, port)) as thing:
            reply = thing.hello("test")
        if reply != "Hello, test, from %s!" % NAME:
            raise Failure("hello('test') from Python returned %r" % (reply,))
        print("2. hello('test') from Python: %r" % reply)

        # 3. The client.
        client = subprocess.run(command(args.client), env=env, capture_output=True, text=True,
                                timeout=20)
        expected = "hello('World') -> Hello, World, from %s!" % NAME
        if client.returncode != 0 or expected not in client.stdout.splitlines():
            raise Failure("the client (exit code %d) did not print\n    %s\nit printed:\n%s%s"
                          % (client.returncode, expected, client.stdout, client.stderr))
        print("3. the client printed: %s" % expected)

        # 4. Ctrl-C: exit code 0, name removed.
        server.send_signal(signal.SIGINT)
        try:
            code = server.wait(10)
        except subprocess.TimeoutExpired:
            raise Failure("the server was still running 10 s after Ctrl-C")
        if code != 0:
            raise Failure("the server ended with exit code %d after Ctrl-C" % code)
        if lookup(ns_uri) is not None:
            raise Failure("the server stopped but '%s' is still registered" % NAME)
        print("4. Ctrl-C: the server stopped and removed '%s'" % NAME)
    except (Failure, Pyro4.errors.PyroError, subprocess.TimeoutExpired) as failure:
        print("FAILED: %s" % failure, flush=True)
        return 1
    finally:
        signal.alarm(0)
        for process in reversed(started):
            if process.poll() is None:
                process.kill()
            process.wait()
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
