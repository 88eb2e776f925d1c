"""The notes of a first build laid out in pieces one after another, each piece ending before the last note
that began a page in it: those pages are where the next build cuts (cuts.py)."""

from __future__ import annotations

from bookmaker.writers.pdf.merge_fonts import join_faces
from bookmaker.writers.pdf.notes.cuts import (
    PAGES_PER_PART,
    PROBE_CHILDREN,
    NoteCut,
    cut_notes,
    cut_position,
    next_cut,
    notes_children,
)
from bookmaker.writers.pdf.notes.marks import with_marks
from bookmaker.writers.pdf.parts.apart import cancel, written
from bookmaker.writers.pdf.parts.desk import ask_numbers
from bookmaker.writers.pdf.parts.jobs import WORKER, Job, Laid, debug
from bookmaker.writers.pdf.parts.split import Part, _part_ids, part_html
from bookmaker.writers.pdf.parts.worker import lay_out_one

CHAIN_FIRST = 60  # notes (and headings) in the first piece of a chain; later pieces aim at PAGES_PER_PART


def lay_out_chain(job: Job) -> Laid | None:
    """The notes, when no cut is known yet (a first build), laid out in pieces one after another.

    Laid out whole they were the largest process of the build (half a gigabyte for 158 pages of
    notes); in pieces of about PAGES_PER_PART pages, each a document of its own, the process holds
    one piece at a time. A piece is laid out a little beyond its end, and ends before the last note
    that began a page in it; the next piece begins there, as a part after a cut does. None when the
    notes cannot be cut so (the caller lays them out whole).

    Each piece's PDF is written by a child process while the next piece is laid out (parts/apart.py);
    WriteFailed when one could not be (the caller lays the notes out whole, this time only)."""
    pending: list[Laid] = []
    try:
        return _chain(job, pending)
    finally:
        cancel(pending)  # a piece not used, or the chain given up: its child ended


def _chain(job: Job, pending: list[Laid]) -> Laid | None:
    import gc

    part, strings = job.chain[2], job.chain[5]
    found = notes_children(part.body)
    if found is None:
        return None
    children = found[1]
    begin = part.notes.continued if part.notes is not None else None  # the notes' last part after a cut
    start, size = job.start, CHAIN_FIRST
    used, asked = dict(job.numbers), 0  # an early chain: the numbers each piece was given (parts/desk.py)
    pieces: list[Laid] = []
    cuts: list[NoteCut | None] = []  # where each piece begins
    top_y: float | None = None
    while True:
        at = 0 if begin is None else cut_position(children, begin)
        end = next_cut(children, at + size) if at + size < len(children) else None
        pieces_html = cut_notes(part.body, [c for c in (begin, end) if c is not None])
        if pieces_html is None:
            return None
        piece = pieces_html[1 if begin is not None else 0]
        sub = _part_ids(Part(part.name if begin is None else begin.note_id, piece.body, kind="notes", notes=piece))
        if job.early:  # laid out beside the chapters: this piece's numbers, once the parent knows them
            asked += 1
            used.update(ask_numbers(job.wave, job.index, asked, sub.pagerefs))
        sub_job = _piece_job(job, sub, start, dict(used), bool(pieces), begin, end, strings)
        laid = lay_out_one(sub_job, quiet=True, apart=True)
        laid.used = sub_job.numbers if job.early else None
        pending.append(laid)
        start = sub_job.start if job.early else laid.start  # an early chain's pieces all count from its guess
        notes = laid.notes
        if notes is None or laid.abandoned or (pieces and (
                laid.pad_holds_content or top_y is None or abs((notes.first_y or 0) - top_y) > 0.01)):
            debug(f"the notes laid out whole: piece {len(pieces) + 1} of the chain does not begin as in the book")
            return None
        if end is not None:
            # The last note that began a page, with the notes after it laid out too (the probe at least).
            last_at = cut_position(children, end)
            last = max((t for t in notes.tops if t[1] > 0 and (cut_position(children, NoteCut.of(t[0])) or 0) <= last_at),
                       key=lambda t: t[1], default=None)
            if last is None:
                size *= 2  # no note began a page: a longer piece
                cancel([laid])
                continue
            token, laid.pages, strings = last
            top_y = notes.top_y[token]
            notes.tops = [t for t in notes.tops if t[1] < laid.pages]
            # What the part the next build cuts here says of its probe (the note at that page's top).
            notes.probe_page, notes.probe_y, notes.probe_strings = laid.pages + 1, top_y, dict(strings)
        pieces.append(laid)
        if len(pieces) > 1 and not pieces[-2].deferred:
            written(pieces[-2])  # its child wrote it while this piece was laid out
        cuts.append(begin)
        start += laid.pages
        gc.collect()
        if end is None:
            break
        begin = NoteCut.of(token)
        if len(pieces) == 1:  # from the first piece, how many notes fill PAGES_PER_PART pages
            per_page = (cut_position(children, begin) - at) / max(laid.pages, 1)
            size = max(PROBE_CHILDREN + 1, round(per_page * PAGES_PER_PART))
    return _ended(job, pieces, cuts, used)


def _piece_job(job: Job, sub: Part, start: int, numbers: dict[str, int], later: bool, begin: NoteCut | None,
               end: NoteCut | None, strings: dict[str, str] | None) -> Job:
    """The job of one piece of the chain (`later`: not its first piece).

    The first piece asks where it starts, as the whole would (renumbered), without reporting its length:
    the parts after the notes wait for the chain's. Each piece of an early chain asks (its start counted
    from the chain's guess, `base`), and writes in its notes' same-page marks for the numbers it was given."""
    head, body_open, _, title, rtl, _ = job.chain
    if job.early:
        sub.body = with_marks(sub.body, numbers)  # as the template marks them once these pages are known
    return Job(job.index, part_html(head, body_open, sub, max(start, 1), True, numbers, title, rtl, strings),
               True, start, numbers, job.font_dir, sub.name, handshake=job.handshake and (job.early or not later),
               wave=job.wave, notes=True, probe=end, continued=begin, early=job.early,
               base=job.start if job.early else None)


def _ended(job: Job, pieces: list[Laid], cuts: list[NoteCut | None], used: dict[str, int]) -> Laid:
    """The chain's pieces, once all are written, as one part (abandoned when its start's guess put it on
    the wrong side of a spread)."""
    # The parts after the notes may be placed before the last piece is written.
    WORKER["reports"].put((job.wave, job.index, sum(p.pages for p in pieces), pieces[0].blank_first))
    for laid in pieces:
        written(laid)  # those that waited for the notes' start in a child: once every chapter is paginated
    if any(laid.abandoned for laid in pieces):
        return Laid(job.index, b"", sum(p.pages for p in pieces), {}, [], {}, pieces[0].diagnostics, False,
                    pieces[0].blank_first, sum(p.seconds for p in pieces), job.start, abandoned=True)
    joined = _joined(pieces, cuts)
    joined.used = used if job.early else None
    return joined


def _joined(pieces: list[Laid], cuts: list[NoteCut | None]) -> Laid:
    """The chain's pieces as one part (the first, with the others' PDFs after it), each piece as it was
    laid out kept beside (Laid.pieces): the next build's parts."""
    import copy

    # Each piece as it was laid out, before the first becomes the whole: the next build's parts.
    own = list(zip(cuts, [copy.deepcopy(laid) for laid in pieces])) if len(pieces) > 1 else []
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
    first.starts = first.starts[:first.pages] + [w for laid in pieces[1:] for w in laid.starts[:laid.pages]]
    first.pages, first.notes.probe_page = offset, None
    first.pieces = own
    return first
