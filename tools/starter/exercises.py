"""What a student writes in each lab: the parts of the lab programs marked
`// [handout:todo.NAME]` … `// [/handout:todo.NAME]` (`#` in the Python twins), and for each of
them the TODO text, the handout section that explains it, and the stub that replaces it.

The markers use the handout syntax on purpose: tests/handouts/sync_handouts.py drops nested
marker lines from quoted code, so they never show in a handout.

A stub keeps the program compiling and running up to the first unwritten part, where it stops
with "not written yet: …" (C++: todo::not_written<T>(…) from todo.hpp, which throws; Python: an
exception in a servant's method, sys.exit in the main flow). Stubs name the variables the rest
of the program uses after the part, so they must follow the lab programs; the starter test
builds every starter and fails when one no longer compiles.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Todo:
    what: str  # what to write, one or two sentences
    section: str  # the handout section that explains it
    checks: str  # what the autograder checks for it (the Exercise section quotes this)
    cpp: str | None = None  # the C++ stub; {msg} is the "not written yet" text
    py: str | None = None  # the Python stub


@dataclasses.dataclass(frozen=True)
class Lab:
    handout: str
    # program name -> (C++ source in the kit, Python twin in the kit)
    programs: dict[str, tuple[str, str]]
    # other C++ files the starter needs (kit path -> path in the starter)
    support: dict[str, str]
    # (program, region) -> Todo, in the order a student writes them
    todos: dict[tuple[str, str], Todo]
    # extra CMake lines (after the programs are declared)
    cmake: str = ""


COMMON = {"labs/common/lab_support.hpp": "common/lab_support.hpp",
          "labs/common/lab_support.cpp": "common/lab_support.cpp"}

# The two ways a program stops at an unwritten part: a servant's method raises (the caller sees
# the exception), the main flow ends the program with one line.
PY_RAISE = 'raise NotImplementedError("not written yet: {msg} in {file}")'
PY_EXIT = 'sys.exit("{file}: not written yet: {msg} (see its TODO(student) comment)")'

def find_ns(lab: str) -> Todo:
    return Todo(
        what="find the name server (C++: labkit::find_name_server(options); Python: "
             "Pyro4.locateNS())",
        section="The code",
        checks=f"{lab}_missing_ns: without a name server the program ends at once with one line "
               "that names the name server and 'pyro-ns'",
        cpp='pyro::NameServer ns = todo::not_written<pyro::NameServer>("{msg}");',
        py=PY_EXIT)


def unregister(lab: str, name: str) -> Todo:
    return Todo(
        what=f"after the request loop ends (Ctrl-C), take '{name}' back out of the name server "
             "(C++: labkit::unregister_name; Python: the twin's unregister_name helper)",
        section="The code",
        checks=f"{lab}_sigint: after Ctrl-C the program exits with 0 and the name is gone from "
               "the name server",
        cpp="", py="pass")


LABS: dict[str, Lab] = {
    "echo": Lab(
        handout="handouts/echo.md",
        programs={"echo-server": ("labs/echo/echo_server.cpp", "tests/labs/python/echo_server.py"),
                  "echo-client": ("labs/echo/echo_client.cpp", "tests/labs/python/echo_client.py")},
        support=COMMON,
        todos={
            ("echo-server", "echo"): Todo(
                what="the servant's method echo(message): print one line echo(<the message's "
                     "repr>) and return the message unchanged, whatever its type",
                section="The code",
                checks="echo_basic: the server shows the call it served; echo(42), echo([1, "
                       "'two', [3.5]]), … called from Python come back unchanged; echo_unicode",
                cpp='return todo::not_written<pyro::Value>("{msg}", message);',
                py=PY_RAISE),
            ("echo-server", "find_ns"): find_ns("echo"),
            ("echo-server", "register"): Todo(
                what="give an EchoServer to the daemon with echo exposed (C++: register_object "
                     "with pyro::methods<EchoServer>().expose(…); Python: daemon.register), then "
                     "publish its URI under 'echo.server' (C++: labkit::register_name; Python: "
                     "the twin's register_name helper)",
                section="The code",
                checks="echo_basic: 'echo.server' appears in the name server; echo_replace: a "
                       "second server under a held name refuses or replaces as the handout says",
                cpp='const pyro::Uri uri = todo::not_written<pyro::Uri>("{msg}", daemon, ns);',
                py=PY_EXIT),
            ("echo-server", "unregister"): unregister("echo", "echo.server"),
            ("echo-client", "lookup"): Todo(
                what="find the name server and make a proxy for the object registered as "
                     "'echo.server' (C++: pyro::Proxy from ns.lookup(…); Python: "
                     "Pyro4.Proxy(\"PYRONAME:…\"))",
                section="The code",
                checks="echo_basic: the client's call reaches the test's recording echo server",
                cpp='pyro::Proxy echo = todo::not_written<pyro::Proxy>("{msg}");',
                py=PY_EXIT),
            ("echo-client", "call"): Todo(
                what="call echo(message) on the proxy and keep the reply (C++: "
                     "call<std::string>)",
                section="The code",
                checks="echo_basic: prints 'Reply: HOLA' with the reply the server sent",
                cpp='const std::string reply = todo::not_written<std::string>("{msg}", echo, '
                    'message);',
                py=PY_EXIT),
        }),
    "observer": Lab(
        handout="handouts/observer.md",
        programs={
            "observable-server": ("labs/observer/observable_server.cpp",
                                  "tests/labs/python/observable_server.py"),
            "observer": ("labs/observer/observer.cpp", "tests/labs/python/observer.py"),
            "notifier": ("labs/observer/notifier.cpp", "tests/labs/python/notifier.py")},
        support=COMMON,
        todos={
            ("observable-server", "register_observer"): Todo(
                what="register_observer(observer): keep the observer's proxy (with a timeout, "
                     "so a stuck observer cannot stall the others), once per URI, and print "
                     "'Observer registered: …'",
                section="The code",
                checks="observer_two: two registered observers both get the update",
                cpp='todo::not_written("{msg}", observer);',
                py=PY_RAISE),
            ("observable-server", "unregister_observer"): Todo(
                what="unregister_observer(observer): forget the observer with that URI",
                section="The code",
                checks="observer_sigint: after the observer's Ctrl-C, 'Observers notified: 0'",
                cpp='todo::not_written("{msg}", observer);',
                py=PY_RAISE),
            ("observable-server", "notify"): Todo(
                what="notify_observers(message): call update(message) on every observer, drop "
                     "the ones that are gone (CommunicationError), return how many were "
                     "notified",
                section="The code",
                checks="observer_two, observer_vanish: every live observer gets the update, "
                       "a killed one is dropped, the count is right",
                cpp='return todo::not_written<int>("{msg}", message);',
                py=PY_RAISE),
            ("observable-server", "find_ns"): find_ns("observer"),
            ("observable-server", "expose"): Todo(
                what="give one Observable to the daemon, exposing register_observer, "
                     "unregister_observer and notify_observers with their parameter names",
                section="The code",
                checks="observer_two: the observers and the notifier can call the three methods",
                cpp='const pyro::Uri uri = todo::not_written<pyro::Uri>("{msg}", daemon);',
                py=None),
            ("observable-server", "register"): Todo(
                what="publish the observable's URI under 'example.observable' "
                     "(C++: labkit::register_name; Python: daemon.register, then the twin's "
                     "register_name helper)",
                section="The code",
                checks="observer_two: 'example.observable' appears in the name server",
                cpp='todo::not_written("{msg}", ns, uri);',
                py=PY_EXIT),
            ("observable-server", "unregister"): unregister("observer", "example.observable"),
            ("observer", "update"): Todo(
                what="the callback object's update(message): print 'Update received: <message>'",
                section="The code",
                checks="observer_two, observer_default: the line 'Update received: …' for every "
                       "notification",
                cpp='todo::not_written("{msg}", message);',
                py=PY_RAISE),
            ("observer", "expose"): Todo(
                what="give an Observer to this program's own daemon, exposing update",
                section="The code",
                checks="observer_sigint: the test calls update() on the reference you registered",
                cpp='const pyro::Uri me = todo::not_written<pyro::Uri>("{msg}", daemon);',
                py=None),
            ("observer", "register"): Todo(
                what="find 'example.observable' through the name server and call "
                     "register_observer with your observer's URI (Python: register the Observer "
                     "with the daemon first)",
                section="The code",
                checks="observer_sigint: a register_observer call reaches the observable",
                cpp='pyro::Proxy observable = todo::not_written<pyro::Proxy>("{msg}", me);',
                py=PY_EXIT),
            ("observer", "unregister"): Todo(
                what="after the request loop ends (Ctrl-C), call unregister_observer with the "
                     "same URI",
                section="The code",
                checks="observer_sigint: on Ctrl-C the observer unregisters the reference it "
                       "registered",
                cpp="", py="pass"),
            ("notifier", "notify"): Todo(
                what="find 'example.observable' and call notify_observers(message); keep the "
                     "count it returns",
                section="The code",
                checks="observer_default: the call reaches the test's recording observable and "
                       "the count printed is the one it returned",
                cpp='const pyro::Value notified = todo::not_written<pyro::Value>("{msg}", '
                    'message);',
                py=PY_EXIT),
        }),
    "introspect": Lab(
        handout="handouts/introspect.md",
        programs={
            "introspect-server": ("labs/introspect/introspect_server.cpp",
                                  "tests/labs/python/introspect_server.py"),
            "introspect-client": ("labs/introspect/introspect_client.cpp",
                                  "tests/labs/python/introspect_client.py")},
        support=COMMON,
        todos={
            ("introspect-server", "greet"): Todo(
                what="greet(name) returns 'Hello, <name>!'",
                section="The code",
                checks="introspect_basic: greet('World') from Python gives 'Hello, World!'",
                cpp='std::string greet(const std::string& name) const {{\n'
                    '    return todo::not_written<std::string>("{msg}", name);\n}}',
                py=PY_RAISE),
            ("introspect-server", "add"): Todo(
                what="add(a, b) as Python's a + b: integers, floats (mixed too) and strings; "
                     "anything else raises pyro::TypeError with Python's message",
                section="The code",
                checks="introspect_basic: add(2, 3) == 5, add(1.5, 2) == 3.5, add('ab', 'cd') "
                       "== 'abcd' from Python",
                cpp='return todo::not_written<pyro::Value>("{msg}", a, b);',
                py=PY_RAISE),
            ("introspect-server", "find_ns"): find_ns("introspect"),
            ("introspect-server", "expose"): Todo(
                what="give a RemoteObject to the daemon, exposing greet and add with their "
                     "parameter names",
                section="The code",
                checks="introspect_basic: Python's proxy learns exactly the methods greet and add",
                cpp='const pyro::Uri uri = todo::not_written<pyro::Uri>("{msg}", daemon);',
                py=None),
            ("introspect-server", "register"): Todo(
                what="publish the URI under 'example.remote.object' (Python: daemon.register, "
                     "then the twin's register_name helper)",
                section="The code",
                checks="introspect_basic: 'example.remote.object' appears in the name server",
                cpp='todo::not_written("{msg}", ns, uri);',
                py=PY_EXIT),
            ("introspect-server", "unregister"): unregister("introspect", "example.remote.object"),
            ("introspect-client", "lookup"): Todo(
                what="make a proxy for 'example.remote.object' (C++: find the name server "
                     "first, then ns.lookup)",
                section="The code",
                checks="introspect_basic: the calls reach the test's recording remote object",
                cpp='pyro::Proxy remote = todo::not_written<pyro::Proxy>("{msg}");',
                py=PY_EXIT),
            ("introspect-client", "calls"): Todo(
                what="call greet(name) and add(2, 3) and print the lines "
                     "\"greet('World') -> …\" and 'add(2, 3) -> …'",
                section="The code",
                checks="introspect_basic: greet('World') and add(2, 3) reach the server; the "
                       "greeting printed is the one it sent",
                cpp='todo::not_written("{msg}", remote, name);',
                py=PY_EXIT),
        }),
    "colorsquare": Lab(
        handout="handouts/colorsquare.md",
        programs={
            "colorsquare-receive": ("labs/colorsquare/colorsquare_receive.cpp",
                                    "tests/labs/python/colorsquare_receive.py"),
            "colorsquare-transmit": ("labs/colorsquare/colorsquare_transmit.cpp",
                                     "tests/labs/python/colorsquare_transmit.py")},
        support={**COMMON,
                 "labs/colorsquare/square_window.hpp": "square_window.hpp",
                 "labs/colorsquare/square_window.cpp": "square_window.cpp",
                 "labs/colorsquare/colour_command.hpp": "colour_command.hpp",
                 "labs/colorsquare/colour_command.cpp": "colour_command.cpp"},
        todos={
            ("colorsquare-receive", "set_color"): Todo(
                what="set_color(r, g, b): refuse a channel outside 0-255 (check() throws "
                     "std::invalid_argument, Python's ValueError), store the colour under the "
                     "mutex, print 'set_color(r, g, b)' and wake the main thread to redraw",
                section="The code",
                checks="colorsquare_basic: the colours sent arrive; set_color(0, 256, 0) raises "
                       "ValueError and leaves the colour as it was",
                cpp='todo::not_written("{msg}", r, g, b, main_thread_);',
                py=PY_RAISE),
            ("colorsquare-receive", "get_color"): Todo(
                what="get_color(): the current colour as a list [r, g, b]",
                section="The code",
                checks="colorsquare_basic: [255, 255, 255] at first, the last colour sent after",
                cpp='return todo::not_written<std::vector<int>>("{msg}");',
                py=PY_RAISE),
            ("colorsquare-receive", "find_ns"): find_ns("colorsquare"),
            ("colorsquare-receive", "expose"): Todo(
                what="the interface: expose set_color, get_color and elapsed",
                section="The code",
                checks="colorsquare_basic: the transmitter and the test can call all three",
                cpp='auto interface = todo::not_written<decltype(pyro::methods<ColorSquare>())>'
                    '("{msg}", square);',
                py=None),
            ("colorsquare-receive", "register"): Todo(
                what="publish the URI under 'example.colorsquare' (Python: daemon.register, "
                     "then ns.register or the twin's helper)",
                section="The code",
                checks="colorsquare_basic: 'example.colorsquare' appears in the name server",
                cpp='todo::not_written("{msg}", ns, uri);',
                py=PY_EXIT),
            ("colorsquare-receive", "unregister"): unregister("colorsquare", "example.colorsquare"),
            ("colorsquare-transmit", "lookup"): Todo(
                what="look 'example.colorsquare' up in the name server (C++: ns.lookup(name); "
                     "Python: Pyro4.Proxy(\"PYRONAME:…\"))",
                section="The code",
                checks="colorsquare_basic: the commands reach the test's recording receiver",
                cpp='uri = todo::not_written<pyro::Uri>("{msg}", ns);',
                py=PY_EXIT),
            ("colorsquare-transmit", "set_color_named"): Todo(
                what="RED, GREEN, BLUE: call set_color with that colour's r, g, b",
                section="The code",
                checks="colorsquare_basic: RED arrives as set_color(255, 0, 0)",
                py=PY_EXIT),
            ("colorsquare-transmit", "set_color"): Todo(
                what="call set_color(r, g, b) on the square with the colour the command gave",
                section="The code",
                checks="colorsquare_basic: exactly the three valid colours arrive, none for the "
                       "refused lines",
                cpp='todo::not_written("{msg}", square, *set);',
                py=PY_EXIT),
            ("colorsquare-transmit", "elapsed"): Todo(
                what="TIME: call elapsed() and print 'receiver running for …'",
                section="The code",
                checks="colorsquare_basic: TIME calls elapsed() and prints the time it returned",
                cpp='const double seconds = todo::not_written<double>("{msg}", square);',
                py=PY_EXIT),
        },
        cmake="find_package(SDL2 REQUIRED)\n"
              "add_library(colorsquare_support STATIC square_window.cpp colour_command.cpp)\n"
              "target_include_directories(colorsquare_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})\n"
              "target_link_libraries(colorsquare_support PUBLIC SDL2::SDL2)\n"
              "target_link_libraries(colorsquare-receive PRIVATE colorsquare_support)\n"
              "target_link_libraries(colorsquare-transmit PRIVATE colorsquare_support)\n"),
}
