"""The Python side of the stream parity tests: a real Pyro4 4.82 daemon whose methods return
generators, for a libpyro proxy to iterate (C++ -> Python).

    /usr/bin/python3 stream_server.py        prints "URI <uri>" once it serves

Pyro4 reads PYRO_ITER_STREAMING / PYRO_ITER_STREAM_LIFETIME / PYRO_ITER_STREAM_LINGER (and
PYRO_POLLTIMEOUT, the housekeeping period) from the environment the test gives it.
"""
import sys
import threading

import Pyro4

closed = []
lock = threading.Lock()


@Pyro4.expose
class Streams(object):
    def count(self, n):
        for i in range(n):
            yield i

    def watched(self, n):
        # The finally clause runs when the daemon drops the generator (close_stream, expiry).
        try:
            for i in range(n):
                yield i
        finally:
            with lock:
                closed.append(n)

    def fail_at(self, n, k):
        for i in range(n):
            if i == k:
                raise ValueError("failed at %d" % k)
            yield i

    def closed_count(self):
        with lock:
            return len(closed)

    def open_streams(self):
        return len(daemon.streaming_responses)

    def plain(self):
        return [1, 2, 3]


daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
uri = daemon.register(Streams(), "streams")
print("URI", uri, flush=True)
daemon.requestLoop()
