"""The Pyro4 objects the gateway tests call, served by the real Python Pyro4 and registered in the
name server that PYRO_NS_HOST/PYRO_NS_PORT name:

    http.echoserver   Pyro4's own test EchoServer (what the example page and pyro4's docs call)
    http.things       a few results and errors of every shape the gateway must pass through
    hidden.things     the same class under a name the default -e pattern does not expose

Run with /usr/bin/python3 (the Python that has Pyro4). Prints "ready" once every name is
registered, then serves until it is stopped.
"""

import sys
import time

import Pyro4
from Pyro4.test.echoserver import EchoServer


class GatewayTestError(Exception):
    """An exception class of the test's own, with an attribute Pyro4 sends along."""


@Pyro4.expose
class Things(object):
    def __init__(self):
        self._colour = "blue"
        self._remembered = None

    @property
    def colour(self):
        return self._colour

    @property
    def answer(self):
        return 42

    def join(self, first, second="?"):
        return first + "+" + second

    def kwargs(self, **named):
        # Query parameters arrive as strings, a repeated one as a list of strings.
        return {"names": sorted(named), "values": [named[name] for name in sorted(named)]}

    def unicode(self):
        return u"h\u00e9llo w\u00f6rld \u2713 \U0001F600"

    def data(self):
        return b"\x00\x01binary\xff"

    def shapes(self):
        return {"list": [1, 2.5, None, True], "tuple": (1, "two"), "big": 2 ** 70,
                "nested": {"k": [u"\u00e9"]}, "float": 0.1, "empty": {}}

    def nothing(self):
        return None

    def key_error(self):
        return {}["missing"]

    def multi_args(self):
        raise ValueError("first", 2)

    def custom(self):
        error = GatewayTestError("custom failure")
        error.code = 7
        raise error

    def slow(self, seconds="3"):
        time.sleep(float(seconds))
        return "slept"

    @Pyro4.oneway
    def remember(self, value):
        self._remembered = value

    def remembered(self):
        return self._remembered

    def _private(self):
        return "not exposed"


def main():
    Pyro4.config.SERVERTYPE = "thread"
    daemon = Pyro4.Daemon(host="127.0.0.1")
    ns = Pyro4.locateNS()
    echo = EchoServer()
    for name, servant in (("http.echoserver", echo), ("http.things", Things()),
                          ("hidden.things", Things())):
        ns.register(name, daemon.register(servant, name))
    print("ready", flush=True)
    daemon.requestLoop()


if __name__ == "__main__":
    sys.exit(main())
