#!/usr/bin/python3
"""Fails when a ctest entry of this build could hang the run or pass without testing anything.

    check_ctest_entries.py BUILD_DIR [--max-timeout SECONDS]

Reads `ctest --show-only=json-v1` (every entry, including those GoogleTest discovers at test time
and those other areas add later: fuzz, dissector, monitor, gateway) and lists each entry that
  - has no TIMEOUT property, or one above --max-timeout: without it a hang stalls the whole run
    (ctest's own default is 10,000,000 s), instead of failing one test;
  - runs a GoogleTest program (a --gtest_filter argument) without failing on GoogleTest's
    "0 tests from 0 test suites ran": a filter that matches nothing would otherwise pass.
Exit status: 0 when every entry is fine, 1 otherwise (the offenders are listed), 2 when ctest
cannot list the entries.
"""

import argparse
import json
import subprocess
import sys

NO_TESTS_RAN = "0 tests from 0 test suites ran"  # GoogleTest's line when its filter matched none


def list_entries(build_dir):
    """The entries ctest knows in `build_dir`, as json-v1 test objects."""
    listing = subprocess.run(["ctest", "--test-dir", build_dir, "--show-only=json-v1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             timeout=300, check=False)
    if listing.returncode != 0:
        sys.exit("check_ctest_entries: ctest --show-only failed:\n" + listing.stderr)
    return json.loads(listing.stdout)["tests"]


def properties(entry):
    """The entry's properties as a dict name -> value."""
    return {item["name"]: item["value"] for item in entry.get("properties", [])}


def problems_of(entry, max_timeout):
    """What is wrong with one entry, as short phrases (empty: nothing)."""
    found = []
    props = properties(entry)
    timeout = props.get("TIMEOUT")
    if not timeout or float(timeout) <= 0:
        found.append("no TIMEOUT")
    elif float(timeout) > max_timeout:
        found.append("TIMEOUT %s s is above %g s" % (timeout, max_timeout))
    command = entry.get("command") or []
    if any(arg.startswith("--gtest_filter=") for arg in command):
        fail_patterns = props.get("FAIL_REGULAR_EXPRESSION") or []
        if NO_TESTS_RAN not in fail_patterns:
            found.append("a GoogleTest filter without FAIL_REGULAR_EXPRESSION '%s'"
                         % NO_TESTS_RAN)
    return found


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build_dir")
    parser.add_argument("--max-timeout", type=float, default=600,
                        help="the longest time limit an entry may have, in seconds")
    options = parser.parse_args(argv)
    entries = list_entries(options.build_dir)
    bad = []
    for entry in entries:
        if entry["name"].endswith("_NOT_BUILT"):
            continue  # GoogleTest's stand-in for an unbuilt program: it fails at once when run
        found = problems_of(entry, options.max_timeout)
        if found:
            bad.append("  %s: %s" % (entry["name"], "; ".join(found)))
    if not entries:
        print("FAILED: ctest lists no entries in %s" % options.build_dir)
        return 1
    if bad:
        print("FAILED: %d of %d ctest entries:\n%s" % (len(bad), len(entries), "\n".join(bad)))
        return 1
    print("%d ctest entries, each with a time limit; every GoogleTest entry fails when its "
          "filter matches nothing" % len(entries))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
