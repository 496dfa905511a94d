"""A broken observer: registers and prints every update, but on Ctrl-C exits 0 without calling
unregister_observer. (The observable drops it at the next notification, so only the observable's
own record shows the missing goodbye.)"""
import signal
import sys

import Pyro4

from _twins import serve_and_forget_the_name  # noqa: F401  (makes the twins importable)
from observer import Observer

sys.stdout.reconfigure(line_buffering=True)
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
with Pyro4.Daemon() as daemon:
    me = daemon.register(Observer())
    Pyro4.Proxy("PYRONAME:example.observable").register_observer(me)
    print("Observer %s registered; waiting for updates." % me)
    print("Press Ctrl-C to stop.")
    daemon.requestLoop()
