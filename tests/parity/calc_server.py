"""The Python Pyro4 4.82 twin of calc_server.cpp, for the batch and async parity tests.

    /usr/bin/python3 calc_server.py PORT

Binds 127.0.0.1:PORT (0: a free port), registers one Calc object as "parity.calc", prints
"URI <uri>" and serves until killed. Both servers must behave alike: the tests run the same
clients against each.
"""

import sys
import threading
import time

import Pyro4


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")
class Calc(object):
    def __init__(self):
        self._lock = threading.Lock()
        self._recorded = []

    def add(self, a, b):
        return a + b

    def echo(self, value):
        return value

    def fail(self, message):
        raise ValueError(message)

    def slow_fail(self, message, seconds):
        time.sleep(seconds)
        raise ValueError(message)

    def slow_add(self, a, b, seconds):
        time.sleep(seconds)
        return a + b

    def record(self, item):
        with self._lock:
            self._recorded.append(item)
            return len(self._recorded)

    def slow_record(self, item, seconds):
        time.sleep(seconds)
        self.record(item)

    def recorded(self):
        with self._lock:
            return list(self._recorded)

    def reset(self):
        with self._lock:
            self._recorded = []


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    daemon = Pyro4.Daemon(host="127.0.0.1", port=port)
    uri = daemon.register(Calc(), "parity.calc")
    print("URI %s" % uri, flush=True)
    daemon.requestLoop()


if __name__ == "__main__":
    main()
