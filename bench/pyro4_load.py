"""pyro4_load.py — the Python side of `./labkit bench`: the real Pyro4 4.82 as a client.

    /usr/bin/python3 bench/pyro4_load.py --uri URI --mode echo|payload|lookup|connect \
        [--serializer serpent|json] [--seconds T] [--connections N] [--size BYTES] \
        [--kind str|bytes] [--name NAME] [--message TEXT]

Prints one line of JSON with the same fields as pyro-load (bench/pyro_load.cpp), so the two
clients' rows compare directly. Connections are threads (Pyro4's own way; the GIL serialises
them, which is part of what is measured).
"""

import argparse
import json
import threading
import time

import Pyro4


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", required=True)
    parser.add_argument("--mode", default="echo", choices=["echo", "payload", "lookup", "connect"])
    parser.add_argument("--serializer", default="serpent")
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--kind", default="str", choices=["str", "bytes"])
    parser.add_argument("--name", default="bench.name")
    parser.add_argument("--message", default="hello")
    o = parser.parse_args()
    Pyro4.config.SERIALIZER = o.serializer

    payload = o.message
    if o.mode == "payload":
        payload = b"x" * o.size if o.kind == "bytes" else "x" * o.size

    results = [[] for _ in range(o.connections)]
    errors = []
    ready = threading.Barrier(o.connections + 1)
    deadline = [0.0]

    def worker(latencies):
        try:
            if o.mode == "connect":
                call = None
            else:
                proxy = Pyro4.Proxy(o.uri)
                if o.mode == "lookup":
                    call = lambda: proxy.lookup(o.name)  # noqa: E731
                else:
                    call = lambda: proxy.echo(payload)  # noqa: E731
                call()  # connect and handshake before the clock starts
        except Exception as e:  # reported in the JSON, as pyro-load does
            errors.append(str(e))
            ready.wait()
            return
        ready.wait()
        ready.wait()
        now = time.perf_counter
        start = now()
        try:
            while start < deadline[0]:
                if call is None:
                    with Pyro4.Proxy(o.uri) as fresh:
                        fresh.lookup(o.name)
                else:
                    call()
                end = now()
                latencies.append(end - start)
                start = end
        except Exception as e:
            errors.append(str(e))

    threads = [threading.Thread(target=worker, args=(r,)) for r in results]
    for t in threads:
        t.start()
    ready.wait()
    begin = time.perf_counter()
    deadline[0] = begin + o.seconds
    ready.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - begin
    everything = sorted(x for r in results for x in r)

    def percentile(p):
        return everything[int(p * (len(everything) - 1))] * 1e6 if everything else 0.0

    calls = len(everything)
    size = o.size if o.mode == "payload" else 0
    print(json.dumps({"mode": o.mode, "serializer": o.serializer, "connections": o.connections,
                      "seconds": round(elapsed, 3), "calls": calls,
                      "calls_per_s": round(calls / elapsed, 1), "p50_us": round(percentile(0.5), 2),
                      "p99_us": round(percentile(0.99), 2),
                      "mb_per_s": round(calls * size / elapsed / 1e6, 2),
                      "errors": 1 if errors else 0, "error": errors[0] if errors else ""}))


if __name__ == "__main__":
    main()
