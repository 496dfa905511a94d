"""Python Pyro4 4.82 as a client of a name server (pyro-ns or pyro4-ns): every NameServer method
with Python's own argument forms, the errors, locateNS and PYRONAME/PYROMETA proxies.

Usage: ns_python_client.py HOST PORT SERIALIZER
Prints one line per step and then "RESULT <json>": what each step returned or raised, with the
name server's port replaced by <port> and string lists sorted (set order differs between runs),
so the results of two name servers can be compared as text.
"""
import json
import sys
import threading

import Pyro4
import Pyro4.errors

host, port, serializer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
Pyro4.config.SERIALIZER = serializer
Pyro4.config.COMMTIMEOUT = 5.0


def normalise(value):
    if isinstance(value, Pyro4.core.URI):
        return "URI " + str(value)
    if isinstance(value, dict):
        return [[key, normalise(item)] for key, item in value.items()]
    if isinstance(value, (set, frozenset)):
        return sorted(normalise(item) for item in value)
    if isinstance(value, (list, tuple)):
        items = [normalise(item) for item in value]
        return sorted(items) if all(isinstance(item, str) for item in items) else items
    return value


results = []


def step(name, call):
    try:
        outcome = ["returned", normalise(call())]
    except Exception as error:
        outcome = ["raised", type(error).__module__ + "." + type(error).__name__, str(error)]
    print(name, "->", outcome, flush=True)
    results.append([name, outcome])


@Pyro4.expose
class Echo(object):
    def echo(self, message):
        return message


ns = Pyro4.locateNS(host, port)
step("locateNS uri", lambda: ns._pyroUri)
step("ping", ns.ping)
step("count", ns.count)
step("lookup own", lambda: ns.lookup("Pyro.NameServer"))
step("lookup own meta", lambda: ns.lookup("Pyro.NameServer", return_metadata=True))
step("register", lambda: ns.register("py.one", "PYRO:one@127.0.0.1:5001"))
step("register meta", lambda: ns.register("py.two", "PYRO:two@127.0.0.1:5002",
                                          metadata={"lab", "sensor"}))
step("register uri object", lambda: ns.register("py.three", Pyro4.URI("PYRO:three@127.0.0.1:5003"),
                                                metadata=["lab"]))
step("register kwargs", lambda: ns.register(name="other.four", uri="pyro:four@h:5004"))
step("register safe again", lambda: ns.register("py.one", "PYRO:x@127.0.0.1:1", safe=True))
step("register overwrite", lambda: ns.register("py.one", "PYRO:one@127.0.0.1:5011"))
step("register bad name", lambda: ns.register(5, "PYRO:x@h:1"))
step("register bad uri type", lambda: ns.register("x", 5))
step("register bad uri", lambda: ns.register("x", "bogus"))
step("register bad port", lambda: ns.register("x", "PYRO:obj@host"))
step("register str metadata", lambda: ns.register("x", "PYRO:a@h:1", metadata="lab"))
step("count after", ns.count)
step("lookup", lambda: ns.lookup("py.one"))
step("lookup meta", lambda: ns.lookup("py.two", return_metadata=True))
step("lookup string uri", lambda: ns.lookup("other.four"))
step("lookup unknown", lambda: ns.lookup("no.such.name"))
step("list", ns.list)
step("list meta", lambda: ns.list(return_metadata=True))
step("list prefix", lambda: ns.list(prefix="py."))
step("list prefix positional", lambda: ns.list("py.t"))
step("list regex", lambda: ns.list(regex=r"py\.t.*"))
step("list regex anchored", lambda: ns.list(regex="one"))
step("list regex bad", lambda: ns.list(regex="("))
step("list metadata_all", lambda: ns.list(metadata_all=["lab", "sensor"]))
step("list metadata_all set", lambda: ns.list(metadata_all={"lab"}, return_metadata=True))
step("list metadata_any", lambda: ns.list(metadata_any={"sensor", "nothing"},
                                          return_metadata=True))
step("list metadata_all str", lambda: ns.list(metadata_all="lab"))
step("list two filters", lambda: ns.list(prefix="py.", regex="py"))
step("list empty prefix", lambda: ns.list(prefix=""))
step("set_metadata", lambda: ns.set_metadata("py.two", ["changed"]))
step("after set_metadata", lambda: ns.lookup("py.two", return_metadata=True))
step("set_metadata clear", lambda: ns.set_metadata("py.two", set()))
step("set_metadata unknown", lambda: ns.set_metadata("no.such.name", ["x"]))
step("set_metadata str", lambda: ns.set_metadata("py.two", "x"))

# A Python object found through the name server by name and by metadata.
daemon = Pyro4.Daemon(host="127.0.0.1")
echo_uri = daemon.register(Echo(), "py.echo.object")
threading.Thread(target=daemon.requestLoop, daemon=True).start()
step("register daemon object", lambda: ns.register("py.echo", echo_uri, metadata={"py.echo.tag"}))
step("PYRONAME call", lambda: Pyro4.Proxy("PYRONAME:py.echo@%s:%d" % (host, port)).echo("hi"))
step("PYROMETA call", lambda: Pyro4.Proxy("PYROMETA:py.echo.tag@%s:%d" % (host, port)).echo(42))
step("PYROMETA none", lambda: Pyro4.Proxy("PYROMETA:no.tag@%s:%d" % (host, port)).echo(1))
step("resolve", lambda: str(Pyro4.naming.resolve("PYRONAME:py.echo@%s:%d" % (host, port))) ==
     str(echo_uri))
step("remove daemon object", lambda: ns.remove("py.echo"))

step("remove", lambda: ns.remove("py.one"))
step("remove again", lambda: ns.remove("py.one"))
step("remove own", lambda: ns.remove("Pyro.NameServer"))
step("remove prefix", lambda: ns.remove(prefix="py."))
step("remove regex", lambda: ns.remove(regex="oth.*"))
step("remove nothing", ns.remove)
step("final list", lambda: ns.list(return_metadata=True))
daemon.shutdown()

text = json.dumps(results).replace(str(port), "<port>")
print("RESULT " + text, flush=True)
