"""The index's marks (`[ferries]{.index}`, `[x]{index="landings!north" index-see="..."}`): each
gets an anchor and an IndexMark; ranges and "see" references are checked once the book is read."""

from __future__ import annotations

from markdown_it.token import Token

from bookmaker.core.ids import slugify
from bookmaker.resolve.index import LEVEL_SEPARATOR, MAX_LEVELS, parse_entries
from bookmaker.markdown.parser import INDEX_ATTRIBUTES
from bookmaker.model import Chapter, IndexMark
from bookmaker.read.state import BookState, ChapterContext
from bookmaker.read.tokens import plain_text


def is_index_mark(span: Token) -> bool:
    return any(name in span.attrs for name in INDEX_ATTRIBUTES) or "index" in str(span.attrGet("class") or "").split()


def read_index_mark(ctx: ChapterContext, children: list[Token], position: int, line: int | None) -> None:
    """A span (or link, or inline code) marked for the index gets an anchor; its index attributes
    become an IndexMark."""
    state = ctx.book.index
    span = children[position]
    values = {name: str(span.attrGet(name) or "") for name in INDEX_ATTRIBUTES}
    for name in INDEX_ATTRIBUTES:
        if name in span.attrs:
            del span.attrs[name]
    text = values["index"] or plain_text(_span_content(children, position))
    terms = parse_entries(text)
    if not terms:
        ctx.warning(line, "an index mark with no term: write the term inside [...]{.index} "
                          "or give it as index=\"term\"", code="index-mark-empty")
        return
    range_role = values["index-range"].strip().lower()
    if range_role not in ("", "start", "end"):
        ctx.warning(line, f"index-range=\"{values['index-range']}\" is not 'start' or 'end': "
                          "write index-range=\"start\" where a range begins and \"end\" where it ends", code="index-range-invalid")
        range_role = ""
    anchor = span.attrGet("id")
    if anchor is None:
        state.anchors_made += 1
        anchor = ctx.book.ids.claim(f"idx-{state.anchors_made}")
        span.attrSet("id", anchor)
        span.meta["index_anchor"] = anchor
    key = tuple("!".join(t) for t in terms)
    if range_role == "end":
        opened = state.open_ranges.pop(key, None)
        if opened is None:
            ctx.warning(line, f"index range '{text}' ends here but was never started: add a "
                              f"mark with index=\"{text}\" index-range=\"start\" where it begins", code="index-range-not-started")
        else:
            opened[0].end_id = str(anchor)
            opened[0].end_section = section_name(ctx)
        return
    mark = IndexMark(
        id=str(anchor), chapter=ctx.chapter.index, terms=terms, section=section_name(ctx),
        see=[t for t in (s.strip() for s in values["index-see"].split(";")) if t],
        seealso=[t for t in (s.strip() for s in values["index-seealso"].split(";")) if t],
    )
    state.marks.append(mark)
    state.see_references += [(target, ctx.path, line) for target in mark.see + mark.seealso]
    if range_role == "start":
        if key in state.open_ranges:
            ctx.warning(line, f"index range '{text}' starts again before it ended: "
                              "end the first range with index-range=\"end\"", code="index-range-restarted")
        state.open_ranges[key] = (mark, ctx.path, line)


def section_name(ctx: ChapterContext) -> str:
    """What the index calls the place being read: the section's short title or title; in a note, the
    section the note is referenced in ("" before the chapter's first heading: see name_sections)."""
    if ctx.in_note is not None:
        return ctx.note_sections.get(ctx.in_note, "")
    return ctx.chapter.headings[-1].label if ctx.chapter.headings else ""


def name_sections(marks: list[IndexMark], chapters: list[Chapter], book_title: str) -> None:
    """A mark before its chapter's first heading is said to be in that chapter (its title), or, in a
    chapter without a title, in the book."""
    titles = {c.index: next((h.label for h in c.headings if h.level == 1), None) for c in chapters}
    for mark in marks:
        fallback = titles.get(mark.chapter) or book_title
        mark.section = mark.section or fallback
        if mark.end_id:
            mark.end_section = mark.end_section or fallback


def check_index(book: BookState) -> None:
    """A "see" reference must lead to an entry of the index (by its first level: "landings!north");
    a range must end. Every entry gets an id, so that a "see" reference can link to it."""
    state = book.index
    for mark in state.marks:
        for terms in mark.terms:
            for depth in range(1, min(len(terms), MAX_LEVELS) + 1):
                key = LEVEL_SEPARATOR.join(terms[:depth])
                if key not in state.entry_ids:
                    state.entry_ids[key] = book.ids.claim("index-" + slugify(" ".join(terms[:depth]), "entry"))
    entries = {terms[0] for mark in state.marks if not mark.see and not mark.seealso for terms in mark.terms}
    for target, path, line in state.see_references:
        first = parse_entries(target)[0][0] if parse_entries(target) else target
        if first not in entries:
            book.diagnostics.warning(
                path, line, f"the index's \"see\" reference '{target}' leads to no entry: mark the term it "
                            f"names with [...]{{index=\"{first}\"}}, or correct the reference", code="index-see-unknown")
    for mark, path, line in state.open_ranges.values():
        book.diagnostics.warning(
            path, line, f"index range '{'; '.join('!'.join(t) for t in mark.terms)}' is started but never ended: "
                        "add a mark with the same index=\"...\" and index-range=\"end\" where it ends", code="index-range-unclosed")


def _span_content(children: list[Token], position: int) -> list[Token]:
    """The tokens inside the span or link opening at `position` (inline code: itself)."""
    opening = children[position]
    if opening.nesting == 0:
        return [opening]
    kind = opening.type.removesuffix("_open")
    depth = 0
    for end in range(position, len(children)):
        depth += 1 if children[end].type == f"{kind}_open" else -1 if children[end].type == f"{kind}_close" else 0
        if depth == 0:
            return children[position + 1 : end]
    return children[position + 1 :]
