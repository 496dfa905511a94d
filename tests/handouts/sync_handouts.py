#!/usr/bin/env python3
"""Keeps the code quoted in the handouts equal to the lab sources.

A page quotes a region of a source file like this:

    <!-- code:labs/echo/echo_server.cpp#server -->
    ```cpp
    ...the region, filled in by this tool...
    ```
    <!-- /code -->

and the source marks the region with comment lines (`//` or `#`):

    // [handout:server]
    ...
    // [/handout:server]

The marker lines themselves are not quoted; the region is dedented. Without `#NAME` the whole
file is quoted.

Usage:
    sync_handouts.py [--write] [--root DIR] [PAGE.md ...]

Without pages, checks every handouts/*.md and labs/*/README.md. Exits 1 (listing each stale block
and the first differing line) when a block differs from its source region, or a region is missing;
with --write, rewrites the stale blocks instead.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys
import textwrap

CODE_OPEN = re.compile(r"^<!--\s*code:(?P<path>[^#\s]+)(?:#(?P<region>[\w.-]+))?\s*-->\s*$")
CODE_CLOSE = re.compile(r"^<!--\s*/code\s*-->\s*$")
FENCE = re.compile(r"^(?P<fence>```+|~~~+)(?P<info>.*)$")
LANGUAGES = {".cpp": "cpp", ".hpp": "cpp", ".py": "python", ".sh": "sh", ".cmake": "cmake",
             ".txt": "cmake", ".md": "markdown"}


class HandoutError(Exception):
    """A problem in a page or a source it quotes, told as 'page:line: what'."""


def default_pages(root: pathlib.Path) -> list[pathlib.Path]:
    return sorted(root.glob("handouts/*.md")) + sorted(root.glob("labs/*/README.md"))


def source_region(root: pathlib.Path, path: str, region: str | None) -> str:
    """The quoted text: the lines between the region's markers, dedented (or the whole file)."""
    source = root / path
    if not source.is_file():
        raise HandoutError(f"quoted file {path} does not exist")
    lines = source.read_text(encoding="utf-8").splitlines()
    if region is None:
        return "\n".join(lines).strip("\n") + "\n"
    start_marker = re.compile(r"^\s*(//|#)\s*\[handout:" + re.escape(region) + r"\]\s*$")
    end_marker = re.compile(r"^\s*(//|#)\s*\[/handout:" + re.escape(region) + r"\]\s*$")
    starts = [i for i, line in enumerate(lines) if start_marker.match(line)]
    ends = [i for i, line in enumerate(lines) if end_marker.match(line)]
    if len(starts) != 1 or len(ends) != 1 or ends[0] <= starts[0]:
        raise HandoutError(
            f"{path} needs exactly one '// [handout:{region}]' ... '// [/handout:{region}]' pair "
            f"(found {len(starts)} start and {len(ends)} end markers)")
    body = [line for line in lines[starts[0] + 1:ends[0]]
            if not re.match(r"^\s*(//|#)\s*\[/?handout:[\w.-]+\]\s*$", line)]  # nested markers
    return textwrap.dedent("\n".join(body)).strip("\n") + "\n"


def sync_page(root: pathlib.Path, page: pathlib.Path, write: bool) -> list[str]:
    """Checks (or with write, refreshes) every quoted block of one page. Returns the problems."""
    text = page.read_text(encoding="utf-8")
    lines = text.split("\n")
    out: list[str] = []
    problems: list[str] = []
    name = page.relative_to(root) if page.is_relative_to(root) else page
    i = 0
    while i < len(lines):
        line = lines[i]
        opened = CODE_OPEN.match(line)
        out.append(line)
        i += 1
        if not opened:
            continue
        where = f"{name}:{i}"
        close = next((j for j in range(i, len(lines)) if CODE_CLOSE.match(lines[j])), None)
        if close is None:
            problems.append(f"{where}: '<!-- code:... -->' without '<!-- /code -->'")
            continue
        try:
            expected = source_region(root, opened["path"], opened["region"])
        except HandoutError as error:
            problems.append(f"{where}: {error}")
            out.extend(lines[i:close])
            i = close
            continue
        block = lines[i:close]
        fence_line = next((k for k, l in enumerate(block) if FENCE.match(l)), None)
        language = LANGUAGES.get(pathlib.Path(opened["path"]).suffix, "")
        current = None
        if fence_line is not None:
            fence = FENCE.match(block[fence_line])["fence"]
            end = next((k for k in range(fence_line + 1, len(block)) if block[k] == fence), None)
            if end is not None:
                language = FENCE.match(block[fence_line])["info"].strip() or language
                current = "\n".join(block[fence_line + 1:end]) + "\n"
        if current != expected:
            if write:
                print(f"{where}: refreshed from {opened['path']}#{opened['region'] or ''}")
            else:
                problems.append(f"{where}: quoted code differs from {opened['path']}"
                                f"{'#' + opened['region'] if opened['region'] else ''}"
                                f"{first_difference(current, expected)}")
        fence = "````" if "```" in expected else "```"
        out.extend([fence + language] + expected.rstrip("\n").split("\n") + [fence])
        i = close
    if write:
        new_text = "\n".join(out)
        if new_text != text:
            page.write_text(new_text, encoding="utf-8")
    return problems


def first_difference(current: str | None, expected: str) -> str:
    if current is None:
        return " (no fenced block between the markers)"
    have, want = current.split("\n"), expected.split("\n")
    for number, (a, b) in enumerate(zip(have, want), start=1):
        if a != b:
            return f"; block line {number}:\n    page:   {a!r}\n    source: {b!r}"
    return f"; the page has {len(have) - 1} lines, the source {len(want) - 1}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite stale blocks")
    parser.add_argument("--root", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parents[2],
                        help="the kit's source folder (default: two levels up from this script)")
    parser.add_argument("pages", nargs="*", type=pathlib.Path)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    pages = [p.resolve() for p in args.pages] or default_pages(root)
    problems = [p for page in pages for p in sync_page(root, page, args.write)]
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} stale quote(s); refresh with: {sys.argv[0]} --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
