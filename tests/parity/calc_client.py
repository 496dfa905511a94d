"""A Python Pyro4 4.82 client of parity.calc (calc_server.py / calc_server.cpp) for the batch and
async parity tests: runs one scenario and prints what it saw as one line of JSON.

    PYRO_SERIALIZER=json /usr/bin/python3 calc_client.py URI SCENARIO

Scenarios: batch, batch_unknown, batch_oneway, batch_async, async, async_concurrent. The C++
tests run it against both servers and check the same expectations for each.
"""

import json
import sys
import time

import Pyro4


def error_of(exception):
    return [type(exception).__module__ + "." + type(exception).__name__, str(exception)]


def drain(results):
    """Pyro4's batch result generator: the results up to a failure, then the failure."""
    got = []
    try:
        for item in results:
            got.append(item)
    except Exception as error:
        return got, error_of(error)
    return got, None


def batch(uri):
    with Pyro4.Proxy(uri) as p:
        b = Pyro4.batch(p)
        b.add(1, 2)
        b.echo("two")
        b.fail("boom")
        b.add(5, 5)
        got, error = drain(b())
        b.add(20, 22)
        b.echo([1, "x"])
        again, again_error = drain(b())
        return {"results": got, "error": error, "again": again, "again_error": again_error}


def batch_unknown(uri):
    with Pyro4.Proxy(uri) as p:
        b = Pyro4.batch(p)
        b.add(1, 2)
        b.no_such_method()
        try:
            results = b()
        except Exception as error:
            return {"raised_at": "run", "error": error_of(error)}
        got, error = drain(results)
        return {"raised_at": "iteration", "results": got, "error": error}


def batch_oneway(uri):
    with Pyro4.Proxy(uri) as p, Pyro4.Proxy(uri) as watcher:
        watcher.reset()
        b = Pyro4.batch(p)
        b.slow_record("a", 1.0)
        b.record("b")
        b.fail("ignored")
        b.record("never")
        start = time.time()
        returned = b(oneway=True)
        elapsed = time.time() - start
        deadline = time.time() + 10
        while len(watcher.recorded()) < 2 and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # a wrongly run third record would show by now
        return {"returned": returned, "elapsed": elapsed, "recorded": watcher.recorded()}


def batch_async(uri):
    with Pyro4.Proxy(uri) as p:
        b = Pyro4.batch(p)
        b.slow_add(1, 2, 0.5)
        b.fail("late")
        future = b(asynchronous=True)
        ready_at_once = future.ready
        got, error = drain(future.value)
        return {"ready_at_once": ready_at_once, "results": got, "error": error}


def async_calls(uri):
    p = Pyro4.Proxy(uri)
    Pyro4.asyncproxy(p)
    start = time.time()
    slow = p.slow_add(1, 2, 1.5)
    call_took = time.time() - start
    ready_at_once = slow.ready
    short_wait = slow.wait(0.2)
    value = slow.value
    chained = p.slow_add(2, 3, 0.3).then(lambda x: x * 10).then(lambda x: x + 1).value
    handled = []
    failing = p.slow_fail("bad", 0.5)
    failing.iferror(lambda error: handled.append(error_of(error)))
    try:
        failing.value
        raised = None
    except Exception as error:
        raised = error_of(error)
    return {"call_took": call_took, "ready_at_once": ready_at_once, "short_wait": short_wait,
            "value": value, "chained": chained, "raised": raised, "handled": handled}


def async_concurrent(uri):
    """Each asynchronous call has a connection of its own: two slow calls overlap, and the plain
    proxy answers while they run."""
    with Pyro4.Proxy(uri) as plain:
        plain._pyroBind()
        p = Pyro4.Proxy(uri)
        Pyro4.asyncproxy(p)
        start = time.time()
        first = p.slow_add(1, 1, 1.0)
        second = p.slow_add(2, 2, 1.0)
        quick = plain.add(3, 3)
        quick_took = time.time() - start
        values = [first.value, second.value]
        return {"values": values, "both_took": time.time() - start, "quick": quick,
                "quick_took": quick_took}


SCENARIOS = {"batch": batch, "batch_unknown": batch_unknown, "batch_oneway": batch_oneway,
             "batch_async": batch_async, "async": async_calls,
             "async_concurrent": async_concurrent}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in SCENARIOS:
        sys.exit("usage: calc_client.py URI {%s}" % "|".join(sorted(SCENARIOS)))
    print(json.dumps(SCENARIOS[sys.argv[2]](sys.argv[1])), flush=True)


if __name__ == "__main__":
    main()
