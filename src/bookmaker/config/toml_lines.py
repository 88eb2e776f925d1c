"""Where each key of a TOML file is written: tomllib keeps no positions, and every diagnostic of
bookmaker.toml or an mdBook's book.toml names its line."""

from __future__ import annotations

import re


def key_lines(text: str) -> dict[str, int]:
    """Where each `section.key` (and each `[section]`) is defined: tomllib keeps no positions."""
    lines: dict[str, int] = {}
    table = ""
    in_multiline: str | None = None
    header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    key = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=""")
    for number, line in enumerate(text.split("\n"), start=1):
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if match := header.match(line):
            table = _dotted(match.group(1))
            lines.setdefault(table, number)
            continue
        if match := key.match(line):
            name = _dotted(match.group(1))
            lines.setdefault(f"{table}.{name}" if table else name, number)
            rest = line[match.end():]
            for quotes in ('"""', "'''"):
                if rest.count(quotes) % 2 == 1:
                    in_multiline = quotes
    return lines


def _dotted(name: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in name.split("."))
