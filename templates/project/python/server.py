"""@NAME@ in Python Pyro4: the twin of server.cpp, written by `./labkit new @NAME@`.

    /usr/bin/python3 python/server.py

Settings from the environment, as Pyro4 reads them (PYRO_NS_HOST, PYRO_NS_PORT, PYRO_HOST).
"""
import sys
import threading

import Pyro4
import Pyro4.errors

NAME = "@NAME@"


@Pyro4.expose
class @CLASS@(object):
    def __init__(self):
        self._lock = threading.Lock()  # methods run on the daemon's worker threads
        self._calls = 0

    def hello(self, who):
        with self._lock:
            self._calls += 1
        return "Hello, %s, from %s!" % (who, NAME)

    def calls(self):
        with self._lock:
            return self._calls


def main():
    ns = Pyro4.locateNS()
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(@CLASS@())
        ns.register(NAME, uri)
        print("%s ready. Object URI: %s" % (NAME, uri))
        try:
            daemon.requestLoop()
        except KeyboardInterrupt:
            pass
    try:
        if ns.lookup(NAME) == uri:  # still ours, not taken over by another server
            ns.remove(NAME)
    except Pyro4.errors.NamingError:
        pass
    print("%s stopped." % NAME)


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    try:
        main()
    except Pyro4.errors.PyroError as error:
        sys.exit("@SLUG@-server: error: %s" % error)
