"""What the broken programs share: the Python twins (tests/labs/python/) made importable, and a
server main that forgets the one step the proof is about."""
import pathlib
import signal
import sys

import Pyro4

sys.dont_write_bytecode = True
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python"))


def serve_and_forget_the_name(name, servant, ready):
    """A server that registers `name`, serves `servant`, and on Ctrl-C exits 0 without taking
    its name out of the name server (the lab asks it to)."""
    sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))  # a clean-looking exit, nothing more
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(servant)
        Pyro4.locateNS().register(name, uri)
        print("%s Object URI: %s" % (ready, uri))
        print("Registered as '%s'. Press Ctrl-C to stop." % name)
        daemon.requestLoop()
