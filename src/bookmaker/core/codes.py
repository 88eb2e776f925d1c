"""Every diagnostic's stable code: its short name, printed by `check --format json`, silenced (warnings only)
by `--ignore CODE` or `[diagnostics] ignore = [...]` in bookmaker.toml.

A new diagnostic passes `code="kebab-case-name"` and registers the code here with a one-line summary; the
manual's chapter on diagnostics lists them. A code never changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "font-fallback": "a character none of the theme's faces has, which some other installed font would set",
    "font-not-installed": "a face of the theme the EPUB would embed is not installed (`make book` installs it)",
    "glyph-missing": "a character no installed font has: it prints as a box; the warning names the package",
    "heading-empty": "a heading with no text, left out of the contents",
    "heading-id-taken": "a heading's {#id} is already used in the book; it gets another",
    "heading-level-skipped": "a heading more than one level below the one before it",
    "note-defined-twice": "two definitions of one note label",
    "note-empty": "a note with no text",
    "note-undefined": "a note referenced but never defined",
    "note-unused": "a note defined but never referenced",
    "terms-invalid": "a [terms] entry that is not a line of text, a page term without {n}, or a wrong digits",
    "terms-unknown": "a [terms] key that is no term of bookmaker's (core/terms.py lists them)",
}


def known(code: str) -> bool:
    return code in CODES
