"""Lab 2, exercise 2 — the observable, in Python Pyro4
(twin of labs/observer/observable_server.cpp).

Observers register a reference to an object of their own; notify_observers calls each of them
back, so here the *server* acts as a client of every observer.
"""
import argparse
import signal
import sys
import threading

import Pyro4
import Pyro4.errors


@Pyro4.expose
class Observable(object):
    def __init__(self):
        self._lock = threading.Lock()  # calls arrive on several daemon threads at once
        self._observers = []

    def register_observer(self, observer):
        """`observer` may arrive as a URI string, a URI object or a proxy."""
        # [handout:todo.register_observer]
        proxy = observer if isinstance(observer, Pyro4.Proxy) else Pyro4.Proxy(observer)
        proxy._pyroTimeout = 5  # a stuck observer must not stall us
        address = str(proxy._pyroUri)
        with self._lock:
            self._observers = [o for o in self._observers if str(o._pyroUri) != address]
            self._observers.append(proxy)
            print("Observer registered: %s (%d in total)" % (address, len(self._observers)))
        # [/handout:todo.register_observer]

    def unregister_observer(self, observer):
        # [handout:todo.unregister_observer]
        address = str(observer._pyroUri if isinstance(observer, Pyro4.Proxy) else observer)
        with self._lock:
            self._observers = [o for o in self._observers if str(o._pyroUri) != address]
            print("Observer unregistered: %s (%d left)" % (address, len(self._observers)))
        # [/handout:todo.unregister_observer]

    # [handout:notify]
    def notify_observers(self, message):
        """Calls update(message) on every observer, drops those that are gone; returns how many
        were notified."""
        # [handout:todo.notify]
        with self._lock:
            current = list(self._observers)
        print("Notifying %d observer(s): %r" % (len(current), message))
        notified = 0
        for observer in current:
            try:
                observer.update(message)
                notified += 1
            except Pyro4.errors.CommunicationError as error:
                # Caught here, per observer: a CommunicationError that escaped this method would
                # make Pyro4's daemon close the *notifier's* connection instead of answering it.
                print("Observer %s is gone (%s); dropping it" % (observer._pyroUri, error))
                with self._lock:
                    if observer in self._observers:  # another notification may have dropped it
                        self._observers.remove(observer)
        return notified
        # [/handout:todo.notify]
    # [/handout:notify]


class NameTaken(Exception):
    """The name is held by a server that answers; this one must not take it silently."""


def register_name(ns, name, uri, replace=False):
    """Registers name -> uri, the kit's policy for a shared name server: a name held by a server
    that still answers is not taken (unless `replace`); one left behind by a server that is gone
    (it was killed before it could remove its name) is taken over with a note."""
    try:
        holder = ns.lookup(name)
    except Pyro4.errors.NamingError:
        holder = None  # not registered yet: the usual case
    if holder is not None and holder != uri:
        try:
            with Pyro4.Proxy(holder) as other:
                other._pyroTimeout = 2
                other._pyroBind()  # connects and shakes hands: is anybody there?
            answers = True
        except Pyro4.errors.CommunicationError:
            answers = False
        if not answers:
            print("Note: '%s' was registered to %s, which does not answer (a server that was "
                  "stopped without removing its name); replacing it." % (name, holder))
        elif replace:
            print("Note: '%s' was registered to the running server %s; --replace takes the name "
                  "over." % (name, holder))
        else:
            raise NameTaken("'%s' is already registered to a running server (%s); start this one "
                            "under another name with --name NAME, or take the name over with "
                            "--replace" % (name, holder))
    ns.register(name, uri)


def unregister_name(ns, name, uri):
    """Removes the name, unless another server has taken it over meanwhile."""
    if uri is None:  # stopped before the daemon gave the object a URI: nothing registered
        return
    try:
        if ns.lookup(name) != uri:
            print("'%s' now belongs to another server; leaving it registered." % name)
            return
    except Pyro4.errors.NamingError:
        return
    ns.remove(name)
    print("'%s' removed from the name server." % name)


def parse_options(description, default_name):
    """--name NAME and --replace, as the C++ servers have them; SIGTERM and SIGHUP (the terminal
    closed) stop the server like Ctrl-C does, so that it still removes its name."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--name", default=default_name,
                        help="the name to register in the name server (default: %s)" % default_name)
    parser.add_argument("--replace", action="store_true",
                        help="take the name over even when a running server holds it")
    options = parser.parse_args()
    if not options.name:
        parser.error("the name must not be empty")
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, signal.default_int_handler)  # raises KeyboardInterrupt
    return options


def main():
    options = parse_options("Serves 'example.observable': observers register, a notifier notifies.",
                            "example.observable")
    # [handout:todo.find_ns]
    ns = Pyro4.locateNS()
    # [/handout:todo.find_ns]
    with Pyro4.Daemon() as daemon:
        uri = None
        # Ctrl-C may come at any moment: even while the name server's answer to the registration
        # is read (the name is there already), so the try starts before the registration.
        try:
            # [handout:todo.register]
            uri = daemon.register(Observable())  # one Observable for everybody
            register_name(ns, options.name, uri, options.replace)
            # [/handout:todo.register]
            print("Observable ready. Object URI: %s" % uri)
            print("Registered as '%s'. Press Ctrl-C to stop." % options.name)
            daemon.requestLoop()
        except KeyboardInterrupt:
            pass
    print("Observable stopped.")
    # [handout:todo.unregister]
    unregister_name(ns, options.name, uri)
    # [/handout:todo.unregister]


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    try:
        main()
    except NameTaken as error:
        sys.exit("observable-server: error: %s" % error)
    except Pyro4.errors.NamingError as error:
        sys.exit("observable-server: error: %s; is a name server running? Start one with 'pyro-ns'."
                 % error)
    except Pyro4.errors.PyroError as error:  # e.g. a server that is gone
        sys.exit("observable-server: error: %s" % error)
