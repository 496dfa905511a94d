#!/usr/bin/python3
"""Grades a whole class: every student's tree in a folder, with the lab's autograder.

    ./labkit grade LAB --class DIR [--build] [--out OUT]

DIR holds one folder per student (its name is the student's), each a tree as `./labkit starter`
wrote it or any folder with the lab's programs under their usual names (what `./labkit grade LAB
--from` takes: C++ binaries in it, bin/ or build/bin/, or the .py twins in it or python/).
--build first runs `./lab build` in each tree that has that script. Writes OUT/LAB-class.xml, one
JUnit file with a test suite per student, and each student's full report to
OUT/LAB-class/STUDENT.txt; prints a summary table.

Exit status: 0 every student passed every scenario, 1 some did not, 2 wrong usage.
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

sys.dont_write_bytecode = True
KIT = pathlib.Path(__file__).resolve().parents[2]
GRADE = KIT / "tests" / "labs" / "grade.py"
sys.path.insert(0, str(GRADE.parent))
import grade  # noqa: E402  (its table of labs, roles and programs)

STUDENT_TIME_LIMIT = 900  # seconds for one student's run of every scenario


def student_programs(lab: str, tree: pathlib.Path) -> list[str]:
    return [str(found) for _, program in grade.LABS[lab]["roles"]
            if (found := grade.find_in(tree, program)) is not None]


def grade_student(lab, tree, arguments, out) -> tuple[str, int, int, list[str], ElementTree.Element | None]:
    """(status, passed, total, failing scenarios, the JUnit test suite) of one student."""
    if arguments.build and (tree / "lab").is_file():
        built = subprocess.run([str(tree / "lab"), "build"], capture_output=True, text=True,
                               timeout=STUDENT_TIME_LIMIT)
        if built.returncode != 0:
            (out / f"{tree.name}.txt").write_text(built.stdout + built.stderr, encoding="utf-8")
            return "does not build", 0, 0, [], None
    if not student_programs(lab, tree):
        return "no programs", 0, 0, [], None
    xml_dir = out / tree.name
    argv = ["/usr/bin/python3", str(GRADE), lab, "--from", str(tree), "--bin-dir",
            arguments.bin_dir, "--out", str(xml_dir), "--name-server", arguments.name_server]
    try:
        run = subprocess.run(argv, capture_output=True, text=True, timeout=STUDENT_TIME_LIMIT)
        report = run.stdout + run.stderr
    except subprocess.TimeoutExpired:
        report, run = f"grading took more than {STUDENT_TIME_LIMIT} s; stopped", None
    (out / f"{tree.name}.txt").write_text(report, encoding="utf-8")
    xml_file = xml_dir / f"{lab}.xml"
    if run is None or run.returncode == 2 or not xml_file.is_file():
        return "not graded (see its report)", 0, 0, [], None
    suite = ElementTree.parse(xml_file).getroot().find("testsuite")
    suite.set("name", f"labs.{lab}.{tree.name}")
    for case in suite.iter("testcase"):
        case.set("classname", f"labs.{lab}.{tree.name}")
    cases = list(suite.iter("testcase"))
    failing = [case.get("name") for case in cases if case.find("failure") is not None]
    return "graded", len(cases) - len(failing), len(cases), failing, suite


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./labkit grade LAB --class DIR",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("lab", metavar="LAB", help="one of: " + ", ".join(grade.LABS))
    parser.add_argument("--class", dest="class_dir", required=True, metavar="DIR",
                        help="a folder with one folder per student")
    parser.add_argument("--build", action="store_true",
                        help="run ./lab build in each student's tree first")
    parser.add_argument("--bin-dir", default=str(KIT / "build" / "bin"))
    parser.add_argument("--out", default=str(KIT / "build" / "grade"))
    parser.add_argument("--name-server", default="/usr/bin/pyro4-ns")
    arguments = parser.parse_args(argv)
    if arguments.lab not in grade.LABS:
        print(f"grade: error: unknown lab '{arguments.lab}'; the labs are: "
              f"{', '.join(grade.LABS)}", file=sys.stderr)
        return 2
    class_dir = pathlib.Path(arguments.class_dir)
    students = sorted(p for p in class_dir.iterdir() if p.is_dir()) if class_dir.is_dir() else []
    if not students:
        print(f"grade: error: --class {class_dir}: no student folders there (one folder per "
              "student, named after them)", file=sys.stderr)
        return 2
    out = pathlib.Path(arguments.out) / f"{arguments.lab}-class"
    out.mkdir(parents=True, exist_ok=True)
    root = ElementTree.Element("testsuites")
    rows, everybody_passed = [], True
    for tree in students:
        print(f"grading {tree.name} ...", flush=True)
        status, passed, total, failing, suite = grade_student(arguments.lab, tree, arguments,
                                                              out)
        if suite is not None:
            root.append(suite)
        everybody_passed &= status == "graded" and passed == total
        result = f"{passed}/{total}" if status == "graded" else status
        rows.append((tree.name, result, ", ".join(failing) or "-"))
    junit = pathlib.Path(arguments.out) / f"{arguments.lab}-class.xml"
    tree = ElementTree.ElementTree(root)
    ElementTree.indent(tree)
    tree.write(junit, encoding="utf-8", xml_declaration=True)
    width = max(len("student"), *(len(name) for name, _, _ in rows))
    passed_width = max(len("passed"), *(len(result) for _, result, _ in rows))
    print()
    print(f"{'student':<{width}}  {'passed':<{passed_width}}  failing scenarios")
    for name, result, failing in rows:
        print(f"{name:<{width}}  {result:<{passed_width}}  {failing}")
    print()
    print(f"{len(rows)} students. JUnit XML: {junit}; each student's report: {out}/STUDENT.txt")
    return 0 if everybody_passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
