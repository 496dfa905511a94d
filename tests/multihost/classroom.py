#!/usr/bin/python3
"""A classroom network in network namespaces: the labs across hosts joined by a bridge.

    classroom.py SCENARIO --name-server PROG --echo-server PROG --echo-client PROG
                 --observable-server PROG --observer PROG --notifier PROG [--nsc PROG]

Each run builds its own small lab network: one namespace holding a bridge (the switch) and one
namespace per host, each with a veth cable to the bridge and an address in 10.213.0.0/24. No
namespace has a route anywhere else, so nothing a scenario sends can leave them; the hosts answer
broadcasts only across the bridge. Names carry this process's id, so runs side by side (ctest -j)
never meet. Every process is stopped by its pid and every namespace deleted, also on failure.

Creating namespaces needs root: without it (or without `ip netns`) the run exits 77, which ctest
reports as SKIPPED, with the reason on its last line. Exit 0 passed, 1 a check failed.
"""

import argparse
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
import processes  # noqa: E402
from environment import pyro_environment  # noqa: E402

SKIP = 77
SCENARIO_BUDGET = 90  # seconds
SUBNET = "10.213.0"  # lives only inside this run's namespaces
NS_ADDRESS = SUBNET + ".1"
SERVER_ADDRESS = SUBNET + ".2"
OBSERVER_ADDRESS = SUBNET + ".3"
CLIENT_ADDRESS = SUBNET + ".4"
SLOWDOWN = 1  # --slowdown N: every wait times N (a sanitizer build's PYRO_TEST_TIMEOUT_FACTOR)


class Failure(Exception):
    def __init__(self, message, *programs):
        text = message
        for program in programs:
            text += "\n" + program.describe()
        super().__init__(text)


class Skip(Exception):
    pass


def report(text):
    print("multihost: " + text, flush=True)


def note(text):
    print("  " + text, flush=True)


def ip(*args, check=True):
    finished = subprocess.run(["ip"] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=20, check=False)
    if check and finished.returncode != 0:
        raise Failure("ip %s failed: %s" % (" ".join(args), finished.stdout.strip()))
    return finished


class Program(processes.LabelledProcess):
    def output(self):
        return "\n".join(self.lines("out") + self.lines("err"))


def remove_orphans():
    """Deletes the namespaces of earlier runs whose driver was killed before it could clean up
    (a run's names carry its pid; only those of pids no longer running are touched)."""
    for name in ip("netns", "list", check=False).stdout.split():
        match = re.match(r"pyro(\d+)-", name)
        if match and not processes.alive(int(match.group(1))):
            ip("netns", "del", name, check=False)
            note("deleted namespace %s left by an earlier run" % name)


class Classroom:
    """The switch and the hosts of one run; start() runs a program on a host."""

    def __init__(self, options, hosts):
        self.options = options
        self.prefix = "pyro%d" % os.getpid()
        self.switch = self.prefix + "-sw"
        self.hosts = dict(hosts)  # label -> address
        self.namespaces = []
        self.programs = []

    def namespace(self, host):
        return "%s-%s" % (self.prefix, host)

    def __enter__(self):
        try:
            self._build()
        except BaseException:
            self.tear_down()
            raise
        return self

    def __exit__(self, *exc):
        signal.alarm(0)
        self.tear_down()
        return False

    def _add_namespace(self, name):
        added = ip("netns", "add", name, check=False)
        if added.returncode != 0:
            if not self.namespaces:  # none can be made here at all
                raise Skip("cannot create a network namespace (ip netns add: %s)"
                           % added.stdout.strip())
            raise Failure("ip netns add %s failed after %d others: %s"
                          % (name, len(self.namespaces), added.stdout.strip()))
        self.namespaces.append(name)
        ip("-n", name, "link", "set", "lo", "up")

    def _build(self):
        remove_orphans()
        start = time.monotonic()
        self._add_namespace(self.switch)
        ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        ip("-n", self.switch, "link", "set", "br0", "up")
        for index, (host, address) in enumerate(self.hosts.items()):
            name = self.namespace(host)
            self._add_namespace(name)
            port = "port%d" % index
            ip("-n", self.switch, "link", "add", port, "type", "veth", "peer", "name",
               "cable%d" % index)
            ip("-n", self.switch, "link", "set", "cable%d" % index, "netns", name)
            ip("-n", name, "link", "set", "cable%d" % index, "name", "eth0")
            ip("-n", name, "addr", "add", address + "/24", "brd", "+", "dev", "eth0")
            ip("-n", name, "link", "set", "eth0", "up")
            # Pyro4's discovery sends to 255.255.255.255; the hosts have no default route (so
            # nothing can leave), so that one address gets a route onto the lab network.
            ip("-n", name, "route", "add", "255.255.255.255/32", "dev", "eth0")
            ip("-n", self.switch, "link", "set", port, "master", "br0", "up")
        note("network: bridge in %s, hosts %s (%.2f s to build)" % (
            self.switch, ", ".join("%s=%s" % item for item in self.hosts.items()),
            time.monotonic() - start))

    def tear_down(self):
        for program in reversed(self.programs):
            program.stop()
        for name in reversed(self.namespaces):
            ip("netns", "del", name, check=False)
        self.namespaces = []
        left = [n for n in ip("netns", "list", check=False).stdout.split()
                if n.startswith(self.prefix + "-")]
        if left:
            print("classroom: namespaces left behind: %s" % left, flush=True)

    def unplug(self, host):
        """The host's cable is pulled: its link goes down, its programs keep running."""
        ip("-n", self.namespace(host), "link", "set", "eth0", "down")

    def environment(self, host, **settings):
        env = pyro_environment(PYRO_HOST=self.hosts[host], PYTHONIOENCODING="utf-8")
        env.update(settings)
        return env

    def start(self, label, host, argv, **settings):
        argv = ["ip", "netns", "exec", self.namespace(host)] + list(argv)
        started = Program(label, argv, self.environment(host, **settings))
        self.programs.append(started)
        note("started %s on %s (pid %d): %s"
             % (label, host, started.pid, " ".join(argv[4:]).replace("\n", "; ")))
        return started

    def run(self, label, host, argv, timeout, **settings):
        timeout *= SLOWDOWN
        started = self.start(label, host, argv, **settings)
        if started.wait_exit(timeout) is None:
            started.stop()
            raise Failure("%s did not finish within %g s (killed it)" % (label, timeout),
                          started)
        return started

    def start_name_server(self):
        ns = self.start("pyro-ns", "nshost", [self.options.name_server, "-n", NS_ADDRESS])
        if not ns.wait_for(r"^URI = ", 10):
            raise Failure("the name server did not start", ns)
        return ns

    def wait_for_line(self, program, pattern, timeout, what):
        timeout *= SLOWDOWN
        line = program.wait_for(pattern, timeout)
        if line is None:
            raise Failure("%s within %g s" % (what, timeout), program)
        return line


def expect_exit(program, code, what):
    if program.process.returncode != code:
        raise Failure("%s: %s ended with %s; expected exit code %d"
                      % (what, program.label, program.state(), code), program)


# ---------------------------------------------------------------------------------------------
# Scenarios


def lab_hosts(students=0):
    hosts = {"nshost": NS_ADDRESS, "server": SERVER_ADDRESS, "observer": OBSERVER_ADDRESS,
             "client": CLIENT_ADDRESS}
    for index in range(students):
        hosts["student%d" % index] = "%s.%d" % (SUBNET, 10 + index)
    return hosts


def start_echo(room):
    server = room.start("echo-server", "server", [room.options.echo_server])
    line = room.wait_for_line(server, r"Object URI: ", 10,
                              "the echo server did not find the name server by broadcast")
    if "@" + SERVER_ADDRESS + ":" not in line:
        raise Failure("the echo server's URI is not on its host's address %s: %r"
                      % (SERVER_ADDRESS, line), server)
    return server


def discovery_and_call(options):
    with Classroom(options, lab_hosts()) as room:
        room.start_name_server()
        start_echo(room)
        start = time.monotonic()
        client = room.run("echo-client", "client", [options.echo_client, "across the bridge"],
                          20)
        took = time.monotonic() - start
        expect_exit(client, 0, "a call across the bridge")
        if "Reply: across the bridge" not in client.output():
            raise Failure("the client's reply is missing", client)
        report("name server on %s, echo server on %s, client on %s: both found the name "
               "server by broadcast (no PYRO_NS_HOST), the call came back in %.2f s"
               % (NS_ADDRESS, SERVER_ADDRESS, CLIENT_ADDRESS, took))
        if options.nsc:
            listing = room.run("pyro-nsc", "observer", [options.nsc, "list"], 20)
            expect_exit(listing, 0, "pyro-nsc list by broadcast")
            if "echo.server --> PYRO:" not in listing.output():
                raise Failure("pyro-nsc list does not show echo.server", listing)
            report("pyro-nsc list from %s found it by broadcast and lists echo.server"
                   % OBSERVER_ADDRESS)
        # The real Pyro4 on a fourth host: locateNS by broadcast, PYRONAME call.
        script = ("import Pyro4\nPyro4.config.reset(useenvironment=False)\n"
                  "ns = Pyro4.locateNS()\nprint('found', ns._pyroUri)\n"
                  "print('echo', Pyro4.Proxy('PYRONAME:echo.server').echo('from Pyro4'))\n")
        python = room.run("Pyro4 client", "observer", [options.python, "-c", script], 20)
        expect_exit(python, 0, "Pyro4's locateNS and a call")
        if "echo from Pyro4" not in python.output():
            raise Failure("the Pyro4 client did not get its echo", python)
        report("the real Pyro4 on %s: %s" % (OBSERVER_ADDRESS,
                                             python.output().replace("\n", "; ")))


def run_observer_lab(room, notifications, observer_settings=None, server_settings=None,
                     notifier_settings=None, timeout=20):
    """The observer lab on three hosts; returns the seconds all notifications took."""
    options = room.options
    server = room.start("observable-server", "server", [options.observable_server],
                        **(server_settings or {}))
    room.wait_for_line(server, r"Registered as", 20, "the observable did not register")
    observer = room.start("observer", "observer", [options.observer],
                          **(observer_settings or {}))
    room.wait_for_line(observer, r"registered; waiting", 20,
                       "the observer did not register with the observable")
    start = time.monotonic()
    for index in range(notifications):
        notifier = room.run("notifier", "client", [options.notifier, "message %d" % index],
                            timeout, **(notifier_settings or {}))
        expect_exit(notifier, 0, "notification %d" % index)
        if "Observers notified: 1" not in notifier.output():
            raise Failure("notification %d reached no observer" % index, notifier, server)
    took = time.monotonic() - start
    for index in range(notifications):
        room.wait_for_line(observer, r"Update received: message %d$" % index, 10,
                           "the observer on %s did not get 'message %d'"
                           % (OBSERVER_ADDRESS, index))
    return took


def observer_across_hosts(options):
    with Classroom(options, lab_hosts()) as room:
        room.start_name_server()
        took = run_observer_lab(room, 3)
        report("observable on %s called the observer on %s back for 3 notifications from %s "
               "(%.2f s for the three)" % (SERVER_ADDRESS, OBSERVER_ADDRESS, CLIENT_ADDRESS,
                                           took))


def twenty_students(options):
    students = 20
    with Classroom(options, lab_hosts(students)) as room:
        room.start_name_server()
        start_echo(room)
        start = time.monotonic()
        clients = [room.start("student %d" % i, "student%d" % i,
                              [options.echo_client, "student %d" % i]) for i in range(students)]
        late = [c for c in clients if c.wait_exit(30 * SLOWDOWN) is None]
        took = time.monotonic() - start
        if late:
            raise Failure("%d students' clients did not finish within 30 s" % len(late), *late)
        for index, client in enumerate(clients):
            expect_exit(client, 0, "student %d" % index)
            if "Reply: student %d" % index not in client.output():
                raise Failure("student %d got no reply" % index, client)
        report("%d students on %d hosts at once (each: broadcast discovery, lookup, call): all "
               "answered in %.2f s" % (students, students, took))


def ns_host_gone(options):
    with Classroom(options, lab_hosts()) as room:
        room.start_name_server()
        start_echo(room)
        room.unplug("nshost")
        report("the name server's host %s is unplugged (its link is down)" % NS_ADDRESS)
        cases = (("by broadcast", {}),
                 ("with PYRO_NS_HOST=%s" % NS_ADDRESS, {"PYRO_NS_HOST": NS_ADDRESS}))
        for how, settings in cases:
            start = time.monotonic()
            client = room.run("echo-client " + how, "client", [options.echo_client, "anyone?"],
                              30, **settings)
            took = time.monotonic() - start
            expect_exit(client, 1, "the name server's host gone")
            errors = [line for line in client.lines("err") if line.strip()]
            if len(errors) != 1 or not re.search(r"name ?server",
                                                 errors[0], re.IGNORECASE):
                raise Failure("the client %s did not say in one line that the name server "
                              "cannot be reached" % how, client)
            report("a client %s: exit 1 after %.1f s with %r" % (how, took, errors[0]))


def server_host_gone(options):
    with Classroom(options, lab_hosts()) as room:
        room.start_name_server()
        # Every message the server sends waits 1.5 s, so a call is in flight long enough to pull
        # the cable in the middle of it; PYRO_COMMTIMEOUT=4 on the client is the limit.
        delay = {"PYRO_FAULTS": "seed=1,delay=1500ms"}
        server = room.start("echo-server", "server", [options.echo_server], **delay)
        room.wait_for_line(server, r"Object URI: ", 10, "the echo server did not start")
        control = room.run("echo-client (control)", "client",
                           [options.echo_client, "before"], 20, PYRO_COMMTIMEOUT="4")
        expect_exit(control, 0, "a slow call with the server's host up")
        report("control: with the server's messages delayed 1.5 s the call succeeds "
               "(PYRO_COMMTIMEOUT=4)")
        client = room.start("echo-client", "client", [options.echo_client, "mid-call"],
                            PYRO_COMMTIMEOUT="4", PYRO_TRACE="1")
        # PYRO_TRACE prints each frame on stderr; the INVOKE of echo is the call itself.
        if client.wait_for(r'"method": "echo"', 15 * SLOWDOWN, stream="err") is None:
            raise Failure("the client did not send its call within 15 s", client)
        sent = time.monotonic()
        room.unplug("server")
        code = client.wait_exit(20)
        took = time.monotonic() - sent
        if code is None:
            raise Failure("the client still waits 20 s after the server's host went away "
                          "mid-call (PYRO_COMMTIMEOUT=4)", client)
        expect_exit(client, 1, "the server's host gone mid-call")
        errors = [line for line in client.lines("err") if "echo-client:" in line]
        if not errors or "timeout" not in errors[-1] or not 3.0 <= took <= 4.0 + 3.0 * SLOWDOWN:
            raise Failure("expected 'timeout' about 4 s after the call (PYRO_COMMTIMEOUT=4); "
                          "got %r after %.1f s" % (errors, took), client)
        report("the server's host %s unplugged mid-call: the client ended %.1f s later with "
               "%r" % (SERVER_ADDRESS, took, errors[-1]))


def lossy_link(options):
    if shutil.which("iptables") is None:
        raise Skip("iptables is not installed (apt-get install iptables): it makes the lossy "
                   "link (this kernel has no netem)")
    with Classroom(options, lab_hosts()) as room:
        room.start_name_server()
        loss = "0.1"
        # Dropped as each lossy host sends (OUTPUT only): a packet between server and observer
        # then crosses one rule, 10 % lost each way. Rules on INPUT too made it 19 %, and TCP's
        # retransmissions then outlasted the observable's 5 s observer timeout now and then.
        for host in ("server", "observer"):
            for chain in ("OUTPUT",):
                finished = subprocess.run(
                    ["ip", "netns", "exec", room.namespace(host), "iptables", "-A", chain,
                     "-i" if chain == "INPUT" else "-o", "eth0", "-m", "statistic", "--mode",
                     "random", "--probability", loss, "-j", "DROP"],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=20,
                    check=False)
                if finished.returncode != 0:
                    raise Skip("iptables cannot add a 'statistic' rule here: %s"
                               % finished.stdout.strip())
        slow = {"PYRO_FAULTS": "seed=7,delay=20-150ms"}
        took = run_observer_lab(room, 5, observer_settings=slow, server_settings=slow,
                                timeout=30)
        dropped = []
        for host in ("server", "observer"):
            counters = subprocess.run(
                ["ip", "netns", "exec", room.namespace(host), "iptables", "-L", "-v", "-n",
                 "-x"], stdout=subprocess.PIPE, text=True, timeout=20, check=False).stdout
            packets = sum(int(line.split()[0]) for line in counters.splitlines()
                          if "statistic" in line)
            dropped.append("%s %d" % (host, packets))
        report("observer lab over a link losing 10%% of the packets the server's and the "
               "observer's hosts send (iptables statistic) with every message delayed 20-150 ms "
               "(PYRO_FAULTS): 5 notifications reached the observer in %.1f s; packets dropped: "
               "%s" % (took, ", ".join(dropped)))


SCENARIOS = {f.__name__: f for f in (discovery_and_call, observer_across_hosts, twenty_students,
                                     ns_host_gone, server_host_gone, lossy_link)}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--nsc", metavar="PROG")
    parser.add_argument("--slowdown", type=int, default=1, metavar="N",
                        help="every wait times N (sanitizer builds)")
    for role in ("name-server", "echo-server", "echo-client", "observable-server", "observer",
                 "notifier"):
        parser.add_argument("--" + role, required=True, metavar="PROG")
    options = parser.parse_args(argv)
    global SCENARIO_BUDGET, SLOWDOWN
    SLOWDOWN = max(1, options.slowdown)
    SCENARIO_BUDGET *= SLOWDOWN
    print("== %s" % options.scenario, flush=True)
    if os.geteuid() != 0:
        print("SKIPPED: needs root to create network namespaces (ip netns add); run as root",
              flush=True)
        return SKIP
    if shutil.which("ip") is None:
        print("SKIPPED: the ip command is missing (apt-get install iproute2)", flush=True)
        return SKIP

    def out_of_time(_signum, _frame):
        raise Failure("the scenario took more than %d s" % SCENARIO_BUDGET)

    def terminated(signum, _frame):
        raise SystemExit("classroom.py: stopped by %s" % signal.Signals(signum).name)

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, terminated)  # so `finally` still cleans up
    signal.alarm(SCENARIO_BUDGET)
    try:
        SCENARIOS[options.scenario](options)
    except Skip as skip:
        print("SKIPPED: %s" % skip, flush=True)
        return SKIP
    except (Failure, OSError, subprocess.SubprocessError) as failure:
        print("FAILED %s: %s" % (options.scenario, failure), flush=True)
        return 1
    finally:
        signal.alarm(0)
    print("passed %s" % options.scenario, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
