"""The parent's side of a build in parts: a wave of layout in the pool, the checks of the notes' cuts after it."""

from __future__ import annotations

from collections.abc import Callable

from bookmaker.writers.pdf.notes.cuts import PAGES_PER_PART, NotesRecord, save_tops
from bookmaker.writers.pdf.parts.desk import NEED, NEED_PART, Desk
from bookmaker.writers.pdf.parts.entry import lay_out_part
from bookmaker.writers.pdf.parts.jobs import Job, Laid
from bookmaker.writers.pdf.parts.sizes import Sizes
from bookmaker.writers.pdf.parts.split import Part
from bookmaker.writers.pdf.parts.worker import ABANDON, PENDING

# Waves of layout before the parts give up for one document. A first build of a duplex book needs
# five: chapters from guessed starts, those on the wrong side again, the notes, the index (its side
# known once the notes' length is), the front matter's contents.
MAX_WAVES = 6


class CutFailed(Exception):
    """A cut of the notes was not at a page top in this layout; `keep`: how many cuts before it stand."""

    def __init__(self, why: str, keep: int = 0) -> None:
        super().__init__(why)
        self.keep = keep


def long_tail(part: Part, record) -> bool:
    """Whether a part of the notes is laid out in pieces one after another (lay_out_chain): the notes
    with no cut (a first build), or their last part when it runs long (the cuts after it failed)."""
    if part.notes is None:
        return True
    if part.notes.probe_cut is not None:
        return False
    top = record.tops.get(part.notes.continued.token) if record is not None and part.notes.continued else None
    return top is None or record.last - top[0] + 1 > 2 * PAGES_PER_PART


def check_cuts(parts: list[Part], laid: dict[int, Laid], strings_for: dict[int, dict[str, str]]) -> None:
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
            raise CutFailed(f"part {i + 1} does not begin at the top of a page", cut)
        if before is None or before.abandoned:
            continue
        if before.notes is None or before.notes.probe_page is None:
            raise CutFailed(f"the probe of part {i} does not begin a page", cut)
        if before.notes.probe_strings != strings_for.get(i + 1):
            strings_for[i + 1] = before.notes.probe_strings
        if (after is not None and not after.abandoned and after.notes is not None
                and abs((after.notes.first_y or 0) - (before.notes.probe_y or 0)) > 0.01):
            raise CutFailed(f"part {i + 1} begins {after.notes.first_y} from the top, its probe "
                             f"{before.notes.probe_y}", cut)


def save_notes_tops(key: str, parts: list[Part], laid: dict[int, Laid], starts: list[int], style: str,
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


def lay_out_wave(pool, fresh: list[Job], parts: list[Part], sizes: "Sizes", reports, answers, ready, sided: bool,
                  progress: Callable[[int], object], desk: Desk | None = None,
                  idle: Callable[[], bool] | None = None):
    """Lay out `fresh` in the pool; answer each part that asks where it starts (renumbered) as soon
    as every part before it is paginated, and a part laid out beside the chapters its numbers (`desk`)
    as soon as they are known; between reports, `idle()` does a step of other work (False: none left).
    Yields (laid, job) in book order."""
    import queue

    if not any(job.handshake for job in fresh):
        # Every start is known: the longest parts first (the notes), so that no core is left with
        # one long part at the end. Parts that ask for their start go in book order (renumbered).
        fresh = sorted(fresh, key=lambda job: -sizes.content.get(job.index, 1))
    wave = _Wave(fresh, sizes, answers, ready, sided)
    futures = [pool.submit(lay_out_part, job) for job in fresh]
    shown, busy = 0, idle is not None
    try:
        while True:
            done = sum(f.done() for f in futures)
            while shown < done:  # each part on the status line, even when two finish together
                shown += 1
                progress(shown)
            if done == len(futures) or any(f.done() and f.exception() is not None for f in futures):
                break
            if desk is not None and desk.pending:  # the finished parts gathered only when asked
                desk.answer({job.index: f.result() for f, job in zip(futures, fresh)
                             if f.done() and not f.exception()},
                            wave.paginated, sizes, len(parts))
            try:
                report = reports.get_nowait() if busy else reports.get(timeout=0.1)
            except queue.Empty:
                busy = busy and idle()
                continue
            if report[0] in (NEED, NEED_PART):
                if desk is not None:
                    desk.ask(*report)
            else:
                wave.take(*report)
    finally:
        wave.give_up()  # a part failed: the parts waiting for it give up
        if desk is not None:
            desk.release()  # no worker left waiting for numbers
    results = [f.result() for f in futures]
    # A report may still be on its way (the queue's feeder thread) when its part is done: read them
    # all, so that none is taken for the next wave's.
    while len(wave.paginated) < len(results):
        try:
            number, index, *_ = reports.get(timeout=5)
        except queue.Empty:
            break
        if not isinstance(number, str) and index in wave.by_index and number == wave.by_index[index].wave:
            wave.paginated.add(index)
    for result in sorted(results, key=lambda r: r.index):
        yield result, wave.by_index[result.index]


class _Wave:
    """The parent's answers to the parts of one wave that ask where they start (renumbered)."""

    def __init__(self, fresh: list[Job], sizes: Sizes, answers, ready, sided: bool) -> None:
        self.by_index = {job.index: job for job in fresh}
        self.sizes, self.answers, self.ready, self.sided = sizes, answers, ready, sided
        for job in fresh:
            answers[job.index] = PENDING
        self.waiting = sorted(job.index for job in fresh if job.handshake)
        self.paginated: set[int] = set()

    def take(self, wave: int, index: int, pages: int, blank_first: bool) -> None:
        """A part's report of its length: every part waiting only for it and those before it is answered."""
        job = self.by_index.get(index)
        if job is None or wave != job.wave or index in self.paginated:
            return  # late from an earlier wave
        self.sizes.learn(index, job.start, Laid(index, b"", pages, {}, [], {}, None, False, blank_first))
        self.paginated.add(index)
        while self.waiting and all(k in self.paginated for k in self.by_index if k < self.waiting[0]):
            index = self.waiting.pop(0)
            start = self.sizes.starts(index + 1)[index]
            same_side = (start - self.by_index[index].start) % 2 == 0
            self._answer(index, start if same_side or not self.sided else ABANDON)

    def give_up(self) -> None:
        for index in self.waiting:
            self._answer(index, ABANDON)
        self.waiting = []

    def _answer(self, index: int, value: int) -> None:
        with self.ready:
            self.answers[index] = value
            self.ready.notify_all()


def start_method() -> str:
    """fork: the workers start at once with WeasyPrint imported. Not from a process with threads
    (`serve`), which a fork could leave holding a lock: forkserver there, or spawn."""
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"
