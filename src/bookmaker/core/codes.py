"""The stable codes of diagnostics: one line each, the code, its severity and what it says.

A diagnostic passes its code (`diagnostics.warning(path, line, message, code="raw-tex")`); a code
never changes meaning, so an editor, a CI filter or the manual may name it. (Issue 23's codes: books
brought from mdBook, Quarto and pandoc.)
"""

from __future__ import annotations

CODES: dict[str, tuple[str, str]] = {
    "project-file-unreadable": ("error", "a project file (book.toml, _quarto.yml, metadata.yaml) cannot be read"),
    "project-file-invalid": ("error", "a project file is not valid TOML or YAML, or not a mapping"),
    "project-chapters-missing": ("error", "an mdBook has no src/SUMMARY.md to give its chapters"),
    "project-chapter-outside": ("error", "a chapter the project lists is outside the book folder"),
    "project-chapter-missing": ("warning", "a chapter the project lists does not exist and is left out"),
    "project-preprocessor": ("warning", "an mdBook preprocessor is a program and is not run"),
    "project-value-ignored": ("warning", "a project file's value bookmaker cannot use (a free-text date)"),
    "include-missing": ("error", "an mdBook or Quarto include names a file that cannot be read"),
    "include-too-large": ("error", "an included file is past the manuscript's size limits"),
    "include-not-text": ("error", "an included file is not UTF-8 text"),
    "include-anchor": ("error", "an include names an anchor the file does not have"),
    "include-cycle": ("error", "a file includes itself, directly or through another"),
    "include-too-deep": ("error", "includes are nested past the depth limit"),
    "mdbook-title": ("warning", "mdBook's {{#title}} is left out: a book has no browser title"),
    "raw-tex": ("warning", "raw TeX is left out, as pandoc leaves it out of an EPUB (once per command)"),
    "executable-cell": ("warning", "cells to run are shown as code and not run (once for the book)"),
    "raw-html-element": ("warning", "an element of raw HTML bookmaker does not keep (its text is kept), once a book"),
    "crossref-listing": ("warning", "a pandoc-crossref listing reference (@lst:x) is kept as written"),
    "crossref-unread-target": ("warning", "a reference to a figure made by a cell, or on something not read"),
}
