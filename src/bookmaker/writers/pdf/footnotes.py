"""Footnotes at the foot of the page (`[pdf] notes = "page"`): each note set where it is referenced.

WeasyPrint moves an element with `float: footnote` to the foot of the page
its place in the text falls on (print.css styles it), so the note's text goes
into the paragraph right after its first reference. The reference link stays
the footnote call, so calls remain links and keep the reader's numbering
(through the book, or by chapter with `[notes] numbering`); WeasyPrint's own
call and marker are switched off. A footnote is inline content inside a
paragraph, so the note's own paragraphs and lists become spans shown as blocks.
"""

from __future__ import annotations

import re

from bookmaker.model import Book, Note

# The HTML parser would end the paragraph at any of these; inside a footnote they become spans.
_BLOCK_TAG = re.compile(r"<(/?)(p|ul|ol|li|blockquote|div|pre|dl|dt|dd)\b([^>]*)>")


def _inline_blocks(html: str) -> str:
    def span(match: re.Match) -> str:
        closing, tag, attrs = match.groups()
        if closing:
            return "</span>"
        return f'<span class="footnote-{tag}"{attrs}>'

    return _BLOCK_TAG.sub(span, html).strip()


def footnote_html(note: Note) -> str:
    rest = _inline_blocks(note.rest_html)
    return (
        f'<span class="footnote" id="{note.id}" role="doc-footnote">'
        f'<span class="note-number">{note.number}</span>\u2002{note.first_html}{rest}</span>'
    )


def place_footnotes(html: str, book: Book, skip: frozenset[str] = frozenset()) -> str:
    """`html` with each note's text right after its first reference (but those in `skip`)."""
    for note in book.notes:
        if not note.refs or note.id in skip:
            continue
        first = re.compile(rf'(<a class="noteref" href="#{re.escape(note.id)}" id="{re.escape(note.refs[0].id)}"[^>]*>[^<]*</a>)')
        html = first.sub(lambda m, note=note: m.group(1) + footnote_html(note), html, count=1)
    return html
