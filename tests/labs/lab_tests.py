#!/usr/bin/python3
"""Black-box tests of the course labs: the real programs and a real name server on 127.0.0.1.

    lab_tests.py SCENARIO [SCENARIO ...] [--name-server PROG] [--echo-server PROG] ...
    lab_tests.py --expect-failure REGEX SCENARIO ... [options]

Each scenario starts a name server on a free port, then the lab's programs as processes. They get
their settings from the environment Pyro4 reads (PYRO_NS_HOST, PYRO_NS_PORT, PYRO_HOST,
PYRO_BROADCAST_ADDRS), so a student's C++ or Python Pyro4 program runs unchanged; a PROG ending
in .py runs with --python. Every process a scenario starts is killed by its pid when the scenario
ends, passed or failed.

--expect-failure runs the scenarios in a child run and passes only if that run fails with a
message matching REGEX and leaves no process behind: the proof that a broken program is caught.

Exit status: 0 passed, 1 a scenario failed, 2 wrong usage. Run with /usr/bin/python3 (Pyro4).
"""

import argparse
import os
import pathlib
import re
import signal
import socket
import sys
import time

import Pyro4
import Pyro4.errors

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
import processes  # noqa: E402
from environment import pyro_environment  # noqa: E402
from processes import alive, free_port  # noqa: E402
from twins import (RecordingColorSquare, RecordingEcho, RecordingIntrospect,  # noqa: E402
                   RecordingObservable, RecordingObserver, SlowToAnswerNameServer, TwinServer)

Pyro4.config.reset(useenvironment=False)  # the test's own calls ignore the caller's PYRO_*
Pyro4.config.COMMTIMEOUT = 5.0

SCENARIO_BUDGET = 40  # seconds; a scenario that takes longer fails (and is cleaned up)
STOP_TIMEOUT = 5  # seconds a server gets to stop after Ctrl-C
QUOTED_LINES = 15  # how much of a program's output a failure message quotes
STOP_SIGNALS = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM (kill)",
                signal.SIGHUP: "SIGHUP (its terminal closed)"}


class Failure(Exception):
    """A check that did not hold: what was expected, what came, and the programs' output."""

    def __init__(self, message, *programs):
        text = message
        for program in programs:
            text += "\n" + program.describe()
        super().__init__(text)


# ---------------------------------------------------------------------------------------------
# Processes


class Program(processes.Process):
    """One started program of a scenario, with the label failure messages call it by."""

    def __init__(self, label, argv, env, stdin=None):
        super().__init__(argv, env=env, stdin=stdin)
        self.label = label

    def describe(self):
        """The program's state and its output, quoted, for a failure message."""
        parts = []
        for stream in ("out", "err"):
            lines = self.lines(stream)
            if lines:
                quoted = ["    | " + line for line in lines[-QUOTED_LINES:]]
                if len(lines) > QUOTED_LINES:
                    quoted.insert(0, "    | … (%d earlier lines)" % (len(lines) - QUOTED_LINES))
                parts.append("on std%s:\n%s" % (stream, "\n".join(quoted)))
        if not parts:
            return "  %s (%s) printed nothing" % (self.label, self.state())
        return "  %s (%s) printed %s" % (self.label, self.state(), "\n  and ".join(parts))


# ---------------------------------------------------------------------------------------------
# One scenario's world: a name server, the programs, and checks on them


class Lab:
    """Starts a name server (unless told not to) and the programs; stops them all on exit."""

    def __init__(self, options, name_server=True):
        self.options = options
        self.with_name_server = name_server
        self.programs = []
        self.ns_port = None
        self.env = None

    def __enter__(self):
        try:
            if self.with_name_server:
                self._start_name_server()
            else:
                self.ns_port = free_port()  # nobody listens there
                self.env = self._environment()
        except BaseException:
            self.stop_all()
            raise
        return self

    def __exit__(self, *exc):
        signal.alarm(0)  # the clean-up itself must not be interrupted
        self.stop_all()
        return False

    def stop_all(self):
        for program in reversed(self.programs):
            program.stop()

    def _environment(self):
        return pyro_environment(
            PYRO_NS_HOST="127.0.0.1",
            PYRO_NS_PORT=str(self.ns_port),
            PYRO_NS_BCPORT=str(free_port(socket.SOCK_DGRAM)),  # no stray name server answers
            PYRO_HOST="127.0.0.1",
            PYRO_BROADCAST_ADDRS="127.0.0.1",  # never broadcast beyond loopback
            SDL_VIDEODRIVER="offscreen",  # colorsquare-receive draws in memory, no display
            PYTHONIOENCODING="utf-8")

    def _start_name_server(self):
        for _attempt in range(3):
            self.ns_port = free_port()
            self.env = self._environment()
            ns = self.start("name server", self.options.name_server,
                            "-n", "127.0.0.1", "-p", str(self.ns_port))
            deadline = time.monotonic() + self.options.timeout
            while time.monotonic() < deadline and ns.running():
                try:
                    with self.ns_proxy() as proxy:
                        proxy.ping()
                    return
                except Pyro4.errors.CommunicationError:
                    time.sleep(0.05)
            if ns.running():
                raise Failure("the name server did not answer on 127.0.0.1:%d within %g s"
                              % (self.ns_port, self.options.timeout), ns)
            ns.wait_exit(1)  # exited at once: perhaps the port was taken meanwhile; try another
        raise Failure("the name server exited right after starting (3 tries)", ns)

    def start(self, label, program, *args, stdin=None):
        """Starts a program; `stdin` is the text it reads as its input (default: none)."""
        argv = [self.options.python, program] if program.endswith(".py") else [program]
        argv += list(args)
        try:
            started = Program(label, argv, self.env, stdin)
        except OSError as error:
            raise Failure("cannot start %s: %s (%s)" % (label, " ".join(argv), error)) from None
        self.programs.append(started)
        print("  started %s (pid %d): %s" % (label, started.pid, " ".join(argv)), flush=True)
        return started

    def run(self, label, program, *args, timeout=10, stdin=None):
        """Starts a program and waits for it to end; kills it and fails if it takes too long."""
        started = self.start(label, program, *args, stdin=stdin)
        if started.wait_exit(timeout) is None:
            started.stop()
            raise Failure("%s did not finish within %g s (killed it)" % (label, timeout), started)
        return started

    # -- the name server, seen through Pyro4 ---------------------------------------------------

    def ns_uri(self):
        return "PYRO:Pyro.NameServer@127.0.0.1:%d" % self.ns_port

    def ns_proxy(self):
        proxy = Pyro4.Proxy(self.ns_uri())
        proxy._pyroTimeout = 2
        return proxy

    def lookup(self, name):
        """The URI registered under `name` as text, or None."""
        try:
            with self.ns_proxy() as ns:
                return str(ns.lookup(name))
        except Pyro4.errors.NamingError:
            return None

    def wait_registered(self, name, server, different_from=None):
        """Waits until `server` has registered `name` (to a URI other than `different_from`)."""
        deadline = time.monotonic() + self.options.timeout
        while time.monotonic() < deadline:
            uri = self.lookup(name)
            if uri is not None and uri != different_from:
                return uri
            if not server.running():
                server.wait_exit(1)
                raise Failure("%s ended before registering '%s' in the name server"
                              % (server.label, name), server)
            time.sleep(0.05)
        raise Failure("%s did not register '%s' in the name server within %g s"
                      % (server.label, name, self.options.timeout), server)

    def proxy(self, uri):
        proxy = Pyro4.Proxy(uri)
        proxy._pyroTimeout = 5
        return proxy

    # -- checks ---------------------------------------------------------------------------------

    def interrupt(self, server, name=None, signum=signal.SIGINT):
        """Ctrl-C (or the terminal closing, SIGHUP, or `kill`, SIGTERM): the server must stop
        with exit code 0 and take its name out."""
        # Sent right after the ready line: a server must handle Ctrl-C from the moment it says
        # it is ready (libpyro's Daemon::handle_signals; Python installs its handler at start).
        how = STOP_SIGNALS[signum]
        print("  %s to %s (pid %d)" % (how, server.label, server.pid), flush=True)
        os.kill(server.pid, signum)
        code = server.wait_exit(STOP_TIMEOUT)
        if code is None:
            raise Failure("%s was still running %d s after %s; expected it to stop"
                          % (server.label, STOP_TIMEOUT, how), server)
        if code != 0:
            raise Failure("%s ended with %s after %s; expected exit code 0"
                          % (server.label, server.state(), how), server)
        if name is not None:
            left = self.lookup(name)
            if left is not None:
                raise Failure("%s stopped after %s but '%s' is still registered in the name "
                              "server (%s); expected it to remove its name"
                              % (server.label, how, name, left), server)


def expect_success(program):
    if program.process.returncode != 0:
        raise Failure("%s ended with %s; expected exit code 0" % (program.label, program.state()),
                      program)


def expect_line(program, expected, what):
    """`program` printed exactly the line `expected` (it may still be running)."""
    if program.wait_for("^%s$" % re.escape(expected), 5) is None:
        raise Failure("%s: expected %s, the line\n    %s" % (program.label, what, expected),
                      program)


def expect_count(program, count, what):
    """If `program` printed "Observers notified: N", N must be `count`."""
    line = program.wait_for(r"^Observers notified: ", 0)
    if line is not None and line != "Observers notified: %d" % count:
        raise Failure("%s: expected %s (Observers notified: %d)" % (program.label, what, count),
                      program)


def expect_equal(what, expected, got):
    if got != expected:
        raise Failure("%s: expected %r, got %r" % (what, expected, got))


# ---------------------------------------------------------------------------------------------
# Scenarios — each function is one scenario, named on the command line.


def echo_basic(o):
    echo_client_reaches_the_server(o)  # first: clearest for a client that only prints
    with Lab(o) as lab:
        server = lab.start("echo server", o.echo_server)
        uri = lab.wait_registered("echo.server", server)
        client = lab.run("echo client", o.echo_client)
        expect_success(client)
        expect_line(client, "Sent: HOLA", "the default message")
        expect_line(client, "Reply: HOLA", "the reply to the default message")
        expect_line_containing(server, "HOLA", "the echo server to show the call it served")
        client = lab.run("echo client", o.echo_client, "Buenos días")
        expect_success(client)
        expect_line(client, "Reply: Buenos días", "the reply to a custom message")
        # echo returns its argument unchanged, whatever its type.
        with lab.proxy(uri) as echo:
            for value in (42, -7.25, True, None, [1, "two", [3.5]], {"key": ["value", 1]}):
                expect_equal("echo(%r) called from Python" % (value,), value, echo.echo(value))


def echo_client_reaches_the_server(o):
    """The client's call must arrive at a server, not only its lines appear: the client runs
    against the test's recording twin of the echo server, which writes down every call."""
    with Lab(o) as lab, TwinServer(lab.ns_uri()) as twin:
        twin.serve("echo.server", RecordingEcho(twin.calls))
        for message in ("HOLA", "Buenos días"):
            args = (message,) if message != "HOLA" else ()
            client = lab.run("echo client (against the test's recording echo server)",
                             o.echo_client, *args)
            expect_success(client)
            expect_call(twin, "echo", (message,), client)
            expect_line(client, "Reply: " + message, "the reply the recording server sent")


def echo_unicode(o):
    message = "¡Hola, señor! Ünïcödé — 日本語 ✓ 🌍"
    with Lab(o) as lab:
        server = lab.start("echo server", o.echo_server)
        uri = lab.wait_registered("echo.server", server)
        client = lab.run("echo client", o.echo_client, message)
        expect_success(client)
        expect_line(client, "Reply: " + message, "the non-ASCII message back unchanged")
        expect_line_containing(server, message, "the echo server to show the message intact")
        with lab.proxy(uri) as echo:
            expect_equal("echo() of non-ASCII text called from Python", message, echo.echo(message))


def echo_missing_ns(o):
    expect_clean_naming_errors(o, [("echo client", o.echo_client), ("echo server", o.echo_server)])


def echo_sigint(o):
    with Lab(o) as lab:
        server = lab.start("echo server", o.echo_server)
        lab.wait_registered("echo.server", server)
        lab.interrupt(server, "echo.server")


def echo_sigint_registering(o):
    interrupt_while_registering(o, "echo server", o.echo_server, "echo.server")


def echo_sighup(o):
    """Closing the server's terminal (SIGHUP), or `kill` (SIGTERM), stops it like Ctrl-C."""
    stop_like_ctrl_c(o, "echo server", o.echo_server, "echo.server")


def echo_replace(o):
    """The name-takeover policy on a shared name server. A second server under a name that a
    running server holds refuses to start, names the holder's URI and offers --name NAME and
    --replace; --name registers another name; --replace takes the name over with a note, and the
    first server stopping then leaves the name to the new one; a name left behind by a killed
    server is taken over with a note that names the dead URI."""
    with Lab(o) as lab:
        first = lab.start("first echo server", o.echo_server)
        first_uri = lab.wait_registered("echo.server", first)
        second = lab.run("second echo server (same name, no --replace)", o.echo_server)
        errors = [line for line in second.lines("err") if line.strip()]
        if second.process.returncode == 0 or len(errors) != 1 or first_uri not in errors[0] \
                or "--name" not in errors[0] or "--replace" not in errors[0]:
            raise Failure("second echo server: with 'echo.server' held by the running first "
                          "server (%s), expected it to refuse to start: a non-zero exit and one "
                          "line on stderr naming that URI and offering --name NAME and --replace"
                          % first_uri, second)
        expect_equal("'echo.server' after the refused start", first_uri, lab.lookup("echo.server"))
        other = lab.start("echo server --name echo.other", o.echo_server, "--name", "echo.other")
        lab.wait_registered("echo.other", other)
        expect_equal("'echo.server' after a server registered 'echo.other'", first_uri,
                     lab.lookup("echo.server"))
        lab.interrupt(other, "echo.other")
        third = lab.start("third echo server (--replace)", o.echo_server, "--replace")
        third_uri = lab.wait_registered("echo.server", third, different_from=first_uri)
        if third.wait_for(re.escape(first_uri), 3) is None:
            raise Failure("third echo server replaced 'echo.server' (held by the running first "
                          "server, %s) without saying so; expected a line naming that URI"
                          % first_uri, third)
        client = lab.run("echo client", o.echo_client)
        expect_line(client, "Reply: HOLA", "the reply, now from the third server")
        expect_line_containing(third, "HOLA", "the third server to serve the call")
        # The first server stopping must not take the name away from the third one.
        lab.interrupt(first)
        client = lab.run("echo client", o.echo_client, "after the first server stopped")
        expect_line(client, "Reply: after the first server stopped",
                    "the name to still lead to the third server after the first one stopped")
        print("  SIGKILL to third echo server (pid %d)" % third.pid, flush=True)
        third.stop()
        fourth = lab.start("fourth echo server (after the third was killed)", o.echo_server)
        lab.wait_registered("echo.server", fourth, different_from=third_uri)
        if fourth.wait_for(re.escape(third_uri), 3) is None:
            raise Failure("fourth echo server took 'echo.server' over from %s (a killed server) "
                          "without a word; expected a note naming that URI" % third_uri, fourth)


def observer_two(o):
    with Lab(o) as lab:
        observable = start_observable(lab)
        first = start_observer(lab, "first observer", o.observer)
        second = start_observer(lab, "second observer", o.second_observer or o.observer)
        message = "Message for both"
        notifier = lab.run("notifier", o.notifier, message)
        expect_success(notifier)
        expect_line(notifier, "Sent: " + message, "what it sent")
        expect_count(notifier, 2, "both observers notified")
        for observer in (first, second):
            expect_update(observer, message)
        if not observable.running():
            raise Failure("the observable server ended during the notification", observable)


def observer_default(o):
    notifier_reaches_the_observable(o)  # first: clearest for a client that only prints
    with Lab(o) as lab:
        start_observable(lab)
        observer = start_observer(lab, "observer", o.observer)
        notifier = lab.run("notifier", o.notifier)
        expect_success(notifier)
        expect_line(notifier, "Sent: Hello, Observers!", "the default message")
        expect_update(observer, "Hello, Observers!")


def notifier_reaches_the_observable(o):
    """The notifier's call must arrive at the observable, and the count it prints must be the
    one the observable returned: it runs against the test's recording observable, with two
    recording observers of the test's own registered."""
    with Lab(o) as lab, TwinServer(lab.ns_uri()) as twin:
        observable = RecordingObservable(twin.calls)
        twin.serve("example.observable", observable)
        for _ in range(2):
            observable.register_observer(twin.serve(None, RecordingObserver(twin.calls)))
        notifier = lab.run("notifier (against the test's recording observable)", o.notifier,
                           "counted")
        expect_success(notifier)
        expect_call(twin, "notify_observers", ("counted",), notifier)
        expect_line(notifier, "Sent: counted", "what it sent")
        expect_count(notifier, 2, "the count the observable returned (2)")


def observer_vanish(o):
    """An observer killed without a goodbye must not stop the others from being notified."""
    with Lab(o) as lab:
        observable = start_observable(lab)
        doomed = start_observer(lab, "observer to be killed", o.observer)
        survivor = start_observer(lab, "surviving observer", o.second_observer or o.observer)
        notifier = lab.run("notifier", o.notifier, "before")
        expect_success(notifier)
        expect_update(doomed, "before")
        expect_update(survivor, "before")
        print("  SIGKILL to observer to be killed (pid %d)" % doomed.pid, flush=True)
        doomed.stop()
        for message, count in (("after 1", 1), ("after 2", 1)):
            notifier = lab.run("notifier", o.notifier, message)
            expect_success(notifier)
            expect_count(notifier, count, "only the surviving observer notified")
            expect_update(survivor, message)
        # Dropped, not only skipped: an observable that says how many observers it calls
        # ("Notifying N observer(s)") must call one for the last message, not the dead one too.
        line = observable.wait_for(r"^Notifying \d+ observer.*after 2", 2)
        if line is not None and not line.startswith("Notifying 1 "):
            raise Failure("observable server: expected the killed observer to be dropped after "
                          "the first failed update, so that 'after 2' goes to 1 observer; it "
                          "printed\n    %s" % line, observable)
        if not observable.running():
            raise Failure("the observable server ended after an observer vanished", observable)


def observer_missing_ns(o):
    expect_clean_naming_errors(o, [("notifier", o.notifier), ("observer", o.observer),
                                   ("observable server", o.observable_server)])


def observer_sigint(o):
    observer_registers_and_unregisters(o)  # first: clearest for a client that only prints
    with Lab(o) as lab:
        observable = start_observable(lab)
        observer = start_observer(lab, "observer", o.observer)
        lab.interrupt(observer)
        notifier = lab.run("notifier", o.notifier, "anyone?")
        expect_success(notifier)
        expect_count(notifier, 0, "nobody notified: the observer unregistered on Ctrl-C")
        lab.interrupt(observable, "example.observable")


def observer_sigint_registering(o):
    interrupt_while_registering(o, "observable server", o.observable_server,
                                "example.observable")


def observer_sighup(o):
    """Closing a terminal (SIGHUP), or `kill` (SIGTERM), stops the observable and the observer
    like Ctrl-C: the observable removes its name, the observer unregisters."""
    stop_like_ctrl_c(o, "observable server", o.observable_server, "example.observable")
    with Lab(o) as lab:
        start_observable(lab)
        for signum in (signal.SIGHUP, signal.SIGTERM):
            observer = start_observer(lab, "observer", o.observer)
            lab.interrupt(observer, signum=signum)
            notifier = lab.run("notifier", o.notifier, "anyone?")
            expect_success(notifier)
            expect_count(notifier, 0, "nobody notified: the observer unregistered on %s"
                         % STOP_SIGNALS[signum])


def observer_registers_and_unregisters(o):
    """Seen from the observable itself: the observer registers a reference that answers
    update(), and on Ctrl-C unregisters that same reference. (A dead observer is dropped at the
    next notification anyway, so counting notified observers cannot tell.)"""
    with Lab(o) as lab, TwinServer(lab.ns_uri()) as twin:
        twin.serve("example.observable", RecordingObservable(twin.calls))
        observer = start_observer(lab, "observer (with the test's recording observable)",
                                  o.observer)
        registered = twin.calls.wait_for("register_observer", timeout=2)
        if registered is None:
            raise Failure("%s: said it registered, but no register_observer call reached the "
                          "observable\n%s" % (observer.label, twin.calls.describe()), observer)
        uri = registered[0]
        with lab.proxy(uri) as callback:
            callback.update("called back by the test")
        expect_update(observer, "called back by the test")
        lab.interrupt(observer)
        if twin.calls.wait_for("unregister_observer", lambda args: args == (uri,), 1) is None:
            raise Failure("%s: stopped on Ctrl-C without unregistering; expected the call "
                          "unregister_observer(%s) at the observable\n%s"
                          % (observer.label, uri, twin.calls.describe()), observer)


def introspect_basic(o):
    introspect_client_reaches_the_server(o)  # first: clearest for a client that only prints
    with Lab(o) as lab:
        server = lab.start("introspect server", o.introspect_server)
        uri = lab.wait_registered("example.remote.object", server)
        client = lab.run("introspect client", o.introspect_client)
        expect_success(client)
        expect_line(client, "greet('World') -> Hello, World!", "the greeting")
        expect_line(client, "add(2, 3) -> 5", "the sum")
        expect_names(client, "Remote methods: ", {"greet", "add"})
        expect_names(client, "Oneway methods: ", set())
        with lab.proxy(uri) as remote:
            expect_equal("greet('Ana') from Python", "Hello, Ana!", remote.greet("Ana"))
            expect_equal("add(2, 3) from Python", 5, remote.add(2, 3))
            expect_equal("add(1.5, 2) from Python", 3.5, remote.add(1.5, 2))
            expect_equal("add('ab', 'cd') from Python", "abcd", remote.add("ab", "cd"))
            expect_equal("the methods Python's proxy learnt", {"greet", "add"},
                         set(remote._pyroMethods))


def introspect_client_reaches_the_server(o):
    """The greet and add lines must come from real calls: the client runs against the test's
    recording twin of the remote object, which writes down every call that arrives."""
    with Lab(o) as lab, TwinServer(lab.ns_uri()) as twin:
        twin.serve("example.remote.object", RecordingIntrospect(twin.calls))
        client = lab.run("introspect client (against the test's recording remote object)",
                         o.introspect_client)
        expect_success(client)
        expect_call(twin, "greet", ("World",), client)
        expect_call(twin, "add", (2, 3), client)
        expect_line(client, "greet('World') -> Hello, World!", "the greeting the twin sent")


def introspect_missing_ns(o):
    expect_clean_naming_errors(o, [("introspect client", o.introspect_client),
                                   ("introspect server", o.introspect_server)])


def introspect_sigint(o):
    with Lab(o) as lab:
        server = lab.start("introspect server", o.introspect_server)
        lab.wait_registered("example.remote.object", server)
        lab.interrupt(server, "example.remote.object")


def introspect_sigint_registering(o):
    interrupt_while_registering(o, "introspect server", o.introspect_server,
                                "example.remote.object")


def introspect_sighup(o):
    """Closing the server's terminal (SIGHUP), or `kill` (SIGTERM), stops it like Ctrl-C."""
    stop_like_ctrl_c(o, "introspect server", o.introspect_server, "example.remote.object")


COLOURS = "RED\n0,128,255\n 12 , 34,56 \nTIME\n300,0,0\n1,2\nblue-ish\nQUIT\n"
SQUARE = "example.colorsquare"


def colorsquare_basic(o):
    """The transmitter's commands reach a receiver (seen by the test's recording twin), then the
    pair: the receiver's colour, read through its remote interface, is the last one sent."""
    colorsquare_transmitter_reaches_the_receiver(o)  # first: clearest for a fake transmitter
    with Lab(o) as lab:
        receiver = lab.start("colorsquare receiver", o.colorsquare_receive)
        uri = lab.wait_registered(SQUARE, receiver)
        with lab.proxy(uri) as square:
            expect_equal("get_color() of a fresh receiver", [255, 255, 255],
                         list(square.get_color()))
        transmitter = lab.run("colorsquare transmitter", o.colorsquare_transmit, stdin=COLOURS)
        expect_success(transmitter)
        expect_line(transmitter, "square is now (12, 34, 56)", "the last colour it sent")
        expect_line_containing(receiver, "set_color(12, 34, 56)",
                               "the receiver to show the call it served")
        with lab.proxy(uri) as square:
            expect_equal("get_color() after the transmitter's commands", [12, 34, 56],
                         list(square.get_color()))
            if not square.elapsed() > 0:
                raise Failure("elapsed() should be the seconds the receiver has run", receiver)
            try:
                square.set_color(0, 256, 0)
                raise Failure("set_color(0, 256, 0) was accepted; expected a ValueError",
                              receiver)
            except ValueError:
                pass
            expect_equal("get_color() after a refused colour", [12, 34, 56],
                         list(square.get_color()))


def colorsquare_transmitter_reaches_the_receiver(o):
    """Every colour the transmitter reports must have been sent, and nothing for the lines it
    refuses: it runs against the test's recording twin of the receiver."""
    with Lab(o) as lab, TwinServer(lab.ns_uri()) as twin:
        twin.serve(SQUARE, RecordingColorSquare(twin.calls))
        transmitter = lab.run("colorsquare transmitter (against the test's recording receiver)",
                              o.colorsquare_transmit, stdin=COLOURS)
        expect_success(transmitter)
        for colour in ((255, 0, 0), (0, 128, 255), (12, 34, 56)):
            expect_call(twin, "set_color", colour, transmitter)
        expect_call(twin, "elapsed", (), transmitter)
        expect_line(transmitter, "square is now RED (255, 0, 0)", "the named colour it sent")
        expect_line(transmitter, "receiver running for 1 min 15 s",
                    "the running time the receiver reported (75 s)")
        expect_line_containing(transmitter, "Sorry, '300,0,0'", "out-of-range numbers refused")
        sent = [args for _, args in twin.calls.calls("set_color")]
        if sent != [(255, 0, 0), (0, 128, 255), (12, 34, 56)]:
            raise Failure("%s: expected exactly three set_color calls, none for the refused "
                          "lines\n%s" % (transmitter.label, twin.calls.describe()), transmitter)


def colorsquare_lost_receiver(o):
    """A receiver that vanishes: the transmitter says so in one line and exits non-zero."""
    with Lab(o) as lab:
        receiver = lab.start("colorsquare receiver", o.colorsquare_receive)
        lab.wait_registered(SQUARE, receiver)
        print("  SIGKILL to colorsquare receiver (pid %d)" % receiver.pid, flush=True)
        receiver.stop()
        transmitter = lab.run("colorsquare transmitter", o.colorsquare_transmit,
                              stdin="RED\nBLUE\n", timeout=15)
        errors = [line for line in transmitter.lines("err") if line.strip()]
        if transmitter.process.returncode == 0 or len(errors) != 1 or \
                not re.search(r"(?i)receiver", errors[0]):
            raise Failure("colorsquare transmitter: expected a non-zero exit and one line on "
                          "stderr about the receiver being gone", transmitter)


def colorsquare_missing_ns(o):
    expect_clean_naming_errors(o, [("colorsquare transmitter", o.colorsquare_transmit),
                                   ("colorsquare receiver", o.colorsquare_receive)])


def colorsquare_sigint(o):
    with Lab(o) as lab:
        receiver = lab.start("colorsquare receiver", o.colorsquare_receive)
        lab.wait_registered(SQUARE, receiver)
        lab.interrupt(receiver, SQUARE)


def colorsquare_sigint_registering(o):
    interrupt_while_registering(o, "colorsquare receiver", o.colorsquare_receive, SQUARE)


def colorsquare_sighup(o):
    """Closing the receiver's terminal (SIGHUP), or `kill` (SIGTERM), stops it like Ctrl-C."""
    stop_like_ctrl_c(o, "colorsquare receiver", o.colorsquare_receive, SQUARE)


# -- helpers of the scenarios ---------------------------------------------------------------------


def expect_line_containing(program, text, what):
    if program.wait_for(re.escape(text), 5) is None:
        raise Failure("%s: expected %s, a line containing\n    %s" % (program.label, what, text),
                      program)


def interrupt_while_registering(o, label, program, name):
    """Ctrl-C while the server still waits for the name server's answer to its registration (the
    name is stored already; a person may press it then too): it must stop with exit code 0 and
    take its name out, as after the ready line."""
    with Lab(o, name_server=False) as lab, SlowToAnswerNameServer(lab.ns_port) as ns:
        server = lab.start(label, program)
        if not ns.stored.wait(o.timeout):
            raise Failure("%s did not register '%s' in the name server within %g s"
                          % (label, name, o.timeout), server)
        lab.interrupt(server, name)


def stop_like_ctrl_c(o, label, program, name):
    """SIGHUP, then (a new run) SIGTERM: each time the server stops and removes `name`."""
    for signum in (signal.SIGHUP, signal.SIGTERM):
        with Lab(o) as lab:
            server = lab.start(label, program)
            lab.wait_registered(name, server)
            lab.interrupt(server, name, signum)


def expect_call(twin, method, args, program):
    """The recording twin received the call method(*args), made by `program`."""
    if twin.calls.wait_for(method, lambda got: got == args, 5) is None:
        raise Failure("%s: expected the call %s(%s) to reach the server; its output alone does "
                      "not count\n%s" % (program.label, method, ", ".join(map(repr, args)),
                                          twin.calls.describe()), program)


def expect_names(program, prefix, expected):
    """A line "<prefix>a, b" (or "(none)") listing exactly the names `expected`, in any order."""
    line = program.wait_for("^" + re.escape(prefix), 5)
    listed = line[len(prefix):] if line is not None else ""
    names = set() if listed == "(none)" else {n.strip() for n in listed.split(",") if n.strip()}
    if line is None or names != expected:
        shown = ", ".join(sorted(expected)) or "(none)"
        raise Failure("%s: expected a line listing exactly these names, in any order\n    %s%s"
                      % (program.label, prefix, shown), program)


def start_observable(lab):
    observable = lab.start("observable server", lab.options.observable_server)
    lab.wait_registered("example.observable", observable)
    return observable


def start_observer(lab, label, program):
    """Starts an observer and waits until it says it registered with the observable."""
    observer = lab.start(label, program)
    if observer.wait_for(r"(?i)regist|waiting", lab.options.timeout) is None:
        if observer.output_ended() and observer.wait_exit(2) is not None:  # it ended
            raise Failure("%s ended (%s) before saying it registered with the observable"
                          % (label, observer.state()), observer)
        raise Failure("%s did not say it registered with the observable within %g s"
                      % (label, lab.options.timeout), observer)
    return observer


def expect_update(observer, message):
    if observer.wait_for("^Update received: %s$" % re.escape(message), 5) is None:
        raise Failure("%s: expected the update, the line\n    Update received: %s"
                      % (observer.label, message), observer)


def expect_clean_naming_errors(o, programs):
    """Without a name server each program ends at once with one clear line on stderr."""
    with Lab(o, name_server=False) as lab:
        for label, path in programs:
            started = time.monotonic()
            program = lab.run(label + " without a name server", path, timeout=10)
            elapsed = time.monotonic() - started
            errors = [line for line in program.lines("err") if line.strip()]
            problems = []
            if program.process.returncode == 0:
                problems.append("it ended with exit code 0; expected non-zero")
            if any("Traceback" in line for line in program.lines("err") + program.lines("out")):
                problems.append("it printed a traceback; expected one line")
            elif len(errors) != 1:
                problems.append("it printed %d lines on stderr; expected exactly one"
                                % len(errors))
            elif not (re.search(r"(?i)name ?server", errors[0]) and "pyro-ns" in errors[0]):
                problems.append("its error line should mention the name server and how to "
                                "start one ('pyro-ns')")
            if elapsed > 6:
                problems.append("it took %.1f s; expected a few seconds at most" % elapsed)
            if problems:
                raise Failure("%s without a name server: %s" % (label, "; ".join(problems)),
                              program)


SCENARIOS = {function.__name__: function for function in (
    echo_basic, echo_unicode, echo_missing_ns, echo_sigint, echo_sighup, echo_replace,
    observer_two, observer_default, observer_vanish, observer_missing_ns, observer_sigint,
    observer_sighup,
    introspect_basic, introspect_missing_ns, introspect_sigint, introspect_sighup,
    colorsquare_basic, colorsquare_lost_receiver, colorsquare_missing_ns, colorsquare_sigint,
    colorsquare_sighup,
    echo_sigint_registering, observer_sigint_registering, introspect_sigint_registering,
    colorsquare_sigint_registering)}


# ---------------------------------------------------------------------------------------------
# Running


def run_one(name, options):
    """Runs scenario `name`; returns None when it passed, else the failure message. (The
    autograder, grade.py, calls this too.)"""
    def out_of_time(_signum, _frame):
        raise Failure("the scenario took more than %d s" % SCENARIO_BUDGET)

    def terminated(signum, _frame):
        raise SystemExit("lab_tests.py: stopped by %s" % signal.Signals(signum).name)

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, terminated)  # so `finally` still stops the programs
    signal.alarm(SCENARIO_BUDGET)
    try:
        SCENARIOS[name](options)
    except (Failure, Pyro4.errors.PyroError) as failure:
        return str(failure)
    except Exception as error:  # pylint: disable=broad-except
        remote = getattr(error, "_pyroTraceback", None)
        if remote is None:  # not the program's doing: the test itself went wrong
            raise
        # A call from the test raised an exception in the program: its error, with its
        # traceback, is the finding (a grade report must not stop on it).
        lines = "".join(remote).rstrip().splitlines()[-QUOTED_LINES:]
        return "a call to the program raised %s: %s\n%s" % (
            type(error).__name__, error, "\n".join("    | " + line for line in lines))
    finally:
        signal.alarm(0)
    return None


def run_scenarios(options):
    for name in options.scenarios:
        print("== %s" % name, flush=True)
        failure = run_one(name, options)
        if failure is not None:
            print("FAILED %s: %s" % (name, failure), flush=True)
            return 1
        print("passed %s" % name, flush=True)
    return 0


def expect_failure(options, argv):
    """Runs the same scenarios in a child run; passes if it fails readably and cleanly."""
    child_argv = [sys.executable, os.path.abspath(__file__)] + strip_expect_failure(argv)
    print("expecting this run to fail with /%s/:\n  %s" % (options.expect_failure,
                                                           " ".join(child_argv)), flush=True)
    timeout = SCENARIO_BUDGET * len(options.scenarios) + 10
    child = processes.run(child_argv, timeout)
    output = child.output
    print("".join("  | " + line + "\n" for line in output.splitlines()), end="")
    problems = []
    if child.timed_out:
        problems.append("it did not finish within %d s (killed it)" % timeout)
    elif child.returncode != 1:
        problems.append("it ended with exit code %d; expected 1 (a failed check)"
                        % child.returncode)
    if re.search(r"^Traceback", output, re.MULTILINE):  # its own, not a quoted program's
        problems.append("it printed a traceback instead of a readable message")
    if not re.search(options.expect_failure, output):
        problems.append("its output has no match for /%s/" % options.expect_failure)
    left = [pid for pid in map(int, re.findall(r"\(pid (\d+)\)", output)) if alive(pid)]
    if left:
        problems.append("processes it started are still running: %s"
                        % ", ".join(map(str, left)))
    if problems:
        print("FAILED: the broken program was not caught as expected: " + "; ".join(problems))
        return 1
    print("passed: the broken program made the scenario fail, readably and cleanly")
    return 0


def strip_expect_failure(argv):
    stripped, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--expect-failure":
            skip = True
        elif not arg.startswith("--expect-failure="):
            stripped.append(arg)
    return stripped


def parse_arguments(argv):
    """The command line's options (grade.py builds its own through this too)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="+",
                        choices=sorted(SCENARIOS), metavar="SCENARIO",
                        help="one or more of: " + ", ".join(SCENARIOS))
    parser.add_argument("--python", default="/usr/bin/python3",
                        help="runs programs whose name ends in .py (default: /usr/bin/python3)")
    parser.add_argument("--name-server", default="/usr/bin/pyro4-ns",
                        help="takes -n HOST -p PORT like pyro4-ns")
    for role, default in (("echo-server", "echo-server"), ("echo-client", "echo-client"),
                          ("observable-server", "observable-server"), ("observer", "observer"),
                          ("notifier", "notifier"), ("introspect-server", "introspect-server"),
                          ("introspect-client", "introspect-client"),
                          ("colorsquare-receive", "colorsquare-receive"),
                          ("colorsquare-transmit", "colorsquare-transmit")):
        parser.add_argument("--" + role, default=default, metavar="PROG")
    parser.add_argument("--second-observer", metavar="PROG",
                        help="the other observer in two-observer scenarios (default: --observer)")
    parser.add_argument("--timeout", type=float, default=10,
                        help="seconds a program gets to become ready (default: 10)")
    parser.add_argument("--expect-failure", metavar="REGEX",
                        help="pass only if the scenarios fail with a message matching REGEX")
    return parser.parse_args(argv)


def main(argv):
    options = parse_arguments(argv)
    if options.expect_failure:
        return expect_failure(options, argv)
    return run_scenarios(options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
