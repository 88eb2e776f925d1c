"""The default theme shipped in the package, and the book's own stylesheets on top of it.

Stylesheets cascade: the theme's `base.css`, then the output's layer
(`print.css` or `epub.css`), then the book's `styles/*.css` in name order. A
book stylesheet named `*print.css` applies to the PDF only, `*epub.css` to the
EPUB only; any other applies to both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import jinja2

from bookmaker.model import Book

THEME_DIR = Path(__file__).parent
Medium = Literal["print", "epub"]
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(THEME_DIR / "templates"),
        autoescape=True,
        trim_blocks=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["backlink_letter"] = lambda n: _LETTERS[(n - 1) % 26] * ((n - 1) // 26 + 1)
    return env


def theme_stylesheets(medium: Medium) -> list[Path]:
    return [THEME_DIR / "styles" / "base.css", THEME_DIR / "styles" / f"{medium}.css"]


def book_stylesheets(book: Book, medium: Medium) -> list[Path]:
    other = "epub" if medium == "print" else "print"
    return [p for p in book.styles if not p.stem.endswith(other)]


def stylesheet_texts(book: Book, medium: Medium) -> list[str]:
    """The cascade for `medium`, each file read under the book's resource rules (policy.py)."""
    from bookmaker.policy import policy_for

    policy = policy_for(book)
    return [policy.read_local(p).decode("utf-8-sig") for p in theme_stylesheets(medium) + book_stylesheets(book, medium)]
