"""Lab 2, exercise 3 — calling a remote object, then asking what it offers, in Python Pyro4
(twin of labs/introspect/introspect_client.cpp).

    /usr/bin/python3 introspect_client.py [--name NAME]      (default: World)
"""
import argparse
import sys

import Pyro4
import Pyro4.errors


def joined(names):
    return ", ".join(sorted(names)) or "(none)"


def main():
    parser = argparse.ArgumentParser(description="Calls greet and add on 'example.remote.object', "
                                                 "then lists its interface.")
    parser.add_argument("--name", default="World", help="who to greet (default: World)")
    name = parser.parse_args().name

    # [handout:todo.lookup]
    remote = Pyro4.Proxy("PYRONAME:example.remote.object")
    # [/handout:todo.lookup]
    # 1. Ordinary remote calls.
    # [handout:todo.calls]
    print("greet('%s') -> %s" % (name, remote.greet(name)))
    print("add(2, 3) -> %r" % remote.add(2, 3))
    # [/handout:todo.calls]
    # 2. What the handshake told the proxy about the object.
    print("Remote methods: %s" % joined(remote._pyroMethods))
    print("Oneway methods: %s" % joined(remote._pyroOneway))
    print("Attributes: %s" % joined(remote._pyroAttrs))


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    try:
        main()
    except Pyro4.errors.NamingError as error:
        sys.exit("introspect-client: error: %s; are the name server ('pyro-ns') and "
                 "introspect-server running?" % error)
    except Pyro4.errors.PyroError as error:  # e.g. a server that is gone
        sys.exit("introspect-client: error: %s" % error)
