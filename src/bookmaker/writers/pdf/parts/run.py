"""One build of the PDF in parts: split, waves of layout until every number agrees, merge."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from bookmaker.core.cache import cache_dir
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.writers.pdf.merge import merge
from bookmaker.writers.pdf.notes.cuts import (
    NoteCut,
    choose_cuts,
    cuttable,
    load_tops,
    style_of,
)
from bookmaker.writers.pdf.pagemap import load_page_map, save_page_map
from bookmaker.writers.pdf.parts.cache import from_cache, to_cache
from bookmaker.writers.pdf.parts.jobs import Job, Laid, debug
from bookmaker.writers.pdf.parts.sizes import Sizes, page_map
from bookmaker.writers.pdf.parts.split import SIDED, book_title, part_html, split
from bookmaker.writers.pdf.parts.waves import (
    MAX_WAVES,
    CutFailed,
    check_cuts,
    lay_out_wave,
    long_tail,
    save_notes_tops,
    start_method,
)
from bookmaker.writers.pdf.parts.worker import start_worker
from bookmaker.writers.pdf.patches import renumbering_supported


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
        except CutFailed as failed:
            # An edit moved the notes after a cut: the cuts before it stand, and the notes after it
            # are laid out as a chain, which finds their page tops for the next build.
            debug(f"the notes cut {failed.keep} times instead of {len(cuts)}: {failed}")
            cuts = cuts[: min(failed.keep, len(cuts) - 1)]
    return _write_in_parts(html, target, diagnostics, reported, policy, key, jobs, duplex, progress, rerender, keep,
                           [], record, may_cut, style, uncut)


def _write_in_parts(html: str, target: Path, diagnostics: Diagnostics, reported: set[str], policy, key: str,
                    jobs: int, duplex: bool, progress, rerender, keep, cuts: list[NoteCut],
                    record, may_cut: bool, style: str, uncut: str | None) -> tuple[bytes, dict[str, int]] | None:
    """write_in_parts with these cuts of the notes. `may_cut`: the notes may be cut or chained at all
    (WeasyPrint's version, no running elements); `style`: the document's stylesheets (style_of);
    `uncut`: `style` when a chain did not match the book, kept for the next builds."""
    found = split(html, cuts)
    if found is None:
        if cuts:
            raise CutFailed("a cut is not in the notes any more")
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
    context = multiprocessing.get_context(start_method())
    reports, ready = context.Queue(), context.Condition()
    answers = context.Array("q", len(parts), lock=False)
    sided = bool(SIDED.search(html))
    with (contextlib.nullcontext(str(faces)) if faces else tempfile.TemporaryDirectory(prefix="bookmaker-")) as font_dir, \
            ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=start_worker,
                                initargs=(state, reports, answers, ready)) as pool:
        numbers = dict(known)
        sizes = Sizes(rtl, duplex)
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
                    debug(f"part {i} again: start {was[0]}->{start}, numbers "
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
                hit = from_cache(job, state)
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
                if job.notes and chainable and long_tail(parts[job.index], record):
                    job.chain = (head, body_open, parts[job.index], title, rtl, strings_for.get(job.index))
            debug(f"wave {_wave + 1}: {len(fresh)} of {len(parts)} parts laid out, {len(todo) - len(fresh)} "
                   f"from the cache, {sum(j.handshake for j in fresh)} numbered after layout")
            for result, job in lay_out_wave(pool, fresh, parts, sizes, reports, answers, ready, sided,
                                             lambda done: progress and progress(total - len(fresh) - deferred + done, total)):
                laid[result.index] = result
                if result.abandoned:
                    debug(f"part {result.index} abandoned: laid out from page {job.start}, {result.pages} pages")
                    assumed[result.index] = None
                    continue
                assumed[result.index] = (result.start, job.numbers, parts[result.index].body,
                                         strings_for.get(result.index))
                if result.start != job.start:
                    job = job_for(job.index, result.start, job.numbers)
                to_cache(job, state, result)
            if progress and not fresh:
                progress(total, total)
            slowest = sorted(((laid[j.index].seconds, laid[j.index].pages, j.index) for j in fresh), reverse=True)[:4]
            debug(f"slowest parts (seconds, pages, part): {[(round(t, 1), n, i) for t, n, i in slowest]}")
            check_cuts(parts, laid, strings_for)
            if any(r.pad_holds_content for r in laid.values()):
                debug('a part does not start on a new page')
                return None  # a part does not start on a new page: the split would change the book
            for i in laid:
                sizes.learn(i, laid[i].start, laid[i])
            starts = sizes.starts(len(parts))
            numbers = page_map(parts, {i: r for i, r in laid.items() if not r.abandoned}, starts)
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
            debug('numbers kept moving')
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
    save_notes_tops(key, parts, laid, starts, style, uncut)
    return data, book_map
