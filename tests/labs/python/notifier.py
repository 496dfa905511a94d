"""Lab 2, exercise 2 — the notifier, in Python Pyro4 (twin of labs/observer/notifier.cpp).

    /usr/bin/python3 notifier.py [MESSAGE]      (default: "Hello, Observers!")
"""
import sys

import Pyro4
import Pyro4.errors


def main():
    message = sys.argv[1] if len(sys.argv) > 1 else "Hello, Observers!"
    # [handout:todo.notify]
    observable = Pyro4.Proxy("PYRONAME:example.observable")
    notified = observable.notify_observers(message)
    # [/handout:todo.notify]
    print("Sent: %s" % message)
    if isinstance(notified, int):
        print("Observers notified: %d" % notified)


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    try:
        main()
    except Pyro4.errors.NamingError as error:
        sys.exit("notifier: error: %s; are the name server ('pyro-ns') and observable-server "
                 "running?" % error)
    except Pyro4.errors.PyroError as error:  # e.g. a server that is gone
        sys.exit("notifier: error: %s" % error)
