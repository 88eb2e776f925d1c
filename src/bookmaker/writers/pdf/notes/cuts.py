"""The book's notes cut into parts at page tops, so that they too are laid out in parallel.

The notes of a note-heavy book are a long run of pages with no forced break:
laid out as one part they were the longest job of the pool, the largest
process, and the whole cost of editing one note in `watch`. Their layout is
only cut where the last build found a note (or a chapter's heading of notes)
at the top of a page:

- A part after such a cut opens the notes' section on its pad page with a
  filler that fills it, so its first note goes to the next page by an
  unforced break, as in the whole book: the section goes on sliced (no top
  margin, padding or border), and the note's own top margin is truncated.
  Its running heads get the named strings in effect at the cut.
- The part before a cut carries the first notes after it as a "probe": after
  layout, the probe must begin at the top of a page, where the next part's
  first note stands. Its pages from there on are dropped at merge.
- The check: the probe begins a page, at the height the next part's first note
  has, and the named strings at that page are the next part's. A string that
  differs is written in and the part laid out again; a probe that does not
  begin a page means the cut is wrong, and the notes are laid out whole.

This reaches into WeasyPrint's page boxes and layout context (as _renumbered
does), so it is used only where renumbering is (WeasyPrint 70.x).
"""

from __future__ import annotations

import html as html_escape
import re
from dataclasses import dataclass, field

from bookmaker.writers.pdf.pagemap import load_record, save_record

_NOTE = re.compile(r'<div class="note" id="([^"]*)"')
_HEADING = re.compile(r'<h3 class="notes-chapter"')
# A book whose CSS places running elements would lose them in a part that begins inside the notes
# (named strings are carried over; running elements are not): its notes stay whole.
_NOT_CUTTABLE = re.compile(r"running\s*\(", re.IGNORECASE)
PROBE_CHILDREN = 3  # notes (and headings) after a cut laid out with the part before it
FILLER_CLASS = "bookmaker-part-filler"
CONTINUED_CLASS = "bookmaker-part-continued"
FILLER = f'<div class="{FILLER_CLASS}"></div>'
PAGES_PER_PART = 16  # about two seconds of layout: one note's edit lays out one such part again


_BLOCK_TAGS = "section|nav|div|aside|header|footer|main|article"
_OPENS = re.compile(rf"<({_BLOCK_TAGS})\b")
_CLOSES = re.compile(rf"</({_BLOCK_TAGS})\s*>")


def balance(line: str) -> int:
    """Block elements a line of the template's output opens, less those it closes."""
    return len(_OPENS.findall(line)) - len(_CLOSES.findall(line))


@dataclass
class NoteCut:
    """Where a part of the notes begins: before note `note_id`, or before its chapter heading."""

    note_id: str
    heading: bool = False

    @property
    def token(self) -> str:
        return ("\n" if self.heading else "") + self.note_id

    @classmethod
    def of(cls, token: str) -> NoteCut:
        return cls(token.lstrip("\n"), token.startswith("\n"))


@dataclass
class NotesPiece:
    """A part's share of the notes' section: its HTML, the probe's, and how it begins."""

    body: str
    probe: str = ""  # the probe's HTML, within `body`
    probe_cut: NoteCut | None = None
    continued: NoteCut | None = None  # set for a part that begins inside the notes


class Children(list):
    """The notes section's children, each (offset in the part's body, its first line), and where each note is."""

    def __init__(self, items) -> None:
        super().__init__(items)
        self.notes = {}
        for n, (_, line) in enumerate(self):
            note = _note_id(line)
            if note is not None:
                self.notes.setdefault(note, n)


def notes_children(body: str) -> tuple[str, Children, int] | None:
    """The notes section's opening line, its children, and where it closes."""
    lines = body.splitlines(keepends=True)
    if not lines or not lines[0].startswith("<section") or balance(lines[0]) != 1:
        return None
    offset, depth, children = len(lines[0]), 1, []
    for line in lines[1:]:
        if depth == 1 and line.strip():
            if line.startswith("</section"):
                return lines[0], Children(children), offset
            children.append((offset, line))
        depth += balance(line)
        if depth < 1:
            return None
        offset += len(line)
    return None


def cut_notes(body: str, cuts: list[NoteCut]) -> list[NotesPiece] | None:
    """The notes part's body cut before each of `cuts` (in order); None when a cut is not found."""
    found = notes_children(body)
    if found is None:
        return None
    opening, children, close = found
    positions = []
    for cut in cuts:
        at = cut_position(children, cut)
        if at is None or (positions and at <= positions[-1]):
            return None
        positions.append(at)
    if not positions:
        return [NotesPiece(body)]
    if positions[0] == 0:
        return None
    continued = _continued_opening(opening)
    pieces = []
    bounds = [None, *positions, None]
    for k in range(len(bounds) - 1):
        begin, end = bounds[k], bounds[k + 1]
        start = 0 if begin is None else children[begin][0]
        text = ("" if begin is None else continued) + body[start: children[end][0] if end is not None else None]
        probe = ""
        if end is not None:
            last = min(end + PROBE_CHILDREN, len(children))
            probe = body[children[end][0]: children[last][0] if last < len(children) else close]
            text += probe + "</section>\n"
        pieces.append(NotesPiece(text, probe, cuts[k] if end is not None else None,
                                 cuts[k - 1] if begin is not None else None))
    return pieces


def _note_id(line: str) -> str | None:
    found = _NOTE.match(line)
    return html_escape.unescape(found.group(1)) if found else None


def cut_position(children: Children, cut: NoteCut) -> int | None:
    """The index of the child a cut comes before (the note, or the chapter heading just before it)."""
    at = children.notes.get(cut.note_id)
    if at is None or not cut.heading:
        return at
    return at - 1 if at > 0 and _HEADING.match(children[at - 1][1]) else None


def next_cut(children: Children, at: int) -> NoteCut | None:
    """The first place from child `at` on where the notes could be cut: before a note, or before a
    chapter's heading of notes followed by its first note."""
    for n in range(at, len(children)):
        line = children[n][1]
        if _note_id(line) is not None and n > 0:
            return NoteCut(_note_id(line))
        if _HEADING.match(line) and n + 1 < len(children) and _note_id(children[n + 1][1]) is not None:
            return NoteCut(_note_id(children[n + 1][1]), heading=True)
    return None


def _continued_opening(opening: str) -> str:
    """The section's opening tag for a part that begins inside it: no id (the first part holds it),
    marked so that it does not break the page, and a filler that fills the pad page."""
    tag = re.sub(r'\s(?:id|aria-labelledby)="[^"]*"', "", opening)
    if CONTINUED_CLASS not in tag:
        tag = re.sub(r'\sclass="', f' class="{CONTINUED_CLASS} ', tag, count=1)
    return tag if FILLER in tag else tag + FILLER + "\n"


CSS = (f".{CONTINUED_CLASS} {{ break-before: auto !important; }}\n"
       f".{FILLER_CLASS} {{ display: block; height: 10000mm; margin: 0; padding: 0; border: 0; "
       f"break-after: auto; break-inside: auto; }}")


def cuttable(html: str) -> bool:
    return _NOT_CUTTABLE.search(html) is None


# -- in the worker: what a laid-out part says of its notes -----------------------------------------


@dataclass
class NotesLayout:
    tops: list[tuple[str, int, dict[str, str]]]  # (cut token, page index in the part, strings in effect)
    top_y: dict[str, float] = field(default_factory=dict)  # cut token -> its note's height on its page
    probe_page: int | None = None  # where the probe begins a page (page index in the part), if it does
    probe_y: float | None = None
    probe_strings: dict[str, str] = field(default_factory=dict)
    first_y: float | None = None  # a continued part: its first note's height on the first page after the pad
    first_ok: bool = True  # a continued part: its first note begins on the first page after the pad


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _notes_section(pages):
    """The notes' section of the part's document (an ElementTree element: WeasyPrint parses with tinyhtml5)."""
    root = next((box.element for box in pages[0].descendants() if getattr(box, "element", None) is not None), None) \
        if pages else None
    body = next((c for c in root if _local(c.tag) == "body"), None) if root is not None else None
    if body is None:
        return None
    return next((c for c in body if _local(c.tag) == "section" and "notes" in (c.get("class") or "").split()), None)


def _strings_before(context, page_number: int) -> dict[str, str]:
    """The named strings in effect at the top of page `page_number` (1-based): each one's last value before it."""
    found = {}
    for name, by_page in context.string_set.items():
        earlier = [n for n in by_page if n < page_number and by_page[n]]
        if earlier:
            found[name] = by_page[max(earlier)][-1]
    return found


def notes_layout(pages, context, probe: NoteCut | None, continued: NoteCut | None, skip: int) -> NotesLayout | None:
    """The notes' page tops of a laid-out part (WeasyPrint page boxes), and the check of its probe."""
    section = _notes_section(pages)
    if section is None:
        return None
    children = [c for c in section if isinstance(c.tag, str) and c.get("class") != FILLER_CLASS]
    index = {id(c): n for n, c in enumerate(children)}
    by_id = {c.get("id"): n for n, c in enumerate(children) if c.get("id")}

    def at(cut: NoteCut) -> int | None:
        n = by_id.get(cut.note_id)
        return None if n is None else n - cut.heading

    seen_before: set[int] = set()
    first_on: dict[int, tuple[int, float]] = {}  # child -> (page, its first box's top)
    top_of_page: list[int | None] = []
    for number, page in enumerate(pages):
        here: list[int] = []
        for box in page.descendants():
            element = getattr(box, "element", None)
            n = index.get(id(element)) if element is not None else None
            if n is None or (here and here[-1] == n):
                continue
            if n not in first_on:
                first_on[n] = (number, box.border_box_y())
            here.append(n)
        # A page top: its first child of the section is not continued from the page before.
        top_of_page.append(here[0] if here and here[0] not in seen_before else None)
        seen_before = set(here)
    tops, top_y = [], {}
    for number, n in enumerate(top_of_page):
        if n is None or number < skip:
            continue
        child = children[n]
        if child.get("class") == "note" and child.get("id"):
            token = NoteCut(child.get("id")).token
        elif _local(child.tag) == "h3" and n + 1 < len(children) and children[n + 1].get("id"):
            token = NoteCut(children[n + 1].get("id"), heading=True).token
        else:
            continue
        tops.append((token, number - skip, _strings_before(context, number + 1)))
        top_y[token] = first_on[n][1]
    result = NotesLayout(tops, top_y)
    if probe is not None:
        n = at(probe)
        if n is not None and n in first_on:
            page, y = first_on[n]
            if top_of_page[page] == n:
                result.probe_page, result.probe_y = page, y
                result.probe_strings = _strings_before(context, page + 1)
    if continued is not None:
        n = at(continued)
        page, y = first_on.get(n, (None, None)) if n is not None else (None, None)
        result.first_ok = page == skip and top_of_page[page] == n and n == min(first_on)
        result.first_y = y
    return result


# -- in the parent: where to cut -------------------------------------------------------------------


def choose_cuts(record: NotesRecord, jobs: int) -> list[NoteCut]:
    """Cuts at the page tops the last build found, about PAGES_PER_PART pages apart (fewer, larger
    parts for a book whose notes are very long: each part parses the stylesheet again)."""
    size = max(PAGES_PER_PART, (record.last - record.first + 1) // (8 * max(jobs, 1)))
    cuts, since = [], record.first
    for token, (page, _strings) in sorted(record.tops.items(), key=lambda item: item[1][0]):
        if page - since >= size and record.last + 1 - page >= size // 2:
            cuts.append(NoteCut.of(token))
            since = page
    return cuts


@dataclass
class NotesRecord:
    """The notes' pages in the last build: the first and last, and each page top (cut token -> [page, strings])."""

    first: int
    last: int
    tops: dict[str, list]
    style: str = ""  # the styles they were found with (style_of): another style lays pages out otherwise
    # The styles with which a cut or a chain did not match the book: its notes are laid out whole until
    # the styles change, rather than tried and redone on every build (notes in columns, say).
    uncut: str | None = None


def style_of(html: str) -> str:
    """A digest of the document's stylesheets (its head's <style> and <link> elements)."""
    import hashlib

    head = html.partition("<body")[0]
    return hashlib.sha256("".join(re.findall(r"(?is)<style\b.*?</style>|<link\b[^>]*>", head)).encode()).hexdigest()


def load_tops(key: str) -> NotesRecord | None:
    data = load_record(key + "#notes-tops")
    try:
        first, last, tops = data["first"], data["last"], data["tops"]
        tops = {k: [int(page), {str(n): str(v) for n, v in strings.items()}] for k, (page, strings) in tops.items()}
        style, uncut = data.get("style"), data.get("uncut")
        return NotesRecord(int(first), int(last), tops, style if isinstance(style, str) else "",
                           uncut if isinstance(uncut, str) else None)
    except (TypeError, KeyError, ValueError, AttributeError):
        return None


def save_tops(key: str, record: NotesRecord) -> None:
    save_record(key + "#notes-tops", {"first": record.first, "last": record.last, "tops": record.tops,
                                      "style": record.style, "uncut": record.uncut})
