#!/usr/bin/python3
"""Checks `./labkit grade` (grade.py) from the outside: its exit status, its report and its
JUnit XML.

    grade_test.py --out DIR --pass -- GRADE ARGS...
    grade_test.py --out DIR --fail SCENARIO --says REGEX -- GRADE ARGS...

--pass: every scenario must pass (exit 0, "N of N scenarios passed", no <failure> in the XML).
--fail SCENARIO: grading must end with exit 1, report SCENARIO as FAIL with its expected:,
happened: and read: lines (the happened part matching REGEX), and the XML must hold a <failure>
for that test case. Exit status 0 when the check held, 1 when not.

    grade_test.py --check-sections

checks that every handout section the report names (handouts/PAGE.md#ANCHOR) exists.
"""

import argparse
import pathlib
import re
import sys
import xml.etree.ElementTree as ElementTree

sys.dont_write_bytecode = True
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "support"))
sys.path.insert(0, str(HERE))
import processes  # noqa: E402

GRADE_BUDGET = 280  # seconds; ctest's limit is a little longer


def slug(heading):
    """The anchor a Markdown renderer (GitHub's) makes of a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def check_sections():
    """Every handout section the report points to ("read: handouts/PAGE.md#ANCHOR") exists."""
    import grade  # noqa: E402  (the report's own table)
    kit = HERE.parents[1]
    problems = []
    for lab, table in grade.LABS.items():
        for name, _, section in table["scenarios"]:
            page, _, anchor = section.partition("#")
            path = kit / page
            if not path.is_file():
                problems.append("%s: %s does not exist" % (name, page))
                continue
            headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
            if anchor not in {slug(heading) for heading in headings}:
                problems.append("%s: %s has no section #%s" % (name, page, anchor))
        print("%s: %d scenarios, each with a handout section" % (lab, len(table["scenarios"])))
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    print("passed: every section the grade report names exists")
    return 0


def main(argv):
    if argv == ["--check-sections"]:
        return check_sections()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="the --out folder grade.py writes to")
    parser.add_argument("--lab", required=True)
    outcome = parser.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--pass", dest="passes", action="store_true")
    outcome.add_argument("--fail", metavar="SCENARIO")
    parser.add_argument("--says", default="", metavar="REGEX")
    parser.add_argument("grade", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    grade_args = options.grade[1:] if options.grade[:1] == ["--"] else options.grade
    xml_path = pathlib.Path(options.out) / ("%s.xml" % options.lab)
    if xml_path.exists():
        xml_path.unlink()  # a stale report must not pass for a new one
    argv = [sys.executable, str(HERE / "grade.py"), options.lab, "--out", options.out]
    argv += grade_args
    print("running: %s" % " ".join(argv), flush=True)
    child = processes.run(argv, GRADE_BUDGET)
    print("".join("  | " + line + "\n" for line in child.output.splitlines()), end="")
    problems = []
    if child.timed_out:
        problems.append("grading did not finish within %d s (killed it)" % GRADE_BUDGET)
    if re.search(r"^Traceback", child.output, re.MULTILINE):
        problems.append("it printed a traceback")
    cases = {}
    if not xml_path.is_file():
        problems.append("it wrote no JUnit XML at %s" % xml_path)
    else:
        suite = ElementTree.parse(xml_path).getroot().find("testsuite")
        cases = {case.get("name"): case.find("failure") for case in suite.iter("testcase")}
        if not cases:
            problems.append("the XML lists no test cases")
    if options.passes:
        if child.returncode != 0:
            problems.append("exit code %s; expected 0 (all passed)" % child.returncode)
        if not re.search(r"^(\d+) of \1 scenarios passed", child.output, re.MULTILINE):
            problems.append("no line 'N of N scenarios passed'")
        failed = [name for name, failure in cases.items() if failure is not None]
        if failed:
            problems.append("the XML has failures for %s" % ", ".join(failed))
    else:
        if child.returncode != 1:
            problems.append("exit code %s; expected 1 (a scenario failed)" % child.returncode)
        block = re.search(r"^FAIL %s\n.*?\n(?=PASS |FAIL |\n)" % re.escape(options.fail),
                          child.output + "\n", re.MULTILINE | re.DOTALL)
        if block is None:
            problems.append("no 'FAIL %s' in the report" % options.fail)
        else:
            text = block.group(0)
            for label in ("expected:", "happened:", "read:"):
                if "\n  %s" % label not in text:
                    problems.append("the FAIL %s block has no '%s' line" % (options.fail, label))
            if not re.search(r"\n  read: +handouts/\S+\.md#\S+", text):
                problems.append("its 'read:' line names no handout section")
            if not re.search(options.says, text):
                problems.append("its report has no match for /%s/" % options.says)
        if cases and cases.get(options.fail) is None:
            problems.append("the XML has no <failure> for %s" % options.fail)
        elif cases and not re.search(options.says, cases[options.fail].text or ""):
            problems.append("the XML's failure for %s has no match for /%s/"
                            % (options.fail, options.says))
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    print("passed: the grade report and its XML say what they should")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
