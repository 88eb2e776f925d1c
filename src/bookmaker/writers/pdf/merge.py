"""The parts of a book laid out apart (parts/) merged into one PDF.

The pages of each part (or piece of a chain of notes) without its pad page and its probe's pages;
named destinations, each from the part that holds its id; the outline rebuilt from WeasyPrint's own
bookmark levels; the parts' structure trees as one (structure.py); one font dictionary and one subset of
each face for the whole book (merge_fonts.py).

A process that builds the book again (`watch`, `serve`) keeps the book it merged last: the next merge
takes again only the segments whose PDF changed (their pages, destinations, outline entries and
structure), and writes the book from there: on a 50-chapter book, one chapter edited is merged in a
fraction of the time all 63 segments take.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from bookmaker.writers.pdf.merge_fonts import share_font_dicts, subset_faces
from bookmaker.writers.pdf.structure import Taken, name_leaf, set_structure, take_structure

# A merge from scratch after this many merges that replaced segments: each leaves the pages it replaced
# behind in memory (unreferenced, so never written).
REMERGES = 25


@dataclass
class Segment:
    """One part, or one piece of a chain of notes, and what the book took of it."""

    pdf: bytes
    pages: int  # taken after its pad page (a first segment has none), not its probe's pages
    bookmarks: list
    owned: set[str]  # the ids whose destinations it holds
    source: object = None  # its PDF opened (pikepdf.Pdf): the book's copies read their streams from it
    taken: list = field(default_factory=list)  # its pages in the book (page objects)
    dests: dict = field(default_factory=dict)  # id -> destination in the book
    outline: list = field(default_factory=list)  # (level, title, its page in the book, left, top, state)
    structure: Taken | None = None
    placeholder: bool = False  # a part still being laid out when the merge began (Beginning): no pages yet

    def same(self, other: Segment) -> bool:
        return (self.pages, self.bookmarks, self.owned) == (other.pages, other.bookmarks, other.owned) \
            and self.pdf == other.pdf


@dataclass
class _Merged:
    book: object  # pikepdf.Pdf
    segments: list[Segment]
    settings: tuple  # (font folder, right to left)
    remerged: int = 0
    # The PDFs of the segments replaced: qpdf copies a stream's data only when the book is written, and
    # an object copied from one may still be in the book (a face's dictionary all pages share).
    replaced: list = field(default_factory=list)


_last: list[_Merged] = []  # the last merge of this process, when it succeeded


def merge(laid: list, parts: list, font_dir: str, rtl: bool = False) -> bytes:
    """One PDF of the parts' pages (parts.jobs.Laid, in book order, with their parts.split.Part), with the
    book's destinations, outline, structure tree (structure.py; each part's links were described by its
    worker) and one subset of each face; `rtl`: a right-to-left book's reading order."""
    import pikepdf

    segments = segments_of(laid, parts)
    last = _last.pop() if _last else None  # a merge that fails midway leaves nothing half replaced behind
    changed = _changed(last, segments, (font_dir, rtl))
    if changed is None:
        book = _opened(segments[0].pdf)
        for index, segment in enumerate(segments):
            _take(book, segment, index, len(book.pages) if index else 0)
        merged = _Merged(book, segments, (font_dir, rtl))
    else:
        merged, book = last, last.book
        for index in changed:
            old = merged.segments[index]
            at = _position(book, merged.segments, index)
            if old.taken:
                del book.pages[at: at + old.pages]
                merged.replaced.append(old.source)
            _take(book, segments[index], index, at)
            merged.segments[index] = segments[index]
        merged.remerged += 1
    _finish(book, merged.segments, laid, font_dir, rtl)
    out = io.BytesIO()
    book.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    _last.append(merged)
    return out.getvalue()


def begin_merge(laid: dict, parts: list, font_dir: str, rtl: bool) -> Beginning | None:
    """A merge to begin while the parts not in `laid` (part index -> Laid) are laid out: when the front
    matter is there (the book's catalogue comes from it) and this process holds no book merged before
    (whose merge takes only what changed): `pdf` after an edit, the parts from the cache taken meanwhile."""
    if _last or 0 not in laid:
        return None
    return Beginning([laid.get(i) for i in range(len(parts))], parts, font_dir, rtl)


def segments_of(laid: list, parts: list) -> list[Segment]:
    """Each part's segments in book order: its own pages, then a chain's further pieces (Laid.more); a part
    not laid out yet (None in `laid`) stands as one placeholder."""
    segments = []
    for index, (part, meta) in enumerate(zip(parts, laid)):
        if meta is None:
            segments.append(Segment(b"", 0, [], part.owned, placeholder=True))
            continue
        own = meta.pages - sum(pages for _, pages, _ in meta.more) if index else meta.pages
        segments.append(Segment(meta.pdf, own, meta.bookmarks, part.owned))
        segments += [Segment(pdf, pages, bookmarks, part.owned) for pdf, pages, bookmarks in meta.more] if index else []
    return segments


class Beginning:
    """A merge begun while the parts that changed are laid out (the parent is otherwise idle): the parts
    from the cache are taken one at a time (`step`), the first of them the book itself (begin_merge begins
    only with the front matter there), each one still being laid out left as a placeholder;
    handed over as this process's last merge, the merge takes only what is new (`merge`)."""

    def __init__(self, laid: list, parts: list, font_dir: str, rtl: bool) -> None:
        self.segments = segments_of(laid, parts)
        self.settings = (font_dir, rtl)
        self.book = None
        self.next = 0

    def step(self) -> bool:
        """One more segment taken; False when none is left to take."""
        while self.next < len(self.segments) and self.segments[self.next].placeholder:
            self.next += 1
        if self.next == len(self.segments):
            return False
        index, segment = self.next, self.segments[self.next]
        if index == 0:
            self.book = _opened(segment.pdf)
        _take(self.book, segment, index, len(self.book.pages) if index else 0)
        self.next += 1
        return True

    def hand_over(self) -> None:
        """What was begun, with the rest taken, as the last merge of this process."""
        while self.step():
            pass
        _last[:] = [_Merged(self.book, self.segments, self.settings)]


def _position(book, segments: list[Segment], index: int) -> int:
    """Where segment `index`'s pages are in the book, or go: after the pages of the segments before it."""
    for k in range(index, -1, -1):
        if segments[k].taken:
            first = segments[k].taken[0 if k == index else -1].objgen
            at = next(n for n, page in enumerate(book.pages) if page.objgen == first)
            return at if k == index else at + 1
    return 0


def _changed(last: _Merged | None, segments: list[Segment], settings: tuple) -> list[int] | None:
    """The segments to take again into the last merged book; None to merge from scratch: nothing kept, a
    new first segment (the book's own catalogue and tree root come from it), another number of segments,
    an untagged book, or so many changed that replacing them would cost as much."""
    if last is None or last.settings != settings or len(last.segments) != len(segments) \
            or last.remerged >= REMERGES or "/StructTreeRoot" not in last.book.Root:
        return None
    changed = [i for i, (old, new) in enumerate(zip(last.segments, segments)) if not old.same(new)]
    replaced = [i for i in changed if not last.segments[i].placeholder]
    if 0 in changed or len(replaced) > max(2, len(segments) // 3) or not all(last.segments[i].taken for i in replaced):
        return None
    return changed


def _take(book, segment: Segment, index: int, at: int) -> None:
    """`segment`'s pages into `book` from page `at` (the first segment is `book` itself), with its
    destinations, outline entries and structure."""
    import pikepdf

    source = _opened(segment.pdf) if index else book
    skip = 1 if index else 0  # its pad page
    if index:
        with warnings.catch_warnings():
            # pikepdf warns that named destinations are not carried over: they are made again below.
            warnings.simplefilter("ignore", getattr(pikepdf, "PageCopyWarning", Warning))
            for n, page in enumerate(source.pages[1: 1 + segment.pages]):  # not its pad, nor its probe's pages
                book.pages.insert(at + n, page)
    segment.source = source
    segment.taken = [page.obj for page in book.pages[at: at + segment.pages]]
    position = {page.objgen: n - skip for n, page in enumerate(source.pages)}
    names = source.Root.get("/Names")
    if names is not None and "/Dests" in names:
        for name, dest in pikepdf.NameTree(names.Dests).items():
            local = position.get(dest[0].objgen) if name in segment.owned else None
            if local is not None and 0 <= local < segment.pages:
                segment.dests[name] = pikepdf.Array([segment.taken[local], *list(dest)[1:]])
    flat = list(_flatten(source))
    if len(flat) != len(segment.bookmarks):
        raise ValueError("a part's outline does not match its bookmarks")
    for (title, dest), (level, _label, state) in zip(flat, segment.bookmarks):
        local = position.get(dest[0].objgen)
        if local is not None and 0 <= local < segment.pages:
            segment.outline.append((level, title, segment.taken[local], float(dest[2]), float(dest[3]), state))
    segment.structure = take_structure(book, source, skip, segment.taken, copy=bool(index))


def _finish(book, segments: list[Segment], laid: list, font_dir: str, rtl: bool) -> None:
    """The book's destinations, outline, structure tree and fonts, from what it took of each segment."""
    import pikepdf

    destinations: dict = {}
    number = {page.objgen: n for n, page in enumerate(book.pages)}
    outline_items = []
    for segment in segments:
        destinations.update(segment.dests)
        outline_items += [(level, title, number[page.objgen], *rest) for level, title, page, *rest in segment.outline]
    if "/Names" not in book.Root:
        book.Root.Names = pikepdf.Dictionary()
    book.Root.Names.Dests = name_tree(book, destinations)
    if "/Outlines" in book.Root:
        del book.Root.Outlines
    _outline(book, outline_items)
    _structure(book, [segment.structure for segment in segments], rtl)
    share_font_dicts(book)
    subset_faces(book, laid, Path(font_dir))


def name_tree(pdf, entries: dict, leaf: int = 256):
    """A name tree of `entries` made at once: leaves of at most `leaf` names under one root, each with its
    /Limits. pikepdf's NameTree sorts each name in as it is set, which took a third of the merge of a
    50-chapter book's 11,000 destinations; one leaf would pass the 8,191 entries an array may hold
    (ISO 32000-1, annex C)."""
    import pikepdf

    names = sorted(entries)
    if len(names) <= leaf:
        return pdf.make_indirect(name_leaf(entries))
    kids = []
    for i in range(0, len(names), leaf):
        chunk = names[i:i + leaf]
        node = name_leaf({name: entries[name] for name in chunk})
        node.Limits = pikepdf.Array([pikepdf.String(chunk[0]), pikepdf.String(chunk[-1])])
        kids.append(pdf.make_indirect(node))
    return pdf.make_indirect(pikepdf.Dictionary(Kids=pikepdf.Array(kids)))


def _opened(data: bytes):
    """A part's PDF (its structure was prepared by its worker: parts/worker.py)."""
    import pikepdf

    return pikepdf.open(io.BytesIO(data))


def _structure(book, taken: list, rtl: bool) -> None:
    """The parts' structure trees as the book's one (structure.py), the viewer's preferences: the title
    shown, and a right-to-left book's spreads right to left, as it is bound
    (writer.py does the same for one document)."""
    import pikepdf

    from bookmaker.writers.pdf.tagging import titled

    set_structure(book, taken)
    if "/StructTreeRoot" in book.Root:
        titled(book)
    if rtl:
        if not isinstance(book.Root.get("/ViewerPreferences"), pikepdf.Dictionary):
            book.Root.ViewerPreferences = pikepdf.Dictionary()
        book.Root.ViewerPreferences.Direction = pikepdf.Name.R2L


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
