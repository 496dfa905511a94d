"""The recorded scenarios: what each Python client does, step by step.

A scenario is a function taking (steps, ctx). `steps` records what the client saw
(client_outcome); `ctx` knows the ports. Scenarios run in the order they are listed here, on
servers shared by all of them, so a scenario that changes the name server's registry
(`changes_ns=True`) changes what later scenarios see. With --only, those earlier
registry-changing scenarios still run (unrecorded) so that the selected ones see the same state.
"""

import threading
import uuid

HOST = "127.0.0.1"
HMAC_KEY = b"labkit-secret"

BASE = 47300
PORTS = {
    "ns": BASE + 0,
    "echo": BASE + 1,
    "echo_hmac": BASE + 2,
    "lab": BASE + 3,
    "observer": BASE + 4,
    "bc_server": BASE + 5,
    "standin": BASE + 6,
    "unused": BASE + 9,
    "ns_relay": BASE + 10,
    "echo_relay": BASE + 11,
    "echo_hmac_relay": BASE + 12,
    "lab_relay": BASE + 13,
    "observer_relay": BASE + 14,
    "bc_relay": BASE + 15,
    "standin_relay": BASE + 16,
}

SCENARIOS = []  # dicts: name, description, serializers, run, changes_ns, kind


def scenario(name, description, serializers=("json", "serpent"), changes_ns=False):
    def register(run):
        SCENARIOS.append(
            {
                "name": name,
                "description": " ".join(description.split()),
                "serializers": serializers,
                "run": run,
                "changes_ns": changes_ns,
                "kind": "client",
            }
        )
        return run

    return register


def pyro_uri(objectid, relay):
    return "PYRO:%s@%s:%d" % (objectid, HOST, PORTS[relay])


def summarize(value):
    """What a client call returned, in JSON terms."""
    import Pyro4

    if isinstance(value, Pyro4.URI):
        return "URI %s" % value
    if isinstance(value, Pyro4.Proxy):
        return "Proxy for %s" % value._pyroUri
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [summarize(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return {"set": sorted(summarize(item) for item in value)}
    if isinstance(value, dict):
        return {str(key): summarize(item) for key, item in value.items()}
    return "<%s object>" % type(value).__name__


class Steps:
    """The client_outcome list of one scenario."""

    def __init__(self):
        self.items = []

    def call(self, label, function, *args, **kwargs):
        try:
            result = function(*args, **kwargs)
        except Exception as error:
            kind = type(error)
            self.items.append(
                {"step": label, "raised": "%s.%s" % (kind.__module__, kind.__name__),
                 "message": str(error)}
            )
            return None
        self.items.append({"step": label, "returned": summarize(result)})
        return result

    def note(self, label, value):
        self.items.append({"step": label, "note": value})


def _proxy(objectid, relay):
    import Pyro4

    return Pyro4.Proxy(pyro_uri(objectid, relay))


def _name_server():
    return _proxy("Pyro.NameServer", "ns_relay")


def _echo():
    return _proxy("test.echoserver", "echo_relay")


# ---- the name server -----------------------------------------------------------------------


@scenario("ns_ping", "Handshake with the name server (metadata on connect), then ping().")
def _ns_ping(steps, ser):
    with _name_server() as ns:
        steps.call("ns.ping()", ns.ping)


@scenario(
    "ns_lookup_hit",
    """The name server looks up its own name twice: plainly (the answer is a URI class dict)
    and with return_metadata=True (a URI and the list of its metadata tags).""",
)
def _ns_lookup_hit(steps, ser):
    with _name_server() as ns:
        steps.call("ns.lookup('Pyro.NameServer')", ns.lookup, "Pyro.NameServer")
        steps.call(
            "ns.lookup('Pyro.NameServer', return_metadata=True)",
            ns.lookup,
            "Pyro.NameServer",
            return_metadata=True,
        )


@scenario(
    "ns_lookup_miss",
    """Looking up a name nobody registered: the answer has FLAGS_EXCEPTION set and carries a
    Pyro4.errors.NamingError.""",
)
def _ns_lookup_miss(steps, ser):
    with _name_server() as ns:
        steps.call("ns.lookup('no.such.name')", ns.lookup, "no.such.name")


@scenario(
    "ns_register_list",
    "A name is registered with a URI given as text; list() then returns the whole registry.",
    changes_ns=True,
)
def _ns_register_list(steps, ser):
    name = "example.%s.greeting" % ser
    target = "PYRO:greeting@127.0.0.1:47999"
    with _name_server() as ns:
        steps.call("ns.register(%r, %r)" % (name, target), ns.register, name, target)
        steps.call("ns.list()", ns.list)


@scenario(
    "ns_list_prefix",
    "Filtered listings passed as keyword arguments (prefix=, regex=), then count().",
)
def _ns_list_prefix(steps, ser):
    with _name_server() as ns:
        steps.call("ns.list(prefix='example.')", ns.list, prefix="example.")
        steps.call(
            "ns.list(regex=r'example\\..*greeting')", ns.list, regex=r"example\..*greeting"
        )
        steps.call("ns.count()", ns.count)


@scenario(
    "ns_metadata",
    """Metadata tags end to end: register with tags, lookup with return_metadata, searches by
    metadata_all and metadata_any, set_metadata, a prefix listing with metadata, a safe=True
    register of a taken name (error), remove() of a present and of an absent name, and
    set_metadata of an absent name (error).""",
)
def _ns_metadata(steps, ser):
    name = "example.%s.sensor" % ser
    target = "PYRO:sensor@127.0.0.1:47998"
    with _name_server() as ns:
        steps.call(
            "ns.register(name, uri, metadata={'lab', 'sensor'})",
            ns.register,
            name,
            target,
            metadata={"lab", "sensor"},
        )
        steps.call("ns.lookup(name, return_metadata=True)", ns.lookup, name, return_metadata=True)
        steps.call(
            "ns.list(metadata_all=['lab', 'sensor'])", ns.list, metadata_all=["lab", "sensor"]
        )
        steps.call(
            "ns.list(metadata_any={'sensor', 'nothing'}, return_metadata=True)",
            ns.list,
            metadata_any={"sensor", "nothing"},
            return_metadata=True,
        )
        steps.call("ns.set_metadata(name, ['changed'])", ns.set_metadata, name, ["changed"])
        steps.call(
            "ns.list(prefix=name, return_metadata=True)",
            ns.list,
            prefix=name,
            return_metadata=True,
        )
        steps.call("ns.register(name, uri, safe=True)", ns.register, name, target, safe=True)
        steps.call("ns.remove(name)", ns.remove, name)
        steps.call("ns.remove('no.such.name')", ns.remove, "no.such.name")
        steps.call(
            "ns.set_metadata('no.such.name', ['x'])", ns.set_metadata, "no.such.name", ["x"]
        )


@scenario(
    "ns_pyroname_resolve",
    """A PYRONAME: proxy (name server at the ns relay) resolves example.remote.object with a
    lookup on a first connection, then opens a second one to the object and calls greet().""",
)
def _ns_pyroname(steps, ser):
    import Pyro4

    with Pyro4.Proxy("PYRONAME:example.remote.object@%s:%d" % (HOST, PORTS["ns_relay"])) as p:
        steps.call("p.greet('student')", p.greet, "student")


@scenario(
    "ns_pyrometa_resolve",
    """A PYROMETA:lab.introspect proxy: the name server is asked for list(metadata_all=...),
    then the object it found is called (add).""",
)
def _ns_pyrometa(steps, ser):
    import Pyro4

    with Pyro4.Proxy("PYROMETA:lab.introspect@%s:%d" % (HOST, PORTS["ns_relay"])) as p:
        steps.call("p.add(2, 3)", p.add, 2, 3)


# ---- connecting ----------------------------------------------------------------------------


@scenario(
    "handshake_metadata",
    """The default handshake: MSG_CONNECT with FLAGS_META_ON_CONNECT asks for the object's
    metadata, MSG_CONNECTOK returns it next to the 'hello' answer; one echo() call follows.""",
)
def _handshake_metadata(steps, ser):
    with _echo() as p:
        steps.call("p._pyroBind()", p._pyroBind)
        steps.note(
            "metadata",
            {
                "methods": sorted(p._pyroMethods),
                "oneway": sorted(p._pyroOneway),
                "attrs": sorted(p._pyroAttrs),
            },
        )
        steps.call("p.echo('hi')", p.echo, "hi")


@scenario(
    "handshake_no_metadata",
    """With METADATA=False the CONNECT has no FLAGS_META_ON_CONNECT and no object id, and the
    CONNECTOK carries only the handshake answer; one echo() call follows.""",
)
def _handshake_no_metadata(steps, ser):
    import Pyro4

    Pyro4.config.METADATA = False
    with _echo() as p:
        steps.call("p.echo('hi')", p.echo, "hi")


@scenario(
    "handshake_custom",
    """The proxy's handshake data is a dict rather than 'hello'; a stock daemon accepts it
    and answers 'hello' as always.""",
)
def _handshake_custom(steps, ser):
    with _echo() as p:
        p._pyroHandshake = {"student": "ana", "lab": 2}
        steps.call("p.echo(1)", p.echo, 1)


@scenario(
    "handshake_meta_fallback",
    """The server (a stand-in made of Pyro4's Message class and serializers, without CORR)
    answers the CONNECT without metadata; the real Pyro4 proxy then fetches it with
    Pyro.Daemon.get_metadata before making its call. The client side is genuine Pyro4 4.82.""",
)
def _handshake_fallback(steps, ser):
    with _proxy("standin.object", "standin_relay") as p:
        steps.call("p.echo('after fallback')", lambda: p.echo("after fallback"))


@scenario(
    "connectfail_unknown_object",
    """A default proxy for an object id the daemon does not have: the metadata lookup during
    the handshake fails and the daemon answers MSG_CONNECTFAIL with 'unknown object'.""",
)
def _connectfail(steps, ser):
    with _proxy("no.such.object", "echo_relay") as p:
        steps.call("p.echo('x')", lambda: p.echo("x"))


@scenario(
    "unknown_object_no_metadata",
    """The same unknown object id without metadata: the handshake succeeds and the call comes
    back as a Pyro4.errors.DaemonError('unknown object') exception result.""",
)
def _unknown_object(steps, ser):
    import Pyro4

    Pyro4.config.METADATA = False
    with _proxy("no.such.object", "echo_relay") as p:
        steps.call("p.echo('x')", p.echo, "x")


@scenario(
    "unknown_method",
    """Without metadata the client cannot refuse names itself, so three bad calls reach the
    server: a missing method, a private (underscore) one and a public one that is not exposed.
    Each answer is a builtins.AttributeError exception result.""",
)
def _unknown_method(steps, ser):
    import Pyro4

    Pyro4.config.METADATA = False
    with _proxy("example.remote.object", "lab_relay") as p:
        steps.call("p.no_such_method()", p.no_such_method)
        steps.call("p._private()", getattr(p, "_private"))
        steps.call("p.hidden()", p.hidden)


@scenario(
    "unknown_method_metadata",
    """With metadata the client itself refuses a method that is not exposed (no INVOKE goes
    out); a valid call follows.""",
)
def _unknown_method_meta(steps, ser):
    with _proxy("example.remote.object", "lab_relay") as p:
        steps.call("p.hidden()", lambda: p.hidden())
        steps.call("p.greet('x')", p.greet, "x")


# ---- calls and values ----------------------------------------------------------------------


@scenario(
    "echo_basic_types",
    "Five echo() calls on one connection (seq 1 to 5): a str, an int, a list, a dict, a float.",
)
def _echo_basic(steps, ser):
    with _echo() as p:
        steps.call("p.echo('hello')", p.echo, "hello")
        steps.call("p.echo(42)", p.echo, 42)
        steps.call("p.echo([1, 2, 3])", p.echo, [1, 2, 3])
        steps.call("p.echo({'name': 'ana', 'age': 21})", p.echo, {"name": "ana", "age": 21})
        steps.call("p.echo(3.14)", p.echo, 3.14)


@scenario(
    "echo_more_types",
    """echo() of the harder values: None, a bool, a tuple, a set, nested containers, quotes
    and escapes, non-ASCII text with a control character, a big and a negative int, 1e100,
    -0.5, a dict with an int key; then nan() and inf().""",
)
def _echo_more(steps, ser):
    with _echo() as p:
        steps.call("p.echo(None)", p.echo, None)
        steps.call("p.echo(True)", p.echo, True)
        steps.call("p.echo((1, 'two', 3.0))", p.echo, (1, "two", 3.0))
        steps.call("p.echo({'red'})", p.echo, {"red"})
        nested = {
            "list": [1, [2, 3]],
            "tuple": (4,),
            "empty": [],
            "dict": {},
            "none": None,
            "t": True,
            "f": False,
        }
        steps.call("p.echo(nested)", p.echo, nested)
        steps.call(
            "p.echo('quotes \\' \" and \\\\ tab\\t nl\\n')", p.echo, "quotes ' \" and \\ tab\t nl\n"
        )
        steps.call("p.echo('ñandú €uro ☃ \\u0001')", p.echo, "ñandú €uro ☃ \u0001")
        steps.call("p.echo(12345678901234567890)", p.echo, 12345678901234567890)
        steps.call("p.echo(-7)", p.echo, -7)
        steps.call("p.echo(1e100)", p.echo, 1e100)
        steps.call("p.echo(-0.5)", p.echo, -0.5)
        steps.call("p.echo({1: 'int key'})", p.echo, {1: "int key"})
        steps.call("p.nan()", p.nan)
        steps.call("p.inf()", p.inf)


@scenario(
    "echo_bytes",
    """echo() of a bytes value. Serpent sends it as a base64 dict and the answer is that same
    dict; json has no encoding for bytes, so there is no json variant.""",
    serializers=("serpent",),
)
def _echo_bytes(steps, ser):
    with _echo() as p:
        steps.call("p.echo(b'\\x00\\x01hello\\xff')", p.echo, b"\x00\x01hello\xff")


@scenario(
    "remote_exception",
    """error() and error_with_text() raise ValueError on the server: MSG_RESULT with
    FLAGS_EXCEPTION and the exception as a class dict (args, _pyroTraceback).""",
)
def _remote_exception(steps, ser):
    with _echo() as p:
        steps.call("p.error()", p.error)
        steps.call("p.error_with_text()", p.error_with_text)


@scenario(
    "remote_exception_custom",
    """Two exception results from the lab server, each on its own connection: labkit.LabError,
    a class a Python client cannot rebuild (it raises SerializeError instead), and a
    builtins.KeyError.""",
)
def _remote_exception_custom(steps, ser):
    with _proxy("example.remote.object", "lab_relay") as p:
        steps.call("p.fail_custom()", p.fail_custom)
    with _proxy("example.remote.object", "lab_relay") as p:
        steps.call("p.fail_key()", p.fail_key)


@scenario(
    "oneway",
    """oneway_echo(), oneway according to the metadata: its INVOKE has FLAGS_ONEWAY and no
    answer comes back; an ordinary echo() follows on the same connection.""",
)
def _oneway(steps, ser):
    with _echo() as p:
        steps.call("p.oneway_echo('fire and forget')", p.oneway_echo, "fire and forget")
        steps.call("p.echo('after oneway')", p.echo, "after oneway")


@scenario(
    "attributes",
    """The exposed property 'verbose' read and written remotely: the calls are the methods
    '__getattr__' and '__setattr__'.""",
)
def _attributes(steps, ser):
    with _echo() as p:
        steps.call("p.verbose", lambda: p.verbose)
        steps.call("p.verbose = False", setattr, p, "verbose", False)


@scenario(
    "batch",
    """Four calls sent as one '<batch>' INVOKE (FLAGS_BATCH). The third raises, which stops the
    batch: the result list ends with a Pyro4.futures._ExceptionWrapper. Then a oneway batch
    and a plain call.""",
)
def _batch(steps, ser):
    import Pyro4

    with _echo() as p:
        batch = Pyro4.batch(p)
        batch.echo("first")
        batch.echo(2)
        batch.error()
        batch.echo("never")
        results = steps.call("b()", batch)
        if results is not None:
            seen = []
            try:
                for item in results:
                    seen.append(item)
            except Exception as error:
                steps.note(
                    "iterating batch results",
                    "got %r then raised %s: %s" % (seen, type(error).__name__, error),
                )
        batch.echo("oneway batch item")
        steps.call("b(oneway=True)", batch, oneway=True)
        steps.call("p.echo('after batch')", p.echo, "after batch")


@scenario(
    "item_stream",
    """generator() returns an iterator: the answer has FLAGS_ITEMSTREAMRESULT|FLAGS_EXCEPTION
    and a STRM annotation, and the client pulls items with Pyro.Daemon.get_next_stream_item
    until StopIteration. A second stream is dropped after one item (oneway close_stream).""",
)
def _item_stream(steps, ser):
    with _echo() as p:
        first = steps.call("p.generator()", p.generator)
        steps.call("list(iterator)", list, first)
        second = p.generator()
        steps.call("next(iterator2)", next, second)
        steps.call("iterator2.close()", second.close)
        steps.call("p.echo('after streams')", p.echo, "after streams")


@scenario(
    "daemon_object",
    """The daemon's own object 'Pyro.Daemon' on the echo server: ping, info, registered,
    get_metadata (plain and as_lists=True) and get_metadata of an id that does not exist.""",
)
def _daemon_object(steps, ser):
    with _proxy("Pyro.Daemon", "echo_relay") as d:
        steps.call("d.ping()", d.ping)
        steps.call("d.info()", d.info)
        steps.call("d.registered()", d.registered)
        steps.call("d.get_metadata('test.echoserver')", d.get_metadata, "test.echoserver")
        steps.call(
            "d.get_metadata('test.echoserver', as_lists=True)",
            d.get_metadata,
            "test.echoserver",
            as_lists=True,
        )
        steps.call("d.get_metadata('no.such.object')", d.get_metadata, "no.such.object")


@scenario(
    "ping_message",
    """After the handshake the client sends a bare MSG_PING (payload 'ping', serializer id
    42); the daemon answers MSG_PING 'pong' with the same seq.""",
)
def _ping(steps, ser):
    from Pyro4 import message

    with _echo() as p:
        p._pyroBind()
        steps.call("Message.ping(p._pyroConnection)", message.Message.ping, p._pyroConnection)


@scenario(
    "hmac",
    """Both sides know the key 'labkit-secret' (PYRO_HMAC_KEY for the server,
    _pyroHmacKey on the proxy), so every frame is signed with an HMAC annotation (HMAC-SHA1 of
    the payload followed by the other annotation values).""",
)
def _hmac(steps, ser):
    with _proxy("test.echoserver", "echo_hmac_relay") as p:
        p._pyroHmacKey = HMAC_KEY
        steps.call("p.echo('signed')", p.echo, "signed")
        steps.call("p.error()", p.error)


@scenario(
    "hmac_client_without_key",
    """The server has a key, the client none: the server's MSG_CONNECTFAIL is marshal-encoded
    (serializer 3) and signed, and the client refuses it.""",
)
def _hmac_no_client_key(steps, ser):
    with _proxy("test.echoserver", "echo_hmac_relay") as p:
        steps.call("p.echo('x')", lambda: p.echo("x"))


@scenario(
    "hmac_server_without_key",
    """The client has a key, the server none: the server answers with an unsigned marshal
    MSG_CONNECTFAIL and the client refuses it.""",
)
def _hmac_no_server_key(steps, ser):
    with _echo() as p:
        p._pyroHmacKey = HMAC_KEY
        steps.call("p.echo('x')", lambda: p.echo("x"))


@scenario(
    "correlation_id",
    """current_context.correlation_id is set on the client, so its frames carry that CORR
    annotation, and the daemon answers with the same id.""",
)
def _correlation(steps, ser):
    import Pyro4

    Pyro4.current_context.correlation_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    try:
        with _echo() as p:
            steps.call("p.echo('traced')", p.echo, "traced")
    finally:
        Pyro4.current_context.correlation_id = None


@scenario(
    "compression",
    """COMPRESSION=True on the client only: the INVOKE with a 1000-character argument is sent
    zlib-compressed (FLAGS_COMPRESSED), the answers are not compressed.""",
)
def _compression(steps, ser):
    import Pyro4

    Pyro4.config.COMPRESSION = True
    with _echo() as p:
        steps.call("p.echo('abcdefghij' * 100)", p.echo, "abcdefghij" * 100)
        steps.call("p.echo('short')", p.echo, "short")


@scenario(
    "uri_and_proxy_values",
    """URI objects of each kind (PYRO, PYRONAME, PYROMETA, Unix socket, IPv6) and a Proxy sent
    to echo() and returned: their 'Pyro4.core.URI' and 'Pyro4.core.Proxy' class dicts.""",
)
def _uri_values(steps, ser):
    import Pyro4

    with _echo() as p:
        for text in (
            "PYRO:obj@127.0.0.1:4444",
            "PYRONAME:example.name",
            "PYROMETA:tag1@127.0.0.1:9090",
            "PYRO:obj@./u:lab.sock",
            "PYRO:obj@[::1]:4444",
        ):
            steps.call("p.echo(URI(%r))" % text, p.echo, Pyro4.URI(text))
        other = Pyro4.Proxy("PYRO:some.object@127.0.0.1:4445")
        steps.call("p.echo(Proxy('PYRO:some.object@127.0.0.1:4445'))", p.echo, other)


@scenario(
    "observer_callback",
    """Callbacks: the client runs its own daemon (its URIs name the observer relay through
    the NAT settings) with the object 'lab.observer', and hands that object to
    register_observer, which sends it as a Proxy dict. notify_observers() makes the lab server
    connect back through the observer relay (connection 2, the lab server being the client
    there) and call update(). Then the observer is unregistered by URI text, registered by URI
    text and unregistered by URI object.""",
)
def _observer(steps, ser):
    import Pyro4

    @Pyro4.expose
    class Observer:
        def __init__(self):
            self.received = []

        def update(self, message):
            self.received.append(message)

    daemon = Pyro4.Daemon(
        host=HOST, port=PORTS["observer"], nathost=HOST, natport=PORTS["observer_relay"]
    )
    observer = Observer()
    daemon.register(observer, "lab.observer")
    loop = threading.Thread(target=daemon.requestLoop, daemon=True)
    loop.start()
    own_uri = "PYRO:lab.observer@%s:%d" % (HOST, PORTS["observer_relay"])
    try:
        with _proxy("example.observable", "lab_relay") as subject:
            steps.call(
                "subject.register_observer(observer)", subject.register_observer, observer
            )
            steps.call(
                "subject.notify_observers('temperature is 21')",
                subject.notify_observers,
                "temperature is 21",
            )
            steps.note("observer received", list(observer.received))
            steps.call(
                "subject.unregister_observer(observer uri string)",
                subject.unregister_observer,
                own_uri,
            )
            steps.call("subject.register_observer(uri string)", subject.register_observer, own_uri)
            steps.call(
                "subject.unregister_observer(URI object)",
                subject.unregister_observer,
                Pyro4.URI(own_uri),
            )
    finally:
        daemon.shutdown()
        loop.join(5)


@scenario(
    "broadcast_locate",
    """Pyro4.locateNS() without a host: the direct tries on the local NS_PORT find nobody, so
    'GET_NSURI' goes out by UDP to BROADCAST_ADDRS:NS_BCPORT (127.0.0.1 and the broadcast relay
    here; nothing leaves the loopback interface). Pyro4's BroadcastServer answers with the name
    server URI in plain text, and the proxy then pings the name server.""",
    serializers=("serpent",),
)
def _broadcast(steps, ser):
    import Pyro4

    Pyro4.config.NS_PORT = PORTS["unused"]
    Pyro4.config.NS_BCPORT = PORTS["bc_relay"]
    Pyro4.config.BROADCAST_ADDRS = "127.0.0.1"
    ns = steps.call("Pyro4.locateNS()", Pyro4.locateNS)
    if ns is not None:
        with ns:
            steps.call("ns.ping()", ns.ping)


# ---- pyro4-nsc -----------------------------------------------------------------------------

# (file stem, arguments after "-n 127.0.0.1 -p <ns relay>", stdin, changes the registry)
NSC_RUNS = [
    ("nsc_ping", ["ping"], None, False),
    ("nsc_list", ["list"], None, False),
    ("nsc_list_prefix", ["list", "example."], None, False),
    ("nsc_listmatching", ["listmatching", r"example\..*"], None, False),
    ("nsc_lookup", ["lookup", "Pyro.NameServer"], None, False),
    ("nsc_lookup_missing", ["lookup", "no.such.name"], None, False),
    ("nsc_register", ["register", "nsc.demo", "PYRO:demo@127.0.0.1:47997"], None, True),
    ("nsc_register_again", ["register", "nsc.demo", "PYRO:demo@127.0.0.1:47997"], None, False),
    ("nsc_setmeta", ["setmeta", "nsc.demo", "blue", "lab"], None, True),
    ("nsc_lookup_with_meta", ["lookup", "nsc.demo"], None, False),
    ("nsc_listmeta_all", ["listmeta_all", "blue", "lab"], None, False),
    ("nsc_listmeta_any", ["listmeta_any", "blue", "nothing"], None, False),
    ("nsc_setmeta_clear", ["setmeta", "nsc.demo"], None, True),
    ("nsc_remove", ["remove", "nsc.demo"], None, True),
    ("nsc_remove_missing", ["remove", "nsc.demo"], None, False),
    ("nsc_removematching", ["removematching", r"example\..*greeting"], "y\n", True),
    ("nsc_verbose_ping", ["-v", "ping"], None, False),
]

for _stem, _args, _stdin, _changes in NSC_RUNS:
    SCENARIOS.append(
        {
            "name": _stem,
            "description": "pyro4-nsc %s, which always uses serpent: the frames it exchanged "
            "with pyro4-ns and exactly what it printed." % " ".join(_args),
            "serializers": ("serpent",),
            "run": None,
            "changes_ns": _changes,
            "kind": "nsc",
            "args": _args,
            "stdin": _stdin,
        }
    )


def runs():
    """(file stem, scenario, serializer) in capture order."""
    for item in SCENARIOS:
        for ser in item["serializers"]:
            if len(item["serializers"]) == 1:
                yield item["name"], item, ser
            else:
                yield "%s_%s" % (item["name"], ser), item, ser


def setup_registry():
    """Names the resolve scenarios need, registered directly (not through a relay)."""
    import Pyro4

    with Pyro4.Proxy("PYRO:Pyro.NameServer@%s:%d" % (HOST, PORTS["ns"])) as ns:
        ns.register(
            "example.remote.object",
            pyro_uri("example.remote.object", "lab_relay"),
            metadata={"lab.introspect"},
        )
        ns.register("example.observable", pyro_uri("example.observable", "lab_relay"))
        ns.register("test.echoserver", pyro_uri("test.echoserver", "echo_relay"))
