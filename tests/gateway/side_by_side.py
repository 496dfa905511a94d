"""pyro-httpgateway side by side with the real pyro4-httpgateway.

    side_by_side.py --bin BUILD/bin [--python /usr/bin/python3]

Starts pyro-ns (from the build) on a free 127.0.0.1 port, the Pyro4 objects of gateway_server.py
(registered there), then both gateways with the same options, and sends every request of
REQUESTS to both. Status, headers (Date and Server aside) and body must agree, response by
response. Where pyro4-httpgateway's answer is not repeatable, a named rule normalises both
answers before they are compared (RULES says why); where libpyro differs on purpose, the request
names the difference and the check is that exactly that difference shows (EXPECTED).

Prints one line per request and a summary; exits 1 when a response differs. Every process it
starts is stopped by pid, also when a check fails.
"""

import argparse
import http.client
import json
import os
import re
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))

import environment  # noqa: E402  (tests/support)
import processes  # noqa: E402

TIMEOUT = 20  # seconds for one HTTP exchange

# Why a normalisation is needed; the report names the rule used on each request.
RULES = {
    "correlation-id": "a gateway makes a random uuid4 when the request has none: both must send "
                      "a well-formed lower-case uuid, the values differ",
    "set-order": "Pyro4 keeps _pyroMethods/_pyroAttrs in a Python set, whose order is not "
                 "ours: $meta lists and the listing page's methods cells are compared sorted",
    "own-page": "the listing page's text and script are libpyro's own (no copied prose, no "
                "jQuery from a CDN): the table of names, the name server location and the "
                "pattern are compared, not the page around them",
}

# Deliberate differences: the request is sent to both, and this is what must differ.
EXPECTED = {
    "size-limit": "libpyro refuses request bodies over 1 MiB with 413 (bounded resources); "
                  "pyro4-httpgateway reads any size",
}

BIG_FORM = "message=" + "x" * (2 * 1024 * 1024)  # 2 MiB, over the gateway's 1 MiB limit
MULTIPART = ("--XyZ\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nhi\r\n--XyZ--\r\n")
GIVEN_UUID = "{11112222-1111-2222-3333-22224444999A}"


def req(name, path, method="GET", headers=None, body=None, rules=(), expected=None, pause=0.0):
    return {"name": name, "path": path, "method": method, "headers": headers or {},
            "body": body, "rules": set(rules), "expected": expected, "pause": pause}


FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# Scenario "open": both gateways with their defaults (-e 'http\.', no gateway key).
OPEN_REQUESTS = [
    req("root redirects", "/"),
    req("listing page", "/pyro/", rules={"own-page", "set-order"}),
    req("unknown path", "/nothing-here"),
    req("/pyro without slash", "/pyro"),
    req("name without method", "/pyro/http.things"),
    req("PUT not allowed", "/pyro/http.things/answer", method="PUT"),
    req("$meta of things", "/pyro/http.things/$meta", rules={"correlation-id", "set-order"}),
    req("$meta of echoserver", "/pyro/http.echoserver/$meta",
        rules={"correlation-id", "set-order"}),
    req("$meta %-escaped", "/pyro/http.things/%24meta", rules={"correlation-id", "set-order"}),
    req("echo with GET parameter", "/pyro/http.echoserver/echo?message=hello+world%21",
        rules={"correlation-id"}),
    req("two GET parameters", "/pyro/http.things/join?first=a&second=b",
        rules={"correlation-id"}),
    req("POST form", "/pyro/http.things/join", method="POST", headers=FORM,
        body="first=x&second=y", rules={"correlation-id"}),
    req("POST form and query", "/pyro/http.things/join?second=q", method="POST", headers=FORM,
        body="first=x", rules={"correlation-id"}),
    req("POST form repeats a query name", "/pyro/http.things/join?second=q", method="POST",
        headers=FORM, body="first=x&second=y"),
    req("POST json body (Pyro4 ignores it)", "/pyro/http.things/join", method="POST",
        headers={"Content-Type": "application/json"}, body='{"first": "x", "second": "y"}'),
    req("POST bad json body", "/pyro/http.things/join?first=j", method="POST",
        headers={"Content-Type": "application/json"}, body='{"first": ',
        rules={"correlation-id"}),
    req("POST multipart", "/pyro/http.things/kwargs", method="POST",
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"}, body=MULTIPART),
    req("repeated and blank parameters", "/pyro/http.things/kwargs?a=1&a=2&b=&c",
        rules={"correlation-id"}),
    req("latin-1 parameters", "/pyro/http.things/kwargs?x=%C3%A9+y&%E2%9C%93=1",
        rules={"correlation-id"}),
    req("method that raises", "/pyro/http.echoserver/error"),
    req("KeyError keeps its args", "/pyro/http.things/key_error"),
    req("exception with two args", "/pyro/http.things/multi_args"),
    req("exception with an attribute", "/pyro/http.things/custom"),
    req("wrong keyword argument", "/pyro/http.things/join?third=3"),
    req("unknown name", "/pyro/http.nothere/echo"),
    req("unknown method", "/pyro/http.things/nomethod"),
    req("not exposed (-e)", "/pyro/hidden.things/answer"),
    req("leading slash in name", "/pyro//http.things/answer"),
    req("unicode result", "/pyro/http.things/unicode", rules={"correlation-id"}),
    req("bytes result (serializer error)", "/pyro/http.things/data"),
    req("json shapes", "/pyro/http.things/shapes", rules={"correlation-id"}),
    req("None result", "/pyro/http.things/nothing", rules={"correlation-id"}),
    req("NaN result", "/pyro/http.echoserver/nan", rules={"correlation-id"}),
    req("generator result", "/pyro/http.echoserver/generator"),
    req("attribute get", "/pyro/http.things/colour", rules={"correlation-id"}),
    req("attribute with parameters", "/pyro/http.things/colour?x=1"),
    req("oneway method", "/pyro/http.things/remember?value=v1", rules={"correlation-id"}),
    req("after the oneway call", "/pyro/http.things/remembered", rules={"correlation-id"},
        pause=0.3),
    req("X-Pyro-Options: oneway", "/pyro/http.echoserver/echo?message=hi",
        headers={"X-Pyro-Options": "oneway"}, rules={"correlation-id"}),
    req("oneway option, unknown method", "/pyro/http.things/nomethod",
        headers={"X-Pyro-Options": "foo,oneway"}),
    req("given correlation id", "/pyro/http.things/answer",
        headers={"X-Pyro-Correlation-Id": GIVEN_UUID}),
    req("bad correlation id", "/pyro/http.things/answer",
        headers={"X-Pyro-Correlation-Id": "not-a-uuid"}),
    req("$key ignored without -g", "/pyro/http.things/answer?$key=abc"),
    req("huge body", "/pyro/http.echoserver/echo", method="POST", headers=FORM, body=BIG_FORM,
        expected="size-limit"),
]

# Scenario "keyed": both gateways with -g secret and -t 1.5.
KEYED_REQUESTS = [
    req("no gateway key", "/pyro/http.things/answer"),
    req("wrong key header", "/pyro/http.things/answer", headers={"X-Pyro-Gateway-Key": "nope"}),
    req("right key header", "/pyro/http.things/answer",
        headers={"X-Pyro-Gateway-Key": "secret"}, rules={"correlation-id"}),
    req("right $key parameter", "/pyro/http.things/answer?$key=secret",
        rules={"correlation-id"}),
    req("wrong $key parameter", "/pyro/http.things/answer?$key=secrets"),
    req("repeated $key parameter", "/pyro/http.things/answer?$key=secret&$key=secret"),
    req("listing needs no key", "/pyro/", rules={"own-page", "set-order"}),
    req("call over the timeout (-t)", "/pyro/http.things/slow?seconds=3&$key=secret"),
]

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Failure(Exception):
    pass


def send(port, request):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        body = request["body"].encode("utf-8") if request["body"] is not None else None
        connection.putrequest(request["method"], request["path"], skip_host=False,
                              skip_accept_encoding=True)
        for name, value in request["headers"].items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return {"status": response.status, "headers": response.getheaders(),
                "body": response.read()}
    finally:
        connection.close()


def table_of(page, rules_used):
    """The listing page's table, methods cells sorted ("set-order")."""
    found = re.search(r"<table>.*?</table>", page, re.S)
    if not found:
        return None
    rules_used.add("set-order")

    def sort_cell(match):
        cell = match.group(1)
        if "<a " in cell or cell == "-":
            return match.group(0)
        return "<td>" + " &nbsp; ".join(sorted(cell.split(" &nbsp; "))) + "</td>"

    return re.sub(r"<td>([^<]*)</td>", sort_cell, found.group(0))


def listing_of(page, ours, rules_used):
    """What the listing page says: location, pattern, table ("own-page")."""
    rules_used.add("own-page")
    if ours:
        location = re.search(r'id="ns-location">(.*?)</span>', page)
        pattern = re.search(r'id="expose-pattern">(.*?)</code>', page)
    else:
        location = re.search(r"name server on (.*?):</h2>", page)
        pattern = re.search(r"exposed name pattern = '(.*?)'\)", page)
    return {"location": location and location.group(1), "pattern": pattern and pattern.group(1),
            "table": table_of(page, rules_used)}


def normalised(response, request, ours, rules_used):
    headers = []
    for name, value in response["headers"]:
        if name in ("Date", "Server"):
            continue
        if name == "X-Pyro-Correlation-Id" and "correlation-id" in request["rules"]:
            rules_used.add("correlation-id")
            value = "<uuid4>" if UUID.match(value) and value[14] == "4" else "BAD:" + value
        if name == "Content-Length" and "own-page" in request["rules"]:
            value = "<length>"
        headers.append((name, value))
    content_type = dict(response["headers"]).get("Content-Type", "")
    body = response["body"]
    if content_type.startswith("application/json") and body:
        value = json.loads(body)
        if "set-order" in request["rules"] and isinstance(value, dict):
            rules_used.add("set-order")
            value = {key: sorted(item) if isinstance(item, list) else item
                     for key, item in value.items()}
        body = json.dumps(value, sort_keys=True)  # NaN compares equal as text
    elif content_type.startswith("text/html") and "own-page" in request["rules"]:
        body = listing_of(body.decode("utf-8"), ours, rules_used)
    else:
        body = body.decode("latin-1")
    return {"status": response["status"], "headers": headers, "body": body}


def describe_difference(python, ours):
    lines = []
    for key in ("status", "headers", "body"):
        if python[key] != ours[key]:
            lines.append("    %s: pyro4-httpgateway %r" % (key, python[key]))
            lines.append("    %s: pyro-httpgateway  %r" % (key, ours[key]))
    return "\n".join(line[:1500] for line in lines)


class Run:
    def __init__(self, options):
        self.options = options
        self.started = []
        self.results = []  # (scenario, name, verdict, detail)

    def start(self, argv, env, ready, what):
        process = processes.Process(argv, env=env, merge_stderr=True)
        self.started.append(process)
        if process.wait_for(ready, timeout=20) is None:
            raise Failure("%s did not start (%s):\n%s" % (what, process.state(),
                                                           "\n".join(process.lines())))
        return process

    def stop_all(self):
        for process in reversed(self.started):
            process.stop(first=signal.SIGTERM, grace=5.0)
        self.started = []

    def gateways(self, env, extra):
        python_port, our_port = processes.free_port(), processes.free_port()
        python = self.start([self.options.python, "/usr/bin/pyro4-httpgateway", "-H", "127.0.0.1",
                             "-p", str(python_port)] + extra, env,
                            r"gateway running on http://", "pyro4-httpgateway")
        ours = self.start([os.path.join(self.options.bin, "pyro-httpgateway"), "-H", "127.0.0.1",
                           "-p", str(our_port)] + extra, env,
                          r"gateway running on http://", "pyro-httpgateway")
        return (python, python_port), (ours, our_port)

    def compare(self, scenario, requests, python_port, our_port):
        for request in requests:
            if request["pause"]:
                time.sleep(request["pause"])
            python = send(python_port, request)
            ours = send(our_port, request)
            rules_used = set()
            python_n = normalised(python, request, False, rules_used)
            ours_n = normalised(ours, request, True, rules_used)
            if request["expected"] == "size-limit":
                ok = python["status"] == 200 and ours["status"] == 413
                verdict = "expected difference (size-limit)" if ok else "DIFFERENT"
                detail = "" if ok else describe_difference(python_n, ours_n)
            elif python_n == ours_n:
                verdict = ("normalised (%s)" % ", ".join(sorted(rules_used))) if rules_used \
                    else "identical"
                detail = ""
            else:
                verdict, detail = "DIFFERENT", describe_difference(python_n, ours_n)
            self.results.append((scenario, request["name"], verdict, detail))
            print("%-6s %-36s %3d %3d  %s" % (scenario, request["name"], python["status"],
                                               ours["status"], verdict), flush=True)
            if detail:
                print(detail, flush=True)

    def main(self):
        ns_port = processes.free_port()
        env = environment.pyro_environment(PYRO_NS_HOST="127.0.0.1", PYRO_NS_PORT=str(ns_port))
        try:
            self.start([os.path.join(self.options.bin, "pyro-ns"), "-n", "127.0.0.1", "-p",
                        str(ns_port)], env, r"^URI = ", "pyro-ns")
            self.start([self.options.python, os.path.join(HERE, "gateway_server.py")], env,
                       r"^ready$", "gateway_server.py")
            for scenario, extra, requests in (
                    ("open", [], OPEN_REQUESTS),
                    ("keyed", ["-g", "secret", "-t", "1.5"], KEYED_REQUESTS)):
                (python, python_port), (ours, our_port) = self.gateways(env, extra)
                try:
                    self.compare(scenario, requests, python_port, our_port)
                finally:
                    for process in (ours, python):
                        process.stop(first=signal.SIGTERM, grace=5.0)
                        self.started.remove(process)
        finally:
            self.stop_all()
        different = [result for result in self.results if result[2] == "DIFFERENT"]
        counts = {}
        for result in self.results:
            kind = result[2].split(" (")[0]
            counts[kind] = counts.get(kind, 0) + 1
        print("\n%d requests: %s" % (len(self.results), ", ".join(
            "%d %s" % (count, kind) for kind, count in sorted(counts.items()))))
        for rule, why in sorted(RULES.items()):
            print("  rule %s: %s" % (rule, why))
        for rule, why in sorted(EXPECTED.items()):
            print("  expected difference %s: %s" % (rule, why))
        return 1 if different else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True, help="the build's bin folder (pyro-ns, "
                        "pyro-httpgateway)")
    parser.add_argument("--python", default="/usr/bin/python3")
    options = parser.parse_args()
    try:
        return Run(options).main()
    except Failure as failure:
        print("FAILED: %s" % failure, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
