"""Lab 2, exercise 1 — the echo client, in Python Pyro4 (twin of labs/echo/echo_client.cpp).

    /usr/bin/python3 echo_client.py [MESSAGE]      (default: HOLA)
"""
import sys

import Pyro4
import Pyro4.errors


def main():
    message = sys.argv[1] if len(sys.argv) > 1 else "HOLA"
    # "PYRONAME:" asks the name server where the object is; the proxy then connects there.
    # [handout:todo.lookup]
    echo = Pyro4.Proxy("PYRONAME:echo.server")
    # [/handout:todo.lookup]
    # [handout:todo.call]
    reply = echo.echo(message)  # a remote call reads like a local one
    # [/handout:todo.call]
    print("Sent: %s" % message)
    print("Reply: %s" % reply)


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    try:
        main()
    except Pyro4.errors.NamingError as error:
        sys.exit("echo-client: error: %s; are the name server ('pyro-ns') and echo-server running?"
                 % error)
    except Pyro4.errors.PyroError as error:  # e.g. a server that is gone
        sys.exit("echo-client: error: %s" % error)
