"""Python -> C++ interop checks: the real Pyro4 4.82 as a client of libpyro's interop_server.

    /usr/bin/python3 python_client.py URI EXPECTED_SERIALIZER

URI is the interop.server object the server printed; EXPECTED_SERIALIZER ("serpent" or "json") is
what Pyro4.config.SERIALIZER must be (the driver sets PYRO_SERIALIZER for json; serpent is
Pyro4's default). Every check prints "PASS name" or "FAIL name" with the reason; the last line is
"SUMMARY passed=N failed=M" and the exit code is 1 when anything failed. Run by
python_client_test.cpp, which starts and stops the server.
"""

import math
import subprocess
import sys
import threading
import time
import traceback

import Pyro4
import Pyro4.errors
import Pyro4.message
import Pyro4.util
import serpent

URI = sys.argv[1]
EXPECTED_SERIALIZER = sys.argv[2]
SERPENT = EXPECTED_SERIALIZER == "serpent"

# What interop_server.cpp exposes on interop.server (its methods<Interop>()).
EXPECTED_METHODS = {
    "echo", "add", "greet", "reverse", "word_lengths", "maybe_double", "fail_value",
    "fail_naming", "record", "record_slowly", "recorded", "slow", "register_callback", "fire",
    "callback_count",
}
EXPECTED_ONEWAY = {"record", "record_slowly"}
EXPECTED_ATTRS = {"label", "version"}

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def same(a, b):
    """Equality that also compares types, float signs and NaN (1 != 1.0 != True, -0.0 != 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(k in b and same(v, b[k]) for k, v in a.items())
    return a == b


def expect_same(sent, got, expected=None):
    expected = sent if expected is None else expected
    assert same(got, expected), "sent %r, expected %r back, got %r" % (sent, expected, got)


def expect_raises(exception_class, function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except exception_class as error:
        return error
    except Exception as error:
        raise AssertionError("expected %s, got %s: %s" % (exception_class.__name__,
                                                          type(error).__name__, error))
    raise AssertionError("expected %s, nothing was raised" % exception_class.__name__)


def proxy(object_id="interop.server"):
    return Pyro4.Proxy(URI.replace("interop.server", object_id))


def wait_until(condition, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# --- configuration and handshake ---------------------------------------------------------------

@check
def serializer_is_the_expected_one():
    assert Pyro4.config.SERIALIZER == EXPECTED_SERIALIZER, Pyro4.config.SERIALIZER


@check
def bind_fetches_metadata():
    with proxy() as p:
        assert not p._pyroMethods and not p._pyroAttrs
        assert p._pyroBind() is True
        assert p._pyroConnection is not None
        assert set(p._pyroMethods) == EXPECTED_METHODS, sorted(p._pyroMethods)
        assert set(p._pyroOneway) == EXPECTED_ONEWAY, sorted(p._pyroOneway)
        assert set(p._pyroAttrs) == EXPECTED_ATTRS, sorted(p._pyroAttrs)
        assert p._pyroBind() is False  # already bound


@check
def metadata_without_explicit_bind():
    with proxy() as p:
        p.greet("x")  # the first call connects and fetches the metadata
        assert set(p._pyroMethods) == EXPECTED_METHODS
        assert set(p._pyroOneway) == EXPECTED_ONEWAY
        assert set(p._pyroAttrs) == EXPECTED_ATTRS


@check
def without_metadata():
    # PYRO_METADATA=0: a bare handshake and plain calls (PYRO4-WIRE.md §5.2).
    Pyro4.config.METADATA = False
    try:
        with proxy() as p:
            assert p.greet("no metadata") == "Hello, no metadata!"
            assert not p._pyroMethods
    finally:
        Pyro4.config.METADATA = True


@check
def compressed_messages():
    Pyro4.config.COMPRESSION = True
    try:
        with proxy() as p:
            text = "compress me " * 1000
            assert p.echo(text) == text
    finally:
        Pyro4.config.COMPRESSION = False


@check
def daemon_object():
    with proxy("Pyro.Daemon") as d:
        d.ping()
        assert d.registered() == ["Pyro.Daemon", "interop.server", "interop.session",
                                  "interop.percall"], d.registered()
        meta = d.get_metadata("interop.server")
        assert set(meta["methods"]) == EXPECTED_METHODS
        assert set(meta["oneway"]) == EXPECTED_ONEWAY
        assert set(meta["attrs"]) == EXPECTED_ATTRS
        expect_raises(Pyro4.errors.DaemonError, d.get_metadata, "no.such.object")


@check
def ping_message():
    # Pyro4 proxies have no ping method; send a MSG_PING frame on the bound connection by hand.
    with proxy() as p:
        p._pyroBind()
        ping = Pyro4.message.Message(Pyro4.message.MSG_PING, b"ping", 42, 0, 0)
        p._pyroConnection.send(ping.to_bytes())
        reply = Pyro4.message.Message.recv(p._pyroConnection, [Pyro4.message.MSG_PING])
        assert reply.data == b"pong" and reply.seq == 0, (reply.data, reply.seq)
        assert p.greet("after ping") == "Hello, after ping!"


@check
def unknown_object_is_refused_at_connect():
    with proxy("no.such.object") as p:
        error = expect_raises(Pyro4.errors.CommunicationError, p._pyroBind)
        assert "unknown object" in str(error), str(error)


# --- values ------------------------------------------------------------------------------------

STRINGS = ["", "hello", "quotes ' \" and \\ backslash", "non-ASCII: ñandú €☃ 😀 日本",
           "control \n\t\r\x00\x01\x7f", "line separators \u2028\u2029", "'" * 3, '"""']
INTS = [0, 1, -1, 255, 2 ** 31, 2 ** 63 - 1, -2 ** 63, 2 ** 63, 2 ** 64, 2 ** 100, -2 ** 100,
        12345678901234567890123456789]
FLOATS = [0.0, -0.0, 0.1, -2.5, 1e300, 5e-324, 1.7976931348623157e308, 1e16, 123456789.125,
          math.inf, -math.inf, math.nan]


@check
def echo_strings():
    with proxy() as p:
        for s in STRINGS:
            expect_same(s, p.echo(s))


@check
def echo_ints():
    with proxy() as p:
        for i in INTS:
            expect_same(i, p.echo(i))


@check
def echo_floats():
    with proxy() as p:
        for f in FLOATS:
            expect_same(f, p.echo(f))


@check
def echo_bool_and_none():
    with proxy() as p:
        for v in [True, False, None]:
            expect_same(v, p.echo(v))


@check
def echo_list_and_tuple():
    with proxy() as p:
        expect_same([], p.echo([]))
        expect_same([1, "a", None, 2.5, True], p.echo([1, "a", None, 2.5, True]))
        # json has no tuples: Pyro4 sends them as arrays, so they come back as lists.
        expect_same((1, "two", 3.0), p.echo((1, "two", 3.0)),
                    (1, "two", 3.0) if SERPENT else [1, "two", 3.0])
        expect_same((), p.echo(()), () if SERPENT else [])
        expect_same((7,), p.echo((7,)), (7,) if SERPENT else [7])


@check
def echo_dicts():
    with proxy() as p:
        expect_same({}, p.echo({}))
        expect_same({"a": 1, "b": [2, 3], "ñ": None}, p.echo({"a": 1, "b": [2, 3], "ñ": None}))
        if SERPENT:
            # serpent keeps int keys; json turns them into strings in Python's json module.
            expect_same({1: "one", 2: "two", -3: None}, p.echo({1: "one", 2: "two", -3: None}))
        else:
            expect_same({1: "one"}, p.echo({1: "one"}), {"1": "one"})


@check
def echo_sets():
    with proxy() as p:
        got = p.echo({1, 2, 3})
        if SERPENT:
            expect_same({1, 2, 3}, got)
            expect_same({"x", "y"}, p.echo({"x", "y"}))
            # serpent writes an empty set as (), which Python reads back as a tuple.
            expect_same(set(), p.echo(set()), ())
        else:
            # Pyro4's json serializer sends a set as an array.
            assert isinstance(got, list) and sorted(got) == [1, 2, 3], got


@check
def echo_nested():
    nested = {"name": "nested", "list": [1, [2, [3, [4, {"deep": ("t", 1.5)}]]]],
              "dict": {"inner": {"x": None, "y": [True, False]}}, "big": 2 ** 100,
              "floats": [math.inf, -0.0]}
    expected = nested if SERPENT else {
        "name": "nested", "list": [1, [2, [3, [4, {"deep": ["t", 1.5]}]]]],
        "dict": {"inner": {"x": None, "y": [True, False]}}, "big": 2 ** 100,
        "floats": [math.inf, -0.0]}
    with proxy() as p:
        expect_same(nested, p.echo(nested), expected)


@check
def echo_bytes_serpent():
    if not SERPENT:
        return  # Pyro4's json serializer cannot send bytes
    with proxy() as p:
        # serpent sends bytes as a base64 dict; a Python server would echo that dict too.
        got = p.echo(b"\x00\x01binary\xff")
        assert serpent.tobytes(got) == b"\x00\x01binary\xff", got


# --- typed methods -----------------------------------------------------------------------------

@check
def typed_methods():
    with proxy() as p:
        assert same(p.add(2, 3), 5)
        assert same(p.add(2 ** 40, -1), 2 ** 40 - 1)
        assert same(p.add(a=1, b=2), 3)
        assert same(p.greet("Ada"), "Hello, Ada!")
        assert same(p.greet(name="Grace"), "Hello, Grace!")
        assert same(p.reverse([1, 2, 3]), [3, 2, 1])
        assert same(p.reverse((4, 5)), [5, 4])
        assert same(p.word_lengths(["a", "bcd", "ñ"]), {"a": 1, "bcd": 3, "ñ": 2})
        assert same(p.maybe_double(21), 42)
        assert same(p.maybe_double(None), None)
        assert same(p.maybe_double(), None)  # a trailing optional parameter may be left out


@check
def batch_calls():
    with proxy() as p:
        batch = Pyro4.batch(p)
        batch.add(1, 2)
        batch.greet("batch")
        batch.fail_value("stop here")
        batch.add(3, 4)  # not run: the batch stops at the first error
        results = batch()
        assert next(results) == 3
        assert next(results) == "Hello, batch!"
        expect_raises(ValueError, next, results)


# --- errors ------------------------------------------------------------------------------------

@check
def value_error_with_cpp_message():
    with proxy() as p:
        error = expect_raises(ValueError, p.fail_value, "bad value: ñ 'quoted'")
        assert str(error) == "bad value: ñ 'quoted'", str(error)
        remote = "".join(Pyro4.util.getPyroTraceback(type(error), error, error.__traceback__))
        assert "Remote traceback" in remote and "ValueError: bad value" in remote, remote


@check
def naming_error_keeps_its_class():
    with proxy() as p:
        error = expect_raises(Pyro4.errors.NamingError, p.fail_naming, "x.y")
        assert str(error) == "unknown name: x.y", str(error)


@check
def wrong_argument_count_is_type_error():
    with proxy() as p:
        error = expect_raises(TypeError, p.add, 1)
        assert "add()" in str(error), str(error)
        error = expect_raises(TypeError, p.add, 1, 2, 3)
        assert "add()" in str(error), str(error)


@check
def wrong_argument_type_is_type_error():
    with proxy() as p:
        error = expect_raises(TypeError, p.add, "two", 3)
        assert "add() argument 1" in str(error), str(error)
        expect_raises(OverflowError, p.add, 2 ** 100, 1)  # does not fit a C++ int64
        assert p.add(1, 1) == 2  # the connection survives remote errors


@check
def unknown_method_fails_locally():
    with proxy() as p:
        error = expect_raises(AttributeError, getattr, p, "no_such_method")
        assert "no_such_method" in str(error), str(error)


# --- oneway and attributes ---------------------------------------------------------------------

@check
def oneway_calls():
    with proxy() as p:
        marker = "oneway-%s-%f" % (EXPECTED_SERIALIZER, time.time())
        assert p.record(marker) is None
        assert wait_until(lambda: marker in p.recorded()), p.recorded()
        start = time.time()
        slow_marker = marker + "-slow"
        assert p.record_slowly(slow_marker) is None  # sleeps 1 s on the server
        assert time.time() - start < 0.5, "oneway call waited for the server"
        assert slow_marker not in p.recorded()  # the connection is free at once
        assert wait_until(lambda: slow_marker in p.recorded()), p.recorded()


@check
def attributes():
    with proxy() as p:
        assert p.version == "interop-1"
        p.label = "changed by " + EXPECTED_SERIALIZER
        assert p.label == "changed by " + EXPECTED_SERIALIZER
        with proxy() as q:  # the object is shared (instance mode single)
            assert q.label == "changed by " + EXPECTED_SERIALIZER
        expect_raises(AttributeError, setattr, p, "version", "x")  # read-only on the server
        p.label = "initial"


@check
def python_timeout_on_slow_cpp_method():
    with proxy() as p:
        p._pyroTimeout = 0.5
        start = time.time()
        expect_raises(Pyro4.errors.TimeoutError, p.slow, 3.0)
        assert 0.4 < time.time() - start < 2.5, time.time() - start
        # Pyro4 dropped the connection; the next call reconnects and gets its own answer.
        assert p.greet("after timeout") == "Hello, after timeout!"


@check
def slow_call_does_not_block_other_clients():
    results = []
    with proxy() as slow_proxy, proxy() as fast_proxy:
        slow_proxy._pyroBind()
        fast_proxy._pyroBind()
        worker = threading.Thread(target=lambda: results.append(slow_proxy.slow(1.0)))
        start = time.time()
        worker.start()
        time.sleep(0.1)
        assert fast_proxy.greet("meanwhile") == "Hello, meanwhile!"
        assert time.time() - start < 0.8, "the daemon served one client at a time"
        worker.join(10)
        assert results == ["finally"], results


# --- instance modes ----------------------------------------------------------------------------

@check
def session_instances():
    with proxy("interop.session") as a, proxy("interop.session") as b:
        assert [a.increment(), a.increment(), a.increment()] == [1, 2, 3]
        assert [b.increment(), b.increment()] == [1, 2]  # another connection, another instance
        assert a.increment() == 4
        assert a.serial() != b.serial()
        assert a.serial() == a.serial()


@check
def percall_instances():
    with proxy("interop.percall") as p:
        assert [p.increment(), p.increment(), p.increment()] == [1, 1, 1]
        assert p.serial() != p.serial()


# --- callbacks ---------------------------------------------------------------------------------

class Listener(object):
    def __init__(self):
        self.received = []

    @Pyro4.expose
    def update(self, message):
        self.received.append(message)


def start_daemon():
    daemon = Pyro4.Daemon(host="127.0.0.1")
    thread = threading.Thread(target=daemon.requestLoop, daemon=True)
    thread.start()
    return daemon, thread


# A listener in a process of its own, so the test can make it die the way a crashed observer does
# (a Pyro4 daemon that merely shuts down keeps serving the connections it already has).
DOOMED_LISTENER = r"""
import ctypes, sys, Pyro4
ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL: never outlive the test

class Listener(object):
    @Pyro4.expose
    def update(self, message):
        print("update", message, flush=True)

daemon = Pyro4.Daemon(host="127.0.0.1")
print(daemon.register(Listener()), flush=True)
daemon.requestLoop()
"""


@check
def callbacks_from_cpp():
    by_object, by_uri_text, by_uri = Listener(), Listener(), Listener()
    daemon, thread = start_daemon()
    doomed = subprocess.Popen([sys.executable, "-c", DOOMED_LISTENER], stdout=subprocess.PIPE,
                              universal_newlines=True)
    try:
        daemon.register(by_object)
        uri_text = str(daemon.register(by_uri_text))
        uri = daemon.register(by_uri)
        doomed_uri = doomed.stdout.readline().strip()
        with proxy() as p:
            before = p.callback_count()
            assert p.register_callback(by_object) == before + 1  # AUTOPROXY: a Proxy dict
            p.register_callback(uri_text)  # a plain URI string
            p.register_callback(uri)  # a Pyro4.core.URI object
            p.register_callback(doomed_uri)
            assert p.callback_count() == before + 4
            assert p.fire("first") == before + 4
            for listener in (by_object, by_uri_text, by_uri):
                assert listener.received == ["first"], listener.received
            assert doomed.stdout.readline() == "update first\n"
            # The observer process dies: the C++ server drops its callback and goes on.
            doomed.kill()
            doomed.wait(10)
            notified = p.fire("second")
            assert notified == before + 3, (notified, before)
            assert p.callback_count() == before + 3
            for listener in (by_object, by_uri_text, by_uri):
                assert listener.received == ["first", "second"], listener.received
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait(10)
        doomed.stdout.close()
        daemon.shutdown()
        thread.join(5)
        daemon.close()


def main():
    passed = failed = 0
    for function in CHECKS:
        try:
            function()
        except Exception:
            failed += 1
            print("FAIL %s\n%s" % (function.__name__, traceback.format_exc()), flush=True)
        else:
            passed += 1
            print("PASS %s" % function.__name__, flush=True)
    print("SUMMARY passed=%d failed=%d" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
