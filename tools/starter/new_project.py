#!/usr/bin/python3
"""Writes a project for a remote object of one's own from templates/project/: a server, a client,
their Python twins, a CMake project and a black-box test, registered under NAME.

    new_project.py NAME [DIR] [--kit KIT]      (default DIR: projects/NAME/ in the kit)

NAME is the object's name in the name server (e.g. weather.station); the class is its
CamelCase (WeatherStation), the programs NAME with dots as dashes (weather-station-server).
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

KIT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE = KIT / "templates" / "project"
# A Pyro name made of words: letters, digits, '_' and '-', separated by dots; a letter first.
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$")
RENAMED = {"gitignore": ".gitignore"}  # kept without the dot in the kit, so git shows them
EXECUTABLE = {"project", "test/black_box_test.py"}


def check_name(name: str) -> str | None:
    """What is wrong with NAME, or None."""
    if not NAME.match(name):
        return (f"'{name}' is not a usable name: use words of letters, digits, '_' or '-', each "
                "starting with a letter, separated by dots (e.g. weather.station)")
    if name.lower().startswith("pyro."):
        return f"'{name}': names starting with 'Pyro.' belong to Pyro itself (Pyro.NameServer)"
    if len(name) > 64:
        return f"'{name}' is {len(name)} characters long; keep it to 64 at most"
    return None


def placeholders(name: str, kit: pathlib.Path) -> dict[str, str]:
    words = re.split(r"[._-]+", name)
    return {
        "@NAME@": name,
        "@CLASS@": "".join(word[:1].upper() + word[1:] for word in words),
        "@SLUG@": "-".join(word.lower() for word in words),
        "@IDENT@": "_".join(word.lower() for word in words),
        "@KIT@": str(kit),
    }


def write_project(name: str, target: pathlib.Path, kit: pathlib.Path) -> list[str]:
    if target.exists() and any(target.iterdir()):
        raise ValueError(f"{target} is not empty; give an empty or new folder (nothing there is "
                         "overwritten)")
    values = placeholders(name, kit)
    written = []
    files = sorted(p for p in TEMPLATE.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts)
    if not files:
        raise ValueError(f"no template files in {TEMPLATE}")
    for source in files:
        relative = source.relative_to(TEMPLATE).as_posix()
        relative = RENAMED.get(relative, relative)
        text = source.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        left = re.findall(r"@[A-Z]+@", text)
        if left:
            raise ValueError(f"templates/project/{relative}: unknown placeholder {left[0]}")
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if relative in EXECUTABLE:
            path.chmod(0o755)
        written.append(relative)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="labkit new", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="the object's name in the name server, e.g. weather.station")
    parser.add_argument("dir", nargs="?", type=pathlib.Path,
                        help="where to write it (default: projects/NAME/ in the kit)")
    parser.add_argument("--kit", type=pathlib.Path, default=KIT,
                        help="the kit whose libpyro the project builds with")
    args = parser.parse_args(argv)
    problem = check_name(args.name)
    if problem:
        print(f"labkit new: error: {problem}", file=sys.stderr)
        return 2
    target = (args.dir or KIT / "projects" / args.name).resolve()
    try:
        files = write_project(args.name, target, args.kit.resolve())
    except (ValueError, OSError) as error:
        print(f"labkit new: error: {error}", file=sys.stderr)
        return 1
    shown = target.relative_to(KIT) if target.is_relative_to(KIT) else target
    print(f"labkit new: wrote '{args.name}' to {shown}/ ({len(files)} files).")
    print(f"  cd {shown} && ./project test      builds it and runs its black-box test")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
