"""The Python side of the SSL parity tests, with the real Pyro4 4.82 (PYRO_SSL* come from the
environment the test gives, as for any Pyro4 program).

  ssl_peer.py server            a Pyro4 daemon on 127.0.0.1 serving "ssl.echo"; prints URI <uri>
  ssl_peer.py client URI        calls echo and add; prints RESULT lines, or ERROR <class>: <text>
  ssl_peer.py nsclient HOST PORT  registers, lists and looks up through a name server; prints RESULT
"""
import sys

import Pyro4
import Pyro4.errors


@Pyro4.expose
class Echo(object):
    def echo(self, value):
        return value

    def add(self, a, b):
        return a + b


def server():
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(Echo(), "ssl.echo")
    print("URI", uri, flush=True)
    daemon.requestLoop()


def call(uri):
    with Pyro4.Proxy(uri) as proxy:
        print("RESULT echo", repr(proxy.echo("über ssl")), flush=True)
        print("RESULT add", proxy.add(2, 3), flush=True)


def nsclient(host, port):
    ns = Pyro4.locateNS(host=host, port=int(port))
    ns.register("ssl.python.thing", "PYRO:thing@127.0.0.1:1234")
    print("RESULT lookup", ns.lookup("ssl.python.thing"), flush=True)
    print("RESULT list", sorted(ns.list().keys()), flush=True)
    ns.remove("ssl.python.thing")


def main():
    try:
        if sys.argv[1] == "server":
            server()
        elif sys.argv[1] == "client":
            call(sys.argv[2])
        elif sys.argv[1] == "nsclient":
            nsclient(sys.argv[2], sys.argv[3])
    except Exception as error:
        print("ERROR %s: %s" % (type(error).__name__, error), flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
