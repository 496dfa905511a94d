"""Lab 2, exercise 3 — a remote object that clients can examine, in Python Pyro4
(twin of labs/introspect/introspect_server.cpp).
"""
import sys

import Pyro4
import Pyro4.errors


@Pyro4.expose
class RemoteObject(object):
    def greet(self, name):
        # [handout:todo.greet]
        return "Hello, %s!" % name
        # [/handout:todo.greet]

    def add(self, a, b):
        # [handout:todo.add]
        return a + b
        # [/handout:todo.add]


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
        uri = daemon.register(RemoteObject())
        register_name(ns, "example.remote.object", uri)
        # [/handout:todo.register]
        print("Remote object ready. Object URI: %s" % uri)
        print("Registered as 'example.remote.object'. Press Ctrl-C to stop.")
        try:
            daemon.requestLoop()
        except KeyboardInterrupt:
            pass
    print("Remote object stopped.")
    # [handout:todo.unregister]
    unregister_name(ns, "example.remote.object", uri)
    # [/handout:todo.unregister]


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    try:
        main()
    except Pyro4.errors.NamingError as error:
        sys.exit("introspect-server: error: %s; is a name server running? Start one with 'pyro-ns'."
                 % error)
    except Pyro4.errors.PyroError as error:  # e.g. a server that is gone
        sys.exit("introspect-server: error: %s" % error)
