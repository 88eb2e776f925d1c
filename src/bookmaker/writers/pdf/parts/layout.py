"""The PDF laid out in parts on several cores, and merged into one book.

Chapters start on a new page, so each is a layout job of its own: the front
matter (title page, imprint, contents), each chapter, the notes and the
index are laid out by WeasyPrint in a pool of worker processes, each part a
document of its own, and merged with pikepdf (pdf_merge.py). What a naive
split would lose is put back:

- Page numbers and parity: a part begins with one "pad" page standing for the
  previous part's last page (its number via `counter-reset`, its side via the
  root's `break-before`), so the part's own first break (a new page, a
  right-hand page with a blank one before it) happens as in the whole book;
  the pad page is dropped at merge.
- The book title of the running heads (`string-set` on the title page) is set
  on the part's root.
- Links to other parts: the part gets an empty, out-of-flow anchor for each
  id it links to and does not hold, so WeasyPrint keeps the link; at merge
  the named destinations come from the part that holds each id.
- The outline is rebuilt from WeasyPrint's own bookmark levels; /Info, /Lang
  and the catalog come from the front part.
- Fonts: the parts do not subset their fonts; each face is subset once at
  merge, for the glyphs all parts use (retained glyph ids, as WeasyPrint
  does), so the book carries one copy of each face, and one font dictionary
  (widths and Unicode map joined).
- The TOC's numbers, the notes' "p. N" and the index's locators are written
  in from a page map (pagemap.py): the last build's, else the pages of the
  parts laid out so far. On a first build a part's start is a guess fixed
  after pagination (_renumbered: only the margin boxes depend on it), and the
  notes and index wait for the chapters' pages, so each part is laid out once
  (the front matter twice: its contents' numbers). Parts are laid out again
  until every part's first page number, side and numbers written in agree
  with the merged book.
- The notes, which have no forced breaks, are cut where the last build found
  a note at the top of a page, into parts of about sixteen pages, each checked
  against the part before it (pdf_note_parts.py). A first build, which knows
  no such place, lays them out in pieces one after another in one process
  (_lay_out_chain), each piece ending before the last note that began a page
  in it; those pages are where the next build cuts.

Books this cannot split exactly go the single-document way (write_pdf):
PDF/A, PDF/UA and PDF/X variants, the article layout, notes at the foot of
the page, and books whose CSS renumbers pages, uses `@page :first`, or steps
counters of its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import html as html_escape
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bookmaker.core.cache import cache_dir
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.writers.pdf.pagemap import fill_page_refs, load_page_map, referenced_ids, save_page_map
from bookmaker.writers.pdf.merge import join_faces, merge
from bookmaker.writers.pdf.notes.cuts import (CSS as NOTES_CSS, FILLER, PAGES_PER_PART, PROBE_CHILDREN, NoteCut,
                                              NotesLayout, NotesPiece, NotesRecord, balance, choose_cuts, cut_notes,
                                              cut_position, cuttable, load_tops, next_cut, notes_children, notes_layout,
                                              save_tops, style_of)

_ID = re.compile(r'\sid="([^"]*)"')
_HREF = re.compile(r'\shref="#([^"]*)"')
_TOP = re.compile(r'<(section|nav|div|aside|header|footer|main|article)\b[^>]*\bclass="([^"]*)"')
# Rules a split cannot honour: page counters of the book's own, :first pages, counter(pages) (in a
# part it would be the part's own total), and counters the book steps itself (a figure or chapter
# number would restart in each part; the theme's code-line counter is reset by each listing).
_UNSPLITTABLE = re.compile(r"counter-(?:reset|set|increment)\s*:[^;}]*\bpage\b|@page[^{]*:first|counter\(\s*pages\s*\)"
                           r"|counter-(?:increment|set)\s*:(?!\s*(?:none|line)\s*[;}])", re.IGNORECASE)
_PAD_CLASS = "bookmaker-part-pad"
# Rules that make a page's layout depend on its side of the spread: a part laid out from a guessed
# start on the wrong side cannot just be renumbered.
_SIDED = re.compile(r"@page[^{]*:(?:left|right|recto|verso)|break-(?:before|after)\s*:\s*(?:left|right|recto|verso)",
                    re.IGNORECASE)


@dataclass
class Part:
    name: str  # its first element's id, or "front"
    body: str  # its top-level elements, as in the whole document
    owned: set[str] = field(default_factory=set)
    wanted: set[str] = field(default_factory=set)  # ids it links to
    pagerefs: set[str] = field(default_factory=set)  # ids whose page numbers it shows (pagemap.py)
    kind: str = "front"  # "chapter", "notes", "index" or "front"
    notes: NotesPiece | None = None  # a part of the notes cut at a page top (pdf_note_parts.py)


@dataclass
class Job:
    """One layout of one part: its HTML and what was assumed for it."""

    index: int
    html: str
    pad: bool
    start: int  # the number of its pad page (the previous part's last page), 0 for the front part
    numbers: dict[str, int]  # page numbers written in
    font_dir: str
    first_id: str  # the id of its first element, which must not stand on the pad page
    handshake: bool = False  # `start` is a guess: after layout, ask the parent for the real one (_renumbered)
    wave: int = 0  # which wave of layout it belongs to, named in its report
    notes: bool = False  # it holds notes: report their page tops (pdf_note_parts.py)
    probe: NoteCut | None = None  # the next part's first note, laid out after its own
    continued: NoteCut | None = None  # it begins inside the notes, at this cut
    chain: tuple | None = None  # the notes whole, laid out in pieces one after another (_lay_out_chain)


@dataclass
class Laid:
    index: int
    pdf: bytes
    pages: int  # without the pad page
    anchors: dict[str, int]  # owned id -> page index in the part, pad excluded
    bookmarks: list[tuple[int, str, str]]  # (level, label, state) in document order
    fonts: dict[str, dict]  # font name -> {"sha", "gids", "missing", "otf"}
    diagnostics: Diagnostics
    pad_holds_content: bool
    blank_first: bool  # a blank page follows the pad (the part starts on the other side)
    seconds: float = 0.0
    start: int = 0  # the book page its pad stands for, as numbered in `pdf`
    abandoned: bool = False  # laid out but not written: its start was wrong in a way numbers cannot fix
    notes: NotesLayout | None = None  # its notes' page tops and probe (pdf_note_parts.py)
    more: list[tuple[bytes, int, list]] = field(default_factory=list)  # further (PDF, pages, bookmarks): a chain
    chain_failed: bool = False  # its notes were to be laid out in pieces, and a piece did not match the book


def split(html: str, cuts: list[NoteCut] = ()) -> tuple[str, str, list[Part]] | None:
    """The document's head, its body's opening, and its parts; None when it cannot be split exactly.

    `cuts`: where the notes are cut into parts of their own (pdf_note_parts.py)."""
    if _UNSPLITTABLE.search(html):
        return None
    head, sep, rest = html.partition("<body")
    if not sep:
        return None
    open_end = rest.find(">")
    body_open = sep + rest[: open_end + 1]
    body, sep, tail = rest[open_end + 1 :].rpartition("</body>")
    if not sep:
        return None
    # Top-level elements start their line in the template's output; a line that
    # starts one is only believed when the elements before it are balanced.
    parts: list[Part] = []
    current: list[str] = []
    name = "front"
    kind = "front"
    depth = 0
    for line in body.splitlines(keepends=True):
        top = _TOP.match(line) if depth == 0 else None
        if top:
            classes = top.group(2).split()
            new_part = "chapter" in classes or (top.group(1) == "section" and ("notes" in classes or "index" in classes))
            if new_part and "".join(current).strip():
                parts.append(Part(name, "".join(current), kind=kind))
                current = []
            if new_part:
                kind = "chapter" if "chapter" in classes else "notes" if "notes" in classes else "index"
                found = _ID.search(line)
                if not found:
                    return None
                name = html_escape.unescape(found.group(1))
        current.append(line)
        depth += balance(line)
        if depth < 0:
            return None
    if depth != 0:
        return None
    parts.append(Part(name, "".join(current), kind=kind))
    if len(parts) < 2 or parts[0].name != "front":
        return None
    if cuts:
        at = next((n for n, p in enumerate(parts) if p.kind == "notes"), None)
        pieces = cut_notes(parts[at].body, list(cuts)) if at is not None else None
        if pieces is None:
            return None
        parts[at: at + 1] = [Part(piece.continued.note_id if piece.continued else parts[at].name, piece.body,
                                  kind="notes", notes=piece) for piece in pieces]
    for part in parts:
        _part_ids(part)
        if part.kind == "index":
            # Its numbers are written in by the caller's rerender (index_pages): they depend on every mark's page.
            part.pagerefs |= {html_escape.unescape(i) for i in _HREF.findall(part.body)} - part.owned
    return head, body_open, parts


def _part_ids(part: Part) -> Part:
    """The ids a part holds (not those of its probe), links to, and shows the page numbers of."""
    part.owned = {html_escape.unescape(i) for i in _ID.findall(part.body)}
    if part.notes is not None:
        part.owned -= {html_escape.unescape(i) for i in _ID.findall(part.notes.probe)}
    part.wanted = {html_escape.unescape(i) for i in _HREF.findall(part.body)} | referenced_ids(part.body)
    part.pagerefs = referenced_ids(part.body)
    return part


def book_title(html: str) -> str | None:
    """The text the title page gives the `booktitle` running head."""
    from lxml import html as lxml_html

    front = html.split('<section class="titlepage">', 1)
    if len(front) < 2:
        return None
    titles = lxml_html.fromstring(front[1].split("</section>", 1)[0] or "<p></p>").find_class("title")
    return titles[0].text_content() if titles else None


def _css_string(text: str) -> str:
    return '"' + "".join(f"\\{ord(c):x} " if c in '"\\\n' or ord(c) < 32 else c for c in text) + '"'


def part_html(head: str, body_open: str, part: Part, start: int, pad: bool, numbers: dict[str, int],
              title: str | None, rtl: bool, strings: dict[str, str] | None = None) -> str:
    """A part as a document of its own, starting after page `start` of the book.

    `strings`: the named strings in effect where it begins, for a part that begins inside the notes
    (else the book title of the running heads)."""
    css = []
    if pad:
        # The pad page is page `start`, on the side that page has in the book.
        right = (start % 2 == 1) != rtl
        css.append(f"html {{ break-before: {'right' if right else 'left'}; }}")
        css.append(f"@page :first {{ counter-reset: page {start}; }}")
        if strings is None:
            strings = {"booktitle": title} if title is not None else {}
        if strings:
            pairs = ", ".join(f"{name} {_css_string(value)}" for name, value in sorted(strings.items())
                              if re.fullmatch(r"-?[A-Za-z_][\w-]*", name))
            css.append(f"html {{ string-set: {pairs}; }}")
    if part.notes is not None and part.notes.continued is not None:
        css.append(NOTES_CSS)
    css.append(f".{_PAD_CLASS}-anchors {{ position: absolute; top: 0; left: 0; width: 0; height: 0; overflow: hidden; }}")
    style = "<style>\n" + "\n".join(css) + "\n</style>\n"
    head = head.replace("</head>", style + "</head>", 1) if "</head>" in head else head + style
    missing = sorted(part.wanted - part.owned - ({html_escape.unescape(i) for i in _ID.findall(part.notes.probe)}
                                                  if part.notes is not None else set()))
    anchors = "".join(f'<span id="{html_escape.escape(i)}"></span>' for i in missing)
    anchors = f'<div class="{_PAD_CLASS}-anchors">{anchors}</div>' if anchors else ""
    body = fill_page_refs(part.body, numbers)
    if part.notes is not None and part.notes.continued is not None:
        # The pad page holds the notes' section and its filler, nothing before them: the filler fills
        # that page, so the first note comes next by an unforced break.
        return head + body_open + "\n" + body.replace(FILLER, FILLER[:-6] + anchors + "</div>", 1) + "</body>\n</html>\n"
    lead = f'<div class="{_PAD_CLASS}">{anchors}</div>' if pad else anchors
    return head + body_open + "\n" + lead + body + "</body>\n</html>\n"


# -- in a worker process -------------------------------------------------------------

_WORKER: dict = {}  # what every part of this build shares, set in each worker by _start_worker
# _renumbered reaches into WeasyPrint's layout (make_all_pages, make_margin_boxes, the page maker's
# counters), which are not its API: only the versions it was checked against renumber after layout;
# with another, a part laid out from a guessed start is laid out again (a second wave), as exact but slower.
RENUMBERING_CHECKED = ("70.",)


def renumbering_supported() -> bool:
    import weasyprint
    import weasyprint.layout as layout

    return (weasyprint.__version__.startswith(RENUMBERING_CHECKED)
            and all(hasattr(layout, name) for name in ("make_all_pages", "make_margin_boxes")))


ABANDON = -1  # the parent's answer to a part whose start cannot be fixed by renumbering
PENDING = -2


def _start_worker(state: dict, reports, answers, ready) -> None:
    from bookmaker.writers.pdf.weasy import _book_fetcher

    _WORKER.clear()
    _WORKER.update(state, fetcher=_book_fetcher(state["policy"]), reports=reports, answers=answers, ready=ready)


class _Abandoned(Exception):
    pass


class _renumbered:
    """Page numbers fixed after layout, before the margin boxes are made.

    A part's text does not depend on its page numbers: only the margin boxes
    (`counter(page)`) do, and WeasyPrint makes them after the whole part is
    paginated. So a part whose start is not known yet (a first build: the
    parts before it are being laid out too) is laid out from a guess; when it
    is paginated, it tells the parent its length and waits for the parent to
    say where it really starts (known once every part before it is paginated),
    and its page counters are moved by the difference before the margin boxes
    are made. The parent answers ABANDON when the guess put the part on the
    wrong side of a spread in a book whose pages differ by side: it is laid
    out again. Parts are handed out in book order, and every part reports
    before it waits, so the part waited for is always being laid out.
    """

    def __init__(self, job: Job, quiet: bool = False) -> None:
        self.job = job
        self.quiet = quiet
        self.pages: list = []
        self.asked = False
        self.notes: NotesLayout | None = None

    def __enter__(self) -> None:
        import weasyprint.layout as layout

        self.layout = layout
        self.real_pages, self.real_margins = layout.make_all_pages, layout.make_margin_boxes

        def make_all_pages(*args, **kwargs):
            self.pages = []
            for page in self.real_pages(*args, **kwargs):
                self.pages.append(page)
                yield page

        def make_margin_boxes(context, page, state):
            if not self.asked:
                self.asked = True
                self._ask(context)
            return self.real_margins(context, page, state)

        layout.make_all_pages, layout.make_margin_boxes = make_all_pages, make_margin_boxes

    def _ask(self, context) -> None:
        job, skip = self.job, 1 if self.job.pad else 0
        blank_first = bool(job.pad and len(self.pages) > 1 and self.pages[1].page_type.blank)
        if job.notes:
            try:
                self.notes = notes_layout(self.pages, context, job.probe, job.continued, skip)
            except (AttributeError, IndexError, KeyError, TypeError, ValueError):
                # Notes in markup of the book's own that this reading does not follow: not cut.
                self.notes = None
        if not self.quiet:
            _WORKER["reports"].put((job.wave, job.index, self.content_pages(), blank_first))
        if not job.handshake:
            return
        answers, ready = _WORKER["answers"], _WORKER["ready"]
        with ready:
            ready.wait_for(lambda: answers[job.index] != PENDING)
        start = answers[job.index]
        if start == ABANDON:
            raise _Abandoned
        delta = max(start, 1) - max(job.start, 1)
        seen = set()
        for entry in context.page_maker:
            counters = entry[3][1]
            if id(counters) in seen or "page" not in counters:
                continue
            seen.add(id(counters))
            counters["page"] = [value + delta for value in counters["page"]]
        self.start = start

    def __exit__(self, *exc) -> None:
        self.layout.make_all_pages, self.layout.make_margin_boxes = self.real_pages, self.real_margins

    def content_pages(self) -> int:
        """The part's own pages: without its pad page, nor the pages from where its probe begins."""
        skip = 1 if self.job.pad else 0
        if self.notes is not None and self.notes.probe_page is not None:
            return self.notes.probe_page - skip
        return len(self.pages) - skip


def lay_out_part(job: Job) -> Laid:
    """Lay out one part and write it as a PDF whose fonts are left for the merge to subset."""
    if job.chain is not None:
        try:
            laid = _lay_out_chain(job)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            laid = None  # notes in markup of the book's own that the chain does not follow: laid out whole
        if laid is not None:
            return laid
        laid = _lay_out_one(job)
        laid.chain_failed = True
        return laid
    return _lay_out_one(job)


def _lay_out_one(job: Job, quiet: bool = False) -> Laid:
    """One WeasyPrint document; `quiet`: a piece of a chain (_lay_out_chain), which reports for it."""
    from bookmaker.writers.pdf.weasy import _weasyprint_warnings, import_weasyprint

    import time

    began = time.perf_counter()
    weasyprint = import_weasyprint()
    state = _WORKER
    said = Diagnostics()
    deferred: dict[str, dict] = {}
    numbering = _renumbered(job, quiet)
    numbering.start = job.start
    with _weasyprint_warnings(said, state["target"], reported=set(state["reported"])), _deferred_fonts(deferred, job.font_dir):
        try:
            with numbering:
                document = weasyprint.HTML(string=job.html, base_url=state["base_url"],
                                           url_fetcher=state["fetcher"]).render()
        except _Abandoned:
            pages = numbering.pages
            skip = 1 if job.pad else 0
            blank_first = bool(job.pad and len(pages) > 1 and pages[1].page_type.blank)
            return Laid(job.index, b"", numbering.content_pages(), {}, [], {}, said, False, blank_first,
                        time.perf_counter() - began, job.start, abandoned=True)
        out = io.BytesIO()
        document.write_pdf(out)
    skip = 1 if job.pad else 0
    anchors: dict[str, int] = {}
    pad_holds_content = False
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            anchors.setdefault(anchor, index - skip)
    notes = numbering.notes
    if job.continued is not None:
        # Its first note follows the pad page by an unforced break, as in the book; the parent checks
        # that the part before it ends there (its probe).
        pad_holds_content = notes is None or not notes.first_ok
    else:
        pad_holds_content = job.pad and (anchors.get(job.first_id, 0) < 0 or not _starts_a_page(document, job.first_id))
    pages = numbering.content_pages()
    bookmarks = [(level, label, state_) for page in document.pages for level, label, _, state_ in page.bookmarks]
    blank_first = bool(job.pad and len(document.pages) > 1 and document.pages[1]._page_box.page_type.blank)
    return Laid(job.index, out.getvalue(), pages, anchors, bookmarks, deferred, said,
                pad_holds_content, blank_first, time.perf_counter() - began, numbering.start, notes=notes)


_FORCED = {"page", "left", "right", "recto", "verso"}


def _starts_a_page(document, element_id: str) -> bool:
    """Whether the part's first element forces a page break before itself, as in the whole book.

    In the part it follows the pad, on a page of another name, which breaks the
    page anyway; in the book it may follow an element of its own page name and
    run on (a book's CSS may say `break-before: auto`). Only its own forced
    break makes the split exact.
    """
    for page in document.pages:
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is not None and element.get("id") == element_id:
                return box.style["break_before"] in _FORCED
    return False


class _deferred_fonts:
    """While a part is written, its faces are not subset: the merge subsets each face once for all parts.

    A face WeasyPrint must transform (variable, colour or bitmap) is cleaned as
    usual and stays the part's own.
    """

    def __init__(self, deferred: dict[str, dict], font_dir: str) -> None:
        self.deferred = deferred
        self.font_dir = Path(font_dir)

    def __enter__(self) -> None:
        from weasyprint.pdf.fonts import Font

        self.Font = Font
        self.real = Font.clean
        deferred, font_dir, real = self.deferred, self.font_dir, self.real

        def clean(font, to_unicode, hinting):
            if font.bitmap or "fvar" in font.tables or font.png or font.svg or font.colr or not to_unicode:
                return real(font, to_unicode, hinting)
            data = font.file_content
            sha = hashlib.sha256(data).hexdigest()
            path = font_dir / sha
            if not path.exists():
                tmp = path.with_suffix(f".{os.getpid()}")
                tmp.write_bytes(data)
                os.replace(tmp, path)
            name = font.name.decode("latin-1").lstrip("/")
            deferred[name] = {"sha": sha, "index": font.index, "gids": sorted(to_unicode),
                              "missing": bool(font.missing), "otf": data[:4] == b"OTTO"}
            font.file_content = data[:4]  # a stand-in the merge replaces; keeps the font's type

        Font.clean = clean

    def __exit__(self, *exc) -> None:
        self.Font.clean = self.real


# Waves of layout before the parts give up for one document. A first build of a duplex book needs
# five: chapters from guessed starts, those on the wrong side again, the notes, the index (its side
# known once the notes' length is), the front matter's contents.
MAX_WAVES = 6
CHAIN_FIRST = 60  # notes (and headings) in the first piece of a chain; later pieces aim at PAGES_PER_PART


def _lay_out_chain(job: Job) -> Laid | None:
    """The notes, when no cut is known yet (a first build), laid out in pieces one after another.

    Laid out whole they were the largest process of the build (half a gigabyte for 158 pages of
    notes); in pieces of about PAGES_PER_PART pages, each a document of its own, the process holds
    one piece at a time. A piece is laid out a little beyond its end, and ends before the last note
    that began a page in it; the next piece begins there, as a part after a cut does. None when the
    notes cannot be cut so (the caller lays them out whole)."""
    import gc

    head, body_open, part, title, rtl, strings = job.chain
    found = notes_children(part.body)
    if found is None:
        return None
    children = found[1]
    begin = part.notes.continued if part.notes is not None else None  # the notes' last part after a cut
    start, size = job.start, CHAIN_FIRST
    pieces: list[Laid] = []
    top_y: float | None = None
    while True:
        at = 0 if begin is None else cut_position(children, begin)
        end = next_cut(children, at + size) if at + size < len(children) else None
        cuts = [c for c in (begin, end) if c is not None]
        pieces_html = cut_notes(part.body, cuts)
        if pieces_html is None:
            return None
        piece = pieces_html[1 if begin is not None else 0]
        sub = _part_ids(Part(part.name if begin is None else begin.note_id, piece.body, kind="notes", notes=piece))
        # The first piece asks where it starts, as the whole would (_renumbered), without reporting its
        # length: the parts after the notes wait for the chain's.
        sub_job = Job(job.index, part_html(head, body_open, sub, max(start, 1), True, job.numbers, title, rtl, strings),
                      True, start, job.numbers, job.font_dir, sub.name, handshake=job.handshake and not pieces,
                      wave=job.wave, notes=True, probe=end, continued=begin)
        laid = _lay_out_one(sub_job, quiet=True)
        start = laid.start
        notes = laid.notes
        if notes is None or laid.abandoned or (pieces and (
                laid.pad_holds_content or top_y is None or abs((notes.first_y or 0) - top_y) > 0.01)):
            _debug(f"the notes laid out whole: piece {len(pieces) + 1} of the chain does not begin as in the book")
            return None
        if end is not None:
            # The last note that began a page, with the notes after it laid out too (the probe at least).
            last_at = cut_position(children, end)
            last = max((t for t in notes.tops if t[1] > 0 and (cut_position(children, NoteCut.of(t[0])) or 0) <= last_at),
                       key=lambda t: t[1], default=None)
            if last is None:
                size *= 2  # no note began a page: a longer piece
                continue
            token, laid.pages, strings = last
            top_y = notes.top_y[token]
            notes.tops = [t for t in notes.tops if t[1] < laid.pages]
        pieces.append(laid)
        start += laid.pages
        gc.collect()
        if end is None:
            break
        begin = NoteCut.of(token)
        if len(pieces) == 1:  # from the first piece, how many notes fill PAGES_PER_PART pages
            per_page = (cut_position(children, begin) - at) / max(laid.pages, 1)
            size = max(PROBE_CHILDREN + 1, round(per_page * PAGES_PER_PART))
    first = pieces[0]
    offset = first.pages
    first.anchors = {k: v for k, v in first.anchors.items() if v < offset}
    for laid in pieces[1:]:
        first.more.append((laid.pdf, laid.pages, laid.bookmarks))
        first.anchors.update({k: v + offset for k, v in laid.anchors.items()
                              if 0 <= v < laid.pages and k not in first.anchors})
        first.notes.tops += [(t, i + offset, s) for t, i, s in laid.notes.tops]
        join_faces(first.fonts, laid.fonts)
        first.diagnostics.extend(laid.diagnostics)
        first.seconds += laid.seconds
        offset += laid.pages
    first.pages = offset
    first.notes.probe_page = None
    _WORKER["reports"].put((job.wave, job.index, first.pages, first.blank_first))
    return first


# -- in the parent ---------------------------------------------------------------------


def write_in_parts(html: str, target: Path, diagnostics: Diagnostics, reported: set[str], policy, key: str,
                   jobs: int, duplex: bool, progress: Callable[[int, int], None] | None = None,
                   rerender: Callable[[dict[str, int]], str] | None = None, keep: set[str] = frozenset()
                   ) -> tuple[bytes, dict[str, int]] | None:
    """The book's PDF laid out in parts by `jobs` processes, and its page map (every anchor's page);
    None when the document cannot be split.

    `rerender(page_map)` gives the document again for the pages found so far (the notes' same-page
    marks depend on them); it is asked after each wave, so the notes of a first build, laid out once
    the chapters are, get their marks right the first time. `keep`: ids whose pages the next build's
    `rerender` needs (the index's marks), kept in the page map with those the parts show.

    The notes are cut into parts at the page tops the last build found (pdf_note_parts.py); when a
    cut proves wrong, the cuts before it stand (their parts come from the cache) and the notes after
    it are laid out as a chain."""
    style = style_of(html)
    may_cut = renumbering_supported() and cuttable(html)
    record = load_tops(key) if may_cut else None
    uncut = style if record is not None and record.uncut == style else None
    # Page tops found with other styles are not this layout's: the notes are laid out in a chain, which finds them.
    cuts = choose_cuts(record, jobs) if record is not None and record.style == style and uncut is None else []
    while cuts:
        try:
            return _write_in_parts(html, target, diagnostics, reported, policy, key, jobs, duplex, progress,
                                   rerender, keep, cuts, record, may_cut, style, None)
        except _CutFailed as failed:
            # An edit moved the notes after a cut: the cuts before it stand, and the notes after it
            # are laid out as a chain, which finds their page tops for the next build.
            _debug(f"the notes cut {failed.keep} times instead of {len(cuts)}: {failed}")
            cuts = cuts[: min(failed.keep, len(cuts) - 1)]
    return _write_in_parts(html, target, diagnostics, reported, policy, key, jobs, duplex, progress, rerender, keep,
                           [], record, may_cut, style, uncut)


class _CutFailed(Exception):
    """A cut of the notes was not at a page top in this layout; `keep`: how many cuts before it stand."""

    def __init__(self, why: str, keep: int = 0) -> None:
        super().__init__(why)
        self.keep = keep


def _long_tail(part: Part, record) -> bool:
    """Whether a part of the notes is laid out in pieces one after another (_lay_out_chain): the notes
    with no cut (a first build), or their last part when it runs long (the cuts after it failed)."""
    if part.notes is None:
        return True
    if part.notes.probe_cut is not None:
        return False
    top = record.tops.get(part.notes.continued.token) if record is not None and part.notes.continued else None
    return top is None or record.last - top[0] + 1 > 2 * PAGES_PER_PART


def _write_in_parts(html: str, target: Path, diagnostics: Diagnostics, reported: set[str], policy, key: str,
                    jobs: int, duplex: bool, progress, rerender, keep, cuts: list[NoteCut],
                    record, may_cut: bool, style: str, uncut: str | None) -> tuple[bytes, dict[str, int]] | None:
    """write_in_parts with these cuts of the notes. `may_cut`: the notes may be cut or chained at all
    (WeasyPrint's version, no running elements); `style`: the document's stylesheets (style_of);
    `uncut`: `style` when a chain did not match the book, kept for the next builds."""
    found = split(html, cuts)
    if found is None:
        if cuts:
            raise _CutFailed("a cut is not in the notes any more")
        return None
    head, body_open, parts = found
    # The named strings (running heads) in effect where each part inside the notes begins.
    strings_for = {i: record.tops.get(p.notes.continued.token, [0, {}])[1] for i, p in enumerate(parts)
                   if p.notes is not None and p.notes.continued is not None}
    renumber = renumbering_supported()
    chainable = may_cut and uncut is None
    title = book_title(html)
    rtl = bool(re.search(r'<html[^>]*\sdir="rtl"', html))
    import multiprocessing
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    known = load_page_map(key)
    counts = load_page_map(key + "#parts")  # part name -> pages, from the last build
    state = dict(target=target, reported=set(reported), policy=policy,
                 base_url=target.parent.resolve().as_uri() + "/")
    laid: dict[int, Laid] = {}
    assumed: dict[int, tuple | None] = {}

    def job_for(i: int, start: int, numbers: dict[str, int]) -> Job:
        part = parts[i]
        piece = part.notes
        return Job(i, part_html(head, body_open, part, max(start, 1), i > 0, numbers, title, rtl, strings_for.get(i)),
                   i > 0, start, numbers, font_dir, part.name, notes=may_cut and part.kind == "notes",
                   probe=piece.probe_cut if piece else None, continued=piece.continued if piece else None)
    faces = cache_dir("pdf-faces")  # the faces the cached parts use stay beside them
    context = multiprocessing.get_context(_start_method())
    reports, ready = context.Queue(), context.Condition()
    answers = context.Array("q", len(parts), lock=False)
    sided = bool(_SIDED.search(html))
    with (contextlib.nullcontext(str(faces)) if faces else tempfile.TemporaryDirectory(prefix="bookmaker-")) as font_dir, \
            ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker,
                                initargs=(state, reports, answers, ready)) as pool:
        numbers = dict(known)
        sizes = _Sizes(rtl, duplex)
        for i, p in enumerate(parts):
            if p.name in counts:
                sizes.content[i] = counts[p.name]
            if p.name + "\n" in counts:
                sizes.wants[i] = bool(counts[p.name + "\n"])
        starts = sizes.starts(len(parts))
        predicted: set[str] = set()
        for _wave in range(MAX_WAVES):
            todo: list[Job] = []
            for i, part in enumerate(parts):
                start = starts[i]
                # A number not known yet is a guess, corrected by the next wave; target-counter()
                # would lay the part out again and again for numbers that are wrong anyway.
                wanted_numbers = {k: numbers.get(k, max(start, 1)) for k in sorted(part.pagerefs)}
                assumption = (start, wanted_numbers, part.body, strings_for.get(i))
                if i in laid and assumed[i] == assumption:
                    continue
                if i in laid and assumed[i] is not None and os.environ.get("BOOKMAKER_DEBUG"):
                    was = assumed[i]
                    _debug(f"part {i} again: start {was[0]}->{start}, numbers "
                           f"{sorted((k, was[1].get(k), v) for k, v in wanted_numbers.items() if was[1].get(k) != v)[:5]}, "
                           f"body {'same' if was[2] == part.body else 'changed'}")
                assumed[i] = assumption
                todo.append(job_for(i, start, wanted_numbers))
            if not todo:
                break
            # A part laid out before whose numbers are still guesses (the front matter's contents, while
            # the notes and index of a first build are laid out for the first time) waits for them.
            guessed = [j for j in todo if j.index in laid and not laid[j.index].abandoned
                       and parts[j.index].pagerefs & predicted]
            if len(guessed) < len(todo):
                for j in guessed:
                    todo.remove(j)
                    assumed[j.index] = None
            # The last parts that show numbers not known yet (the notes' "p. N" on a first build) wait
            # for the next wave, when the parts before them are laid out: laid out once, with their numbers.
            deferred = 0
            if any(parts[j.index].kind == "chapter" for j in todo):
                tail, waiting = len(parts), {j.index for j in todo}
                while tail - 1 in waiting and parts[tail - 1].kind in ("notes", "index"):
                    tail -= 1
                if any(parts[k].pagerefs - set(numbers) for k in range(tail, len(parts))):
                    while todo and todo[-1].index >= tail:
                        assumed[todo.pop().index] = None
                        deferred += 1
            total = len(parts)
            fresh: list[Job] = []
            for job in todo:
                hit = _from_cache(job, state)
                if hit is None:
                    fresh.append(job)
                else:
                    hit.start = job.start
                    laid[job.index] = hit
                    sizes.learn(job.index, job.start, hit)
            unsure = {j.index for j in fresh if j.index not in sizes.content}
            for job in fresh:
                # Its start is a guess while a part before it is laid out for the first time.
                job.handshake = renumber and any(k < job.index for k in unsure)
                job.wave = _wave
                if job.notes and chainable and _long_tail(parts[job.index], record):
                    job.chain = (head, body_open, parts[job.index], title, rtl, strings_for.get(job.index))
            _debug(f"wave {_wave + 1}: {len(fresh)} of {len(parts)} parts laid out, {len(todo) - len(fresh)} "
                   f"from the cache, {sum(j.handshake for j in fresh)} numbered after layout")
            for result, job in _lay_out_wave(pool, fresh, parts, sizes, reports, answers, ready, sided,
                                             lambda done: progress and progress(total - len(fresh) - deferred + done, total)):
                laid[result.index] = result
                if result.abandoned:
                    _debug(f"part {result.index} abandoned: laid out from page {job.start}, {result.pages} pages")
                    assumed[result.index] = None
                    continue
                assumed[result.index] = (result.start, job.numbers, parts[result.index].body,
                                         strings_for.get(result.index))
                if result.start != job.start:
                    job = job_for(job.index, result.start, job.numbers)
                _to_cache(job, state, result)
            if progress and not fresh:
                progress(total, total)
            slowest = sorted(((laid[j.index].seconds, laid[j.index].pages, j.index) for j in fresh), reverse=True)[:4]
            _debug(f"slowest parts (seconds, pages, part): {[(round(t, 1), n, i) for t, n, i in slowest]}")
            _check_cuts(parts, laid, strings_for)
            if any(r.pad_holds_content for r in laid.values()):
                _debug('a part does not start on a new page')
                return None  # a part does not start on a new page: the split would change the book
            for i in laid:
                sizes.learn(i, laid[i].start, laid[i])
            starts = sizes.starts(len(parts))
            numbers = _page_map(parts, {i: r for i, r in laid.items() if not r.abandoned}, starts)
            predicted = set()
            for i, part in enumerate(parts):
                if i not in laid:  # not laid out yet: its first element is on the first page of its own
                    predicted.add(part.name)
                    numbers.setdefault(part.name, starts[i] + 1 + (sizes.pages(i, starts[i]) > sizes.content.get(i, 1)))
            if rerender is not None:
                again = rerender(numbers)
                if again != html:
                    found = split(again, cuts)
                    if found is None or [p.name for p in found[2]] != [p.name for p in parts]:
                        return None
                    html, (head, body_open, parts) = again, found
        else:
            _debug('numbers kept moving')
            return None  # numbers kept moving: the whole document decides them
        book_map = numbers
        data = merge([laid[i] for i in range(len(parts))], parts, font_dir)
    # Notes laid out twice (a probe, then the part after its cut) would say the same thing twice.
    said = set()
    for i in range(len(parts)):
        for problem in laid[i].diagnostics:
            if problem not in said:
                said.add(problem)
                diagnostics.add(problem)
    wanted = set().union(*(p.pagerefs for p in parts)) | set(keep)
    save_page_map(key, {k: v for k, v in book_map.items() if k in wanted})
    lengths = {p.name: laid[i].pages - laid[i].blank_first for i, p in enumerate(parts)}
    lengths |= {parts[i].name + "\n": int(side) for i, side in sizes.wants.items()}
    save_page_map(key + "#parts", lengths)
    if any(laid[i].chain_failed for i in laid):
        uncut = style
    _save_notes_tops(key, parts, laid, starts, style, uncut)
    return data, book_map


def _check_cuts(parts: list[Part], laid: dict[int, Laid], strings_for: dict[int, dict[str, str]]) -> None:
    """Each cut of the notes where the part before it found its probe: at the top of a page, at the
    height the next part's first note has. The next part's running heads follow that page's strings
    (when they differ, it is laid out again in the next wave)."""
    cut = -1
    for i, part in enumerate(parts):
        if part.notes is None or part.notes.probe_cut is None:
            continue
        cut += 1  # the cut this part's probe stands for, counted in the build's cuts
        before, after = laid.get(i), laid.get(i + 1)
        if after is not None and not after.abandoned and after.pad_holds_content:
            raise _CutFailed(f"part {i + 1} does not begin at the top of a page", cut)
        if before is None or before.abandoned:
            continue
        if before.notes is None or before.notes.probe_page is None:
            raise _CutFailed(f"the probe of part {i} does not begin a page", cut)
        if before.notes.probe_strings != strings_for.get(i + 1):
            strings_for[i + 1] = before.notes.probe_strings
        if (after is not None and not after.abandoned and after.notes is not None
                and abs((after.notes.first_y or 0) - (before.notes.probe_y or 0)) > 0.01):
            raise _CutFailed(f"part {i + 1} begins {after.notes.first_y} from the top, its probe "
                             f"{before.notes.probe_y}", cut)


def _save_notes_tops(key: str, parts: list[Part], laid: dict[int, Laid], starts: list[int], style: str,
                     uncut: str | None) -> None:
    """The pages of the notes that begin a page, with the running heads' strings there, for the next build's cuts."""
    notes = [i for i, p in enumerate(parts) if p.kind == "notes" and laid[i].notes is not None]
    if not notes:
        return
    tops = {}
    for i in notes:
        for token, index, strings in laid[i].notes.tops:
            if index < laid[i].pages:
                tops[token] = [starts[i] + 1 + index, strings]
    save_tops(key, NotesRecord(starts[notes[0]] + 1, starts[notes[-1]] + laid[notes[-1]].pages, tops, style, uncut))


def _lay_out_wave(pool, fresh: list[Job], parts: list[Part], sizes: "_Sizes", reports, answers, ready, sided: bool,
                  progress: Callable[[int], object]):
    """Lay out `fresh` in the pool; answer each part that asks where it starts (_renumbered) as soon
    as every part before it is paginated. Yields (laid, job) in book order."""
    import queue

    by_index = {job.index: job for job in fresh}
    for job in fresh:
        answers[job.index] = PENDING
    if not any(job.handshake for job in fresh):
        # Every start is known: the longest parts first (the notes), so that no core is left with
        # one long part at the end. Parts that ask for their start go in book order (_renumbered).
        fresh = sorted(fresh, key=lambda job: -sizes.content.get(job.index, 1))
    futures = [pool.submit(lay_out_part, job) for job in fresh]
    waiting = sorted(job.index for job in fresh if job.handshake)
    paginated: set[int] = set()
    shown = 0

    def answer(index: int, value: int) -> None:
        with ready:
            answers[index] = value
            ready.notify_all()

    try:
        while True:
            done = sum(f.done() for f in futures)
            while shown < done:  # each part on the status line, even when two finish together
                shown += 1
                progress(shown)
            if done == len(futures):
                break
            if any(f.done() and f.exception() is not None for f in futures):
                break
            try:
                wave, index, pages, blank_first = reports.get(timeout=0.1)
            except queue.Empty:
                continue
            job = by_index.get(index)
            if job is None or wave != job.wave or index in paginated:
                continue  # late from an earlier wave
            sizes.learn(index, job.start, Laid(index, b"", pages, {}, [], {}, None, False, blank_first))
            paginated.add(index)
            while waiting and all(k in paginated for k in by_index if k < waiting[0]):
                index = waiting.pop(0)
                start = sizes.starts(index + 1)[index]
                same_side = (start - by_index[index].start) % 2 == 0
                answer(index, start if same_side or not sided else ABANDON)
    finally:
        for index in waiting:  # a part failed: the parts waiting for it give up
            answer(index, ABANDON)
    results = [f.result() for f in futures]
    # A report may still be on its way (the queue's feeder thread) when its part is done: read them
    # all, so that none is taken for the next wave's.
    while len(paginated) < len(results):
        try:
            wave, index, *_ = reports.get(timeout=5)
        except queue.Empty:
            break
        if index in by_index and wave == by_index[index].wave:
            paginated.add(index)
    for result in sorted(results, key=lambda r: r.index):
        yield result, by_index[result.index]


def _part_key(job: Job, state: dict) -> str:
    """What a part's layout depends on: its whole HTML (text, CSS, numbers, where it starts), the fonts
    installed, WeasyPrint's version and the build's own settings."""
    import weasyprint

    from bookmaker.writers.fonts import _fontconfig_stamp

    digest = hashlib.sha256(job.html.encode())
    digest.update(repr((job.pad, job.first_id, weasyprint.__version__, "keep-words-together", _fontconfig_stamp(),
                        state["base_url"], sorted(state["reported"]))).encode())
    if job.notes:  # what it reports of its notes: their page tops, and whether its probe begins a page
        digest.update(repr(("notes", job.probe, job.continued)).encode())
    return digest.hexdigest()


def _from_cache(job: Job, state: dict) -> Laid | None:
    """A part laid out by an earlier build from the same inputs (`watch` after a one-chapter edit)."""
    import pickle

    folder = cache_dir("pdf-parts")
    if folder is None:
        return None
    try:
        laid = pickle.loads((folder / _part_key(job, state)).read_bytes())
    except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError, TypeError):
        return None
    if not isinstance(laid, Laid) or not all((Path(job.font_dir) / f["sha"]).is_file() for f in laid.fonts.values()):
        return None
    laid.index = job.index
    return laid


def _to_cache(job: Job, state: dict, laid: Laid) -> None:
    import pickle
    import tempfile

    folder = cache_dir("pdf-parts")
    if folder is None:
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=folder)
        with os.fdopen(fd, "wb") as out:
            pickle.dump(laid, out)
        os.replace(tmp, folder / _part_key(job, state))
    except OSError:
        pass


def _debug(text: str) -> None:
    if os.environ.get("BOOKMAKER_DEBUG"):
        import sys

        print(f"bookmaker: pdf parts: {text}", file=sys.stderr)


def _start_method() -> str:
    """fork: the workers start at once with WeasyPrint imported. Not from a process with threads
    (`serve`), which a fork could leave holding a lock: forkserver there, or spawn."""
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


class _Sizes:
    """What is known of each part's length, to place the parts after it.

    A part's text pages do not depend on where it starts (both sides of a
    spread have the same text width); only a blank page before it does, when
    it must start on one side (duplex) and the page after the previous part is
    on the other. Which side it wants is learnt from its layouts.
    """

    def __init__(self, rtl: bool, duplex: bool) -> None:
        self.rtl = rtl
        self.duplex = duplex  # printed on both sides: a part that needed no blank page after one side
                              # probably wants the other (chapters on right-hand pages)
        self.content: dict[int, int] = {}  # part -> pages without a leading blank page
        self.wants: dict[int, bool] = {}  # part -> starts on a right-hand page (True) or a left-hand one
        self.free_after: dict[int, set[bool]] = {}  # part -> pad sides after which it needed no blank page

    def right(self, page: int) -> bool:
        return (page % 2 == 1) != self.rtl

    def learn(self, index: int, start: int, laid: Laid) -> None:
        self.content[index] = laid.pages - laid.blank_first
        if index == 0:
            return
        pad_right = self.right(start)
        if laid.blank_first:
            self.wants[index] = pad_right  # pad, blank, then a page on the pad's side
        else:
            self.free_after.setdefault(index, set()).add(pad_right)

    def pages(self, index: int, start: int) -> int:
        pad_right = self.right(start)
        if index in self.wants:
            blank = self.wants[index] == pad_right
        else:
            free = self.free_after.get(index, set())
            blank = self.duplex and len(free) == 1 and pad_right not in free
        return self.content.get(index, 1) + blank

    def starts(self, count: int) -> list[int]:
        """The book page each part's pad stands for: the last page of the part before (0 for the front)."""
        starts = [0]
        for i in range(1, count):
            starts.append(starts[-1] + self.pages(i - 1, starts[-1]))
        return starts


def _page_map(parts: list[Part], laid: dict[int, Laid], starts: list[int]) -> dict[str, int]:
    numbers: dict[str, int] = {}
    for i, part in enumerate(parts):
        if i not in laid:
            continue  # not laid out yet (the notes of a first build)
        first = starts[i] + 1
        for anchor, index in laid[i].anchors.items():
            if anchor in part.owned and index >= 0:
                numbers.setdefault(anchor, first + index)
    return numbers
