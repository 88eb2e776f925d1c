"""Every diagnostic's stable code: its short name, printed by `check --format json`, silenced (warnings only)
by `--ignore CODE` or `[diagnostics] ignore = [...]` in bookmaker.toml.

A new diagnostic passes `code="kebab-case-name"` and registers the code here with a one-line summary; the
manual's chapter on diagnostics lists them. A code never changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "heading-empty": "a heading with no text, left out of the contents",
    "heading-id-taken": "a heading's {#id} is already used in the book; it gets another",
    "heading-level-skipped": "a heading more than one level below the one before it",
    "note-defined-twice": "two definitions of one note label",
    "note-empty": "a note with no text",
    "note-undefined": "a note referenced but never defined",
    "note-unused": "a note defined but never referenced",
    # Print files for a printing service (--printer, PDF/X; config/printers.py cites each rule's page)
    "print-trim-size": "the page size is not one of the service's trim sizes (the nearest is named)",
    "print-page-count": "fewer or more pages than the service prints",
    "print-interactive": "links or an outline left in a print file",
    "print-font-not-embedded": "a font the print file uses without embedding it",
    "print-image-resolution": "an image under 300 ppi at the size it is placed",
    "print-image-resolution-low": "an image under 150 ppi at the size it is placed: it prints blurred",
    "print-safe-area": "text closer to the trim than the service's safe distance",
    "print-inner-margin": "an inside margin narrower than the service asks for the page count",
    "print-tool-missing": "Ghostscript or its CMYK profile, needed for PDF/X, grey ink and covers, is missing",
    # The paperback cover (bookmaker cover)
    "cover-bad-isbn": "an identifier that says ISBN but whose check digit is wrong",
    "cover-spine-too-thin": "spine text asked for a book too thin for the service to print it",
    "cover-spine-text-too-long": "the spine text is longer than the spine",
    "cover-spine-unknown": "a service without a published spine formula and no --spine given",
    "cover-back-too-long": "the back cover's text runs into the barcode area",
    "cover-image-resolution": "the cover image prints under 300 ppi on the front of the paperback",
    # The EPUB for the stores
    "epub-cover-too-small": "a cover under 1,400 px wide, which Apple Books refuses",
}


def known(code: str) -> bool:
    return code in CODES
