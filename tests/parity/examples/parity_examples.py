"""example-parity-server as a Python Pyro4 user meets it, and the C++ examples against it.

Starts pyro-ns and example-parity-server from this build on free loopback ports, then, with
each serializer, uses `example.parity` from the real Pyro4 the way its documentation shows:
an item stream (count), an async call (slow_add), a batch with one failing call (fail_at) and
an auto-proxied object (make_counter). Then runs every C++ example client of the parity
features against the same server and checks what it prints.

    parity_examples.py --bin BUILD/bin
"""

import argparse
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "support"))

import environment  # noqa: E402  (tests/support)
import processes  # noqa: E402

import Pyro4  # noqa: E402
import Pyro4.errors  # noqa: E402

# Each C++ example client of the parity features and a line it must print.
EXAMPLE_CLIENTS = [
    (["example-stream-client", "PYRONAME:example.parity", "5"], r"^0\n1\n2\n3\n4$"),
    (["example-async-client"], r"slow_add gave 42\n.*result 30\n.*raised .*ValueError"),
    (["example-batch-client"], r"ran 3 of 4 calls\n.*result: 3\n.*result: 7\ncall 2 raised"),
    (["example-autoproxy-client"], r"next\(\) = 0\nnext\(\) = 1\nnext\(\) = 2"),
]


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)
    print("  ok:", what)


def python_user(uri, serializer):
    Pyro4.config.SERIALIZER = serializer
    print(f"[python client, {serializer}]")
    with Pyro4.Proxy(uri) as parity:
        stream = parity.count(5)
        check(not isinstance(stream, (list, tuple)), "count(5) arrives as a lazy iterator")
        check(next(stream) == 0, "its first item is 0")
        check(list(stream) == [1, 2, 3, 4], "the rest are 1..4")
        check(list(parity.count(0)) == [], "count(0) is an empty stream")

    with Pyro4.Proxy(uri) as parity:
        parity._pyroAsync()
        started = time.monotonic()
        future = parity.slow_add(2, 3, 0.5)
        check(time.monotonic() - started < 0.4, "an async slow_add returns at once")
        check(not future.ready, "its result is not ready yet")
        check(future.wait(10), "it becomes ready")
        check(future.value == 5, "slow_add(2, 3, 0.5) == 5")

    with Pyro4.Proxy(uri) as parity:
        batch = Pyro4.batch(parity)
        batch.slow_add(1, 2, 0)
        batch.fail_at(1)
        batch.slow_add(3, 4, 0)
        results = batch()
        check(next(results) == 3, "the call before the failing one gives its result")
        try:
            next(results)
            raise Failure("fail_at(1) did not raise in the batch")
        except ValueError as error:
            check("1" in str(error), f"fail_at(1) raises ValueError naming 1: {error}")

    with Pyro4.Proxy(uri) as parity:
        counter = parity.make_counter()
        check(isinstance(counter, Pyro4.Proxy), "make_counter() arrives as a proxy")
        with counter:
            first, second = counter.next(), counter.next()
        check(second == first + 1, f"next() counts up ({first}, {second})")
        other = parity.make_counter()
        with other:
            check(other.next() == first, "a second counter starts again")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()

    ns_port = processes.free_port()
    env = environment.pyro_environment(PYRO_NS_HOST="127.0.0.1", PYRO_NS_PORT=str(ns_port),
                                       PYRO_HOST="127.0.0.1")
    os.environ.update({"PYRO_NS_HOST": "127.0.0.1", "PYRO_NS_PORT": str(ns_port)})
    ns = processes.Process([os.path.join(args.bin, "pyro-ns"), "-n", "127.0.0.1", "-p",
                            str(ns_port)], env=env)
    server = None
    try:
        if ns.wait_for(r"URI", timeout=20) is None:
            raise Failure("pyro-ns did not start: " + " | ".join(ns.lines()[-5:]))
        server = processes.Process([os.path.join(args.bin, "example-parity-server")], env=env,
                                   merge_stderr=True)
        if server.wait_for(r"example\.parity", timeout=20) is None:
            raise Failure("example-parity-server did not start: " + " | ".join(server.lines()))
        uri = "PYRONAME:example.parity@127.0.0.1:%d" % ns_port
        for serializer in ("json", "serpent"):
            python_user(uri, serializer)

        for (program, *arguments), expected in EXAMPLE_CLIENTS:
            print(f"[{program}]")
            client = processes.Process([os.path.join(args.bin, program), *arguments], env=env,
                                       merge_stderr=True)
            try:
                code = client.wait_exit(30)
                client.join_readers()
                output = "\n".join(client.lines())
            finally:
                client.stop()
            print("   ", output.replace("\n", "\n    "))
            check(code == 0, f"{program} exits 0 (got {code})")
            check(re.search(expected, output, re.S) is not None, f"{program} prints /{expected}/")
    except Failure as failure:
        print("FAILED:", failure)
        if server is not None:
            print("server output:", " | ".join(server.lines()[-10:]))
        return 1
    finally:
        if server is not None:
            server.stop()
        ns.stop()
    print("all parity examples behave as in Pyro4")
    return 0


if __name__ == "__main__":
    sys.exit(main())
