"""The words bookmaker writes into a book itself, in the book's language.

"Contents", "Notes", "Index", the captions' "Figure", the notes' "p. 3", the
EPUB's landmarks and the cover's description come from one data file per
language (theme/terms/<lang>.json, with their sources in the folder's README),
so a Persian or Japanese book says them in its own words. A book overrides any
term in bookmaker.toml's `[terms]` table. The language's digits (Persian page
and note numbers in Persian digits) are in digits.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

TERMS_DIR = Path(__file__).resolve().parent.parent / "theme" / "terms"

# Regions whose Chinese is written in traditional characters; other Chinese is simplified.
_TRADITIONAL = {"tw", "hk", "mo", "hant"}
# A `{n}` in these terms stands for the page number (or the list of them).
PAGE_TERMS = ("page", "pages", "on-page")


@cache
def term_names() -> tuple[str, ...]:
    """Every term a book may set: the keys of en.json."""
    return tuple(_load("en"))


@cache
def _load(name: str) -> dict[str, str]:
    import json  # JSON, not YAML: a book without front matter never imports a YAML parser

    data = json.loads((TERMS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


@cache
def languages() -> tuple[str, ...]:
    """The languages with a terms file of their own."""
    return tuple(sorted(p.stem for p in TERMS_DIR.glob("*.json")))


def terms_file(lang: str) -> str:
    """Which file holds the terms of a BCP 47 tag: `zh-TW` and `zh-Hant-HK` -> zh-Hant, `zh` and
    `zh-CN` -> zh-Hans, `pt-BR` -> pt, `fa-IR` -> fa; a language without a file -> en."""
    parts = [p.lower() for p in lang.replace("_", "-").split("-") if p]
    if not parts:
        return "en"
    primary = parts[0]
    if primary == "zh":
        return "zh-Hant" if _TRADITIONAL & set(parts[1:]) else "zh-Hans"
    return primary if primary in languages() else "en"


def terms_for(lang: str, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The terms of a book in `lang`: its language's file over English, the book's own over both."""
    terms = {**_load("en"), **_load(terms_file(lang))}
    terms.update({k: v for k, v in (overrides or {}).items() if k in terms})
    return terms


def page_parts(pattern: str) -> tuple[str, str]:
    """A page term ("p. {n}", "第{n}页") as the text before the number and the text after it.
    A term without `{n}` is all before it."""
    before, _, after = pattern.partition("{n}")
    return before, after


def with_page(pattern: str, number: str) -> str:
    """"p. {n}" with its number: "p. 41" (a no-break space keeps the term and the number together; a
    line may still break between the pages of "pp. 6, 7, 12")."""
    before, after = page_parts(pattern)
    return f"{before.replace(' ', chr(0xA0))}{number}{after.replace(' ', chr(0xA0))}"
