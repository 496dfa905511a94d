"""Lab 2, exercise 4 - the colour square receiver in Python Pyro4 (twin of colorsquare_receive.cpp).

The remote object is the same: set_color(r, g, b), get_color(), elapsed(). To stay runnable
anywhere it prints the colour instead of drawing a window (a window would need tkinter).
Run with /usr/bin/python3; finds the name server like Pyro4 does (PYRO_NS_HOST, PYRO_NS_PORT).
"""
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


def main():
    # [handout:todo.find_ns]
    ns = Pyro4.locateNS()
    # [/handout:todo.find_ns]
    daemon = Pyro4.Daemon()
    # [handout:todo.register]
    uri = daemon.register(ColorSquare())  # one object for every client, like the C++ receiver
    ns.register("example.colorsquare", uri)
    # [/handout:todo.register]
    print("Colour square ready. Object URI:", uri, flush=True)
    print("Registered as 'example.colorsquare'. Press Ctrl-C to stop.", flush=True)
    try:
        daemon.requestLoop()
    except KeyboardInterrupt:
        pass
    # [handout:todo.unregister]
    ns.remove("example.colorsquare")
    # [/handout:todo.unregister]
    print("Colour square stopped; 'example.colorsquare' removed from the name server.", flush=True)


if __name__ == "__main__":
    try:
        main()
    except Pyro4.errors.NamingError as error:
        sys.exit("colorsquare_receive.py: error: %s; is a name server running? Start one with "
                 "'pyro-ns'." % error)
