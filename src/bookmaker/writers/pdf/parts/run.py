"""One build of the PDF in parts: split, waves of layout until every number agrees, merge."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bookmaker.core.cache import cache_dir
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.core.paths import real_path
from bookmaker.core.stops import held
from bookmaker.writers.pdf.merge import Beginning, begin_merge, merge
from bookmaker.writers.pdf.notes.cuts import (
    NoteCut,
    choose_cuts,
    cuttable,
    load_tops,
    style_of,
)
from bookmaker.writers.pdf.notes.marks import with_marks
from bookmaker.writers.pdf.pagemap import load_page_map, save_page_map
from bookmaker.writers.pdf.parts.cache import from_cache, to_cache
from bookmaker.writers.pdf.parts.desk import Desk, desk_folder
from bookmaker.writers.pdf.parts.jobs import Job, Laid, debug
from bookmaker.writers.pdf.parts.next_build import leave_cut_notes
from bookmaker.writers.pdf.parts.plan import Planning
from bookmaker.writers.pdf.parts.pool import ending
from bookmaker.writers.pdf.parts.sizes import page_map
from bookmaker.writers.pdf.parts.split import SIDED, book_title, split
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


@dataclass(frozen=True)
class Settings:
    """What one build in parts is asked for; the same for every try of its notes' cuts."""

    target: Path
    diagnostics: Diagnostics
    reported: set[str]
    policy: object
    key: str  # the page map's key (writer.page_map_key)
    jobs: int
    duplex: bool
    progress: Callable[[int, int], None] | None
    rerender: Callable[[dict[str, int]], str] | None
    keep: frozenset[str]
    write_options: tuple = ()  # WeasyPrint's write_pdf options for every part, as items (tagged: writer.write_options)


def write_in_parts(html: str, target: Path, diagnostics: Diagnostics, reported: set[str], policy, key: str,
                   jobs: int, duplex: bool, progress: Callable[[int, int], None] | None = None,
                   rerender: Callable[[dict[str, int]], str] | None = None, keep: set[str] = frozenset(),
                   write_options: dict | None = None) -> tuple[bytes, dict[str, int], list[str]] | None:
    """The book's PDF laid out in parts by `jobs` processes, and its page map (every anchor's page);
    None when the document cannot be split.

    `rerender(page_map)` gives the document again for the pages found so far (the notes' same-page
    marks depend on them); it is asked after each wave, so the notes of a first build, laid out once
    the chapters are, get their marks right the first time. `keep`: ids whose pages the next build's
    `rerender` needs (the index's marks), kept in the page map with those the parts show.

    The notes are cut into parts at the page tops the last build found (notes/cuts.py); when a
    cut proves wrong, the cuts before it stand (their parts come from the cache) and the notes after
    it are laid out as a chain. `write_options`: WeasyPrint's write_pdf options for every part (tagged);
    with the PDF and its page map come the first words of each page (print_pages.py)."""
    settings = Settings(target, diagnostics, reported, policy, key, jobs, duplex, progress, rerender, frozenset(keep),
                        tuple(sorted((write_options or {}).items())))
    style = style_of(html)
    may_cut = renumbering_supported() and cuttable(html)
    record = load_tops(key) if may_cut else None
    uncut = style if record is not None and record.uncut == style else None
    # Page tops found with other styles are not this layout's: the notes are laid out in a chain, which finds them.
    cuts = choose_cuts(record, jobs) if record is not None and record.style == style and uncut is None else []
    while cuts:
        try:
            return PartsBuild(html, settings, cuts, record, may_cut, style, None).run()
        except CutFailed as failed:
            # An edit moved the notes after a cut: the cuts before it stand, and the notes after it
            # are laid out as a chain, which finds their page tops for the next build.
            debug(f"the notes cut {failed.keep} times instead of {len(cuts)}: {failed}")
            cuts = cuts[: min(failed.keep, len(cuts) - 1)]
    return PartsBuild(html, settings, [], record, may_cut, style, uncut).run()


def _merged(laid: list[Laid], parts: list, font_dir: str, rtl: bool, begun: Beginning | None) -> bytes:
    began, cpu = time.perf_counter(), time.process_time()
    if begun is not None:  # begun while the parts laid out in this build were (PartsBuild._begun)
        begun.hand_over()
    data = merge(laid, parts, font_dir, rtl)
    debug(f"merged in {time.perf_counter() - began:.2f} s ({time.process_time() - cpu:.2f} s of CPU)")
    return data


class PartsBuild(Planning):
    """One build in parts with given cuts of the notes: waves of layout until every part's start, side and
    numbers written in agree with the merged book. `may_cut`: the notes may be cut or chained at all
    (WeasyPrint's version, no running elements); `style`: the document's stylesheets (style_of);
    `uncut`: `style` when a chain did not match the book, kept for the next builds."""

    def __init__(self, html: str, settings: Settings, cuts: list[NoteCut], record, may_cut: bool, style: str,
                 uncut: str | None) -> None:
        self.html, self.settings, self.cuts, self.record = html, settings, cuts, record
        self.style, self.uncut = style, uncut
        self.renumber = renumbering_supported()
        self.chainable = may_cut and uncut is None
        self.may_cut = may_cut
        self.title = book_title(html)
        self.rtl = bool(re.search(r'<html[^>]*\sdir="rtl"', html))
        self.sided = bool(SIDED.search(html))
        self.state = dict(target=settings.target, reported=set(settings.reported), policy=settings.policy, build=os.getpid(),
                          base_url=real_path(settings.target.parent).as_uri() + "/",
                          write_options=dict(settings.write_options))
        self.laid: dict[int, Laid] = {}
        self.assumed: dict[int, tuple | None] = {}
        self.chained: dict[int, list] = {}  # a chain's pieces (Laid.pieces), by the part they make up
        self.desk: Desk | None = None  # the wave's answers to parts laid out beside those they number
        self.font_dir = ""
        self.merging: Beginning | None = None  # the merge begun while the first wave is laid out

    def run(self) -> tuple[bytes, dict[str, int], list[str]] | None:
        found = split(self.html, self.cuts)
        if found is None:
            if self.cuts:
                raise CutFailed("a cut is not in the notes any more")
            return None
        self.head, self.body_open, self.parts = found
        # The named strings (running heads) in effect where each part inside the notes begins.
        self.strings_for = {i: self.record.tops.get(p.notes.continued.token, [0, {}])[1]
                            for i, p in enumerate(self.parts) if p.notes is not None and p.notes.continued is not None}
        faces = cache_dir("pdf-faces")  # the faces the cached parts use stay beside them
        import tempfile

        with (contextlib.nullcontext(str(faces)) if faces else tempfile.TemporaryDirectory(prefix="bookmaker-")) as font_dir, \
                desk_folder() as desk:
            self.font_dir, self.state["desk"] = font_dir, desk
            with self._pool() as pool:
                if not self._settle(pool):
                    return None
                data = _merged([self.laid[i] for i in range(len(self.parts))], self.parts, font_dir, self.rtl,
                               self.merging)
        self._finish()
        # The first words of each page, for the EPUB's page list (an older cached part has none: print_pages.py).
        return data, self.numbers, [w for i in range(len(self.parts)) for w in getattr(self.laid[i], "starts", [])]

    def _pool(self):
        import multiprocessing
        import os
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context(start_method())
        self.reports, self.ready = context.Queue(), context.Condition()
        self.answers = context.Array("q", len(self.parts), lock=False)
        self.state["build"] = os.getpid()
        return ending(ProcessPoolExecutor(max_workers=self.settings.jobs, mp_context=context, initializer=start_worker,
                                          initargs=(self.state, self.reports, self.answers, self.ready)))

    def _settle(self, pool) -> bool:
        """Waves of layout until no part's assumptions change; False when the book cannot be split."""
        self.numbers = dict(load_page_map(self.settings.key))
        self.sizes = self._known_sizes()
        self.starts = self.sizes.starts(len(self.parts))
        self.predicted: set[str] = set()
        for wave in range(MAX_WAVES):
            todo, deferred = self._plan()
            if not todo:
                return True
            self._lay_out(pool, todo, deferred, wave)
            if not self._after_wave():
                return False
        debug("numbers kept moving")
        return False  # numbers kept moving: the whole document decides them

    def _from_cache(self, todo: list[Job]) -> list[Job]:
        """The parts laid out before from the same inputs are taken from the cache; the others are returned."""
        fresh: list[Job] = []
        for job in todo:
            hit = from_cache(job, self.state)
            if hit is None:
                fresh.append(job)
            else:
                hit.start = job.start
                self.laid[job.index] = hit
                self.sizes.learn(job.index, job.start, hit)
        return fresh

    def _lay_out(self, pool, todo: list[Job], deferred: int, wave: int) -> None:
        fresh = self._from_cache(todo)
        unsure = {j.index for j in fresh if j.index not in self.sizes.content}
        for job in fresh:
            # Its start is a guess while a part before it is laid out for the first time.
            job.handshake = self.renumber and any(k < job.index for k in unsure)
            job.wave = wave
            if job.notes and self.chainable and long_tail(self.parts[job.index], self.record):
                job.chain = (self.head, self.body_open, self.parts[job.index], self.title, self.rtl,
                             self.strings_for.get(job.index))
                # Parts before it are laid out in this wave: it goes beside them (parts/desk.py).
                job.early = job.handshake and self.early(job.index)
        fresh = self._beside(fresh)
        debug(f"wave {wave + 1}: {len(fresh)} of {len(self.parts)} parts laid out, {len(todo) - len(fresh)} "
              f"from the cache, {sum(j.handshake for j in fresh)} numbered after layout")
        total, progress = len(self.parts), self.settings.progress
        for result, job in lay_out_wave(pool, fresh, self.parts, self.sizes, self.reports, self.answers, self.ready,
                                        self.sided,
                                        lambda done: progress and progress(total - len(fresh) - deferred + done, total),
                                        self.desk, self._begun(fresh)):
            self._laid_out(result, job)
        if progress and not fresh:
            progress(total, total)
        slowest = sorted(((self.laid[j.index].seconds, self.laid[j.index].pages, j.index) for j in fresh),
                         reverse=True)[:4]
        debug(f"slowest parts (seconds, pages, part): {[(round(t, 1), n, i) for t, n, i in slowest]}")

    def _begun(self, fresh: list[Job]):
        # The merge's first steps, taken on the parent's otherwise idle core while `fresh` is laid out.
        if self.merging is None and fresh:
            self.merging = begin_merge(self.laid, self.parts, self.font_dir, self.rtl)
        return self.merging.step if self.merging is not None else None

    def _laid_out(self, result: Laid, job: Job) -> None:
        self.laid[result.index] = result
        self.chained.pop(result.index, None)
        if result.pieces:  # kept for the next build's parts (next_build.py), not in the chain's own entry
            self.chained[result.index], result.pieces = result.pieces, []
        if result.abandoned:
            debug(f"part {result.index} abandoned: laid out from page {job.start}, {result.pages} pages")
            self.assumed[result.index] = None
            return
        part, numbers = self.parts[result.index], job.numbers
        if result.used is not None:  # an early chain: the numbers it was given, and the marks it wrote for them
            numbers = {k: result.used[k] for k in job.numbers if k in result.used}
            part = dataclasses.replace(part, body=with_marks(part.body, result.used))
        elif self.desk is not None and result.index in self.desk.given:  # its document given by the desk
            part, numbers = self.desk.given[result.index]
        self.assumed[result.index] = (result.start, numbers, part.body, self.strings_for.get(result.index))
        if result.start != job.start or numbers != job.numbers or part is not self.parts[result.index]:
            job = self.job_for(job.index, result.start, numbers, part)
        with held():  # a stop waits for the entry's rename: never half an entry
            to_cache(job, self.state, result)

    def _after_wave(self) -> bool:
        """The cuts checked, every part placed and the numbers found so far; False when a part does not start
        on a new page (the split would change the book) or a new render splits differently."""
        check_cuts(self.parts, self.laid, self.strings_for)
        if any(r.pad_holds_content for r in self.laid.values()):
            debug("a part does not start on a new page")
            return False
        for i in self.laid:
            self.sizes.learn(i, self.laid[i].start, self.laid[i])
        self.starts = self.sizes.starts(len(self.parts))
        self.numbers = page_map(self.parts, {i: r for i, r in self.laid.items() if not r.abandoned}, self.starts)
        self.predicted = set()
        for i, part in enumerate(self.parts):
            if i not in self.laid:  # not laid out yet: its first element is on the first page of its own
                self.predicted.add(part.name)
                first = self.starts[i] + 1 + (self.sizes.pages(i, self.starts[i]) > self.sizes.content.get(i, 1))
                self.numbers.setdefault(part.name, first)
        return self._render_again()

    def _render_again(self) -> bool:
        if self.settings.rerender is None:
            return True
        again = self.settings.rerender(self.numbers)
        if again == self.html:
            return True
        found = split(again, self.cuts)
        if found is None or [p.name for p in found[2]] != [p.name for p in self.parts]:
            return False
        self.html, (self.head, self.body_open, self.parts) = again, found
        return True

    def _finish(self) -> None:
        """The parts' problems said once each, the page map and the notes' page tops kept for the next build."""
        parts, laid, key = self.parts, self.laid, self.settings.key
        # Notes laid out twice (a probe, then the part after its cut) would say the same thing twice.
        said = set()
        for i in range(len(parts)):
            for problem in laid[i].diagnostics:
                if problem not in said:
                    said.add(problem)
                    self.settings.diagnostics.add(problem)
        wanted = set().union(*(p.pagerefs for p in parts)) | set(self.settings.keep)
        with held():
            self._save(parts, laid, key, wanted)
            leave_cut_notes(self)

    def _save(self, parts: list, laid: dict[int, Laid], key: str, wanted: set[str]) -> None:
        """The page map, the parts' lengths and the notes' page tops, for the next build."""
        save_page_map(key, {k: v for k, v in self.numbers.items() if k in wanted})
        lengths = {p.name: laid[i].pages - laid[i].blank_first for i, p in enumerate(parts)}
        lengths |= {parts[i].name + "\n": int(side) for i, side in self.sizes.wants.items()}
        save_page_map(key + "#parts", lengths)
        uncut = self.style if any(laid[i].chain_failed for i in laid) else self.uncut
        save_notes_tops(key, parts, laid, self.starts, self.style, uncut)
