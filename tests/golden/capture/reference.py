"""The three reference files that are not frame captures.

serializer_values.json  how Pyro4's serpent and json serializers write single values, what
                        Python reads back, and how Python reacts to other spellings
uri_parsing.json        Pyro4's URI parser on a fixed list of inputs
reference_outputs.json  the name server's storage formats and the programs' printed texts
"""

import datetime
import decimal
import os
import re
import sqlite3
import subprocess
import uuid

from . import servers as srv
from .scenarios import HOST, PORTS
from .wire import tagged

# (label, Python expression). The expression is both the record's "python" text and, evaluated,
# the value that is serialized.
VALUE_CASES = [
    ("str", "'hello'"),
    ("str with single quote", "\"it's\""),
    ("str with both quote kinds", "'say \"hi\", it\\'s'"),
    ("str with backslash", "'a\\\\b'"),
    ("str with newline, tab, CR", "'l1\\nl2\\tx\\ry'"),
    ("str with NUL and DEL", "'\\x00\\x7f'"),
    ("str with C1 control U+0085", "'\\x85'"),
    ("str with U+00A0 no-break space", "'\\xa0'"),
    ("str with printable non-ASCII", "'ñandú €'"),
    ("str with U+2028 line separator", "'\\u2028'"),
    ("str with astral emoji", "'\\U0001f600'"),
    ("empty str", "''"),
    ("int zero", "0"),
    ("negative int", "-1"),
    ("int 2**63", "2**63"),
    ("int -2**100", "-2**100"),
    ("float 0.0", "0.0"),
    ("float -0.0", "-0.0"),
    ("float 0.1", "0.1"),
    ("float 1.5", "1.5"),
    ("float 1e16", "1e16"),
    ("float 1e-05", "1e-05"),
    ("float 123456789.123", "123456789.123"),
    ("float 1e300", "1e300"),
    ("float 2.0**0.5", "2.0**0.5"),
    ("float inf", "float('inf')"),
    ("float -inf", "float('-inf')"),
    ("float nan", "float('nan')"),
    ("True", "True"),
    ("False", "False"),
    ("None", "None"),
    ("empty list", "[]"),
    ("list", "[1, 'a', None]"),
    ("empty tuple", "()"),
    ("one-element tuple", "(1,)"),
    ("tuple", "(1, 2)"),
    ("empty set", "set()"),
    ("one-element set", "{1}"),
    ("set of str", "{'a', 'b'}"),
    ("frozenset", "frozenset({3})"),
    ("empty dict", "{}"),
    ("dict", "{'a': 1, 'b': [1, 2]}"),
    ("dict with int/float/tuple/bool keys", "{1: 'i', 2.5: 'f', (1, 2): 't', False: 'b'}"),
    ("dict with int/float/bool keys", "{1: 'i', 2.5: 'f', False: 'b'}"),
    ("dict with None key", "{None: 1}"),
    ("nested", "{'l': [(1, {'s'})], 'd': {'x': {}}}"),
    ("bytes", "b'\\x00\\xffabc'"),
    ("bytearray", "bytearray(b'hi')"),
    ("complex", "1+2j"),
    ("complex negative imaginary", "-1.5j"),
    ("Decimal", "Decimal('1.10')"),
    ("datetime", "datetime(2024, 5, 17, 13, 45, 30, 123456)"),
    ("date", "date(2024, 5, 17)"),
    ("time", "time(13, 45, 30)"),
    ("timedelta", "timedelta(hours=1, seconds=1.5)"),
    ("uuid", "UUID('12345678-1234-5678-1234-567812345678')"),
    ("ValueError", "ValueError('bad value', 42)"),
    ("KeyError", "KeyError('k')"),
    ("NamingError", "Pyro4.errors.NamingError('unknown name: x')"),
    ("URI PYRO", "URI('PYRO:obj@127.0.0.1:4444')"),
    ("URI PYRONAME", "URI('PYRONAME:some.name@127.0.0.1')"),
    ("URI PYROMETA", "URI('PYROMETA:a,b')"),
    ("URI unix socket", "URI('PYRO:obj@./u:lab.sock')"),
    ("URI IPv6", "URI('PYRO:obj@[::1]:4444')"),
    ("Proxy (COMMTIMEOUT 0, no metadata yet)", "Proxy('PYRO:some.object@127.0.0.1:4445')"),
]

SERPENT_HEADER = b"# serpent utf-8 python3.2\n"

# (serializer, label, bytes another implementation might send)
ALTERNATIVE_SPELLINGS = [
    ("serpent", "no header line", b"{'a':1}"),
    ("serpent", "header line only once, then CRLF", b"# serpent utf-8 python3.2\r\n[1,2]"),
    ("serpent", "double-quoted strings", SERPENT_HEADER + b'"it\'s"'),
    ("serpent", "spaces and newlines", SERPENT_HEADER + b"{ 'a' : [ 1 , 2 ] ,\n 'b' : ( 3 , ) }"),
    ("serpent", "\\u escapes in str", SERPENT_HEADER + b"'\\u00e9\\x41'"),
    ("serpent", "trailing comma in list and dict", SERPENT_HEADER + b"([1,2,],{'a':1,})"),
    ("serpent", "1e30000 as infinity", SERPENT_HEADER + b"[1e30000,-1e30000]"),
    ("serpent", "JSON words true/false/null", SERPENT_HEADER + b"[true,false,null]"),
    ("serpent", "bytes literal b'..'", SERPENT_HEADER + b"b'ab'"),
    ("serpent", "raw NUL byte inside a string", SERPENT_HEADER + b"'a\x00b'"),
    ("serpent", "hex int literal", SERPENT_HEADER + b"0x1F"),
    (
        "serpent",
        "exception dict without attributes",
        SERPENT_HEADER + b"{'__class__':'builtins.ValueError','__exception__':True,'args':('x',)}",
    ),
    (
        "serpent",
        "builtins exception without __exception__ flag",
        SERPENT_HEADER + b"{'__class__':'builtins.ValueError','args':('x',)}",
    ),
    (
        "serpent",
        "Pyro4.errors class without __exception__ flag",
        SERPENT_HEADER + b"{'__class__':'Pyro4.errors.NamingError','args':('x',)}",
    ),
    (
        "serpent",
        "class name with double underscore",
        SERPENT_HEADER + b"{'__class__':'__main__.MyError','__exception__':True,'args':('x',)}",
    ),
    (
        "serpent",
        "unknown class name",
        SERPENT_HEADER
        + b"{'__class__':'labkit.RemoteError','__exception__':True,'args':('x',)}",
    ),
    (
        "serpent",
        "URI state as list instead of tuple",
        SERPENT_HEADER + b"{'__class__':'Pyro4.core.URI','state':['PYRO','obj',None,'localhost',1]}",
    ),
    (
        "serpent",
        "Proxy state with 8 items (no serializer)",
        SERPENT_HEADER
        + b"{'__class__':'Pyro4.core.Proxy','state':('PYRO:o@localhost:1',(),(),(),0.0,None,'hello',0)}",
    ),
    (
        "serpent",
        "Proxy state with 7 items",
        SERPENT_HEADER
        + b"{'__class__':'Pyro4.core.Proxy','state':('PYRO:o@localhost:1',(),(),(),0.0,None,'hello')}",
    ),
    ("json", "compact separators", b'{"a":[1,2],"b":null}'),
    ("json", "NaN and Infinity", b"[NaN,Infinity,-Infinity]"),
    (
        "json",
        "exception dict",
        b'{"__class__":"builtins.RuntimeError","__exception__":true,"args":["boom"],'
        b'"attributes":{"_pyroTraceback":["line 1\\n"]}}',
    ),
    ("json", "URI dict", b'{"__class__":"Pyro4.core.URI","state":["PYRO","obj",null,"localhost",1]}'),
    ("json", "escaped non-ASCII", b'"\\u00f1"'),
]

URI_INPUTS = [
    "PYRO:obj@localhost:9999",
    "pyro:obj@Host.Example:1",
    "PYRO:obj@127.0.0.1:0",
    "PYRO:obj@host",
    "PYRO:obj",
    "PYRO:obj@",
    "PYRO:@host:1",
    "PYRO:a@b@c:1",
    "PYRO:obj name@host:1",
    "PYRO:obj@host:port",
    "PYRO:obj@host:70000",
    "PYRONAME:my.name",
    "PYRONAME:my.name@nshost",
    "PYRONAME:my.name@nshost:1234",
    "pyroname:my.name@[::1]:1234",
    "PYROMETA:tag1,tag2@nshost",
    "PYROMETA:a,b",
    "PYROMETA:a, b",
    "PYRO:obj@./u:/path/to/pyro.sock",
    "PYRO:obj@./u:relative.sock",
    "PYRO:obj@./u:",
    "PYRO:obj@./u:a:b",
    "PYRO:obj@[::1]:4444",
    "PYRO:obj@[::1]",
    "PYRO:obj@[[::1]]:4444",
    "PYRO:obj@[fe80::1%eth0]:4444",
    "PYRO:obj@[host]:1",
    "PYRO:obj@::1:4444",
    "PYROX:obj@host:1",
    "http://host",
    "PYRO:obj@host:1 ",
]

# A repr() of an object without a stable text shows its address; that address changes per run.
_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


def _stable(text):
    return _ADDRESS.sub(" at <address>>", text)


def _error_text(error, with_module=True):
    kind = type(error)
    name = "%s.%s" % (kind.__module__, kind.__name__) if with_module else kind.__name__
    return _stable("%s: %s" % (name, error))


def _readable(value):
    """What Python read, in JSON terms (the client_outcome conventions)."""
    from .scenarios import summarize

    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return repr(value)
    return summarize(value)


def serializer_values():
    import Pyro4
    import Pyro4.errors
    from Pyro4 import util

    names = {
        "Pyro4": Pyro4,
        "Decimal": decimal.Decimal,
        "datetime": datetime.datetime,
        "date": datetime.date,
        "time": datetime.time,
        "timedelta": datetime.timedelta,
        "UUID": uuid.UUID,
        "URI": Pyro4.URI,
        "Proxy": Pyro4.Proxy,
    }
    codecs = [("serpent", util.get_serializer("serpent")), ("json", util.get_serializer("json"))]
    values = []
    for label, expression in VALUE_CASES:
        value = eval(expression, names)  # the fixed expressions above, nothing else
        if isinstance(value, (BaseException, Pyro4.URI, Pyro4.Proxy)):
            shown = ["object", expression]
        else:
            shown = tagged(value)
        record = {"label": label, "python": expression, "value": shown}
        for codec_name, codec in codecs:
            try:
                data = codec.dumps(value)
            except Exception as error:
                record[codec_name] = {"error": _error_text(error, with_module=False)}
                continue
            side = {"text": data.decode("utf-8"), "hex": data.hex()}
            try:
                back = codec.loads(data)
                if isinstance(back, BaseException):
                    kind = type(back)
                    side["python_reads_back"] = "%s.%s%r" % (kind.__module__, kind.__name__, back.args)
                else:
                    side["python_reads_back"] = _readable(back)
            except Exception as error:
                side["python_reads_back"] = "error " + _error_text(error, with_module=False)
            record[codec_name] = side
        if isinstance(value, Pyro4.Proxy):
            value._pyroRelease()
        values.append(record)

    accepts = []
    for codec_name, label, data in ALTERNATIVE_SPELLINGS:
        codec = dict(codecs)[codec_name]
        record = {
            "serializer": codec_name,
            "label": label,
            "text": data.decode("utf-8", "replace"),
            "hex": data.hex(),
        }
        try:
            back = codec.loads(data)
        except Exception as error:
            record["python_error"] = _error_text(error)
        else:
            if isinstance(back, BaseException):
                kind = type(back)
                record["python_reads"] = "exception %s.%s args=%r attributes=%r" % (
                    kind.__module__, kind.__name__, back.args, vars(back))
            elif isinstance(back, float) or (
                isinstance(back, list) and back and isinstance(back[0], float)
            ):
                record["python_reads"] = repr(back)
            else:
                record["python_reads"] = _readable(back)
        accepts.append(record)
    return {
        "description": "Single values written by the serpent serializer (module_in_classname=True, "
        "the way Pyro4 uses it) and the json serializer of Pyro4 4.82, what Python reads back, "
        "and how Python reacts to other spellings of payloads (python_accepts).",
        "values": values,
        "python_accepts": accepts,
    }


def uri_parsing():
    import Pyro4

    rows = []
    for text in URI_INPUTS:
        row = {"input": text}
        try:
            uri = Pyro4.URI(text)
        except Exception as error:
            row["error"] = _error_text(error)
        else:
            row.update(
                {
                    "protocol": uri.protocol,
                    "object": sorted(uri.object) if isinstance(uri.object, set) else uri.object,
                    "sockname": uri.sockname,
                    "host": uri.host,
                    "port": uri.port,
                    "location": uri.location,
                    "asString": uri.asString(),
                }
            )
        rows.append(row)
    return {
        "description": "What Pyro4 4.82's URI class makes of each input: the fields and canonical "
        "text, or the exact error (PYRONAME/PYROMETA default to NS_PORT 9090).",
        "uris": rows,
    }


# ---- reference_outputs.json ----------------------------------------------------------------


def _nsc(*args, env=None):
    return subprocess.run(
        [srv.PYRO4_NSC] + list(args),
        capture_output=True,
        text=True,
        timeout=60,
        env=env or srv.child_environment(),
        stdin=subprocess.DEVNULL,
    )


def _name_server(procs, name, storage):
    port = PORTS["ns"]
    argv = [srv.PYRO4_NS, "-n", HOST, "-p", str(port), "-x", "-s", storage]
    procs.start(name, argv, port)


def _ns_proxy():
    import Pyro4

    return Pyro4.Proxy("PYRO:Pyro.NameServer@%s:%d" % (HOST, PORTS["ns"]))


def storage(workdir):
    """What pyro4-ns writes with -s sql: and -s dbm:, and which foreign files it accepts."""
    import dbm
    import dbm.dumb

    import Pyro4

    out = {}
    sql_file = os.path.join(workdir, "ns.sqlite")
    procs = srv.Processes(workdir)
    try:
        _name_server(procs, "ns_sql", "sql:" + sql_file)
        Pyro4.config.reset()
        with _ns_proxy() as ns:
            ns.register("example.plain", "PYRO:plain@127.0.0.1:5001")
            ns.register("example.tagged", "PYRO:tagged@127.0.0.1:5002", metadata=["blue", "lab"])
    finally:
        procs.stop_all()
    db = sqlite3.connect(sql_file)
    try:
        out["sqlite_master"] = [
            list(row)
            for row in db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid")
        ]
        out["pyro_names_rows"] = [
            list(row) for row in db.execute("SELECT id, name, uri FROM pyro_names ORDER BY id")
        ]
        out["pyro_metadata_rows"] = [
            list(row)
            for row in db.execute(
                "SELECT object, metadata FROM pyro_metadata ORDER BY object, metadata"
            )
        ]
        out["pragma_user_version"] = db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()

    # a database written with plain SQL, as another name server would write it
    hand_file = os.path.join(workdir, "handmade.sqlite")
    db = sqlite3.connect(hand_file)
    try:
        db.execute(
            "CREATE TABLE pyro_names (id integer PRIMARY KEY, name nvarchar NOT NULL UNIQUE, "
            "uri nvarchar NOT NULL)"
        )
        db.execute(
            "CREATE TABLE pyro_metadata (object integer NOT NULL, metadata nvarchar NOT NULL, "
            "FOREIGN KEY(object) REFERENCES pyro_names(id))"
        )
        db.execute(
            "INSERT INTO pyro_names(name, uri) VALUES ('cpp.written', 'PYRO:cpp@127.0.0.1:5003')"
        )
        db.execute("INSERT INTO pyro_metadata(object, metadata) VALUES (1, 'made-by-hand')")
        db.commit()
    finally:
        db.close()
    procs = srv.Processes(workdir)
    try:
        _name_server(procs, "ns_sql_hand", "sql:" + hand_file)
        out["handmade_sql_nsc_list"] = _nsc("-n", HOST, "-p", str(PORTS["ns"]), "list").stdout
        out["handmade_sql_ns_banner"] = procs.wait_for_output("ns_sql_hand", "URI = ")
    finally:
        procs.stop_all()

    # dbm: the flavour this Python picks (only its name and file names are recorded: a
    # Berkeley DB file holds a random file id and is not an interchange format)
    dbm_file = os.path.join(workdir, "ns.dbm")
    procs = srv.Processes(workdir)
    try:
        _name_server(procs, "ns_dbm", "dbm:" + dbm_file)
        Pyro4.config.reset()
        with _ns_proxy() as ns:
            ns.register("example.plain", "PYRO:plain@127.0.0.1:5001")
        out["dbm_ns_banner"] = procs.wait_for_output("ns_dbm", "URI = ")
    finally:
        procs.stop_all()
    out["dbm_files_created"] = sorted(f for f in os.listdir(workdir) if f.startswith("ns.dbm"))
    out["dbm_whichdb"] = dbm.whichdb(dbm_file)

    # a dbm.dumb database made here, then opened by pyro4-ns
    dumb = os.path.join(workdir, "dumb")
    table = dbm.dumb.open(dumb, "c")
    table[b"cpp.dumb"] = b"PYRO:dumb@127.0.0.1:5004"
    table.close()
    with open(dumb + ".dir", "rb") as f:
        out["dbm_dumb_dir_file"] = f.read().decode("latin-1")
    with open(dumb + ".dat", "rb") as f:
        data = f.read()
    out["dbm_dumb_dat_file"] = {"size": len(data), "first_bytes_hex": data[:64].hex()}
    procs = srv.Processes(workdir)
    try:
        _name_server(procs, "ns_dumb", "dbm:" + dumb)
        out["dumb_dbm_nsc_list"] = _nsc("-n", HOST, "-p", str(PORTS["ns"]), "list").stdout
    finally:
        procs.stop_all()
    with open(dumb + ".dir", "rb") as f:
        out["dbm_dumb_dir_file_after_ns"] = f.read().decode("latin-1")
    return out


def commands(banners):
    """--help texts, the configuration dump, start-up banners, nsc without a name server."""
    plain = srv.child_environment(pyro_settings=False)
    out = {}
    for title, argv in (
        ("pyro4-ns --help", [srv.PYRO4_NS, "--help"]),
        ("pyro4-nsc --help", [srv.PYRO4_NSC, "--help"]),
        ("pyro4-nsc (no command)", [srv.PYRO4_NSC]),
        ("pyro4-test-echoserver --help", [srv.PYRO4_ECHO, "--help"]),
        ("python3 -m Pyro4.configuration", [srv.PYTHON, "-m", "Pyro4.configuration"]),
    ):
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=60, env=plain, stdin=subprocess.DEVNULL
        )
        text = done.stdout
        if "configuration" not in title:
            text += done.stderr
        text = re.sub(r"Loaded from: .*", "Loaded from: <Pyro4 package directory>", text)
        text = re.sub(r"Python version: .*", "Python version: <interpreter version>", text)
        out[title] = {"exit_code": done.returncode, "output": text}
    out["pyro4-ns -n 127.0.0.1 -p <port> -x (startup output)"] = banners["ns"]
    out["pyro4-test-echoserver -H 127.0.0.1 -p <port> (startup output)"] = banners["echo"]
    done = _nsc("-n", HOST, "-p", str(PORTS["unused"]), "ping")
    out["pyro4-nsc -n 127.0.0.1 -p <closed port> ping"] = {
        "exit_code": done.returncode,
        "output": done.stdout + done.stderr,
    }
    return out
