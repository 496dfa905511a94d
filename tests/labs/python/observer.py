"""Lab 2, exercise 2 — an observer, in Python Pyro4 (twin of labs/observer/observer.cpp).

To be called back, a client needs a daemon of its own: it registers its observer object there,
hands the observable that object's URI, then waits for calls like any server.
"""
import signal
import sys

import Pyro4
import Pyro4.errors


@Pyro4.expose
class Observer(object):
    def update(self, message):
        """Called remotely by the observable for every notification."""
        # [handout:todo.update]
        print("Update received: %s" % (message,))
        # [/handout:todo.update]


def main():
    # SIGTERM and SIGHUP (the terminal closed) stop the observer like Ctrl-C: it still says goodbye.
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, signal.default_int_handler)  # raises KeyboardInterrupt
    with Pyro4.Daemon() as daemon:                       # 1. our own daemon, with our observer
        me = observable = None
        # Ctrl-C may come at any moment: even while the observable's answer to register_observer
        # is read (it calls us back already), so the try starts before the registration.
        try:
            # [handout:todo.register]
            me = daemon.register(Observer())
            observable = Pyro4.Proxy("PYRONAME:example.observable")
            observable.register_observer(me)            # 2. tell the observable where we are
            # [/handout:todo.register]
            print("Observer %s registered; waiting for updates." % me)
            print("Press Ctrl-C to stop.")
            daemon.requestLoop()                        # 3. serve the callbacks until Ctrl-C
        except KeyboardInterrupt:
            pass
        if observable is None:  # stopped before it had an observable to register with
            return
        try:
            # [handout:todo.unregister]
            observable.unregister_observer(me)
            # [/handout:todo.unregister]
            print("Observer unregistered.")
        except Pyro4.errors.CommunicationError:
            print("The observable is gone; nothing to unregister.")


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    try:
        main()
    except Pyro4.errors.NamingError as error:
        sys.exit("observer: error: %s; are the name server ('pyro-ns') and observable-server "
                 "running?" % error)
    except Pyro4.errors.PyroError as error:  # e.g. a server that is gone
        sys.exit("observer: error: %s" % error)
