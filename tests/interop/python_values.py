#!/usr/bin/python3
"""Python's ints and keyword calls against the C++ lab servers (issue 13 items 4, 5 and 6).

    /usr/bin/python3 python_values.py INTROSPECT_SERVER ECHO_SERVER INTEROP_SERVER ECHO_CLIENT

The real Pyro4 4.82 calls the C++ programs the way a student's Python client does: add() of the
introspect lab with ints beyond 64 bits, echo() by its parameter name, and the mistakes a
Python caller can make, whose errors must read as Python's own. Runs every check once with
serpent and once with json. And the C++ echo-client against a Python echo server that answers
42 must say that the reply was the problem. Starts pyro4-ns on a free 127.0.0.1 port and the servers, and stops
every one by its pid, whatever happens. Prints PASS/FAIL per check; exit status 1 on a failure.
"""

import os
import re
import signal
import socket
import sys
import time

import Pyro4
import Pyro4.errors

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import processes  # noqa: E402
from environment import pyro_environment  # noqa: E402

Pyro4.config.reset(useenvironment=False)  # this driver's own calls ignore the caller's PYRO_*
Pyro4.config.COMMTIMEOUT = 5.0
TIMEOUT = 15  # seconds a server gets to come up


def expect_error(kind, text, call, *args, **kwargs):
    """call(*args, **kwargs) must raise `kind` whose message is exactly `text`."""
    try:
        result = call(*args, **kwargs)
    except kind as error:
        if str(error) != text:
            raise AssertionError("%s said %r, expected %r" % (kind.__name__, str(error), text))
        return
    raise AssertionError("no %s; the call returned %r" % (kind.__name__, result))


def check_add(add):
    for a, b in [(2 ** 62, 2 ** 62), (10 ** 20, 1), (-2 ** 63, -1), (2 ** 63 - 1, 1),
                 (2 ** 200, -2 ** 200), (-(10 ** 40), 7), (3, 4)]:
        result = add(a, b)
        assert type(result) is int and result == a + b, "add(%r, %r) gave %r" % (a, b, result)
    assert add(2 ** 62, 0.5) == 2 ** 62 + 0.5
    assert add("ab", "c") == "abc"
    expect_error(TypeError, 'can only concatenate str (not "int") to str', add, "a", 1)
    expect_error(TypeError, "unsupported operand type(s) for +: 'int' and 'str'", add, 1, "a")
    expect_error(OverflowError, "int too large to convert to float", add, 10 ** 400, 1.0)


def check_add_keywords(add):
    assert add(a=2 ** 64, b=1) == 2 ** 64 + 1
    assert add(1, b=2) == 3
    expect_error(TypeError, "add() got an unexpected keyword argument 'c'", add, 1, c=2)
    expect_error(TypeError, "add() missing 1 required positional argument: 'b'", add, 1)
    expect_error(TypeError, "add() missing 2 required positional arguments: 'a' and 'b'", add)
    expect_error(TypeError, "add() got multiple values for argument 'a'", add, 1, a=2)
    expect_error(TypeError, "add() takes 2 positional arguments but 3 were given", add, 1, 2, 3)


def check_echo_keywords(echo):
    assert echo(message="kw") == "kw"
    assert echo(message=10 ** 30) == 10 ** 30
    expect_error(TypeError, "echo() got an unexpected keyword argument 'x'", echo, x=1)
    expect_error(TypeError, "echo() missing 1 required positional argument: 'message'", echo)


def check_int64_parameter_overflows(add):
    # interop_server's add takes two C++ int64_t: a larger int is Python's OverflowError, never
    # a wrapped number.
    assert add(2 ** 62, 2 ** 62 - 1) == 2 ** 63 - 1
    expect_error(OverflowError,
                 "add() argument 1: Python int too large to convert to C++ int64_t "
                 "(1267650600228229401496703205376 is outside -9223372036854775808 to "
                 "9223372036854775807)", add, 2 ** 100, 1)


# A Python echo server with a bug: its echo() answers 42 whatever it is sent.
ANSWERS_42 = """
import Pyro4

@Pyro4.expose
class EchoServer(object):
    def echo(self, message):
        return 42

with Pyro4.Daemon(host="127.0.0.1") as daemon:
    Pyro4.locateNS().register("echo.server", daemon.register(EchoServer()))
    print("Echo server ready.", flush=True)
    daemon.requestLoop()
"""


def check_reply_type_error(servers, env, echo_client):
    """echo-client against a server that answers 42 names the reply as the problem."""
    servers.start([sys.executable, "-c", ANSWERS_42], env, r"Echo server ready")
    client = processes.Process([echo_client], env=env)
    try:
        if client.wait_exit(TIMEOUT) is None:
            raise AssertionError("echo-client did not finish within %d s" % TIMEOUT)
    finally:
        client.stop()
    said = "\n".join(client.lines("err") + client.lines())
    expected = "the server's reply to echo() was an int (42), expected a str"
    if expected not in said:
        raise AssertionError("echo-client said %r, expected a line with %r" % (said, expected))


class Servers:
    """pyro4-ns and the servers; every process is stopped by its pid on exit."""

    def __init__(self):
        self.started = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for process in reversed(self.started):
            process.stop(first=signal.SIGINT, grace=3)
        return False

    def start(self, argv, env, ready):
        process = processes.Process(argv, env=env)
        self.started.append(process)
        line = process.wait_for(ready, timeout=TIMEOUT)
        if line is None:
            raise RuntimeError("%s did not print %r: %s / %s"
                               % (argv[0], ready, process.lines(), process.lines("err")))
        return line


def main():
    introspect_server, echo_server, interop_server, echo_client = sys.argv[1:5]
    failed = 0
    with Servers() as servers:
        ns_port = processes.free_port()
        env = pyro_environment(PYRO_NS_HOST="127.0.0.1", PYRO_NS_PORT=str(ns_port),
                               PYRO_NS_BCPORT=str(processes.free_port(socket.SOCK_DGRAM)),
                               PYRO_HOST="127.0.0.1", PYRO_BROADCAST_ADDRS="127.0.0.1")
        servers.start(["/usr/bin/pyro4-ns", "-n", "127.0.0.1", "-p", str(ns_port)], env,
                      r"NS running")
        with Servers() as python_servers:
            try:
                check_reply_type_error(python_servers, env, echo_client)
                print("PASS reply_type_error", flush=True)
            except Exception as error:  # noqa: BLE001 - every failure is reported
                failed += 1
                print("FAIL reply_type_error: %s: %s" % (type(error).__name__, error), flush=True)
        with Pyro4.Proxy("PYRO:Pyro.NameServer@127.0.0.1:%d" % ns_port) as ns:
            ns.remove("echo.server")  # the C++ echo server comes next, under the same name
        introspect = servers.start([introspect_server], env, r"Object URI: PYRO:")
        echo = servers.start([echo_server], env, r"Object URI: PYRO:")
        interop_port = processes.free_port()
        interop = servers.start([interop_server, str(interop_port)], env, r"^URI PYRO:")
        uris = {
            "introspect": re.search(r"(PYRO:\S+)", introspect).group(1),
            "echo": re.search(r"(PYRO:\S+)", echo).group(1),
            "interop": re.search(r"(PYRO:\S+)", interop).group(1),
        }
        checks = [("add_exact_ints", "introspect", "add", check_add),
                  ("add_keywords", "introspect", "add", check_add_keywords),
                  ("echo_keywords", "echo", "echo", check_echo_keywords),
                  ("int64_parameter_overflows", "interop", "add",
                   check_int64_parameter_overflows)]
        for serializer in ("serpent", "json"):
            Pyro4.config.SERIALIZER = serializer
            for name, server, method, check in checks:
                label = "%s[%s]" % (name, serializer)
                try:
                    with Pyro4.Proxy(uris[server]) as proxy:
                        check(getattr(proxy, method))
                    print("PASS", label, flush=True)
                except Exception as error:  # noqa: BLE001 - every failure is reported
                    failed += 1
                    print("FAIL %s: %s: %s" % (label, type(error).__name__, error), flush=True)
    print("SUMMARY failed=%d" % failed, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up when ctest times out
    sys.exit(main())
