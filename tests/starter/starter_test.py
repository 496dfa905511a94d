#!/usr/bin/python3
"""The starter of one lab, end to end (ctest starter_LAB, label starter):

1. `tools/starter/starter.py LAB DIR` writes the tree;
2. no line of a marked part (an answer) is in it: every line inside a `[handout:todo.NAME]`
   region of a lab program that does not also stand outside the regions is absent from the
   starter's copy;
3. the Python twins compile, and the C++ tree configures against the libpyro given with
   --prefix (find_package) and builds with one command;
4. graded by the same tests: every scenario of the lab fails on the fresh starter, C++ and
   Python alike, with the hint a student needs (the program's "not written yet: TODO n/m
   [name]" line, or what the scenario expected); with `./labkit grade` when the kit has it,
   else with the lab test driver tests/labs/lab_tests.py directly. The solutions (the kit's
   programs) pass the same scenarios;
5. (with ./labkit grade) the same tree with every TODO filled in as the solutions have it
   (starter.py --filled) builds and passes, C++ and Python: the starter takes out nothing else.

    starter_test.py LAB --kit KIT --bin BUILD/bin --prefix PREFIX --work DIR

Every process is stopped by the graders themselves (lab_tests.py kills what it starts by pid).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True

LAB_ROLES = {  # program -> lab_tests.py option
    "echo-server": "--echo-server", "echo-client": "--echo-client",
    "observable-server": "--observable-server", "observer": "--observer",
    "notifier": "--notifier", "introspect-server": "--introspect-server",
    "introspect-client": "--introspect-client",
    "colorsquare-receive": "--colorsquare-receive",
    "colorsquare-transmit": "--colorsquare-transmit",
}


def fail(message: str) -> None:
    print(f"FAILED: {message}", flush=True)
    sys.exit(1)


# The whole test ends before ctest's limit (600 s), so that no command it started outlives it.
DEADLINE = time.monotonic() + 560


def run(argv: list[str], timeout: float, cwd: pathlib.Path | None = None,
        env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs a command in its own process group; on timeout kills that group and fails."""
    timeout = min(timeout, max(DEADLINE - time.monotonic(), 1))
    print("$ " + " ".join(map(str, argv)), flush=True)
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.communicate()
        fail(f"{argv[0]} did not finish within {timeout:g} s (killed it)")
    return subprocess.CompletedProcess(argv, process.returncode, output, "")


def without_comment(line: str) -> str:
    """The line without a trailing // or # comment (one outside string literals)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == "\\":
                continue
            if char == quote and line[i - 1] != "\\":
                quote = None
        elif char in "\"'":
            quote = char
        elif line.startswith("//", i) or char == "#" and not line.lstrip().startswith("#include"):
            return line[:i]
    return line


def significant(line: str) -> str | None:
    """A line as compared for leaks: code without its comment, spaces collapsed; a comment line
    as it is; None for lines that say nothing on their own (braces, blank lines)."""
    code = " ".join(without_comment(line).split())
    if not re.search(r"[A-Za-z0-9]", code):
        code = " ".join(line.split())  # a comment line: its words are an answer too
    return code if re.search(r"[A-Za-z0-9]", code) else None


def check_no_answers(kit: pathlib.Path, lab, tree: pathlib.Path, starter) -> int:
    """Step 2. Returns how many answer lines were checked."""
    checked = 0
    for cpp, py in lab.programs.values():
        for source, copy in ((kit / cpp, tree / pathlib.Path(cpp).name),
                             (kit / py, tree / "python" / pathlib.Path(py).name)):
            answers = {significant(line) for line in starter.marked_lines(source)} - {None}
            if not answers:
                fail(f"{source.relative_to(kit)} has no [handout:todo.…] region")
            solution = source.read_text(encoding="utf-8").split("\n")
            regions = starter.todo_regions(solution, str(source))
            inside = {n for _, start, end in regions for n in range(start, end + 1)}
            given = {significant(line) for n, line in enumerate(solution) if n not in inside}
            answers -= given  # a line the starter keeps anyway (e.g. `return 0;`) is no answer
            leaked = [line for line in copy.read_text(encoding="utf-8").split("\n")
                      if significant(line) in answers
                      or " ".join(line.split()) in answers]  # a comment line copied whole
            if leaked:
                fail(f"{copy.relative_to(tree)} contains answer line(s) of "
                     f"{source.relative_to(kit)}: " + " | ".join(l.strip() for l in leaked))
            checked += len(answers)
    return checked


def build(tree: pathlib.Path, prefix: pathlib.Path) -> None:
    """Configures and builds a starter tree against the installed libpyro in `prefix`."""
    configure = ["cmake", "-S", str(tree), "-B", str(tree / "build"), "-DPYRO_KIT_SOURCE_DIR=",
                 f"-DCMAKE_PREFIX_PATH={prefix.resolve()}", "-DCMAKE_BUILD_TYPE=Debug"]
    if shutil.which("ccache"):
        configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
    # ccache with paths relative to the work folder: every tree's identical files (lab_support,
    # the filled tree's copies) compile once for all of them.
    env = dict(os.environ, CCACHE_BASEDIR=str(tree.parent), CCACHE_NOHASHDIR="1")
    for step in (configure, ["cmake", "--build", str(tree / "build"), "-j", "2"]):
        result = run(step, 600, env=env)
        if result.returncode != 0:
            print(result.stdout[-6000:])
            fail(f"{tree.name} does not build: {' '.join(step[:2])} failed")


def grade_available(kit: pathlib.Path) -> bool:
    help_text = run([str(kit / "labkit"), "help"], 30).stdout
    return re.search(r"^\s+grade\b", help_text, re.MULTILINE) is not None


def scenarios_of(kit: pathlib.Path, lab_name: str) -> list[str]:
    text = (kit / "tests/labs/lab_tests.py").read_text(encoding="utf-8")
    table = re.search(r"SCENARIOS = \{.*?\((.*?)\)\}", text, re.DOTALL)
    names = re.findall(r"\b(\w+)\b", table.group(1)) if table else []
    return [name for name in names if name.startswith(lab_name + "_")]


def grade_scenarios(kit: pathlib.Path, lab_name: str) -> list[str]:
    """The scenarios ./labkit grade runs for the lab (its table in tests/labs/grade.py)."""
    sys.path.insert(0, str(kit / "tests/labs"))
    import grade  # noqa: E402
    return [name for name, _, _ in grade.LABS[lab_name]["scenarios"]]


def grade_with_driver(kit, bin_dir, lab_name, programs: dict[str, str], scenario: str):
    """One scenario through tests/labs/lab_tests.py with `programs` in their roles."""
    argv = ["/usr/bin/python3", str(kit / "tests/labs/lab_tests.py"), scenario,
            "--name-server", str(bin_dir / "pyro-ns")]
    for program, path in programs.items():
        argv += [LAB_ROLES[program], path]
    return run(argv, 200)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lab")
    parser.add_argument("--kit", type=pathlib.Path, required=True)
    parser.add_argument("--bin", type=pathlib.Path, required=True,
                        help="the kit's built programs (the solutions, pyro-ns)")
    parser.add_argument("--prefix", type=pathlib.Path, required=True,
                        help="an installed libpyro (cmake --install of the kit)")
    parser.add_argument("--work", type=pathlib.Path, required=True)
    args = parser.parse_args(argv)
    kit = args.kit.resolve()
    sys.path.insert(0, str(kit / "tools/starter"))
    import starter  # noqa: E402
    lab = starter.LABS[args.lab]

    # 1. The tree.
    tree = args.work.resolve() / args.lab
    shutil.rmtree(tree, ignore_errors=True)
    result = run(["/usr/bin/python3", str(kit / "tools/starter/starter.py"), args.lab, str(tree)],
                 60)
    print(result.stdout, end="")
    if result.returncode != 0:
        fail(f"starter.py {args.lab} exited with {result.returncode}")
    for name in ("CMakeLists.txt", "lab", "README.md", "common/todo.hpp"):
        if not (tree / name).is_file():
            fail(f"the starter has no {name}")

    # The handout's Exercise section shows these TODOs: the table tools/starter makes of them.
    page = (kit / lab.handout).read_text(encoding="utf-8")
    section = re.search(r"^## Exercise\n(.*?)(?=^## )", page, re.MULTILINE | re.DOTALL)
    if section is None:
        fail(f"{lab.handout} has no '## Exercise' section")
    if starter.exercise_table(lab) not in section.group(1):
        fail(f"the TODO table in {lab.handout}'s Exercise section differs from "
             f"tools/starter/exercises.py; print it with: tools/starter/starter.py {args.lab} "
             "--table")

    # 2. No answers in it.
    checked = check_no_answers(kit, lab, tree, starter)
    print(f"no answer leaked: {checked} answer lines checked", flush=True)

    # 3. It compiles: Python twins, then the C++ tree against the installed libpyro.
    for py in sorted((tree / "python").glob("*.py")):
        try:
            compile(py.read_text(encoding="utf-8"), str(py), "exec")
        except SyntaxError as error:
            fail(f"{py.relative_to(tree)} does not compile: {error}")
    build(tree, args.prefix)
    built = {program: tree / "build/bin" / program for program in lab.programs}
    for program, path in built.items():
        if not os.access(path, os.X_OK):
            fail(f"the starter's build has no {path.relative_to(tree)}")
    print("the starter builds: " + ", ".join(lab.programs), flush=True)

    # 4. Graded: the fresh starter fails every scenario with a hint, the solutions pass.
    scenarios = scenarios_of(kit, args.lab)
    if not scenarios:
        fail(f"no {args.lab}_* scenarios found in tests/labs/lab_tests.py")
    variants = {"C++ starter": {p: str(path) for p, path in built.items()},
                "Python starter": {p: str(tree / "python" / pathlib.Path(py).name)
                                   for p, (_cpp, py) in lab.programs.items()}}
    use_grade = grade_available(kit)
    hint = re.compile(r"not written yet: TODO \d+/\d+ \[\w+\]")
    if use_grade:
        # ./labkit grade LAB --from DIR finds the built C++ programs in DIR/build/bin, the
        # Python twins in DIR/python. LABKIT_BUILD_DIR: the kit's programs of this build.
        build_dir = pathlib.Path(os.path.abspath(args.bin)).parent
        if not (build_dir / "bin/echo-server").is_file():  # else labkit would build the kit
            fail(f"{build_dir}/bin has no echo-server: ./labkit grade needs the kit's programs")
        env = dict(os.environ, LABKIT_BUILD_DIR=str(build_dir))
        grade = [str(kit / "labkit"), "grade", args.lab, "--out", str(tree / "grade")]
        scenarios = grade_scenarios(kit, args.lab)
        for variant, folder in (("C++ starter", tree), ("Python starter", tree / "python")):
            result = run(grade + ["--from", str(folder)], 900, env=env)
            print(result.stdout, end="")
            if result.returncode != 1:
                fail(f"./labkit grade {args.lab} --from {folder} exited with "
                     f"{result.returncode} on the fresh {variant}; expected 1 (scenarios failed)")
            if re.search(r"\(the kit's\)$", result.stdout, re.MULTILINE):
                fail(f"./labkit grade --from {folder} graded some of the kit's own programs "
                     "instead of the starter's")
            reports = {m.group(2): m.group(0) for m in re.finditer(
                r"^(PASS|FAIL) (\w+)\b.*?(?=^PASS\b|^FAIL\b|^\d+ of \d+ scenarios)",
                result.stdout, re.MULTILINE | re.DOTALL)}
            for scenario in scenarios:
                report = reports.get(scenario)
                if report is None or not report.startswith("FAIL"):
                    fail(f"./labkit grade did not report {scenario} as failing for the fresh "
                         f"{variant}")
                if not hint.search(report) or "read:" not in report:
                    fail(f"./labkit grade failed {scenario} for the {variant} without its hint "
                         "(the program's 'not written yet: TODO n/m [name]' line and the "
                         "handout section to read)")
            print(f"./labkit grade: the fresh {variant} fails all {len(scenarios)} scenarios, "
                  "each with its hint", flush=True)
        result = run(grade, 900, env=env)
        print(result.stdout, end="")
        if result.returncode != 0:
            fail("./labkit grade failed the kit's own programs (the solutions)")
        print(f"./labkit grade: the solutions pass all {len(scenarios)} scenarios", flush=True)

        # 5. Filling the TODOs with the answers (nothing else changed) makes the tree pass.
        filled = args.work.resolve() / (args.lab + "-filled")
        shutil.rmtree(filled, ignore_errors=True)
        result = run(["/usr/bin/python3", str(kit / "tools/starter/starter.py"), args.lab,
                      str(filled), "--filled"], 60)
        if result.returncode != 0:
            fail(f"starter.py {args.lab} --filled exited with {result.returncode}")
        build(filled, args.prefix)
        for variant, folder in (("C++", filled), ("Python", filled / "python")):
            result = run(grade + ["--from", str(folder)], 900, env=env)
            print(result.stdout, end="")
            if result.returncode != 0 or re.search(r"\(the kit's\)$", result.stdout, re.M):
                fail(f"the {variant} starter with every TODO filled in as the solutions have it "
                     "does not pass ./labkit grade --from it")
        print("the starter with its TODOs filled in passes, C++ and Python", flush=True)
    else:
        print("./labkit has no grade command: grading with tests/labs/lab_tests.py", flush=True)
        for scenario in scenarios:
            for variant, programs in variants.items():
                result = grade_with_driver(kit, args.bin, args.lab, programs, scenario)
                failure = re.search(r"^FAILED \w+: (.*)$", result.stdout, re.MULTILINE)
                if result.returncode == 0 or failure is None:
                    print(result.stdout)
                    fail(f"{scenario} passed the fresh {variant}; every scenario must fail")
                if not hint.search(result.stdout[failure.start():]):
                    print(result.stdout)
                    fail(f"{scenario} failed the {variant} without its hint (no 'not written "
                         "yet: TODO n/m [name]' line from the program)")
                print(f"  {scenario}: the {variant} fails: {failure.group(1)[:150]}", flush=True)
            solutions = {p: str(args.bin / p) for p in lab.programs}
            result = grade_with_driver(kit, args.bin, args.lab, solutions, scenario)
            if result.returncode != 0:
                print(result.stdout)
                fail(f"{scenario} failed the kit's own programs (the solutions)")
            print(f"  {scenario}: the solutions pass", flush=True)
    print(f"passed: the {args.lab} starter builds, ships no answer, fails every scenario "
          f"({len(scenarios)}) with a hint; the solutions pass"
          + ("; filled in, it passes" if use_grade else ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
