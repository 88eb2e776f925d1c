"""Footnotes that fit: a note WeasyPrint could not place at the foot of its page becomes an endnote, said in a
warning (`[pdf] notes = "page"`)."""

from __future__ import annotations

from pathlib import Path

from bookmaker.core.diagnostics import Diagnostics
from bookmaker.model import Book
from bookmaker.writers.pdf.weasy import _weasyprint_warnings

MAX_FOOTNOTE_PASSES = 4


def footnotes_that_fit(book: Book, target: Path, html: str, lay_out, diagnostics: Diagnostics, reported: set[str],
                        render):
    """Lay out with footnotes; a note WeasyPrint could not place (one taller than a page is
    dropped, or runs off the top of the page) is named in a warning and becomes an endnote,
    in a Notes section at the end.

    A note too long to place holds back the notes after it too, so only the first missing
    note becomes an endnote before the next try. Returns the layout (None when it must be
    made again: the last try still missed notes) and the ids of the notes set as endnotes.
    `render(long_notes)` makes the document with those notes at the end.
    """
    long_notes: frozenset[str] = frozenset()
    for attempt in range(MAX_FOOTNOTE_PASSES):
        said = Diagnostics()
        with _weasyprint_warnings(said, target, reported=set(reported)):
            document = lay_out(html if not long_notes else render(long_notes))
        placed = {anchor for page in document.pages for anchor in page.anchors} - _overflowing_footnotes(document)
        missing = [note for note in book.notes if note.id not in placed and note.id not in long_notes]
        if not missing:
            diagnostics.extend(said)
            break  # this layout, with any notes too long set at the end, is the one
        document = None
        # The last try gives up on every note still missing.
        long_notes |= {n.id for n in (missing if attempt == MAX_FOOTNOTE_PASSES - 1 else missing[:1])}
    for note in book.notes:
        if note.id in long_notes:
            diagnostics.warning(
                target, None, f"note {note.number} is too long for the foot of a page, so it is set in a Notes "
                              "section at the end: shorten it, or set [pdf] notes = \"book\"", code="footnote-too-long")
    return document, long_notes


def _overflowing_footnotes(document) -> set[str]:
    """Ids of footnotes that run above the top of their page's text area (text lost off the page).

    WeasyPrint either drops a footnote taller than the page or, placing it anyway, grows the
    footnote area up past the page's top; neither is reported. This reads its page boxes.
    """
    overflowing = set()
    for page in document.pages:
        box = getattr(page, "_page_box", None)
        if box is None:
            continue
        top = box.content_box_y()
        for area in box.children:
            if type(area).__name__ != "FootnoteAreaBox":
                continue
            for note in area.children:
                element = getattr(note, "element", None)
                if note.position_y < top - 1 and element is not None and element.get("id"):
                    overflowing.add(element.get("id"))
    return overflowing


# A page counter the book's CSS resets, sets or steps makes a page's number differ from its position.
