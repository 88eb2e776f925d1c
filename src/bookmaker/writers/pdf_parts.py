"""The PDF laid out in parts on several cores, and merged into one book.

Chapters start on a new page, so each is a layout job of its own: the front
matter (title page, imprint, contents), each chapter, and the notes are laid
out by WeasyPrint in a pool of worker processes, each part a document of its
own, and merged with pikepdf. What a naive split would lose is put back:

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

Books this cannot split exactly go the single-document way (write_pdf):
PDF/A, PDF/UA and PDF/X variants, the article layout, notes at the foot of
the page, and books whose CSS renumbers pages or uses `@page :first`.
"""

from __future__ import annotations

import contextlib
import hashlib
import html as html_escape
import io
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bookmaker.cache import cache_dir
from bookmaker.diagnostics import Diagnostics
from bookmaker.writers.pagemap import fill_page_refs, load_page_map, referenced_ids, save_page_map

_ID = re.compile(r'\sid="([^"]*)"')
_HREF = re.compile(r'\shref="#([^"]*)"')
_TOP = re.compile(r'<(section|nav|div|aside|header|footer|main|article)\b[^>]*\bclass="([^"]*)"')
# Rules a split cannot honour: page counters of the book's own, :first pages, and counter(pages)
# (in a part it would be the part's own total).
_UNSPLITTABLE = re.compile(r"counter-(?:reset|set|increment)\s*:[^;}]*\bpage\b|@page[^{]*:first|counter\(\s*pages\s*\)",
                           re.IGNORECASE)
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


def split(html: str) -> tuple[str, str, list[Part]] | None:
    """The document's head, its body's opening, and its parts; None when it cannot be split exactly."""
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
    kinds = []
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
        depth += _balance(line)
        if depth < 0:
            return None
    if depth != 0:
        return None
    parts.append(Part(name, "".join(current), kind=kind))
    if len(parts) < 2 or parts[0].name != "front":
        return None
    for part in parts:
        part.owned = {html_escape.unescape(i) for i in _ID.findall(part.body)}
        part.wanted = {html_escape.unescape(i) for i in _HREF.findall(part.body)} | referenced_ids(part.body)
        part.pagerefs = referenced_ids(part.body)
        if part.kind == "index":
            # Its numbers are written in by the caller's rerender (index_pages): they depend on every mark's page.
            part.pagerefs |= {html_escape.unescape(i) for i in _HREF.findall(part.body)} - part.owned
    return head, body_open, parts


_BLOCK_TAGS = "section|nav|div|aside|header|footer|main|article"
_OPENS = re.compile(rf"<({_BLOCK_TAGS})\b")
_CLOSES = re.compile(rf"</({_BLOCK_TAGS})\s*>")


def _balance(line: str) -> int:
    return len(_OPENS.findall(line)) - len(_CLOSES.findall(line))


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
              title: str | None, rtl: bool) -> str:
    """A part as a document of its own, starting after page `start` of the book."""
    css = []
    if pad:
        # The pad page is page `start`, on the side that page has in the book.
        right = (start % 2 == 1) != rtl
        css.append(f"html {{ break-before: {'right' if right else 'left'}; }}")
        css.append(f"@page :first {{ counter-reset: page {start}; }}")
        if title is not None:
            css.append(f"html {{ string-set: booktitle {_css_string(title)}; }}")
    css.append(f".{_PAD_CLASS}-anchors {{ position: absolute; top: 0; left: 0; width: 0; height: 0; overflow: hidden; }}")
    style = "<style>\n" + "\n".join(css) + "\n</style>\n"
    head = head.replace("</head>", style + "</head>", 1) if "</head>" in head else head + style
    missing = sorted(part.wanted - part.owned)
    anchors = "".join(f'<span id="{html_escape.escape(i)}"></span>' for i in missing)
    lead = f'<div class="{_PAD_CLASS}">' if pad else ""
    lead += f'<div class="{_PAD_CLASS}-anchors">{anchors}</div>' if anchors else ""
    lead += "</div>" if pad else ""
    return head + body_open + "\n" + lead + fill_page_refs(part.body, numbers) + "</body>\n</html>\n"


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
    from bookmaker.writers.weasy import _book_fetcher

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

    def __init__(self, job: Job) -> None:
        self.job = job
        self.pages: list = []
        self.asked = False

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
        _WORKER["reports"].put((job.wave, job.index, len(self.pages) - skip, blank_first))
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


def lay_out_part(job: Job) -> Laid:
    """Lay out one part and write it as a PDF whose fonts are left for the merge to subset."""
    from bookmaker.writers.weasy import _weasyprint_warnings, import_weasyprint

    import time

    began = time.perf_counter()
    weasyprint = import_weasyprint()
    state = _WORKER
    said = Diagnostics()
    deferred: dict[str, dict] = {}
    numbering = _renumbered(job)
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
            return Laid(job.index, b"", len(pages) - skip, {}, [], {}, said, False, blank_first,
                        time.perf_counter() - began, job.start, abandoned=True)
        out = io.BytesIO()
        document.write_pdf(out)
    skip = 1 if job.pad else 0
    anchors: dict[str, int] = {}
    pad_holds_content = False
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            anchors.setdefault(anchor, index - skip)
    pad_holds_content = job.pad and (anchors.get(job.first_id, 0) < 0 or not _starts_a_page(document, job.first_id))
    bookmarks = [(level, label, state_) for page in document.pages for level, label, _, state_ in page.bookmarks]
    blank_first = bool(job.pad and len(document.pages) > 1 and document.pages[1]._page_box.page_type.blank)
    return Laid(job.index, out.getvalue(), len(document.pages) - skip, anchors, bookmarks, deferred, said,
                pad_holds_content, blank_first, time.perf_counter() - began, numbering.start)


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
    `rerender` needs (the index's marks), kept in the page map with those the parts show."""
    found = split(html)
    if found is None:
        return None
    head, body_open, parts = found
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
    assumed: dict[int, tuple[int, dict[str, int]] | None] = {}
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
        for _wave in range(4):
            todo: list[Job] = []
            for i, part in enumerate(parts):
                start = starts[i]
                # A number not known yet is a guess, corrected by the next wave; target-counter()
                # would lay the part out again and again for numbers that are wrong anyway.
                wanted_numbers = {k: numbers.get(k, max(start, 1)) for k in sorted(part.pagerefs)}
                if i in laid and assumed[i] == (start, wanted_numbers, part.body):
                    continue
                assumed[i] = (start, wanted_numbers, part.body)
                todo.append(Job(i, part_html(head, body_open, part, max(start, 1), i > 0, wanted_numbers, title, rtl),
                                i > 0, start, wanted_numbers, font_dir, part.name))
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
            renumber = renumbering_supported()
            for job in fresh:
                # Its start is a guess while a part before it is laid out for the first time.
                job.handshake = renumber and any(k < job.index for k in unsure)
                job.wave = _wave
            _debug(f"wave {_wave + 1}: {len(fresh)} of {len(parts)} parts laid out, {len(todo) - len(fresh)} "
                   f"from the cache, {sum(j.handshake for j in fresh)} numbered after layout")
            for result, job in _lay_out_wave(pool, fresh, parts, sizes, reports, answers, ready, sided,
                                             lambda done: progress and progress(total - len(fresh) - deferred + done, total)):
                laid[result.index] = result
                if result.abandoned:
                    assumed[result.index] = None
                    continue
                assumed[result.index] = (result.start, job.numbers, parts[result.index].body)
                if result.start != job.start:
                    part = parts[result.index]
                    job = Job(job.index, part_html(head, body_open, part, max(result.start, 1), True, job.numbers,
                                                   title, rtl), True, result.start, job.numbers, font_dir, part.name)
                _to_cache(job, state, result)
            if progress and not fresh:
                progress(total, total)
            slowest = sorted(((laid[j.index].seconds, laid[j.index].pages, j.index) for j in fresh), reverse=True)[:4]
            _debug(f"slowest parts (seconds, pages, part): {[(round(t, 1), n, i) for t, n, i in slowest]}")
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
                    found = split(again)
                    if found is None or [p.name for p in found[2]] != [p.name for p in parts]:
                        return None
                    html, (head, body_open, parts) = again, found
        else:
            _debug('numbers kept moving')
            return None  # numbers kept moving: the whole document decides them
        book_map = numbers
        data = merge([laid[i] for i in range(len(parts))], starts, parts, font_dir)
    for i in range(len(parts)):
        diagnostics.extend(laid[i].diagnostics)
    wanted = set().union(*(p.pagerefs for p in parts)) | set(keep)
    save_page_map(key, {k: v for k, v in book_map.items() if k in wanted})
    record = {p.name: laid[i].pages - laid[i].blank_first for i, p in enumerate(parts)}
    record |= {parts[i].name + "\n": int(side) for i, side in sizes.wants.items()}
    save_page_map(key + "#parts", record)
    return data, book_map


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

    from bookmaker.fonts import _fontconfig_stamp

    digest = hashlib.sha256(job.html.encode())
    digest.update(repr((job.pad, job.first_id, weasyprint.__version__, "keep-words-together", _fontconfig_stamp(),
                        state["base_url"], sorted(state["reported"]))).encode())
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


def merge(laid: list[Laid], starts: list[int], parts: list[Part], font_dir: str) -> bytes:
    """One PDF of the parts' pages, with the book's destinations, outline and one subset of each face."""
    import pikepdf

    book = pikepdf.open(io.BytesIO(laid[0].pdf))
    sources = [book]
    first_page = [0]
    for part in laid[1:]:
        source = pikepdf.open(io.BytesIO(part.pdf))
        sources.append(source)
        first_page.append(len(book.pages))
        with warnings.catch_warnings():
            # pikepdf warns that named destinations are not carried over: they are rebuilt below.
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning if hasattr(pikepdf, "PageCopyWarning") else Warning)
            book.pages.extend(source.pages[1:])
    # Destinations: each id from the part that holds it.
    destinations = pikepdf.NameTree.new(book)
    outline_items = []
    for index, (source, part, meta) in enumerate(zip(sources, parts, laid)):
        skip = 1 if index else 0
        position = {page.objgen: n for n, page in enumerate(source.pages)}
        names = source.Root.get("/Names")
        if names is not None and "/Dests" in names:
            for name, dest in pikepdf.NameTree(names.Dests).items():
                if name not in part.owned:
                    continue
                local = position.get(dest[0].objgen)
                if local is None or local < skip:
                    continue
                destinations[name] = pikepdf.Array(
                    [book.pages[first_page[index] + local - skip].obj, *list(dest)[1:]])
        flat = list(_flatten(source))
        if len(flat) != len(meta.bookmarks):
            raise ValueError("a part's outline does not match its bookmarks")
        for (title, dest), (level, label, state) in zip(flat, meta.bookmarks):
            local = position.get(dest[0].objgen)
            if local is None or local < skip:
                continue
            page = first_page[index] + local - skip
            outline_items.append((level, title, page, float(dest[2]), float(dest[3]), state))
    if "/Names" not in book.Root:
        book.Root.Names = pikepdf.Dictionary()
    book.Root.Names.Dests = destinations.obj
    if "/Outlines" in book.Root:
        del book.Root.Outlines
    _outline(book, outline_items)
    _share_font_dicts(book)
    _subset_faces(book, laid, Path(font_dir))
    out = io.BytesIO()
    book.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _flatten(pdf):
    outlines = pdf.Root.get("/Outlines")
    if outlines is None or "/First" not in outlines:
        return

    def walk(item):
        while item is not None:
            yield str(item.Title), item.Dest
            if "/First" in item:
                yield from walk(item.First)
            item = item.get("/Next")

    yield from walk(outlines.First)


def _outline(book, items) -> None:
    import pikepdf

    with book.open_outline() as outline:
        outline.root.clear()
        stack: list[tuple[int, list]] = [(-(10 ** 9), outline.root)]
        for level, title, page, left, top, state in items:
            item = pikepdf.OutlineItem(title, page, "XYZ", left=left, top=top, zoom=0)
            item.is_closed = state == "closed"
            while stack[-1][0] >= level:
                stack.pop()
            stack[-1][1].append(item)
            stack.append((level, item.children))


_BFCHAR = re.compile(rb"(\d+) beginbfchar\s*(.*?)endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def _share_font_dicts(book) -> None:
    """One font dictionary per face for the whole book, as one document has: the widths (W) and
    Unicode maps (ToUnicode) of the parts' dictionaries of a face joined into one, which all pages
    then name. A face whose dictionaries disagree on a glyph keeps one dictionary per part."""
    import pikepdf

    faces: dict[str, list] = {}
    resources = {}
    for page in book.pages:
        own = page.obj.get("/Resources")
        if own is None or "/Font" not in own:
            continue
        resources.setdefault(own.objgen, own)
        for font in own.Font.values():
            if font.get("/Subtype") == "/Type0" and "/ToUnicode" in font:
                group = faces.setdefault(str(font.BaseFont), [])
                if all(f.objgen != font.objgen for f in group):
                    group.append(font)
    chosen = {}
    for name, fonts in faces.items():
        if len(fonts) < 2:
            continue
        widths: dict[int, object] = {}
        unicode: dict[bytes, bytes] = {}
        agreed = True
        for font in fonts:
            w = list(font.DescendantFonts[0].get("/W", []))
            i = 0
            while i < len(w) and agreed:
                if isinstance(w[i + 1], pikepdf.Array):
                    found = {int(w[i]) + k: v for k, v in enumerate(w[i + 1])}
                    i += 2
                else:
                    found = {g: w[i + 2] for g in range(int(w[i]), int(w[i + 1]) + 1)}
                    i += 3
                for gid, width in found.items():
                    agreed = agreed and widths.setdefault(gid, width) == width
            cmap = font.ToUnicode.read_bytes()
            if b"beginbfrange" in cmap:
                agreed = False
            for _, block in _BFCHAR.findall(cmap):
                for gid, text in _PAIR.findall(block):
                    agreed = agreed and unicode.setdefault(gid.lower(), text) == text
            if not agreed:
                break
        if not agreed:
            continue
        first = fonts[0]
        runs: list = []
        for gid in sorted(widths):
            if runs and runs[-2] + len(runs[-1]) == gid:
                runs[-1].append(widths[gid])
            else:
                runs += [gid, [widths[gid]]]
        first.DescendantFonts[0].W = pikepdf.Array([x if isinstance(x, int) else pikepdf.Array(x) for x in runs])
        cmap = first.ToUnicode.read_bytes()
        head = cmap[: _BFCHAR.search(cmap).start()]
        tail = cmap[cmap.rindex(b"endbfchar") + len(b"endbfchar"):]
        pairs = sorted(unicode.items(), key=lambda item: int(item[0], 16))
        body = b"".join(
            b"%d beginbfchar\n" % len(chunk) + b"".join(b"<%s> <%s>\n" % pair for pair in chunk) + b"endbfchar"
            for chunk in (pairs[i:i + 100] for i in range(0, len(pairs), 100)))
        first.ToUnicode = book.make_indirect(pikepdf.Stream(book, head + body + tail))
        chosen[name] = first
    for own in resources.values():
        for key, font in list(own.Font.items()):
            if font.get("/Subtype") == "/Type0" and str(font.get("/BaseFont")) in chosen:
                own.Font[key] = chosen[str(font.BaseFont)]


_DROPPED_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")


def _subset_faces(book, laid: list[Laid], font_dir: Path) -> None:
    """Each face the parts left unsubset, subset once for the glyphs of all parts and shared by them."""
    import pikepdf

    faces: dict[str, dict] = {}
    for part in laid:
        for name, font in part.fonts.items():
            face = faces.setdefault(name, {"sha": font["sha"], "index": font["index"], "gids": set(),
                                           "missing": False, "otf": font["otf"]})
            if face["sha"] != font["sha"]:
                raise ValueError(f"two faces named {name}")
            face["gids"].update(font["gids"])
            face["missing"] = face["missing"] or font["missing"]
    streams = {}
    for obj in book.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/FontDescriptor":
            continue
        name = str(obj.get("/FontName", ""))[1:]
        face = faces.get(name)
        if face is None:
            continue
        if name not in streams:
            data = _subset(font_dir / face["sha"], face)
            stream = pikepdf.Stream(book, data)
            if face["otf"]:
                stream.Subtype = pikepdf.Name.OpenType
            else:
                stream.Length1 = len(data)
            streams[name] = book.make_indirect(stream)
        key = "/FontFile3" if face["otf"] else "/FontFile2"
        obj[key] = streams[name]


def _subset(path: Path, face: dict) -> bytes:
    """WeasyPrint's subsetting (pdf/fonts.py, Font._harfbuzz_subset) of the whole book's glyphs of one face."""
    import uharfbuzz as hb

    original = hb.Face(hb.Blob.from_file_path(str(path)), face["index"])
    gids = sorted(face["gids"])
    first = hb.SubsetInput()
    first.glyph_set.update(gids)
    flags = hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
    if face["missing"]:
        flags |= hb.SubsetFlags.NOTDEF_OUTLINE
    first.flags = flags
    first.drop_table_tag_set.update(int.from_bytes(tag, "big") for tag in _DROPPED_TABLES)
    retained = hb.subset(original, first)
    if retained is None:
        return path.read_bytes()
    second = hb.SubsetInput()
    second.glyph_set.update(range(max(gids) + 1))
    flags = hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NO_HINTING
    if face["missing"]:
        flags |= hb.SubsetFlags.NOTDEF_OUTLINE
    second.flags = flags
    trimmed = hb.subset(retained, second)
    return (trimmed or retained).blob.data

