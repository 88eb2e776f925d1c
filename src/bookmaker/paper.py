"""Paper sizes for `--paper`: a name or WIDTHxHEIGHT with units."""

from __future__ import annotations

import re

NAMED = {
    "a3": "A3",
    "a4": "A4",
    "a5": "A5",
    "b5": "B5",
    "letter": "letter",
    "legal": "legal",
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt)?\s*[x×]\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt)\s*$", re.I)


def css_page_size(paper: str) -> str:
    """The CSS `size` value for a paper name such as `A5`, `Letter`, `6x9in` or `170mmx240mm`."""
    named = NAMED.get(paper.strip().lower())
    if named:
        return named
    match = _SIZE.match(paper)
    if not match:
        raise ValueError(
            f"unknown paper '{paper}': use A4, A5, Letter, Legal, or a size such as 6x9in or 170x240mm"
        )
    width, width_unit, height, unit = match.groups()
    return f"{width}{(width_unit or unit).lower()} {height}{unit.lower()}"
