"""Notes: numbered in order of first reference (through the book or within each chapter), their
definitions checked, their bodies rendered, and every diagnostic about a note made here."""

from __future__ import annotations

import re
from collections.abc import Iterator

from markdown_it.token import Token

from bookmaker.resolve import citations
from bookmaker.core.ids import note_id, ref_id
from bookmaker.model import Note, NoteRef
from bookmaker.read.rendering import render
from bookmaker.read.state import BookState, ChapterContext
from bookmaker.read.tokens import inline_children, lone_image

_UNDEFINED_NOTE = re.compile(r"\[\^([^\]\s]+)\]")


def number_notes(ctx: ChapterContext) -> dict[int, Note]:
    """Number each note in order of first reference, through the book or within the chapter.
    A citation in a note style is a note too, numbered with the author's own."""
    book, chapter, tokens = ctx.book, ctx.chapter.index, ctx.file.tokens
    local: dict[int, Note] = {}
    sequences: dict[int, int] = {}  # a note's place in the whole book, by its id in the chapter
    in_notes = _citations_in_notes(tokens)
    note_style = book.cites.style is not None and book.cites.style.is_note and book.cites.has_bibliography
    previous: Token | None = None
    for token, in_note_bodies in _inline_children_placed(tokens):
        follows_mark = previous is not None and (
            previous.type == "footnote_ref" or (previous.type == "citation" and "note_id" in previous.meta))
        previous = token
        if token.type == "citation" and not in_note_bodies:  # those inside notes stay there (in_notes)
            if note_style:
                note, sequence = _new_note(book, chapter, None)
                note.refs.append(NoteRef(id=ref_id(sequence, 0), chapter=chapter))
                token.meta.update(note=note, number=note.number, note_id=note.id, ref_id=note.refs[0].id,
                                  follows_mark=follows_mark)
            book.cites.slots.append(citations.Slot(token=token))
            continue
        if token.type != "footnote_ref":
            continue
        # Adjacent marks ([^2][^3]) would read as one number: the renderer puts a comma between them.
        token.meta["follows_mark"] = follows_mark
        local_id = token.meta["id"]
        note = local.get(local_id)
        if note is None:
            book.cites.slots.append(citations.Slot(in_note=in_notes.get(local_id, [])))
            note, sequences[local_id] = _new_note(book, chapter, token.meta.get("label"))
            local[local_id] = note
        ref = NoteRef(id=ref_id(sequences[local_id], len(note.refs)), chapter=chapter)
        note.refs.append(ref)
        token.meta.update(number=note.number, note_id=note.id, ref_id=ref.id)
    return local


def _new_note(book: BookState, chapter: int, label: str | None) -> tuple[Note, int]:
    """The next note of the book, and its place in the whole book."""
    sequence = len(book.notes) + 1
    number = sum(1 for n in book.notes if n.chapter == chapter) + 1 if book.per_chapter_notes else sequence
    note = Note(number=number, id=note_id(sequence), label=label, first_html="", rest_html="")
    book.notes.append(note)
    return note, sequence


def check_definitions(ctx: ChapterContext) -> None:
    """A note defined twice is an error; one defined and never referenced, a warning."""
    refs = ctx.env.get("footnotes", {}).get("refs", {})
    seen: dict[str, int] = {}
    for label, line in ctx.env.get("note_definitions", []):
        if label in seen:
            ctx.error(line + 1, f"note [^{label}] is defined twice (first on line {seen[label]}): remove or rename one",
                      code="note-defined-twice")
            continue
        seen[label] = line + 1
        if refs.get(":" + label, -1) == -1:
            ctx.warning(line + 1, f"note [^{label}] is defined but never referenced: "
                                  f"cite it with [^{label}] or delete it", code="note-unused")


def check_undefined(ctx: ChapterContext, text: Token, line: int | None) -> None:
    """markdown-it leaves a reference to a note never defined as text: `[^label]`."""
    for match in _UNDEFINED_NOTE.finditer(text.content):
        ctx.error(line, f"note [^{match.group(1)}] is referenced but never defined: "
                        f"add a line '[^{match.group(1)}]: text of the note'", code="note-undefined")


def collect_bodies(ctx: ChapterContext) -> None:
    """Each note's text rendered into its Note (the first paragraph apart); an empty note is an error."""
    tokens = ctx.file.tokens
    lines = {label: line + 1 for label, line in ctx.env.get("note_definitions", [])}
    ref_lines: dict[int, int | None] = {}
    for child in inline_children(tokens):
        if child is not None and child.type == "footnote_ref":
            ref_lines.setdefault(child.meta["id"], child.meta.get("line"))
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type != "footnote_open":
            i += 1
            continue
        note = ctx.notes.get(token.meta["id"])
        j = i + 1
        body: list[Token] = []
        while tokens[j].type != "footnote_close":
            if tokens[j].type != "footnote_anchor":
                body.append(tokens[j])
            j += 1
        i = j + 1
        label = token.meta.get("label")
        line = lines.get(label) if label else ref_lines.get(token.meta["id"])
        if not any(t.type not in ("paragraph_open", "paragraph_close") and (t.content.strip() or t.children)
                   for t in body):
            what = f"note [^{label}]" if label else "an inline note ^[]"
            ctx.error(line, f"{what} is empty: write its text after the marker, or remove it", code="note-empty")
        if note is None:
            continue
        if len(body) >= 3 and body[0].type == "paragraph_open":
            note.first_html = render(ctx, body[1].children or [], line)
            note.rest_html = render(ctx, body[3:], line)
        else:
            note.rest_html = render(ctx, body, line)


def _inline_children_placed(tokens: list[Token]) -> Iterator[tuple[Token, bool]]:
    """Each inline token, and whether it is in the note definitions gathered at the end of the text."""
    in_notes = False
    for token in tokens:
        if token.type in ("footnote_block_open", "footnote_block_close"):
            in_notes = token.type == "footnote_block_open"
        elif token.children:
            for child in token.children:
                yield child, in_notes
                if child.type == "image":  # a figure's caption: its citations and notes are the text's
                    yield from ((grandchild, in_notes) for grandchild in child.children or [])


def _citations_in_notes(tokens: list[Token]) -> dict[int, list[Token]]:
    """Each note's citations (by the note's id in the chapter), which stay inside the note."""
    found: dict[int, list[Token]] = {}
    current = None
    for token in tokens:
        if token.type == "footnote_open":
            current = found.setdefault(token.meta["id"], [])
        elif token.type == "footnote_close":
            current = None
        elif current is not None and token.children:
            current.extend(c for c in token.children if c.type == "citation")
            current.extend(g for c in token.children if c.type == "image" for g in c.children or []
                           if g.type == "citation")
    return found
