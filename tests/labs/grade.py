#!/usr/bin/python3
"""The autograder: one lab's scenarios (lab_tests.py) against a student's programs.

    grade.py LAB [--from DIR] [--server PROG] [--client PROG] [--observable PROG]
                 [--observer PROG] [--notifier PROG] [--receiver PROG] [--transmitter PROG]
                 [--bin-dir DIR] [--out DIR]

`./labkit grade LAB ...` runs this. Each program a role names replaces the kit's own one; the
others stay the kit's (from --bin-dir). --from DIR takes every program of the lab that DIR holds
under its usual name: a C++ binary (echo-server, in DIR, DIR/bin or DIR/build/bin) or a Pyro4
program (echo_server.py, in DIR or DIR/python). A .py program runs with /usr/bin/python3.

For each scenario it prints PASS or FAIL; a failure says what a right program does, what
happened (with the programs' output) and the handout section that explains it. It writes JUnit
XML to --out/LAB.xml (default build/grade/) for a course platform.

Exit status: 0 all passed, 1 a scenario failed, 2 wrong usage.
"""

import argparse
import contextlib
import io
import os
import pathlib
import sys
import time
import xml.etree.ElementTree as ElementTree

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = pathlib.Path(__file__).resolve().parent
KIT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import lab_tests  # noqa: E402  (the scenarios themselves; nothing is duplicated here)

# Each lab: its roles (the grade option, the lab_tests.py option, the program's usual name) and
# its scenarios (what a right program does, and the handout section that explains it).
LABS = {
    "echo": {
        "roles": [("server", "echo-server"), ("client", "echo-client")],
        "scenarios": [
            ("echo_basic", "the client's echo() call reaches the server and the reply comes "
             "back unchanged, for text and for numbers, lists and dicts called from Python",
             "handouts/echo.md#steps"),
            ("echo_unicode", "non-ASCII text travels both ways unchanged",
             "handouts/echo.md#what-crosses-the-network"),
            ("echo_missing_ns", "without a name server, client and server end at once with "
             "one line on stderr that says so", "handouts/echo.md#steps"),
            ("echo_sigint", "Ctrl-C stops the server with exit code 0 and removes "
             "'echo.server' from the name server", "handouts/echo.md#the-code"),
            ("echo_sighup", "closing the server's terminal (SIGHUP) or `kill` (SIGTERM) stops "
             "it like Ctrl-C, name removed", "handouts/echo.md#the-code"),
            ("echo_replace", "a second server under a name that a running server holds refuses "
             "to start, naming the holder and offering --name NAME and --replace; a name left "
             "by a killed server is taken over with a note",
             "handouts/echo.md#sharing-a-name-server"),
        ],
    },
    "observer": {
        "roles": [("observable", "observable-server"), ("observer", "observer"),
                  ("notifier", "notifier")],
        "scenarios": [
            ("observer_two", "two observers registered: one notification reaches both, and the "
             "notifier prints how many were notified", "handouts/observer.md#steps"),
            ("observer_default", "the notifier's notify_observers call reaches the observable; "
             "the default message reaches an observer", "handouts/observer.md#steps"),
            ("observer_vanish", "an observer killed without a goodbye is dropped; later "
             "notifications still reach the others",
             "handouts/observer.md#when-an-observer-vanishes"),
            ("observer_missing_ns", "without a name server each program ends at once with one "
             "line on stderr that says so", "handouts/observer.md#steps"),
            ("observer_sigint", "Ctrl-C: the observer unregisters, the observable removes its "
             "name", "handouts/observer.md#the-code"),
            ("observer_sighup", "SIGHUP (terminal closed) and SIGTERM act like Ctrl-C for the "
             "observable and the observer", "handouts/observer.md#the-code"),
        ],
    },
    "introspect": {
        "roles": [("server", "introspect-server"), ("client", "introspect-client")],
        "scenarios": [
            ("introspect_basic", "greet and add answer as in Python, and the client lists the "
             "methods the metadata announced", "handouts/introspect.md#steps"),
            ("introspect_missing_ns", "without a name server client and server end at once "
             "with one line on stderr that says so", "handouts/introspect.md#steps"),
            ("introspect_sigint", "Ctrl-C stops the server and removes its name",
             "handouts/introspect.md#the-code"),
            ("introspect_sighup", "SIGHUP (terminal closed) and SIGTERM act like Ctrl-C",
             "handouts/introspect.md#the-code"),
        ],
    },
    "colorsquare": {
        "roles": [("receiver", "colorsquare-receive"), ("transmitter", "colorsquare-transmit")],
        "scenarios": [
            ("colorsquare_basic", "every colour the transmitter accepts reaches the receiver, "
             "refused lines send nothing, and get_color() tells the last colour",
             "handouts/colorsquare.md#steps"),
            ("colorsquare_lost_receiver", "when the receiver vanishes the transmitter says so "
             "in one line and exits non-zero", "handouts/colorsquare.md#questions"),
            ("colorsquare_missing_ns", "without a name server both programs end at once with "
             "one line on stderr that says so", "handouts/colorsquare.md#steps"),
            ("colorsquare_sigint", "Ctrl-C stops the receiver and removes its name",
             "handouts/colorsquare.md#the-code"),
            ("colorsquare_sighup", "SIGHUP (terminal closed) and SIGTERM act like Ctrl-C",
             "handouts/colorsquare.md#the-code"),
        ],
    },
}
ALL_ROLES = ["server", "client", "observable", "observer", "notifier", "receiver", "transmitter"]


class UsageError(Exception):
    pass


def find_in(directory, program):
    """The lab program `program` in a student's tree: a binary or a .py twin, or None."""
    script = program.replace("-", "_") + ".py"
    for candidate in (directory / program, directory / "bin" / program,
                      directory / "build" / "bin" / program, directory / "build" / program,
                      directory / script, directory / "python" / script):
        if candidate.is_file():
            return candidate
    return None


def check_program(role, path):
    """A program a role names must exist, and a binary must be executable."""
    program = pathlib.Path(path)
    if not program.is_file():
        raise UsageError("--%s %s: no such file" % (role, path))
    if program.suffix != ".py" and not os.access(program, os.X_OK):
        raise UsageError("--%s %s: not executable (a C++ program, or a Pyro4 program ending in "
                         ".py)" % (role, path))
    return os.path.abspath(program)  # symbolic links kept: the path reads as the student gave it


def choose_programs(lab, arguments, bin_dir):
    """{program name: (path, whose)} for every role of the lab."""
    roles = LABS[lab]["roles"]
    own = {role for role, _ in roles}
    for role in ALL_ROLES:
        if getattr(arguments, role) is not None and role not in own:
            raise UsageError("the %s lab has no --%s; its programs are %s"
                             % (lab, role, ", ".join("--" + r for r, _ in roles)))
    tree = None
    if arguments.from_dir is not None:
        tree = pathlib.Path(arguments.from_dir)
        if not tree.is_dir():
            raise UsageError("--from %s: no such folder" % arguments.from_dir)
    chosen = {}
    for role, program in roles:
        given = getattr(arguments, role)
        if given is not None:
            chosen[program] = (check_program(role, given), "given")
            continue
        found = find_in(tree, program) if tree is not None else None
        if found is not None:
            chosen[program] = (check_program(role, found), "from " + str(tree))
            continue
        kit = bin_dir / program
        if not kit.is_file():
            raise UsageError("the kit's %s is not built (%s); run ./labkit build, or give "
                             "--%s PROG" % (program, kit, role))
        chosen[program] = (str(kit), "the kit's")
    if tree is not None and all(whose == "the kit's" for _, whose in chosen.values()):
        raise UsageError("--from %s holds none of the %s lab's programs (looked for %s, or "
                         "their .py twins)" % (tree, lab, ", ".join(p for _, p in roles)))
    return chosen


def shown(path):
    """A path as the student knows it: relative to the current folder when inside it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    except ValueError:
        return path


def grade(lab, chosen, arguments):
    scenarios = [entry for entry in LABS[lab]["scenarios"]
                 if not arguments.scenario or entry[0] in arguments.scenario]
    argv = [name for name, _, _ in scenarios]
    argv += ["--python", arguments.python, "--name-server", arguments.name_server,
             "--timeout", str(arguments.timeout)]
    for program, (path, _) in chosen.items():
        argv += ["--" + program, path]
    options = lab_tests.parse_arguments(argv)
    print("Grading the %s lab with:" % lab)
    for program, (path, whose) in chosen.items():
        print("  %-22s %s (%s)" % (program, shown(path), whose))
    print()
    results = []
    for name, expected, section in scenarios:
        log = io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stdout(log):
            failure = lab_tests.run_one(name, options)
        seconds = time.monotonic() - started
        results.append((name, expected, section, failure, log.getvalue(), seconds))
        if failure is None:
            print("PASS %s" % name, flush=True)
            continue
        print("FAIL %s" % name)
        print("  expected: %s" % expected)
        happened = failure.splitlines()
        print("  happened: %s" % happened[0])
        for line in happened[1:]:
            print("            %s" % line)
        print("  read:     %s" % section, flush=True)
    passed = sum(1 for result in results if result[3] is None)
    path = write_junit(lab, results, pathlib.Path(arguments.out))
    print()
    print("%d of %d scenarios passed. JUnit XML: %s" % (passed, len(results), shown(str(path))))
    return 0 if passed == len(results) else 1


def write_junit(lab, results, out):
    suite = ElementTree.Element("testsuite", name="labs.%s" % lab, tests=str(len(results)),
                                failures=str(sum(1 for r in results if r[3] is not None)),
                                errors="0", time="%.3f" % sum(r[5] for r in results))
    for name, expected, section, failure, log, seconds in results:
        case = ElementTree.SubElement(suite, "testcase", classname="labs.%s" % lab, name=name,
                                      time="%.3f" % seconds)
        if failure is not None:
            element = ElementTree.SubElement(case, "failure",
                                             message=failure.splitlines()[0])
            element.text = "expected: %s\nhappened: %s\nread: %s\n" % (expected, failure,
                                                                       section)
        ElementTree.SubElement(case, "system-out").text = log
    out.mkdir(parents=True, exist_ok=True)
    path = out / ("%s.xml" % lab)
    tree = ElementTree.ElementTree(ElementTree.Element("testsuites"))
    tree.getroot().append(suite)
    ElementTree.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


def main(argv):
    parser = argparse.ArgumentParser(prog="./labkit grade",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("lab", metavar="LAB", help="one of: " + ", ".join(LABS))
    parser.add_argument("--from", dest="from_dir", metavar="DIR",
                        help="a student's tree with the lab's programs under their usual names")
    for role in ALL_ROLES:
        parser.add_argument("--" + role, metavar="PROG",
                            help="the student's %s program (C++ binary or .py)" % role)
    parser.add_argument("--scenario", action="append", metavar="NAME",
                        help="grade only this scenario (repeatable; default: all of the lab's)")
    parser.add_argument("--bin-dir", default=str(KIT / "build" / "bin"),
                        help="the kit's programs (default: build/bin)")
    parser.add_argument("--out", default=str(KIT / "build" / "grade"),
                        help="where LAB.xml goes (default: build/grade)")
    parser.add_argument("--python", default="/usr/bin/python3",
                        help="runs programs ending in .py (default: /usr/bin/python3)")
    parser.add_argument("--name-server", default="/usr/bin/pyro4-ns",
                        help="the name server the scenarios start (default: /usr/bin/pyro4-ns)")
    parser.add_argument("--timeout", type=float, default=10,
                        help="seconds a program gets to become ready (default: 10)")
    arguments = parser.parse_args(argv)
    if arguments.lab not in LABS:
        print("grade: error: unknown lab '%s'; the labs are: %s"
              % (arguments.lab, ", ".join(LABS)), file=sys.stderr)
        return 2
    names = [name for name, _, _ in LABS[arguments.lab]["scenarios"]]
    unknown = [name for name in arguments.scenario or [] if name not in names]
    if unknown:
        print("grade: error: the %s lab has no scenario %s; its scenarios are: %s"
              % (arguments.lab, ", ".join(unknown), ", ".join(names)), file=sys.stderr)
        return 2
    try:
        chosen = choose_programs(arguments.lab, arguments, pathlib.Path(arguments.bin_dir))
    except UsageError as error:
        print("grade: error: %s" % error, file=sys.stderr)
        return 2
    return grade(arguments.lab, chosen, arguments)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
