"""Lab 2, exercise 1 — the echo server, in Python Pyro4 (twin of labs/echo/echo_server.cpp).

Run with /usr/bin/python3. Finds the name server like Pyro4 does (PYRO_NS_HOST, PYRO_NS_PORT),
listens on PYRO_HOST (default localhost).
"""
import sys

import Pyro4
import Pyro4.errors


@Pyro4.expose
class EchoServer(object):
    def echo(self, message):
        """Returns the message unchanged, whatever its type (text, number, list, ...)."""
        # [handout:todo.echo]
        print("echo(%r)" % (message,))
        return message
        # [/handout:todo.echo]


def register_name(ns, name, uri):
    """Registers name -> uri; says so first when it replaces another object that still answers."""
    try:
        existing = ns.lookup(name)
        with Pyro4.Proxy(existing) as other:
            other._pyroTimeout = 2
            other._pyroBind()  # fails when nobody answers there any more
        print("Note: '%s' was registered to another running object (%s); "
              "replacing it with this one." % (name, existing))
    except (Pyro4.errors.NamingError, Pyro4.errors.CommunicationError):
        pass  # not registered yet, or registered to a server that is gone
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
    ns = Pyro4.locateNS()                      # 1. find the name server first
    # [/handout:todo.find_ns]
    with Pyro4.Daemon() as daemon:             # 2. a daemon makes the object reachable
        # [handout:todo.register]
        uri = daemon.register(EchoServer())
        register_name(ns, "echo.server", uri)  # 3. publish its URI under a well-known name
        # [/handout:todo.register]
        print("Echo server ready. Object URI: %s" % uri)
        print("Registered as 'echo.server'. Press Ctrl-C to stop.")
        try:
            daemon.requestLoop()               # 4. serve calls until Ctrl-C
        except KeyboardInterrupt:
            pass
    print("Echo server stopped.")
    # [handout:todo.unregister]
    unregister_name(ns, "echo.server", uri)
    # [/handout:todo.unregister]


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # every line shows at once, even through a pipe
    try:
        main()
    except Pyro4.errors.NamingError as error:
        sys.exit("echo-server: error: %s; is a name server running? Start one with 'pyro-ns'."
                 % error)
    except Pyro4.errors.PyroError as error:  # e.g. a server that is gone
        sys.exit("echo-server: error: %s" % error)
