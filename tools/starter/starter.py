#!/usr/bin/python3
"""Writes a student's starter tree for one lab: the lab's programs (C++ and the Python twins)
with every part marked `[handout:todo.NAME]` replaced by a TODO(student) comment and a stub that
compiles, plus a CMake project, a small `lab` script and a README.

    starter.py LAB DIR [--kit KIT]     write the starter of LAB into DIR (must be empty or absent)
    starter.py --list                  the labs and their TODOs

The tree is self-contained: its CMakeLists.txt builds libpyro from the kit's sources
(add_subdirectory, only libpyro) or, with -DPYRO_KIT_SOURCE_DIR= (empty), uses an installed one
(find_package(pyro)). `./lab build` builds it, `./lab grade` grades it with the kit's autograder.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import stat
import sys
import textwrap

sys.dont_write_bytecode = True  # no __pycache__ in the kit's source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from exercises import LABS, Lab  # noqa: E402

KIT = pathlib.Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^(?P<indent>\s*)(?P<comment>//|#)\s*\[(?P<end>/?)handout:(?P<name>[\w.-]+)\]\s*$")
WIDTH = 100


class StarterError(Exception):
    """A lab program and the exercise table disagree (told as 'file: what')."""


def todo_regions(lines: list[str], where: str) -> list[tuple[str, int, int]]:
    """(name, start marker line, end marker line) of every todo region, in file order."""
    regions, open_at = [], {}
    for number, line in enumerate(lines):
        marker = MARKER.match(line)
        if not marker or not marker["name"].startswith("todo."):
            continue
        name = marker["name"][len("todo."):]
        if not marker["end"]:
            if name in open_at or any(r[0] == name for r in regions):
                raise StarterError(f"{where}: todo.{name} starts twice")
            open_at[name] = number
        elif name not in open_at:
            raise StarterError(f"{where}: todo.{name} ends without a start")
        else:
            regions.append((name, open_at.pop(name), number))
    if open_at:
        raise StarterError(f"{where}: todo.{', todo.'.join(open_at)} never ends")
    return sorted(regions, key=lambda region: region[1])


def marked_lines(path: pathlib.Path) -> list[str]:
    """The lines of a lab program inside its todo regions (the answers), marker lines excluded."""
    lines = path.read_text(encoding="utf-8").split("\n")
    answers = []
    for _name, start, end in todo_regions(lines, str(path)):
        answers += [line for line in lines[start + 1:end] if not MARKER.match(line)]
    return answers


def comment_block(indent: str, comment: str, text: str) -> list[str]:
    prefix = f"{indent}{comment} "
    return textwrap.wrap(text, WIDTH - len(prefix), initial_indent=prefix,
                         subsequent_indent=prefix + "  ", break_on_hyphens=False)


def starter_text(lab_name: str, lab: Lab, program: str, source: pathlib.Path,
                 language: str, filled: bool = False) -> str:
    """One lab program with its todo regions replaced by TODO comments and stubs (filled: with
    the answers kept, as a student who wrote every TODO as the handout says would have it)."""
    where = str(source.relative_to(KIT))
    lines = source.read_text(encoding="utf-8").split("\n")
    regions = todo_regions(lines, where)
    expected = [name for (prog, name), todo in lab.todos.items()
                if prog == program and getattr(todo, language) is not None]
    found = [name for name, _, _ in regions]
    if sorted(found) != sorted(expected):
        raise StarterError(f"{where}: todo regions {found}, but tools/starter/exercises.py "
                           f"expects {expected} for {program} ({language})")
    out: list[str] = []
    position = 0
    for count, (name, start, end) in enumerate(regions, start=1):
        out += lines[position:start]
        position = end + 1
        marker = MARKER.match(lines[start])
        indent, comment = marker["indent"], marker["comment"]
        todo = lab.todos[(program, name)]
        if filled:
            out += lines[start + 1:end]
            continue
        out += comment_block(
            indent, comment,
            f"TODO(student) {count}/{len(regions)} [{name}]: {todo.what}. Explained in "
            f"{lab.handout}, \"{todo.section}\"; the autograder checks it in {todo.checks}.")
        message = f"TODO {count}/{len(regions)} [{name}]"
        stub = getattr(todo, language).replace("{msg}", message).replace("{file}", source.name)
        stub = stub.replace("{{", "{").replace("}}", "}")
        out += [indent + line if line else line for line in stub.split("\n") if stub]
    out += lines[position:]
    out = [line for line in out if not MARKER.match(line)]  # the handout markers too
    if language == "cpp":
        include = next((i for i, line in enumerate(out) if line == '#include "lab_support.hpp"'),
                       None)
        if include is None:
            raise StarterError(f"{where}: no '#include \"lab_support.hpp\"' to put todo.hpp after")
        out.insert(include + 1, '#include "todo.hpp"')
    elif not any(line == "import sys" for line in out):
        raise StarterError(f"{where}: the stubs need 'import sys'")
    return "\n".join(out)


TODO_HPP = """\
// What the starter's unwritten parts call. Each TODO(student) stub calls not_written, which
// throws: the program compiles, runs up to the first part you have not written yet and stops
// there with "not written yet: TODO n/m [name]". Extra arguments only mark the variables
// the part will use as used, so the compiler does not warn about them.
#pragma once

#include <stdexcept>
#include <string>

namespace todo {

template <class T = void, class... Unused>
T not_written(const std::string& what, const Unused&... /*unused*/) {
    throw std::logic_error("not written yet: " + what + " (see its TODO(student) comment)");
}

} // namespace todo
"""

CMAKE = """\
# The {lab} exercise of the libpyro lab kit, written by `./labkit starter {lab}`.
#   ./lab build      (or: cmake -S . -B build && cmake --build build)
# The programs land in build/bin/.
cmake_minimum_required(VERSION 3.25)
project({lab}_exercise LANGUAGES CXX)

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${{CMAKE_BINARY_DIR}}/bin)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
    set(CMAKE_BUILD_TYPE Debug CACHE STRING "Debug: the debugger sees your variables" FORCE)
endif()

# libpyro, one of two ways: the kit's sources (only libpyro is built, inside build/), or with
# -DPYRO_KIT_SOURCE_DIR= (empty) an installed libpyro (cmake --install of the kit; point
# CMAKE_PREFIX_PATH at its prefix when it is not a standard one).
set(PYRO_KIT_SOURCE_DIR "{kit}" CACHE PATH
    "The lab kit's folder (add_subdirectory); empty: find_package(pyro)")
if(PYRO_KIT_SOURCE_DIR)
    if(NOT EXISTS "${{PYRO_KIT_SOURCE_DIR}}/libpyro/CMakeLists.txt")
        message(FATAL_ERROR "PYRO_KIT_SOURCE_DIR=${{PYRO_KIT_SOURCE_DIR}} is not the lab kit "
                            "(no libpyro/ there). Pass -DPYRO_KIT_SOURCE_DIR=/path/to/the/kit, or "
                            "-DPYRO_KIT_SOURCE_DIR= to use an installed libpyro.")
    endif()
    add_subdirectory(${{PYRO_KIT_SOURCE_DIR}} pyro-kit EXCLUDE_FROM_ALL)
else()
    find_package(pyro 0.1 CONFIG REQUIRED)
endif()
find_package(CLI11 CONFIG REQUIRED)

# What every lab program shares: options, finding the name server, one-line errors.
add_library(lab_support STATIC common/lab_support.cpp)
target_include_directories(lab_support PUBLIC common ${{CMAKE_CURRENT_SOURCE_DIR}})
target_link_libraries(lab_support PUBLIC pyro::pyro CLI11::CLI11)
target_compile_options(lab_support PUBLIC -Wall -Wextra -Wpedantic)

{programs}
{extra}"""

LAB_SCRIPT = """\
#!/usr/bin/env bash
# The {lab} exercise's own little labkit.
#
#   ./lab build            configure (once) and build into build/; programs in build/bin/
#   ./lab grade [ARGS]     build, then grade your C++ programs with the kit's autograder:
#                          <kit>/labkit grade {lab} --from THIS_FOLDER [ARGS]
#   ./lab grade-python     grade your Python twins (python/*.py) the same way
#   ./lab clean            remove build/
#
# Environment: LABKIT_DIR, the lab kit's folder (default: the one that wrote this starter).
set -euo pipefail

HERE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
KIT="${{LABKIT_DIR:-{kit}}}"
say() {{ printf 'lab: %s\\n' "$*"; }}
die() {{ printf 'lab: error: %s\\n' "$*" >&2; exit 1; }}

build() {{
    if [[ ! -f "$HERE/build/CMakeCache.txt" ]]; then
        cmake -S "$HERE" -B "$HERE/build" "$@" >/dev/null || die "cmake configure failed (see above)"
    fi
    cmake --build "$HERE/build" -j "$(nproc 2>/dev/null || echo 2)" \\
        || die "the build failed (see above); the first error message is the one to read"
    say "built; your programs are in build/bin/"
}}

case "${{1:-help}}" in
    build) shift; build "$@" ;;
    grade)
        shift
        [[ -x "$KIT/labkit" ]] || die "no lab kit at $KIT; set LABKIT_DIR to the kit's folder"
        build
        exec "$KIT/labkit" grade {lab} --from "$HERE" "$@" ;;
    grade-python)
        shift
        [[ -x "$KIT/labkit" ]] || die "no lab kit at $KIT; set LABKIT_DIR to the kit's folder"
        exec "$KIT/labkit" grade {lab} --from "$HERE/python" "$@" ;;
    clean) rm -rf "$HERE/build"; say "removed build/" ;;
    help|-h|--help) sed -n '2,10p' "$0" | sed 's/^# \\{{0,1\\}}//' ;;
    *) die "unknown command '$1'; use build, grade, grade-python or clean" ;;
esac
"""


def readme(lab_name: str, lab: Lab, todo_list: list[str]) -> str:
    programs = ", ".join(f"`{p}`" for p in lab.programs)
    return f"""# The {lab_name} exercise

Written by `./labkit starter {lab_name}`. The programs here ({programs}) are the lab's
programs with the interesting parts missing: each `TODO(student)` comment says what to write
there and which section of the kit's `{lab.handout}` explains it. Until you write it, a part
stops the program with `not written yet: TODO n/m [name]`.

The C++ programs are the `.cpp` files here; their Python Pyro4 twins are in `python/` (run
them with `/usr/bin/python3`). Do either, or both.

```sh
./lab build          # builds the C++ programs into build/bin/
./lab grade          # builds, then runs the lab's autograder scenarios on your programs
./lab grade-python   # the same for the Python twins in python/
```

`./lab grade` prints, for each scenario, passed or failed, what was expected, what happened and
the handout section that explains it. When every scenario passes, the exercise is done.

## The TODOs, in the order to write them

{chr(10).join(todo_list)}
"""


def exercise_table(lab: Lab) -> str:
    """The TODOs in order as a Markdown table (the Exercise section of the lab's handout)."""
    rows = ["| # | program | TODO | what you write | the autograder checks |",
            "|---|---|---|---|---|"]
    for number, ((program, name), todo) in enumerate(lab.todos.items(), start=1):
        scenario, _, detail = todo.checks.partition(": ")
        what = todo.what.replace("<", "&lt;").replace(">", "&gt;")
        detail = detail.replace("<", "&lt;").replace(">", "&gt;")
        rows.append(f"| {number} | `{program}` | `[{name}]` | {what} | `{scenario}`: {detail} |")
    return "\n".join(rows)


def write_starter(lab_name: str, target: pathlib.Path, kit: pathlib.Path,
                  filled: bool = False) -> list[str]:
    """Writes the starter tree; returns the files written (relative to target)."""
    lab = LABS[lab_name]
    if target.exists() and any(target.iterdir()):
        raise StarterError(f"{target} is not empty; give an empty or new folder (your work "
                           "there is not overwritten)")
    texts: dict[str, str] = {}
    for program, (cpp, py) in lab.programs.items():
        texts[pathlib.Path(cpp).name] = starter_text(lab_name, lab, program, KIT / cpp, "cpp",
                                                     filled)
        texts["python/" + pathlib.Path(py).name] = starter_text(lab_name, lab, program,
                                                                 KIT / py, "py", filled)
    for source, destination in lab.support.items():
        texts[destination] = (KIT / source).read_text(encoding="utf-8")
    texts["common/todo.hpp"] = TODO_HPP
    programs = "\n".join(
        f"add_executable({program} {pathlib.Path(cpp).name})\n"
        f"target_link_libraries({program} PRIVATE lab_support)"
        for program, (cpp, _py) in lab.programs.items())
    texts["CMakeLists.txt"] = CMAKE.format(lab=lab_name, kit=kit, programs=programs,
                                           extra=lab.cmake)
    texts["lab"] = LAB_SCRIPT.format(lab=lab_name, kit=kit)
    todo_list = []
    for number, ((program, name), todo) in enumerate(lab.todos.items(), start=1):
        todo_list.append(f"{number}. **{program}**, `[{name}]`: {todo.what}. Checked by "
                         f"{todo.checks}.")
    texts["README.md"] = readme(lab_name, lab, todo_list)
    texts[".gitignore"] = "/build/\n__pycache__/\n"
    for relative, text in texts.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    (target / "lab").chmod((target / "lab").stat().st_mode | stat.S_IXUSR | stat.S_IXGRP
                           | stat.S_IXOTH)
    return sorted(texts)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="labkit starter",
                                     description="Writes a student's starter tree for a lab.")
    parser.add_argument("lab", nargs="?", help="one of: " + ", ".join(LABS))
    parser.add_argument("dir", nargs="?", type=pathlib.Path,
                        help="where to write it (default: exercises/LAB/ in the kit)")
    parser.add_argument("--kit", type=pathlib.Path, default=KIT,
                        help="the kit the starter's CMakeLists.txt and lab script point to")
    parser.add_argument("--list", action="store_true", help="list the labs and their TODOs")
    parser.add_argument("--filled", action="store_true",
                        help="keep the answers (what a finished student tree looks like; tests)")
    parser.add_argument("--table", action="store_true",
                        help="print LAB's TODOs as the Markdown table of its handout's Exercise")
    args = parser.parse_args(argv)
    if args.list:
        for name, lab in LABS.items():
            print(f"{name}: " + ", ".join(f"{p}[{r}]" for p, r in lab.todos))
        return 0
    if args.table and args.lab in LABS:
        print(exercise_table(LABS[args.lab]))
        return 0
    if args.lab is None:
        parser.error("which lab? one of: " + ", ".join(LABS))
    if args.lab not in LABS:
        print(f"labkit starter: unknown lab '{args.lab}'; the labs are: {', '.join(LABS)}",
              file=sys.stderr)
        return 2
    target = (args.dir or KIT / "exercises" / args.lab).resolve()
    try:
        files = write_starter(args.lab, target, args.kit.resolve(), args.filled)
    except StarterError as error:
        print(f"labkit starter: error: {error}", file=sys.stderr)
        if target.exists() and not any(target.iterdir()):
            target.rmdir()
        return 1
    shown = target.relative_to(KIT) if target.is_relative_to(KIT) else target
    print(f"labkit starter: wrote the {args.lab} exercise to {shown}/ ({len(files)} files).")
    print(f"  cd {shown} && ./lab build      then fill in the TODO(student) parts;")
    print(f"  ./lab grade                     grades them ({LABS[args.lab].handout}, 'Exercise')")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
