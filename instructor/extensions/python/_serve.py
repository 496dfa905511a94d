"""What the extension reference servers share: find the name server, serve one object under a
name until Ctrl-C (or SIGTERM, SIGHUP), take the name back out. One clear line on errors."""
import signal
import sys

import Pyro4
import Pyro4.errors


def serve(program, servant, name, ready):
    sys.stdout.reconfigure(line_buffering=True)
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, signal.default_int_handler)  # raises KeyboardInterrupt
    try:
        ns = Pyro4.locateNS()
        with Pyro4.Daemon() as daemon:
            uri = daemon.register(servant)
            ns.register(name, uri)
            print("%s Object URI: %s" % (ready, uri))
            print("Registered as '%s'. Press Ctrl-C to stop." % name)
            try:
                daemon.requestLoop()
            except KeyboardInterrupt:
                pass
        if ns.lookup(name) == uri:
            ns.remove(name)
    except Pyro4.errors.NamingError as error:
        sys.exit("%s: error: %s; is a name server running? Start one with 'pyro-ns'."
                 % (program, error))
    except Pyro4.errors.PyroError as error:
        sys.exit("%s: error: %s" % (program, error))
