"""Instrumented twins of the lab servers, served by the test driver itself.

A client that prints the expected lines without calling anything would pass a test that reads
only its output. So the client scenarios also run the client under test against one of these
twins: the same names and methods as the lab's server, but every call that arrives is written
down, and the scenario checks the record (the effect on the server side, not the text printed).

    with TwinServer(ns_uri) as twin:
        twin.serve("echo.server", RecordingEcho(twin.calls))
        ... run the client ...
        twin.calls.wait_for("echo", ("HOLA",), timeout=5)

The twins run on a Pyro4 daemon on a thread of the driver's process, on 127.0.0.1.
"""

import threading
import time

import Pyro4
import Pyro4.errors


class CallLog:
    """Every call a twin received, as (method, args), in order; waitable from the driver."""

    def __init__(self):
        self._calls = []
        self._changed = threading.Condition()

    def add(self, method, *args):
        with self._changed:
            self._calls.append((method, tuple(args)))
            self._changed.notify_all()

    def calls(self, method=None):
        """The calls so far (of `method` only, when given)."""
        with self._changed:
            return [call for call in self._calls if method is None or call[0] == method]

    def wait_for(self, method, predicate=lambda args: True, timeout=5.0):
        """The args of the first call of `method` whose args satisfy `predicate`, waiting up to
        `timeout` seconds for it; None if none came."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for name, args in self._calls:
                    if name == method and predicate(args):
                        return args
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)

    def describe(self):
        """The record, for a failure message."""
        calls = self.calls()
        if not calls:
            return "  the twin received no call at all"
        return "  the twin received:\n" + "\n".join(
            "    | %s(%s)" % (name, ", ".join(map(repr, args))) for name, args in calls)


@Pyro4.expose
class RecordingEcho(object):
    """Twin of echo-server's object: returns its argument, like the lab's server."""

    def __init__(self, log):
        self._log = log

    def echo(self, message):
        self._log.add("echo", message)
        return message


@Pyro4.expose
class RecordingIntrospect(object):
    """Twin of introspect-server's object: greet and add, like the lab's server."""

    def __init__(self, log):
        self._log = log

    def greet(self, name):
        self._log.add("greet", name)
        return "Hello, %s!" % name

    def add(self, a, b):
        self._log.add("add", a, b)
        return a + b


def uri_text(observer):
    """An observer reference as text, whether it came as a URI string, a URI or a proxy."""
    if isinstance(observer, Pyro4.Proxy):
        return str(observer._pyroUri)
    return str(observer)


@Pyro4.expose
class RecordingObservable(object):
    """Twin of observable-server's object. It calls every registered observer back as the lab's
    server does, and records register/unregister, so an observer that never unregisters is seen
    here, whatever happens to it later."""

    def __init__(self, log):
        self._log = log
        self._lock = threading.Lock()
        self._observers = []

    def register_observer(self, observer):
        address = uri_text(observer)
        self._log.add("register_observer", address)
        with self._lock:
            if address not in self._observers:
                self._observers.append(address)

    def unregister_observer(self, observer):
        address = uri_text(observer)
        self._log.add("unregister_observer", address)
        with self._lock:
            self._observers = [o for o in self._observers if o != address]

    def notify_observers(self, message):
        self._log.add("notify_observers", message)
        with self._lock:
            current = list(self._observers)
        notified = 0
        for address in current:
            try:
                with Pyro4.Proxy(address) as observer:
                    observer._pyroTimeout = 5
                    observer.update(message)
                notified += 1
            except Pyro4.errors.CommunicationError:
                pass
        return notified


@Pyro4.expose
class RecordingObserver(object):
    """An observer living in the driver: what the notifier's message reaches."""

    def __init__(self, log):
        self._log = log

    def update(self, message):
        self._log.add("update", message)


class TwinServer:
    """A Pyro4 daemon on a driver thread serving twins, registered in the test's name server;
    stopped (and its names removed) on exit."""

    def __init__(self, ns_uri):
        self.calls = CallLog()
        self._ns_uri = ns_uri
        self._daemon = None
        self._thread = None
        self._names = []

    def __enter__(self):
        self._daemon = Pyro4.Daemon(host="127.0.0.1")
        self._thread = threading.Thread(target=self._daemon.requestLoop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        try:
            with Pyro4.Proxy(self._ns_uri) as ns:
                ns._pyroTimeout = 2
                for name in self._names:
                    ns.remove(name)
        except Pyro4.errors.PyroError:
            pass  # the name server is already gone
        self._daemon.shutdown()
        self._thread.join(5)
        self._daemon.close()
        return False

    def serve(self, name, servant):
        """Registers `servant` in the daemon and, under `name`, in the name server (None: the
        name server is left alone); returns its URI as text."""
        uri = self._daemon.register(servant)
        if name is not None:
            with Pyro4.Proxy(self._ns_uri) as ns:
                ns._pyroTimeout = 2
                ns.register(name, uri)
            self._names.append(name)
        return str(uri)


class SlowToAnswerNameServer:
    """A Pyro4 name server on `port` (a driver thread) that stores the first registration at
    once, then holds its answer back for `hold` seconds: the registering server is then still
    inside its register call while the name is already visible (`stored` is set), which is when
    a Ctrl-C must still stop it cleanly."""

    def __init__(self, port, hold=2.0):
        self.stored = threading.Event()
        self._port = port
        self._hold = hold
        self._daemon = None
        self._thread = None

    def __enter__(self):
        import Pyro4.naming  # only this twin needs it

        stored, hold = self.stored, self._hold

        @Pyro4.expose
        class NameServer(Pyro4.naming.NameServer):
            def register(self, name, uri, safe=False, metadata=None):
                result = super().register(name, uri, safe, metadata)
                if not stored.is_set():
                    stored.set()
                    time.sleep(hold)
                return result

        self._daemon = Pyro4.Daemon(host="127.0.0.1", port=self._port)
        self._daemon.register(NameServer(), Pyro4.constants.NAMESERVER_NAME)
        self._thread = threading.Thread(target=self._daemon.requestLoop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._daemon.shutdown()
        self._thread.join(5)
        self._daemon.close()
        return False


@Pyro4.expose
class RecordingColorSquare(object):
    """Twin of colorsquare-receive's object: keeps the colour, refuses what the lab's receiver
    refuses, and records every call."""

    def __init__(self, log):
        self._log = log
        self._started = time.monotonic()
        self._colour = [255, 255, 255]

    def set_color(self, r, g, b):
        self._log.add("set_color", r, g, b)
        for name, value in (("r", r), ("g", g), ("b", b)):
            if not 0 <= value <= 255:
                raise ValueError("set_color: %s=%d is out of range; r, g and b must each be 0-255"
                                 % (name, value))
        self._colour = [r, g, b]

    def get_color(self):
        self._log.add("get_color")
        return list(self._colour)

    def elapsed(self):
        self._log.add("elapsed")
        return time.monotonic() - self._started + 75.0  # "1 min 15 s": not what a fake guesses
