"""Every diagnostic's stable code: its short name, printed by `check --format json`, silenced (warnings only)
by `--ignore CODE` or `[diagnostics] ignore = [...]` in bookmaker.toml.

A new diagnostic passes `code="kebab-case-name"` and registers the code here with a one-line summary; the
manual's chapter on diagnostics lists them. A code never changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "bibliography-control-character": "a character XML cannot hold in a bibliography, removed",
    "bibliography-entry-no-key": "a BibTeX entry without a key, left out",
    "bibliography-entry-unclosed": "a BibTeX entry whose closing brace is missing; the file is not used",
    "bibliography-key-defined-twice": "a bibliography key defined again; the first definition is used",
    "bibliography-too-deep": "a BibTeX entry nested past the limit of braces; the file is not used",
    "code-not-highlighted": "a code block Pygments did not finish within its time budget, printed plain",
    "folder-link-loop": "the manuscript, styles or templates folder is a symbolic link to itself, left out",
    "heading-empty": "a heading with no text, left out of the contents",
    "heading-id-taken": "a heading's {#id} is already used in the book; it gets another",
    "heading-level-skipped": "a heading more than one level below the one before it",
    "link-loop": "a file the book names (image, stylesheet, template, cover, bibliography) is a link to itself",
    "math-markup-removed": "MathML a book may not hold (a script link) removed from a formula",
    "math-too-deep": "a formula nested too deep to be drawn; the PDF and HTML show its TeX",
    "math-unknown-command": "a TeX command the converter does not know, printed as its name",
    "math-unreadable": "TeX that cannot be read (or is too long), shown as code",
    "note-defined-twice": "two definitions of one note label",
    "note-empty": "a note with no text",
    "note-undefined": "a note referenced but never defined",
    "note-unused": "a note defined but never referenced",
    "output-folder-link-loop": "the output folder is a symbolic link to itself",
}


def known(code: str) -> bool:
    return code in CODES
