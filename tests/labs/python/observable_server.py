"""Lab 2, exercise 2 — the observable, in Python Pyro4
(twin of labs/observer/observable_server.cpp).

Observers register a reference to an object of their own; notify_observers calls each of them
back, so here the *server* acts as a client of every observer.
"""
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
                print("Observer %s is gone (%s); dropping it" % (observer._pyroUri, error))
                with self._lock:
                    self._observers.remove(observer)
        return notified
        # [/handout:todo.notify]


def register_name(ns, name, uri):
    """Registers name -> uri; says so first when it replaces another object that still answers."""
    try:
        existing = ns.lookup(name)
        with Pyro4.Proxy(existing) as other:
            other._pyroTimeout = 2
            other._pyroBind()
        print("Note: '%s' was registered to another running object (%s); "
              "replacing it with this one." % (name, existing))
    except (Pyro4.errors.NamingError, Pyro4.errors.CommunicationError):
        pass
    ns.register(name, uri)


def unregister_name(ns, name, uri):
    """Removes the name, unless another server has taken it over meanwhile."""
    try:
        if ns.lookup(name) != uri:
            print("'%s' now belongs to another server; leaving it registered." % name)
            return
    except Pyro4.errors.NamingError:
        return
    ns.remove(name)
    print("'%s' removed from the name server." % name)


def main():
    # [handout:todo.find_ns]
    ns = Pyro4.locateNS()
    # [/handout:todo.find_ns]
    with Pyro4.Daemon() as daemon:
        # [handout:todo.register]
        uri = daemon.register(Observable())  # one Observable for everybody
        register_name(ns, "example.observable", uri)
        # [/handout:todo.register]
        print("Observable ready. Object URI: %s" % uri)
        print("Registered as 'example.observable'. Press Ctrl-C to stop.")
        try:
            daemon.requestLoop()
        except KeyboardInterrupt:
            pass
    print("Observable stopped.")
    # [handout:todo.unregister]
    unregister_name(ns, "example.observable", uri)
    # [/handout:todo.unregister]


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    try:
        main()
    except Pyro4.errors.NamingError as error:
        sys.exit("observable-server: error: %s; is a name server running? Start one with 'pyro-ns'."
                 % error)
    except Pyro4.errors.PyroError as error:  # e.g. a server that is gone
        sys.exit("observable-server: error: %s" % error)
