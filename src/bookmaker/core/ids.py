"""Stable, unique ids for headings, chapters and notes across a whole book.

Chapters of one book end up in one HTML file for the PDF, so every id is
unique book-wide, and note ids use a shape headings never get.
"""

from __future__ import annotations

import re
import unicodedata

_NOTE_ID = re.compile(r"^(note|ref)-\d+(-\d+)?$")


def slugify(text: str, fallback: str = "section") -> str:
    """Lower-case words joined by hyphens, like pandoc's and GitHub's heading ids.

    Letters of any script are kept (ids are IRIs in HTML5 and EPUB 3); marks,
    punctuation and symbols are dropped. XML ids may not start with a digit.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] in "LN" or ch in "-_":
            kept.append(ch)
        elif ch.isspace():
            kept.append("-")
    slug = re.sub(r"-{2,}", "-", "".join(kept)).strip("-_")
    slug = re.sub(r"^[\d_-]+", "", slug)
    return slug or fallback


def github_slug(text: str, fallback: str = "section") -> str:
    """A heading's id as GitHub and mdBook make it, so a link written against the rendered site
    lands here: lower case, each space a `-`, punctuation and symbols dropped, nothing collapsed
    (`Concatenating with + or format!` is `concatenating-with--or-format`). An id may not start
    with a digit or `-` in XML, so those are dropped from the front (slugify does the same)."""
    kept = []
    for ch in unicodedata.normalize("NFKC", text).lower():
        if unicodedata.category(ch)[0] in "LNM" or ch in "-_":
            kept.append(ch)
        elif ch.isspace():
            kept.append("-")
    slug = re.sub(r"^[\d_-]+", "", "".join(kept))
    return slug or fallback


class IdRegistry:
    """Hands out ids that are unique in the book, suffixing repeats (`intro`, `intro-1`)."""

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._last_suffix: dict[str, int] = {}  # so that the 10,000th `intro` is not 10,000 tries

    def claim(self, wanted: str) -> str:
        candidate = wanted
        if _NOTE_ID.match(candidate):
            candidate = f"{candidate}-section"
        base, n = candidate, self._last_suffix.get(candidate, 0) if candidate in self._used else 0
        while candidate in self._used:
            n += 1
            candidate = f"{base}-{n}"
        if n:
            self._last_suffix[base] = n
        self._used.add(candidate)
        return candidate

    def __contains__(self, item: str) -> bool:
        return item in self._used


def as_id(text: str) -> str:
    """`text` (a bibliography key, say) made an id EPUB's XHTML accepts, an XML name without colons:
    a space, tab, colon or other character such a name cannot hold becomes a hyphen."""
    return re.sub(r"[^\w.-]", "-", text, flags=re.UNICODE) or "-"


def note_id(number: int) -> str:
    return f"note-{number}"


def ref_id(number: int, occurrence: int) -> str:
    """Every reference to a note gets its own id, so the note can link back to each."""
    return f"ref-{number}" if occurrence == 0 else f"ref-{number}-{occurrence + 1}"
