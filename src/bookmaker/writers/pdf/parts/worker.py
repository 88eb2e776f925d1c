"""What a worker process does: lay out one part (or the notes in a chain of pieces) and write it as a PDF."""

from __future__ import annotations

import gc
import io
import time

from bookmaker.core.diagnostics import Diagnostics
from bookmaker.writers.pdf.notes.cuts import NotesLayout, notes_layout
from bookmaker.writers.pdf.parts.apart import (
    Deferred,
    send_and_end,
    wait_apart,
    write_apart,
)
from bookmaker.writers.pdf.parts.jobs import WORKER, Job, Laid
from bookmaker.writers.pdf.patches import deferred_fonts, paginated, shift_page_numbers
from bookmaker.writers.print_pages import first_words_of

ABANDON = -1  # the parent's answer to a part whose start cannot be fixed by renumbering
PENDING = -2


def start_worker(state: dict, reports, answers, ready) -> None:
    import os

    from bookmaker.core.lifeline import die_with_parent
    from bookmaker.core.stops import in_worker
    from bookmaker.writers.pdf.weasy import _book_fetcher

    # Killed with its parent (the build, or the forkserver that dies with the build): a worker waiting
    # on its queue would otherwise outlive a `kill -9` of the build for ever.
    die_with_parent(os.getppid())
    try:
        os.kill(state["build"], 0)
    except ProcessLookupError:
        os._exit(1)  # the build died before the worker started
    in_worker()  # a Ctrl-C is the build's to act on: it ends its workers itself
    # What the worker inherits from the build (its modules, the book, its HTML) lives as long as the worker:
    # frozen, the collector's passes during layout skip it (and leave its forked pages unwritten, so not
    # copied). The collector's passes were over a quarter of a part's layout time.
    gc.freeze()
    WORKER.clear()
    WORKER.update(state, fetcher=_book_fetcher(state["policy"]), reports=reports, answers=answers, ready=ready)


class Abandoned(Exception):
    pass


class renumbered:
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
        self.hook = paginated(self._ask)
        self.notes: NotesLayout | None = None
        self.pipe: int | None = None  # in the child a piece of an early chain waits in: where its result goes

    @property
    def pages(self) -> list:
        return self.hook.pages

    def __enter__(self) -> None:
        self.hook.__enter__()

    def __exit__(self, *exc) -> None:
        self.hook.__exit__(*exc)

    def _ask(self, pages: list, context) -> None:
        job, skip = self.job, 1 if self.job.pad else 0
        blank_first = bool(job.pad and len(pages) > 1 and pages[1].page_type.blank)
        if job.notes:
            try:
                self.notes = notes_layout(pages, context, job.probe, job.continued, skip)
            except (AttributeError, IndexError, KeyError, TypeError, ValueError):
                # Notes in markup of the book's own that this reading does not follow: not cut.
                self.notes = None
        if not self.quiet:
            WORKER["reports"].put((job.wave, job.index, self.content_pages(), blank_first))
        if not job.handshake:
            return
        answers, ready = WORKER["answers"], WORKER["ready"]
        if job.early and answers[job.index] == PENDING:
            # A piece of a chain laid out beside the chapters: it waits for its start in a child, with its
            # layout as it is, and the worker lays out the next piece (wait_apart raises Deferred there).
            held = job.continued is not None and (self.notes is None or not self.notes.first_ok)
            self.pipe = wait_apart(Laid(job.index, b"", self.content_pages(), {}, [], {}, Diagnostics(), held,
                                        blank_first, 0.0, job.start, notes=self.notes, deferred=True))
        if self.pipe is not None:
            # The child a piece waits in polls: it may be killed while it waits (its chain given up), and
            # a process killed in Condition.wait leaves the condition's count of sleepers wrong, so that
            # the parent's next notify_all waits for it for ever.
            while answers[job.index] == PENDING:
                time.sleep(0.02)
        else:
            with ready:
                ready.wait_for(lambda: answers[job.index] != PENDING)
        start = answers[job.index]
        if start == ABANDON:
            raise Abandoned
        if job.base is not None:
            start += job.start - job.base  # the answer is the chain's start; this piece begins further on
        shift_page_numbers(context, max(start, 1) - max(job.start, 1))
        self.start = start

    def content_pages(self) -> int:
        """The part's own pages: without its pad page, nor the pages from where its probe begins."""
        skip = 1 if self.job.pad else 0
        if self.notes is not None and self.notes.probe_page is not None:
            return self.notes.probe_page - skip
        return len(self.pages) - skip


def lay_out_one(job: Job, quiet: bool = False, apart: bool = False) -> Laid:
    """One WeasyPrint document; `quiet`: a piece of a chain (lay_out_chain), which reports for it;
    `apart`: its PDF written by a child process (Laid.writing: parts/apart.py), the chain goes on.
    A piece of an early chain paginated before its start is known is finished by a child: what is
    returned then is deferred (Laid.deferred), completed by apart.written."""
    numbering = renumbered(job, quiet)
    numbering.start = job.start
    try:
        laid = _lay_out_one(job, numbering, apart)
    except Deferred as deferred:
        return deferred.laid  # in the worker: the child finishes it
    except BaseException:
        if numbering.pipe is not None:
            send_and_end(numbering.pipe, None)  # in the child: the piece could not be finished
        raise
    if numbering.pipe is not None:
        send_and_end(numbering.pipe, laid)  # in the child: the piece, finished; it never returns
    return laid


def _lay_out_one(job: Job, numbering: renumbered, apart: bool) -> Laid:
    from bookmaker.writers.pdf.weasy import _weasyprint_warnings, import_weasyprint

    began = time.perf_counter()
    weasyprint = import_weasyprint()
    state = WORKER
    said = Diagnostics()
    deferred: dict[str, dict] = {}
    with _weasyprint_warnings(said, state["target"], reported=set(state["reported"])), deferred_fonts(deferred, job.font_dir):
        try:
            with numbering:
                document = weasyprint.HTML(string=job.html, base_url=state["base_url"],
                                           url_fetcher=state["fetcher"]).render()
        except Abandoned:
            pages = numbering.pages
            skip = 1 if job.pad else 0
            blank_first = bool(job.pad and len(pages) > 1 and pages[1].page_type.blank)
            return Laid(job.index, b"", numbering.content_pages(), {}, [], {}, said, False, blank_first,
                        time.perf_counter() - began, job.start, abandoned=True)
        name_links_elsewhere(document)
        apart = apart and numbering.pipe is None  # a child finishing a piece writes it itself
        if apart:
            writing = write_apart(document, state.get("write_options", {}), said, deferred,
                                  lambda data: _prepared(data, job.html, job.first_id))
        else:
            out = io.BytesIO()
            document.write_pdf(out, **state.get("write_options", {}))  # tagged (writer.write_options)
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
    data = b"" if apart else _prepared(out.getvalue(), job.html, job.first_id)
    laid = Laid(job.index, data, pages, anchors, bookmarks, deferred, said,
                pad_holds_content, blank_first, time.perf_counter() - began, numbering.start, notes=notes,
                starts=[first_words_of(page) for page in document.pages[skip:skip + pages]])
    if apart:
        laid.writing = writing
    return laid


def name_links_elsewhere(document) -> None:
    """Every link to an id in another part kept, as a link to a name on the first page (the pad page).

    WeasyPrint drops a link whose anchor is not in the document; the merge points each name at the page
    of the part that owns it (merge.py), as it did when split.part_html put an empty element with that
    id on the pad page. The anchor's place is WeasyPrint 70's (x1, y1, x2, y2) of `Page.anchors`."""
    if not document.pages:
        return
    known = {name for page in document.pages for name in page.anchors}
    first = document.pages[0].anchors
    for page in document.pages:
        for kind, target, *_ in page.links:
            if kind == "internal" and target not in known:
                first[target] = (0, 0, 0, 0)
                known.add(target)


def _prepared(data: bytes, html: str, name: str) -> bytes:
    """A tagged part's structure fixed, its page furniture made artifacts, its links described (from its
    own HTML) and its header cells' ids made its own (`name`: the part's) here, in parallel, rather than by
    the merge on one core (they were over half the merge's time)."""
    import pikepdf

    from bookmaker.writers.pdf.structure import name_part_ids
    from bookmaker.writers.pdf.tagging import describe_links, link_texts, prepare_part

    with pikepdf.open(io.BytesIO(data)) as pdf:
        tagged = "/StructTreeRoot" in pdf.Root
        if tagged:
            prepare_part(pdf)
        describe_links(pdf, link_texts(html))  # printed and described, tagged or not
        if tagged:
            name_part_ids(pdf.Root.StructTreeRoot, f"{name}-")
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


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
