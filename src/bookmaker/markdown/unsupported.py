"""Pandoc constructs bookmaker does not read, each a warning at its line with what to write
instead. markdown-it reads them as something else (a paragraph, a rule, code) and would
mangle them without a word; pandoc's manual is full of them."""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it.token import Token

from bookmaker.core.diagnostics import Diagnostics

_GRID_RULE = re.compile(r"^\+(?:[-=:]+\+)+\s*$")
# A simple or multiline table's rule: runs of dashes with spaces between them (a thematic
# break to CommonMark). A plain `- - -` rule has runs of one dash.
_TABLE_RULE = re.compile(r"^\s{0,3}-{2,}(?: +-{2,})+\s*$")


def check_unsupported(tokens: list[Token], body: str, path: Path, diagnostics: Diagnostics) -> None:
    lines = body.split("\n")
    if lines and lines[0].startswith("% "):
        diagnostics.warning(path, 1, "a pandoc title block ('% Title') is not read and is printed as text: "
                                     "give the title in front matter (---, title: ..., ---)", code="pandoc-title-block")
    for token in tokens:
        line = token.map[0] + 1 if token.map else None
        if token.type == "inline" and token.map and _GRID_RULE.match(lines[token.map[0]]):
            diagnostics.warning(path, line, "a pandoc grid table (+---+---+) is not read and is printed as text: "
                                            "write it as a pipe table (| a | b | with a |---|---| line)", code="pandoc-grid-table")
        elif token.type == "hr" and token.map and _TABLE_RULE.match(lines[token.map[0]]):
            diagnostics.warning(path, line, "this line of dashes looks like a pandoc simple or multiline table, "
                                            "which is not read (it is a rule and text here): write it as a pipe "
                                            "table (| a | b | with a |---|---| line)", code="pandoc-simple-table")
