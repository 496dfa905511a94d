"""The Python side of the stream parity tests: a real Pyro4 4.82 client iterating the item streams
of a libpyro daemon (Python -> C++). One scenario per run; it prints "PASS <scenario>" when every
check held, else a one-line reason and exits 1.

    /usr/bin/python3 stream_client.py <uri of the 'streams' object> <serializer> <scenario>

The C++ test starts the daemon with the settings the scenario needs (lifetime, linger, cap).
"""
import sys
import time

import Pyro4
import Pyro4.errors

uri, serializer, scenario = sys.argv[1], sys.argv[2], sys.argv[3]
Pyro4.config.SERIALIZER = serializer


def check(condition, text):
    if not condition:
        print("FAIL %s: %s" % (scenario, text), flush=True)
        sys.exit(1)


def terminated(stream_id):
    """Whether the daemon has forgotten the stream (asked on a connection of its own)."""
    with Pyro4.Proxy(uri.replace("PYRO:streams@", "PYRO:Pyro.Daemon@")) as d:
        try:
            d.get_next_stream_item(stream_id)
        except Pyro4.errors.PyroError as e:
            return str(e) == "item stream terminated"
    return False


def wait_until(predicate, seconds=5.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


p = Pyro4.Proxy(uri)
if scenario == "full":
    it = p.count(5)
    check(type(it).__name__ == "_StreamResultIterator", "count() gave %r" % (it,))
    check(list(it) == [0, 1, 2, 3, 4], "items")
    check(terminated(it.streamId), "the stream is still there after StopIteration")
    check(list(p.letters()) == ["a", "b", "c"], "letters()")
    check(list(p.count(0)) == [], "an empty stream")
elif scenario == "abandon":
    it = p.watched(100)
    check([next(it), next(it)] == [0, 1], "first items")
    stream_id = it.streamId
    it.close()  # a oneway close_stream
    check(wait_until(lambda: p.closed_count() == 1), "the server did not drop the generator")
    check(terminated(stream_id), "the stream is still there after close_stream")
elif scenario == "lifetime":
    it = p.count(10)
    check(next(it) == 0, "first item")
    time.sleep(1.0)  # the daemon's lifetime is 0.5 s
    try:
        next(it)
        check(False, "the stream outlived its lifetime")
    except Pyro4.errors.PyroError as e:
        check(str(e) == "item stream terminated", "got %r" % (e,))
elif scenario == "linger":
    # The daemon lingers 5 s: a client that reconnects in time goes on where it was.
    it = p.count(10)
    check([next(it), next(it)] == [0, 1], "first items")
    p._pyroRelease()
    try:
        next(it)
        check(False, "iterating on a released proxy")
    except Pyro4.errors.ConnectionClosedError:
        pass
    p._pyroBind()
    check(next(it) == 2, "the lingering stream did not go on after reconnecting")
    check(list(it) == list(range(3, 10)), "the rest")
elif scenario == "no_linger":
    # The daemon lingers 0 s: a disconnect closes the client's streams at once.
    it = p.watched(10)
    check(next(it) == 0, "first item")
    p._pyroRelease()
    p._pyroBind()
    try:
        next(it)
        check(False, "the stream survived the disconnect")
    except Pyro4.errors.PyroError as e:
        check(str(e) == "item stream terminated", "got %r" % (e,))
    check(p.closed_count() == 1, "the generator was not dropped")
elif scenario == "off":
    try:
        p.count(3)
        check(False, "a stream although ITER_STREAMING is off")
    except Pyro4.errors.ProtocolError as e:
        check(str(e) == "result of call is an iterator, but the server is not configured to "
              "allow streaming", "got %r" % (e,))
elif scenario == "error":
    it = p.fail_at(5, 2)
    check([next(it), next(it)] == [0, 1], "items before the error")
    try:
        next(it)
        check(False, "no error")
    except ValueError as e:
        check(str(e) == "failed at 2", "got %r" % (e,))
    check(terminated(it.streamId), "the stream is still there after its error")
elif scenario == "batch":
    # Pyro4 streams no batch results: its daemon fails to serialize the generator.
    batch = Pyro4.batch(p)
    batch.closed_count()
    batch.count(3)
    try:
        list(batch())
        check(False, "a batch with a stream result")
    except Pyro4.errors.SerializeError as e:
        check("count()" in str(e) and "batch" in str(e), "got %r" % (e,))
    check(list(p.letters()) == ["a", "b", "c"], "the connection after the batch")
elif scenario == "cap":
    # The daemon allows 3 streams per connection.
    streams = [p.count(5) for _ in range(3)]
    try:
        p.count(5)
        check(False, "a 4th stream on the connection")
    except Pyro4.errors.PyroError as e:
        check("too many item streams open on this connection" in str(e), "got %r" % (e,))
    check(list(streams[0]) == [0, 1, 2, 3, 4], "an open stream still works")
    check(next(p.count(5)) == 0, "a stream once one has ended")
    with Pyro4.Proxy(uri) as other:
        check(list(other.count(2)) == [0, 1], "another connection has its own allowance")
else:
    check(False, "unknown scenario")
print("PASS %s" % scenario, flush=True)
