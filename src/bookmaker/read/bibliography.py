"""Citations: the style and bibliography the book names, every citation checked against it and
formatted at once by pandoc's citeproc (citations.py), and the bibliography placed in the book."""

from __future__ import annotations

from bookmaker.resolve import citations
from bookmaker.model import Chapter, HtmlBlock
from bookmaker.read.files import setting
from bookmaker.read.state import BookState, SourceFile


def load_style(book: BookState, files: list[SourceFile]) -> None:
    style_name, where, line = setting(book, files, "csl")
    book.cites.style = citations.load_style(style_name, where, line, book.policy, book.diagnostics)
    # Without a bibliography an `@name` is left as text (as pandoc does without --citeproc), never a note.
    book.cites.has_bibliography = bool(setting(book, files, "bibliography")[0])


def resolve_citations(book: BookState, files: list[SourceFile], lang: str) -> None:
    """Check every citation against the bibliography, then have the CSL processor format them all at once."""
    cites, diagnostics = book.cites, book.diagnostics
    names, where, line = setting(book, files, "bibliography")
    nocite_value, *nocite_at = setting(book, files, "nocite")
    nocite = list(nocite_value or [])
    if not cites.slots and not names:
        return
    if cites.style is None:
        return  # the unknown style is reported
    bibliography = None
    if names:
        bibliography = citations.load_bibliography(
            list(names), where, line, cites.style, lang, book.policy, diagnostics)
    has_citations = any(slot.token is not None or slot.in_note for slot in cites.slots)
    citations.check_citations(cites.slots, nocite, bibliography, diagnostics, tuple(nocite_at))
    if bibliography is None or diagnostics.has_errors or not (has_citations or nocite):
        return
    if not citations.pandoc_available():
        diagnostics.error(where, line, "formatting citations needs pandoc, which is not installed: "
                                       "install it (apt-get install pandoc, or https://pandoc.org/installing.html)", code="pandoc-missing")
        return
    try:
        resolved = citations.resolve(cites.slots, nocite, bibliography)
    except citations.CiteprocError as exc:
        diagnostics.error(where, line, f"{exc}: check the bibliography and the style", code="citeproc-failed")
        return
    for file in files:
        for token in file.tokens:
            if token.type == "inline" and token.children and cites.style.is_note:
                citations.place_note_references(token.children)
    for n, slot in enumerate(cites.slots):
        if slot.token is not None:
            slot.token.meta["html"] = resolved.text_html[n]
            note = slot.token.meta.get("note")
            if note is not None:
                note.first_html = resolved.note_html[n]
        for token, rendered in zip(slot.in_note, resolved.in_note_html[n]):
            token.meta["html"] = rendered
    cites.title = bibliography.title
    cites.entries = resolved.entries_html


def placed_bibliography(book: BookState) -> str:
    """`::: {#refs}`: the bibliography stands here (and not at the end of the book)."""
    book.cites.placed = True
    return citations.bibliography_html(book.cites.entries, None, "refs") if book.cites.entries else ""


def close_with_bibliography(book: BookState, chapters: list[Chapter]) -> None:
    """No `::: {#refs}`: the bibliography closes the book's last chapter."""
    if book.cites.entries and not book.cites.placed and chapters:
        chapters[-1].holds_bibliography = True
        chapters[-1].blocks.append(HtmlBlock(
            html=citations.bibliography_html(book.cites.entries, book.cites.title, "refs")))
