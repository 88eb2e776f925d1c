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
# Millimetres (width, height) of the named sizes, for margins that scale with the paper.
NAMED_MM = {
    "A3": (297.0, 420.0),
    "A4": (210.0, 297.0),
    "A5": (148.0, 210.0),
    "B5": (176.0, 250.0),
    "letter": (215.9, 279.4),
    "legal": (215.9, 355.6),
}
_TO_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72}
# A page outside these bounds is a mistake or an attack: 99999999mm square took WeasyPrint past a minute and
# gigabytes; a page a few millimetres wide breaks every word onto pages of its own. A0 is 841 x 1189 mm.
MIN_SIDE_MM = 30.0
MAX_SIDE_MM = 1500.0
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
    size = f"{width}{(width_unit or unit).lower()} {height}{unit.lower()}"
    if not all(MIN_SIDE_MM <= side <= MAX_SIDE_MM for side in page_dimensions(size)):
        raise ValueError(f"paper '{paper.strip()}' is outside what a page can be: each side must be between "
                         f"{MIN_SIDE_MM:g} mm and {MAX_SIDE_MM / 1000:g} m, such as 6x9in or 170x240mm")
    return size


def page_dimensions(css_size: str) -> tuple[float, float]:
    """Width and height in millimetres of a `css_page_size` result."""
    if css_size in NAMED_MM:
        return NAMED_MM[css_size]
    width, height = css_size.split()
    return _length_mm(width), _length_mm(height)


def _length_mm(length: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(mm|cm|in|pt)", length.strip().lower())
    if not match:
        raise ValueError(f"unknown length '{length}': use a number with mm, cm, in or pt, such as 3mm")
    return float(match.group(1)) * _TO_MM[match.group(2)]


def css_length(text: str) -> str:
    """A CSS length from `--bleed`-style input (`3mm`, `0.125in`); bare numbers are millimetres."""
    text = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        text += "mm"
    mm = _length_mm(text)
    if mm > 25:
        raise ValueError(f"bleed '{text}' is larger than an inch: printers ask for about 3mm or 0.125in")
    return text
