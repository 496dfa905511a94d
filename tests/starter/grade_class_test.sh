#!/usr/bin/env bash
# ./labkit grade echo --class DIR grades a folder of student trees in one go (ctest
# starter_grade_class, label starter): alice hands in the kit's own programs, bob a fresh starter
# (its Python twins, nothing written), carol an empty folder. Expected: exit 1, a table with
# alice passing every scenario, bob none, carol "no programs", and one JUnit file with a test
# suite for each graded student.
#
#   grade_class_test.sh KIT BUILD_DIR WORK_DIR
set -euo pipefail
kit="$1"
build="$2"
work="$3/grade-class"
fail() { printf 'FAILED: %s\n' "$*"; exit 1; }

rm -rf "$work"
mkdir -p "$work/class/alice/bin" "$work/class/carol"
ln -s "$build/bin/echo-server" "$build/bin/echo-client" "$work/class/alice/bin/"
/usr/bin/python3 "$kit/tools/starter/starter.py" echo "$work/class/bob" >/dev/null

status=0
output="$(LABKIT_BUILD_DIR="$build" "$kit/labkit" grade echo --class "$work/class" \
    --out "$work/out" 2>&1)" || status=$?
printf '%s\n' "$output"
[[ $status -eq 1 ]] || fail "exit status $status; expected 1 (bob and carol did not pass)"
total="$(sed -nE 's/^alice +([0-9]+)\/\1 +-$/\1/p' <<<"$output")"
[[ -n "$total" && "$total" -gt 0 ]] || fail "no row 'alice N/N -' (every scenario passed)"
grep -qE "^bob +0/$total +echo_basic, " <<<"$output" || fail "no row 'bob 0/$total echo_basic, …'"
grep -qE "^carol +no programs" <<<"$output" || fail "no row 'carol no programs'"
xml="$work/out/echo-class.xml"
[[ -f "$xml" ]] || fail "no JUnit file $xml"
/usr/bin/python3 - "$xml" "$total" <<'PY' || fail "the JUnit file is not as expected"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = {s.get("name"): s for s in root.iter("testsuite")}
total = int(sys.argv[2])
assert set(suites) == {"labs.echo.alice", "labs.echo.bob"}, suites
assert suites["labs.echo.alice"].get("failures") == "0"
assert suites["labs.echo.bob"].get("failures") == str(total)
assert len(list(suites["labs.echo.bob"].iter("testcase"))) == total
PY
grep -q "not written yet: TODO" "$work/out/echo-class/bob.txt" || fail "bob's report has no hint"
rm -rf "$work"
echo "passed: the class table, one JUnit file, each student's report"
