"""Every diagnostic's stable code: its short name, printed by `check --format json`, silenced (warnings only)
by `--ignore CODE` or `[diagnostics] ignore = [...]` in bookmaker.toml.

A new diagnostic passes `code="kebab-case-name"` and registers the code here with a one-line summary; the
manual's chapter on diagnostics lists them. A code never changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "citation-markup-dropped": "a note, image or math in a citation's prefix or locator, which the citation leaves out",
    "citation-nested": "a citation inside another citation's prefix or locator, which would print in its place",
    "css-selector-too-complex": "a selector with more parts than can be matched; its rule is left out",
    "front-matter-alias-bomb": "YAML aliases in front matter that expand to more than 100,000 values",
    "heading-empty": "a heading with no text, left out of the contents",
    "heading-id-taken": "a heading's {#id} is already used in the book; it gets another",
    "heading-level-skipped": "a heading more than one level below the one before it",
    "note-defined-twice": "two definitions of one note label",
    "note-empty": "a note with no text",
    "note-undefined": "a note referenced but never defined",
    "note-unused": "a note defined but never referenced",
    "template-active-markup": "a book template adds a script, frame, event attribute, script URL or outside resource",
    "template-not-utf8": "a book template that is not UTF-8",
    "template-not-xhtml": "a book template's output that is not well-formed XHTML (<br>, &nbsp;)",
}


def known(code: str) -> bool:
    return code in CODES
