"""Lab 2, exercise 4 - the colour square receiver in Python Pyro4 (twin of colorsquare_receive.cpp).

The remote object is the same: set_color(r, g, b), get_color(), elapsed(). To stay runnable
anywhere it prints the colour instead of drawing a window (a window would need tkinter).
Run with /usr/bin/python3; finds the name server like Pyro4 does (PYRO_NS_HOST, PYRO_NS_PORT).
"""
import argparse
import signal
import sys
import threading
import time

import Pyro4
import Pyro4.errors


# [handout:object]
@Pyro4.expose
class ColorSquare(object):
    def __init__(self):
        self.started = time.time()
        self.colour = [255, 255, 255]
        self.lock = threading.Lock()  # calls arrive on the daemon's worker threads

    def set_color(self, r, g, b):
        # [handout:todo.set_color]
        for name, value in (("r", r), ("g", g), ("b", b)):
            if not 0 <= value <= 255:
                raise ValueError("set_color: %s=%d is out of range; r, g and b must each be 0-255"
                                 % (name, value))
        with self.lock:
            self.colour = [r, g, b]
        print("set_color(%d, %d, %d)" % (r, g, b), flush=True)
        # [/handout:todo.set_color]

    def get_color(self):
        # [handout:todo.get_color]
        with self.lock:
            return list(self.colour)
        # [/handout:todo.get_color]

    def elapsed(self):
        return time.time() - self.started
# [/handout:object]


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
    options = parse_options("Serves 'example.colorsquare', a square remote clients recolour.",
                            "example.colorsquare")
    # [handout:todo.find_ns]
    ns = Pyro4.locateNS()
    # [/handout:todo.find_ns]
    daemon = Pyro4.Daemon()
    uri = None
    # Ctrl-C may come at any moment: even while the name server's answer to the registration
    # is read (the name is there already), so the try starts before the registration.
    try:
        # [handout:todo.register]
        uri = daemon.register(ColorSquare())  # one object for every client, like the C++ receiver
        register_name(ns, options.name, uri, options.replace)
        # [/handout:todo.register]
        print("Colour square ready. Object URI:", uri, flush=True)
        print("Registered as '%s'. Press Ctrl-C to stop." % options.name, flush=True)
        daemon.requestLoop()
    except KeyboardInterrupt:
        pass
    print("Colour square stopped.", flush=True)
    # [handout:todo.unregister]
    unregister_name(ns, options.name, uri)
    # [/handout:todo.unregister]


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # every line shows at once, even through a pipe
    try:
        main()
    except NameTaken as error:
        sys.exit("colorsquare_receive.py: error: %s" % error)
    except Pyro4.errors.NamingError as error:
        sys.exit("colorsquare_receive.py: error: %s; is a name server running? Start one with "
                 "'pyro-ns'." % error)
