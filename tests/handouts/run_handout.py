#!/usr/bin/env python3
"""Runs one handout page as a test: what it quotes, links and shows must be true.

    run_handout.py --build-dir BUILD [--source-dir SRC] [--write] PAGE.md

Checks, in order (README.md in this folder describes the markup):
  1. quoted code equals its source region (sync_handouts.py);
  2. relative links point to files that exist; ```python blocks compile; ```mermaid blocks name a
     diagram type and, in sequence diagrams, only declared participants;
  3. every ```sh block marked <!-- run ... --> runs, in page order, in a scratch folder
     (BUILD/handout-runs/PAGE-XXXX) where build/ is the test's build folder and the kit's top-level
     folders are linked; a name server
     listens on a free loopback port (PYRO_NS_HOST/PYRO_NS_PORT point to it); each
     <!-- output --> block equals what its command printed, where only ports, object ids and
     traced frame sizes may differ, each consistently within the page (README.md, "Output").
Background commands are stopped by their process id (SIGINT, then SIGKILL) at <!-- stop --> or
at the end, also when something fails; each must then exit with its block's status (default 0). With --write, output blocks that do not match are
rewritten with what the run printed (the test name server's port shown as 9090).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import shlex
import shutil
import signal
import tempfile
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
import processes  # noqa: E402
import sync_handouts  # noqa: E402
from environment import pyro_environment  # noqa: E402
from processes import free_port  # noqa: E402

DIRECTIVE = re.compile(r"^<!--\s*(?P<kind>run|output|stop|file:\S+)(?P<attrs>.*?)\s*-->\s*$")
ATTR = re.compile(r'(?P<key>[\w-]+)(?:=(?:"(?P<quoted>[^"]*)"|(?P<bare>\S+)))?')
NAME_SERVERS = {"pyro-ns", "pyro4-ns"}
DEFAULT_NS_PORT = 9090
COMMAND_TIMEOUT = 30.0  # one foreground command
READY_TIMEOUT = 15.0  # a background command printing its ready line
STOP_TIMEOUT = 5.0  # Ctrl-C to exit
SETTLE = 0.25  # quiet time after which a running program's output counts as complete


class PageError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Parsing the page


class Block:
    """A fenced block with the directive before it."""

    def __init__(self, kind, attrs, directive_line, start, end, info, body):
        self.kind = kind  # "run", "output", "file"
        self.attrs = attrs
        self.line = directive_line + 1  # 1-based, for messages
        self.start, self.end = start, end  # fence lines (0-based), body is between
        self.info = info
        self.body = body


class Stop:
    """<!-- stop [NAME] [signal=KILL] -->: Ctrl-C (or kill -9) one background command, or all."""

    def __init__(self, attrs: dict[str, str], line: int):
        names = [key for key, value in attrs.items() if value == "" and key != "signal"]
        self.name = names[0] if names else None
        self.kill = attrs.get("signal", "INT").upper() in ("KILL", "9")
        self.line = line


def parse_attrs(text: str) -> dict[str, str]:
    attrs = {}
    for match in ATTR.finditer(text):
        value = match["quoted"] if match["quoted"] is not None else match["bare"]
        attrs[match["key"]] = value if value is not None else ""
    return attrs


def parse_page(lines: list[str]) -> list:
    items = []
    i = 0
    while i < len(lines):
        directive = DIRECTIVE.match(lines[i])
        if not directive:
            i += 1
            continue
        kind, attrs = directive["kind"], parse_attrs(directive["attrs"])
        if kind == "stop":
            items.append(Stop(attrs, i + 1))
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        fence = sync_handouts.FENCE.match(lines[j]) if j < len(lines) else None
        if not fence:
            raise PageError(f"line {i + 1}: '{lines[i].strip()}' must be followed by a ``` block")
        end = next((k for k in range(j + 1, len(lines)) if lines[k] == fence["fence"]), None)
        if end is None:
            raise PageError(f"line {j + 1}: unclosed ``` block")
        if kind.startswith("file:"):
            attrs["name"] = kind[len("file:"):]
            kind = "file"
        items.append(Block(kind, attrs, i, j, end, fence["info"].strip(), lines[j + 1:end]))
        i = end + 1
    return items


def commands_of(block: Block) -> list[str]:
    """The shell commands of a run block: one a line, `\\` continues, # comments skipped."""
    commands, pending = [], ""
    for raw in block.body:
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        commands.append(pending + line)
        pending = ""
    if pending:
        commands.append(pending)
    return commands


def program_of(command: str) -> str:
    """The basename of the program a command runs (after VAR=value assignments)."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return ""
    for word in words:
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", word):
            continue
        return os.path.basename(word)
    return ""


# ---------------------------------------------------------------------------------------------
# Static checks


def static_checks(root: pathlib.Path, page: pathlib.Path, lines: list[str]) -> list[str]:
    problems = sync_handouts.sync_page(root, page, write=False)
    where = display(root, page)
    in_fence, fence, info, body, start = False, "", "", [], 0
    for number, line in enumerate(lines, start=1):
        match = sync_handouts.FENCE.match(line)
        if not in_fence and match:
            in_fence, fence, info = True, match["fence"], match["info"].strip()
            body, start = [], number
            continue
        if in_fence:
            if line == fence:
                in_fence = False
                problems += check_block(info, body, f"{where}:{start}")
            else:
                body.append(line)
            continue
        for target in re.findall(r"\]\(([^)\s]+)\)", line):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            if not path.exists():
                problems.append(f"{where}:{number}: link to {target}, which does not exist")
    return problems


def display(root: pathlib.Path, page: pathlib.Path) -> str:
    """The page as messages name it: its path in the kit."""
    return str(page.relative_to(root)) if page.is_relative_to(root) else str(page)


def check_block(info: str, body: list[str], where: str) -> list[str]:
    text = "\n".join(body) + "\n"
    if info == "python":
        try:
            compile(text, where, "exec")
        except SyntaxError as error:
            return [f"{where}: python block does not compile: {error}"]
    if info == "mermaid":
        words = [l.strip() for l in body if l.strip() and not l.strip().startswith("%%")]
        if not words or words[0].split()[0] not in ("sequenceDiagram", "flowchart", "graph"):
            return [f"{where}: mermaid block should start with a diagram type"]
        if words[0] == "sequenceDiagram":
            declared = set()
            problems = []
            for line in words[1:]:
                decl = re.match(r"^(participant|actor)\s+(\S+)", line)
                if decl:
                    declared.add(decl[2])
                    continue
                message = re.match(r"^(\w+)\s*(--?>>|--?>|--?x|--?\))[+-]?\s*(\w+)\s*:", line)
                if message and ";" in line:  # Mermaid ends a statement at ';'
                    problems.append(f"{where}: ';' in a sequence diagram message: {line}")
                if message and declared:
                    for who in (message[1], message[3]):
                        if who not in declared:
                            problems.append(f"{where}: participant '{who}' not declared")
            return problems
    return []


# ---------------------------------------------------------------------------------------------
# Normalising and comparing output

# What really varies from run to run, and nothing else. Each is a named placeholder whose value
# must be consistent within a page: the object id and port a server prints are the ones the name
# server lists later, on the page as in the run (README.md, "Output").
HOST = r"(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])"
VARIABLES = [
    ("id", re.compile(r"obj_([0-9a-f]{32})"), "[0-9a-f]{32}"),
    ("port", re.compile(r"(?<=@)" + HOST + r":(\d{1,5})\b|(?<=\s)" + HOST + r":(\d{1,5})\b|"
                        r"^" + HOST + r":(\d{1,5})\b|"
                        r"'" + HOST + r"', (\d{1,5})\)|\"" + HOST + r"\", (\d{1,5})\]"),
     "\\d{1,5}"),
    ("size", re.compile(r"\b(\d+) bytes\b"), "\\d+"),
]
SIZE_SLACK = 4  # bytes a traced frame may differ by: a URI in it has a port of 4 or 5 digits


class Bindings:
    """Page value -> run value for each placeholder kind, one to one, for a whole page."""

    def __init__(self, seeded=None):
        self.forward = {kind: {} for kind, _, _ in VARIABLES}
        self.backward = {kind: {} for kind, _, _ in VARIABLES}
        for kind, page_value, run_value in seeded or []:
            self.bind(kind, page_value, run_value)

    def copy(self):
        other = Bindings()
        other.forward = {kind: dict(values) for kind, values in self.forward.items()}
        other.backward = {kind: dict(values) for kind, values in self.backward.items()}
        return other

    def bind(self, kind, page_value, run_value):
        """Records page_value == run_value; False when it contradicts an earlier pairing."""
        if kind == "size":  # not an identity: close enough is the rule
            return abs(int(page_value) - int(run_value)) <= SIZE_SLACK
        known = self.forward[kind].get(page_value)
        if known is not None:
            return known == run_value
        if self.backward[kind].get(run_value, page_value) != page_value:
            return False
        self.forward[kind][page_value] = run_value
        self.backward[kind][run_value] = page_value
        return True


def line_pattern(expected: str):
    """The page line as a regex over a run line, with a group per placeholder, and the
    placeholders' (kind, page value) in group order."""
    spans = []
    for kind, pattern, _ in VARIABLES:
        for match in pattern.finditer(expected):
            group = next(g for g in range(1, (match.lastindex or 0) + 1) if match[g] is not None)
            spans.append((match.start(group), match.end(group), kind, match[group]))
    spans.sort()
    regex, placeholders, at = "", [], 0
    for start, end, kind, value in spans:
        if start < at:
            continue  # overlapping masks: the first wins
        regex += re.escape(expected[at:start]) + "(" + dict(
            (k, r) for k, _, r in VARIABLES)[kind] + ")"
        placeholders.append((kind, value))
        at = end
    return re.compile(regex + re.escape(expected[at:])), placeholders


def match_line(expected: str, actual: str, bindings: Bindings):
    """New bindings if the run line equals the page line up to consistent placeholders, else
    None."""
    regex, placeholders = line_pattern(expected.rstrip())
    found = regex.fullmatch(actual.rstrip())
    if found is None:
        return None
    extended = bindings.copy() if placeholders else bindings
    for (kind, page_value), run_value in zip(placeholders, found.groups()):
        if not extended.bind(kind, page_value, run_value):
            return None
    return extended


def matches(expected: list[str], actual: list[str], bindings: Bindings | None = None):
    """Line by line, placeholders consistent with `bindings`; a line that is exactly `...`
    stands for any lines. Returns the extended bindings, or None when they do not match."""
    bindings = bindings or Bindings()
    want, have = list(expected), list(actual)
    while want and not want[-1].strip():
        want.pop()
    while have and not have[-1].strip():
        have.pop()

    def match(i: int, j: int, bound: Bindings):
        if i == len(want):
            return bound if j == len(have) else None
        if want[i].strip() == "...":
            for k in range(j, len(have) + 1):
                result = match(i + 1, k, bound)
                if result is not None:
                    return result
            return None
        if j == len(have):
            return None
        extended = match_line(want[i], have[j], bound)
        return match(i + 1, j + 1, extended) if extended is not None else None

    return match(0, 0, bindings)


# ---------------------------------------------------------------------------------------------
# Processes


class Terminal(processes.Process):
    """One command running in the background as in a terminal of its own, its output (stdout and
    stderr together) collected line by line."""

    def __init__(self, name: str, command: str, cwd: pathlib.Path, env: dict[str, str]):
        # SIGTERM if the test runner dies (e.g. killed by a ctest timeout): a name server gets
        # to stop as it would when its terminal is closed.
        super().__init__(["bash", "-c", command], env=env, cwd=cwd, merge_stderr=True,
                         new_session=True, death_signal=signal.SIGTERM)
        self.name = name
        self.command = command
        self.consumed = 0
        self.expected_status = 0  # a background block's status=
        self.stopped = False

    def wait_ready(self, ready: str | None):
        if ready:
            def has_ready() -> bool:
                return any(ready in l for l in self.lines())

            ok = self.wait_until(lambda: has_ready() or not self.running(), READY_TIMEOUT)
            ok = ok and has_ready()
        else:
            ok = self.wait_until(lambda: self.lines() or not self.running(), READY_TIMEOUT)
            ok = ok and self.running()
            self.settle()
        if not ok:
            raise PageError(f"'{self.command}' did not get ready"
                            f"{' (no line with ' + repr(ready) + ')' if ready else ''}; "
                            f"it printed:\n" + indent(self.lines()))

    def settle(self, at_least: int = 0):
        """Waits until the unread output has at_least lines and has been quiet for a moment."""
        self.wait_until(
            lambda: len(self.lines()) - self.consumed >= at_least or not self.running(), 5.0)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and self.running():
            if time.monotonic() - self.last_output >= SETTLE:
                break
            time.sleep(0.05)
        if not self.running():
            self.join_readers()

    def take(self) -> list[str]:
        new = self.lines()[self.consumed:]
        self.consumed += len(new)
        return new

    def stop(self, kill: bool = False) -> str | None:
        """Ctrl-C by process id (its own process group), then SIGKILL. Returns a problem text:
        also when it ended (by itself, or on Ctrl-C) with another exit status than the block's
        status= (default 0), as a terminal would show."""
        if self.stopped:
            return None  # already stopped (and judged) at its <!-- stop -->
        self.stopped = True
        ended_before = not self.running()
        if kill:
            super().stop(signal.SIGKILL)
            return None
        if not super().stop(signal.SIGINT, grace=STOP_TIMEOUT):
            return f"'{self.command}' did not stop within {STOP_TIMEOUT:.0f} s of Ctrl-C"
        status = self.process.returncode
        if status != self.expected_status:
            how = "ended by itself" if ended_before else "ended after Ctrl-C"
            return (f"'{self.command}' {how} with exit status {status} (expected "
                    f"{self.expected_status}); it printed:\n" + indent(self.lines()[-10:]))
        return None


def indent(lines: list[str]) -> str:
    return "\n".join("    | " + l for l in lines) if lines else "    (nothing)"


# ---------------------------------------------------------------------------------------------
# Running a page


class Runner:
    def __init__(self, root: pathlib.Path, build: pathlib.Path, page: pathlib.Path):
        self.root, self.build, self.page = root, build, page
        self.where = display(root, page)
        # Scratch folders live in the build folder (a run killed by a timeout leaves nothing in
        # /tmp), one per run so that two runs of a page never share one.
        page_id = re.sub(r"[^\w.-]", "_", str(page.relative_to(root)) if page.is_relative_to(root)
                         else page.name)
        (build / "handout-runs").mkdir(exist_ok=True)
        for old in (build / "handout-runs").glob(page_id + "-*"):  # kept by failed runs
            if time.time() - old.stat().st_mtime > 600:
                shutil.rmtree(old, ignore_errors=True)
        self.scratch = pathlib.Path(tempfile.mkdtemp(prefix=page_id + "-",
                                                     dir=build / "handout-runs"))
        for entry in root.iterdir():
            if entry.name not in ("build", ".git") and not entry.name.startswith("build-"):
                (self.scratch / entry.name).symlink_to(entry)
        (self.scratch / "build").symlink_to(build)
        self.ns_port = free_port()
        self.env = pyro_environment(PYRO_NS_HOST="localhost", PYRO_NS_PORT=str(self.ns_port))
        # The test name server's port is the page's 9090 (--write shows it so).
        self.bindings = Bindings([("port", str(DEFAULT_NS_PORT), str(self.ns_port))])
        self.terminals: dict[str, Terminal] = {}
        self.implicit_ns: Terminal | None = None
        self.problems: list[str] = []
        self.rewrites: list[tuple[Block, list[str]]] = []
        self.last_foreground: list[str] | None = None
        self.last_run: Block | None = None

    # the name server every command can reach
    def ns_command(self, command: str) -> str:
        if re.search(r"(^|\s)(-p|--port)(\s|=|$)", command):
            raise PageError(f"'{command}': leave the port out, the test picks a free one")
        return re.sub(r"(^|\s)(\S*pyro4?-ns)(?=\s|$)", rf"\1\2 -p {self.ns_port}", command,
                      count=1)

    def ns_alive(self) -> bool:
        return any(t.running() and program_of(t.command) in NAME_SERVERS
                   for t in self.terminals.values()) or (
            self.implicit_ns is not None and self.implicit_ns.running())

    def ensure_ns(self):
        if self.ns_alive():
            return
        program = self.build / "bin" / "pyro-ns"
        command = f"{shlex.quote(str(program))} -p {self.ns_port}" if program.exists() \
            else f"pyro4-ns -p {self.ns_port}"
        self.implicit_ns = Terminal("(test name server)", command, self.scratch, self.env)
        self.implicit_ns.wait_ready("URI = ")

    def stop_implicit_ns(self):
        if self.implicit_ns is not None:
            self.implicit_ns.stop()
            self.implicit_ns = None

    def run(self, items: list):
        for item in items:
            if isinstance(item, Stop):
                self.stop(item)
            elif item.kind == "file":
                (self.scratch / item.attrs["name"]).write_text("\n".join(item.body) + "\n")
            elif item.kind == "run":
                self.run_block(item)
            elif item.kind == "output":
                self.check_output(item)

    def run_block(self, block: Block):
        self.last_run = block
        commands = commands_of(block)
        if "background" in block.attrs:
            for command in commands:
                is_ns = program_of(command) in NAME_SERVERS
                name = block.attrs.get("name") or program_of(command)
                if name in self.terminals and self.terminals[name].running():
                    raise PageError(f"line {block.line}: '{name}' is already running; "
                                    f"give the block name=...")
                if is_ns:
                    self.stop_implicit_ns()
                    command = self.ns_command(command)
                else:
                    self.ensure_ns()
                terminal = Terminal(name, command, self.scratch, self.env)
                terminal.expected_status = int(block.attrs.get("status", "0"))
                self.terminals[name] = terminal
                terminal.wait_ready(block.attrs.get("ready") or ("URI = " if is_ns else None))
            self.last_foreground = None
            return
        output: list[str] = []
        expected_status = int(block.attrs.get("status", "0"))
        for command in commands:
            if program_of(command) in NAME_SERVERS:
                raise PageError(f"line {block.line}: a name server runs until stopped; "
                                f"mark its block <!-- run background -->")
            self.ensure_ns()
            lines, status = self.run_foreground(command)
            output += lines
            if status != expected_status:
                self.problems.append(
                    f"{self.where}:{block.line}: '{command}' exited with {status}"
                    f" (expected {expected_status}); it printed:\n{indent(lines)}")
        self.last_foreground = output

    def run_foreground(self, command: str) -> tuple[list[str], int]:
        finished = processes.run(["bash", "-c", command], COMMAND_TIMEOUT, env=self.env,
                                 cwd=self.scratch, death_signal=signal.SIGTERM)
        if finished.timed_out:
            self.problems.append(f"{self.where}: '{command}' still ran after "
                                 f"{COMMAND_TIMEOUT:.0f} s; killed")
        lines = finished.output.replace("\r", "").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return lines, finished.returncode

    def check_output(self, block: Block):
        of = block.attrs.get("of")
        expected = list(block.body)
        if of is None and self.last_run is not None and "background" not in self.last_run.attrs:
            if self.last_foreground is None:
                raise PageError(f"line {block.line}: a second output block for one command")
            actual, self.last_foreground = self.last_foreground, None
        else:
            if of is None:
                if self.last_run is None:
                    raise PageError(f"line {block.line}: output block before any run block")
                commands = commands_of(self.last_run)
                of = self.last_run.attrs.get("name") or program_of(commands[-1])
            terminal = self.terminals.get(of)
            if terminal is None:
                raise PageError(f"line {block.line}: no background command named '{of}' "
                                f"(known: {', '.join(self.terminals) or 'none'})")
            terminal.settle(at_least=sum(1 for l in expected if l.strip() != "..."))
            actual = terminal.take()
        bound = matches(expected, actual, self.bindings)
        if bound is None:
            self.problems.append(
                f"{self.where}:{block.line}: output differs (placeholders must also agree with "
                f"earlier blocks: {self.describe_bindings()}).\n  page shows:\n"
                f"{indent(expected)}\n  the run printed:\n{indent(actual)}")
            self.rewrites.append((block, actual))
        else:
            self.bindings = bound

    def describe_bindings(self) -> str:
        pairs = [f"{kind} {page} = {run}" for kind, values in self.bindings.forward.items()
                 for page, run in values.items()]
        return ", ".join(pairs) or "none yet"

    def stop(self, item: Stop):
        names = [item.name] if item.name else list(self.terminals)[::-1]
        for name in names:
            terminal = self.terminals.get(name)
            if terminal is None:
                raise PageError(f"line {item.line}: <!-- stop {name} -->: nothing named so")
            problem = terminal.stop(kill=item.kill)
            if problem:
                self.problems.append(f"{self.where}:{item.line}: {problem}")

    def stop_all(self):
        for terminal in list(self.terminals.values())[::-1]:
            problem = terminal.stop()
            if problem:
                self.problems.append(f"{self.where}: at the end: {problem}")
        self.stop_implicit_ns()

    def cleanup(self):
        # rmtree removes the links to the kit's folders without following them.
        shutil.rmtree(self.scratch, ignore_errors=True)

    def shown(self, line: str) -> str:
        """A line as the page shows it: the test name server's port as the default one."""
        return re.sub(rf"(?<=[\w\]]):{self.ns_port}\b", f":{DEFAULT_NS_PORT}",
                      line.replace(f'", {self.ns_port}]', f'", {DEFAULT_NS_PORT}]'))


def rewrite_outputs(page: pathlib.Path, rewrites: list[tuple[Block, list[str]]], shown) -> None:
    lines = page.read_text(encoding="utf-8").split("\n")
    for block, actual in sorted(rewrites, key=lambda r: r[0].start, reverse=True):
        lines[block.start + 1:block.end] = [shown(l).rstrip() for l in actual]
    page.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", required=True, type=pathlib.Path)
    parser.add_argument("--source-dir", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parents[2])
    parser.add_argument("--write", action="store_true",
                        help="rewrite output blocks that differ with what the run printed")
    parser.add_argument("page", type=pathlib.Path)
    args = parser.parse_args(argv)
    root, page = args.source_dir.resolve(), args.page.resolve()
    build = args.build_dir.resolve()
    where = display(root, page)
    started = time.monotonic()
    lines = page.read_text(encoding="utf-8").split("\n")
    try:
        items = parse_page(lines)
    except PageError as error:
        print(f"{where}: {error}")
        return 1
    problems = static_checks(root, page, lines)
    runner = Runner(root, build, page)
    runs = sum(1 for i in items if isinstance(i, Block) and i.kind == "run")
    try:
        runner.run(items)
    except PageError as error:
        runner.problems.append(f"{where}: {error}")
    finally:
        runner.stop_all()
    problems += runner.problems
    if not problems:
        runner.cleanup()  # kept after a failure, to look at the saved files
    if args.write and runner.rewrites:
        rewrite_outputs(page, runner.rewrites, runner.shown)
        print(f"{where}: rewrote {len(runner.rewrites)} output block(s)")
    for problem in problems:
        print(problem)
    outputs = sum(1 for i in items if isinstance(i, Block) and i.kind == "output")
    print(f"{where}: {runs} run block(s), {outputs} output block(s), "
          f"{len(problems)} problem(s), {time.monotonic() - started:.1f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
