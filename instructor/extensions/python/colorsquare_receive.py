"""Reference solution of the colorsquare extension (instructor only), printing instead of
drawing like the lab's Python twin: fade(r, g, b, seconds) returns at once; the colour moves
there in a straight line over `seconds`. No thread is needed: the colour is computed from the
clock whenever somebody asks for it."""
import threading
import time

import Pyro4

from _serve import serve


def check(r, g, b):
    for name, value in (("r", r), ("g", g), ("b", b)):
        if not 0 <= value <= 255:
            raise ValueError("%s=%d is out of range; r, g and b must each be 0-255" % (name, value))


@Pyro4.expose
class ColorSquare(object):
    def __init__(self):
        self.started = time.time()
        self.lock = threading.Lock()
        # A fade from `start` to `target` between two moments; a plain colour is a finished fade.
        self.start = self.target = (255, 255, 255)
        self.t0 = self.t1 = time.monotonic()

    def _now(self):
        now = time.monotonic()
        if now >= self.t1:
            return list(self.target)
        part = (now - self.t0) / (self.t1 - self.t0)
        return [round(s + (t - s) * part) for s, t in zip(self.start, self.target)]

    def set_color(self, r, g, b):
        self.fade(r, g, b, 0)

    def fade(self, r, g, b, seconds):
        check(r, g, b)
        if seconds < 0:
            raise ValueError("seconds=%s must not be negative" % seconds)
        with self.lock:
            self.start = tuple(self._now())
            self.target = (r, g, b)
            self.t0 = time.monotonic()
            self.t1 = self.t0 + seconds
        print("fade(%d, %d, %d, %s)" % (r, g, b, seconds))

    def get_color(self):
        with self.lock:
            return self._now()

    def elapsed(self):
        return time.time() - self.started


if __name__ == "__main__":
    serve("colorsquare-receive", ColorSquare(), "example.colorsquare", "Colour square ready.")
