# A Python Pyro4 daemon whose factory returns registered objects, auto-proxied by Pyro4
# (autoproxy_test.cpp). Argument: the port; prints "URI <uri>" when serving.
import sys

import Pyro4


@Pyro4.expose
class Counter(object):
    def __init__(self):
        self.n = 0

    def next(self):
        value = self.n
        self.n += 1
        return value


@Pyro4.expose
class Factory(object):
    def make_counter(self):
        counter = Counter()
        self._pyroDaemon.register(counter)
        return counter


daemon = Pyro4.Daemon(host="127.0.0.1", port=int(sys.argv[1]))
uri = daemon.register(Factory(), "parity.factory")
print("URI", uri, flush=True)
daemon.requestLoop()
