"""A broken colorsquare receiver: prints every set_color call, but the colour never changes."""
import Pyro4

from _twins import serve_and_forget_the_name
from colorsquare_receive import ColorSquare


@Pyro4.expose
class StuckSquare(ColorSquare):
    def set_color(self, r, g, b):
        print("set_color(%d, %d, %d)" % (r, g, b), flush=True)


serve_and_forget_the_name("example.colorsquare", StuckSquare(), "Colour square ready.")
