"""A Python Pyro4 4.82 server for the C++ -> Python interop tests (python_peer_test.cpp).

    /usr/bin/python3 python_peer_server.py PORT

Binds 127.0.0.1:PORT (0: a free port), registers one object as "interop.peer", prints
"URI <uri>" and serves until killed. PYRO_SERIALIZER decides what its callback proxies speak.
"""

import math
import sys
import threading
import time

import Pyro4


@Pyro4.expose
class Peer(object):
    def __init__(self):
        self._label = "initial"
        self._recorded = []
        self._lock = threading.Lock()

    def echo(self, value):
        return value

    def values(self):
        """One of every value kind Pyro4 sends (json turns tuples and sets into lists, and int
        keys into strings)."""
        return {
            "str": "ñandú \"quoted\" 'single' \\ € 😀",
            "empty": "",
            "int": 42,
            "negative": -7,
            "int64max": 2 ** 63 - 1,
            "big": 2 ** 100,
            "negbig": -2 ** 80,
            "float": 1.5,
            "inf": math.inf,
            "neginf": -math.inf,
            "nan": math.nan,
            "negzero": -0.0,
            "true": True,
            "false": False,
            "none": None,
            "list": [1, "two", 3.0, None],
            "tuple": (1, 2),
            "set": {3},
            "dict": {"a": {"b": [1, {"c": None}]}},
            "intkeys": {1: "one", 2: "two"},
        }

    def fail(self, message):
        raise ValueError(message)

    @Pyro4.oneway
    def record(self, message):
        time.sleep(0.5)  # the caller must not wait for this
        with self._lock:
            self._recorded.append(message)

    def recorded(self):
        with self._lock:
            return list(self._recorded)

    @property
    def label(self):
        return self._label

    @label.setter
    def label(self, value):
        self._label = value

    def type_of(self, value):
        """The Python type a C++ argument arrived as, e.g. "Proxy", "URI", "tuple"."""
        return type(value).__name__

    def call_back(self, callback, message):
        """Calls callback.update(message) — callback being a Proxy, a URI or a URI string — over a
        new connection to the caller's daemon, and returns what update returned."""
        if not isinstance(callback, Pyro4.Proxy):
            callback = Pyro4.Proxy(callback)
        with callback:
            return callback.update(message)

    def slow(self, seconds):
        time.sleep(seconds)
        return "finally"


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    daemon = Pyro4.Daemon(host="127.0.0.1", port=port)
    uri = daemon.register(Peer(), "interop.peer")
    print("URI", uri, flush=True)
    daemon.requestLoop()


if __name__ == "__main__":
    main()
