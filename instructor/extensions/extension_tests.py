#!/usr/bin/python3
"""Hidden scenarios of the labs' extensions: what the instructor grades beyond the lab itself.
Students get the Exercise section of each handout (which names the extension) but not this file.

    extension_tests.py SCENARIO [--echo-server PROG] [--observable-server PROG]
                       [--introspect-server PROG] [--colorsquare-receive PROG] [--name-server PROG]

Scenarios (one per lab):
  echo_upper_count        echo_upper(text) returns the text in capitals; count() is the number of
                          echo and echo_upper calls served, exact under 8 concurrent clients
  observer_topics         register_observer(observer, topic=None), notify_observers(message,
                          topic=None): a message with a topic reaches the observers of that topic
                          and those without one; the one-argument forms still work
  introspect_defaults     greet(name, greeting="Hello") and add(a, b=1): keyword arguments and
                          defaults as Python has them
  colorsquare_fade        fade(r, g, b, seconds) returns at once and moves the colour there in a
                          straight line over `seconds`; get_color() half way is half way
Built on the lab test driver (tests/labs/lab_tests.py): the same name server, processes and
clean-up by pid. Exit status 0 passed, 1 failed.
"""

import argparse
import concurrent.futures
import pathlib
import sys
import time

sys.dont_write_bytecode = True
KIT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(KIT / "tests" / "labs"))
import lab_tests  # noqa: E402
from lab_tests import Failure, Lab, expect_equal  # noqa: E402
from twins import CallLog, RecordingObserver, TwinServer  # noqa: E402

import Pyro4  # noqa: E402
import Pyro4.errors  # noqa: E402


def echo_upper_count(o):
    with Lab(o) as lab:
        server = lab.start("echo server", o.echo_server)
        uri = lab.wait_registered("echo.server", server)
        with lab.proxy(uri) as echo:
            expect_equal("count() of a fresh server", 0, echo.count())
            expect_equal("echo_upper('Hola, amigo 42')", "HOLA, AMIGO 42",
                         echo.echo_upper("Hola, amigo 42"))
            expect_equal("echo('as is') next to echo_upper", "as is", echo.echo("as is"))
            expect_equal("count() after echo_upper and echo", 2, echo.count())

        def ten_calls(i):
            with lab.proxy(uri) as own:  # a proxy per thread, as Pyro4 wants
                for j in range(10):
                    (own.echo if j % 2 else own.echo_upper)("client %d call %d" % (i, j))

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(ten_calls, range(8)))
        with lab.proxy(uri) as echo:
            expect_equal("count() after 80 more calls from 8 clients at once", 82, echo.count())


def observer_topics(o):
    with Lab(o) as lab, TwinServer(lab.ns_uri()) as twin:
        server = lab.start("observable server", o.observable_server)
        uri = lab.wait_registered("example.observable", server)
        logs = {name: CallLog() for name in ("weather", "sport", "everything")}
        observers = {name: twin.serve(None, RecordingObserver(log)) for name, log in logs.items()}
        with lab.proxy(uri) as observable:
            observable.register_observer(observers["weather"], "weather")
            observable.register_observer(observers["sport"], topic="sport")
            observable.register_observer(observers["everything"])  # the one-argument form
            expect_equal("notify_observers('rain', 'weather') (observers notified)", 2,
                         observable.notify_observers("rain", "weather"))
            expect_equal("notify_observers('goal', topic='sport') (observers notified)", 2,
                         observable.notify_observers("goal", topic="sport"))
            expect_equal("notify_observers('hello') without a topic (observers notified)", 3,
                         observable.notify_observers("hello"))
        expected = {"weather": ["rain", "hello"], "sport": ["goal", "hello"],
                    "everything": ["rain", "goal", "hello"]}
        for name, log in logs.items():
            got = [args[0] for _, args in log.calls("update")]
            expect_equal("the updates of the observer registered for %s" % name,
                         expected[name], got)


def introspect_defaults(o):
    with Lab(o) as lab:
        server = lab.start("introspect server", o.introspect_server)
        uri = lab.wait_registered("example.remote.object", server)
        with lab.proxy(uri) as remote:
            expect_equal("greet('Ann')", "Hello, Ann!", remote.greet("Ann"))
            expect_equal("greet('Ann', 'Hi')", "Hi, Ann!", remote.greet("Ann", "Hi"))
            expect_equal("greet(name='Ann', greeting='Hey')", "Hey, Ann!",
                         remote.greet(name="Ann", greeting="Hey"))
            expect_equal("greet(greeting='Yo', name='Bo')", "Yo, Bo!",
                         remote.greet(greeting="Yo", name="Bo"))
            expect_equal("add(2, 3)", 5, remote.add(2, 3))
            expect_equal("add(41) (b defaults to 1)", 42, remote.add(41))
            expect_equal("add(a=1.5, b=2)", 3.5, remote.add(a=1.5, b=2))
            try:
                remote.greet("Ann", colour="red")
                raise Failure("greet('Ann', colour='red') was accepted; expected a TypeError "
                              "naming the unexpected keyword argument")
            except TypeError as error:
                if "colour" not in str(error):
                    raise Failure("greet('Ann', colour='red'): the TypeError should name "
                                  "'colour', it says: %s" % error)


def colorsquare_fade(o):
    with Lab(o) as lab:
        receiver = lab.start("colorsquare receiver", o.colorsquare_receive)
        uri = lab.wait_registered("example.colorsquare", receiver)
        with lab.proxy(uri) as square:
            square.set_color(200, 100, 0)
            started = time.monotonic()
            square.fade(0, 200, 100, 2.0)
            took = time.monotonic() - started
            if took > 0.5:
                raise Failure("fade(0, 200, 100, 2.0) took %.1f s to return; expected it to "
                              "return at once and fade in the background" % took, receiver)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
            middle = list(square.get_color())
            # Half way (1 s of 2): (100, 150, 50), give or take the time a call takes.
            for channel, (got, want) in enumerate(zip(middle, (100, 150, 50))):
                if abs(got - want) > 25:
                    raise Failure("get_color() half way through fade(0, 200, 100, 2.0) from "
                                  "(200, 100, 0): expected about [100, 150, 50], got %r" % middle,
                                  receiver)
            time.sleep(max(0.0, 2.3 - (time.monotonic() - started)))
            expect_equal("get_color() after the fade", [0, 200, 100], list(square.get_color()))
            for bad in ((0, 256, 0, 1.0), (0, 0, 0, -1.0)):
                try:
                    square.fade(*bad)
                    raise Failure("fade%r was accepted; expected a ValueError" % (bad,), receiver)
                except ValueError:
                    pass
            expect_equal("get_color() after refused fades", [0, 200, 100],
                         list(square.get_color()))


SCENARIOS = {f.__name__: f for f in (echo_upper_count, observer_topics, introspect_defaults,
                                     colorsquare_fade)}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="+", choices=sorted(SCENARIOS), metavar="SCENARIO")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--name-server", default="/usr/bin/pyro4-ns")
    for role in ("echo-server", "observable-server", "introspect-server", "colorsquare-receive"):
        parser.add_argument("--" + role, default=role, metavar="PROG")
    parser.add_argument("--timeout", type=float, default=10)
    options = parser.parse_args(argv)
    for name in options.scenarios:
        print("== %s" % name, flush=True)
        try:
            SCENARIOS[name](options)
        except Failure as failure:
            print("FAILED %s: %s" % (name, failure), flush=True)
            return 1
        except (Pyro4.errors.PyroError, AttributeError, TypeError, ValueError) as error:
            # A method missing or refusing the extension's arguments: the server's own words.
            print("FAILED %s: %s: %s" % (name, type(error).__name__, error), flush=True)
            return 1
        print("passed %s" % name, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
