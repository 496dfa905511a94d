"""The "lab" server of the capture: Pyro4 objects the stock programs do not offer.

Run as a program by capture.py: /usr/bin/python3 lab_server.py PORT
  example.observable     register_observer / unregister_observer / notify_observers (callbacks)
  example.remote.object  greet, add, the exposed property label, hidden (public, NOT exposed),
                         fail_custom (raises labkit.LabError), fail_key (raises KeyError)
"""

import sys

import Pyro4

HOST = "127.0.0.1"


class LabError(Exception):
    """An exception class a Python client cannot rebuild (its module does not exist)."""


LabError.__module__ = "labkit"


class Observable:
    def __init__(self):
        self.observers = []

    @Pyro4.expose
    def register_observer(self, observer):
        if not isinstance(observer, Pyro4.Proxy):  # a URI string or URI object
            observer = Pyro4.Proxy(observer)
        self.observers.append(observer)
        return len(self.observers)

    @Pyro4.expose
    def unregister_observer(self, observer):
        if isinstance(observer, Pyro4.Proxy):
            target = observer._pyroUri
        else:
            target = Pyro4.URI(observer)
        kept = [proxy for proxy in self.observers if proxy._pyroUri != target]
        removed = len(self.observers) - len(kept)
        self.observers = kept
        return removed

    @Pyro4.expose
    def notify_observers(self, message):
        for proxy in self.observers:
            proxy.update(message)
        return len(self.observers)


class Introspect:
    @Pyro4.expose
    def greet(self, name):
        return "Hello, %s!" % name

    @Pyro4.expose
    def add(self, a, b):
        return a + b

    def hidden(self):
        return "not exposed"

    @Pyro4.expose
    def fail_custom(self):
        raise LabError("a custom error class")

    @Pyro4.expose
    def fail_key(self):
        return {}["missing"]

    @Pyro4.expose
    @property
    def label(self):
        return "introspect"


def main():
    port = int(sys.argv[1])
    Pyro4.config.SERVERTYPE = "thread"
    daemon = Pyro4.Daemon(host=HOST, port=port)
    daemon.register(Observable(), "example.observable")
    daemon.register(Introspect(), "example.remote.object")
    print("lab server listening on %s:%d" % (HOST, port), flush=True)
    daemon.requestLoop()


if __name__ == "__main__":
    main()
