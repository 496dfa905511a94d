"""A Python Pyro4 client of '@NAME@' (the twin of client.cpp), written by `./labkit new @NAME@`.

    /usr/bin/python3 python/client.py [WHO]      (default: World)
"""
import sys

import Pyro4
import Pyro4.errors


def main():
    who = sys.argv[1] if len(sys.argv) > 1 else "World"
    thing = Pyro4.Proxy("PYRONAME:@NAME@")
    print("hello('%s') -> %s" % (who, thing.hello(who)))
    print("calls() -> %d" % thing.calls())


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    try:
        main()
    except Pyro4.errors.PyroError as error:
        sys.exit("@SLUG@-client: error: %s" % error)
