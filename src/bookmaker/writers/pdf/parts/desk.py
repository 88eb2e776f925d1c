"""The page numbers a first build's notes and index ask for while the chapters are still being laid out.

A first build lays its notes out as a chain (notes/chain.py), and each note says on which page its
reference stands ("(p. 49)"), so the chain waited for the whole wave of chapters, and the index for
the chain's length. Now both go in the chapters' wave. Before each piece, the chain's worker asks the
numbers that piece shows; the parent answers once the parts that hold them are laid out and every part
before them is paginated (their pages are then final), by a file the worker waits for. A number no
part before the asker holds is answered at once, as the plan would guess it. The index asks for its
whole document, which the parent renders once every number it shows is known.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from bookmaker.writers.pdf.parts.jobs import WORKER, Laid, debug
from bookmaker.writers.pdf.parts.sizes import Sizes
from bookmaker.writers.pdf.parts.split import Part, numbers_shown, part_html, split

NEED = "numbers"  # the first item of a worker's report asking for numbers: (NEED, wave, index, seq, ids)
NEED_PART = "part"  # or for its whole document, rendered for the numbers it shows: (NEED_PART, wave, index, 0, ids)


DESK_PREFIX = "bookmaker-desk-"


def desk_folder():
    """The build's folder of answers, in the system's temporary folder: named with the build's process id,
    so that the next build removes one a killed build left (`kill -9` gives no chance to clean up)."""
    import tempfile

    _sweep(Path(tempfile.gettempdir()))
    return tempfile.TemporaryDirectory(prefix=f"{DESK_PREFIX}{os.getpid()}-")


def _sweep(folder: Path, age: float = 3600.0) -> None:
    """The answer folders of builds no longer running, this user's, removed with the answers in them. Only
    those untouched for `age` seconds: a build in another process namespace sharing the temporary folder
    is not seen running, and keeps writing answers while it lays out."""
    import shutil

    try:
        found = list(folder.glob(f"{DESK_PREFIX}*-*"))
    except OSError:
        return
    for path in found:
        pid = path.name[len(DESK_PREFIX):].split("-", 1)[0]
        try:
            info = path.lstat()
            if not pid.isdigit() or path.is_symlink() or info.st_uid != os.getuid() \
                    or time.time() - info.st_mtime < age:
                continue
            os.kill(int(pid), 0)  # a build still running (or another process now holding its id): kept
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (OSError, ValueError, OverflowError):
            continue


class Desk:
    """The parent's side: the numbers (or documents) asked for in one wave, answered as the parts that hold
    them are laid out. `make(index, start, numbers)` renders a part for numbers: its job's HTML, the part, the
    numbers written in."""

    def __init__(self, parts: list[Part], laid: dict[int, Laid], jobs: list, folder: str, make) -> None:
        self.owner = {name: k for k, part in enumerate(parts) for name in part.owned}
        self.laid, self.folder, self.make = laid, Path(folder), make
        self.jobs = {job.index: job for job in jobs}
        self.pending: list[tuple[str, int, int, int, list[str]]] = []  # (kind, wave, index, seq, ids)
        self.given: dict[int, tuple[Part, dict[str, int]]] = {}  # a part's document given: the part and its numbers

    def ask(self, kind: str, wave: int, index: int, seq: int, ids: list[str]) -> None:
        self.pending.append((kind, wave, index, seq, ids))

    def answer(self, done: dict[int, Laid], paginated: set[int], sizes: Sizes, count: int) -> None:
        """Answer every request whose numbers are all known now."""
        if not self.pending:
            return
        starts = sizes.starts(count)
        still = []
        for request in self.pending:
            kind, wave, index, seq, ids = request
            found = {name: self._number(name, index, done, paginated, starts) for name in ids}
            if any(number is None for number in found.values()):
                still.append(request)
            elif kind == NEED:
                _give(self.folder, wave, index, seq, json.dumps(found))
            else:
                # Every number of the parts before it, for the render (the notes' marks need them all).
                known = {name: number for name, owner in self.owner.items()
                         if owner < index and (number := self._number(name, index, done, paginated, starts)) is not None}
                html, part, numbers = self.make(index, self.jobs[index].start, {**known, **found})
                self.given[index] = (part, numbers)
                _give(self.folder, wave, index, seq, html)
        self.pending = still

    def release(self) -> None:
        """The wave ends (or failed): every request still open is answered with guesses, never left waiting."""
        for kind, wave, index, seq, ids in self.pending:
            job = self.jobs[index]
            _give(self.folder, wave, index, seq, json.dumps({name: self._guess(name, index) for name in ids})
                  if kind == NEED else job.html)
        self.pending = []

    def _guess(self, name: str, asker: int) -> int:
        return self.jobs[asker].numbers.get(name, max(self.jobs[asker].start, 1))  # as the plan guesses it

    def _number(self, name: str, asker: int, done: dict[int, Laid], paginated: set[int], starts: list[int]) -> int | None:
        owner = self.owner.get(name)
        if owner is None or owner >= asker:
            return self._guess(name, asker)  # not in a part before it: as the plan guesses it
        if any(k in self.jobs and k not in paginated for k in range(owner + 1)):
            return None  # a part before it is still being paginated: its page may move
        laid = done.get(owner) if owner in self.jobs else self.laid.get(owner)
        if laid is None:
            return None if owner in self.jobs else self._guess(name, asker)
        page = laid.anchors.get(name)
        return self._guess(name, asker) if laid.abandoned or page is None or page < 0 else starts[owner] + 1 + page


def _give(folder: Path, wave: int, index: int, seq: int, text: str) -> None:
    path = folder / f"answer-{wave}-{index}-{seq}"
    temporary = path.with_suffix(".part")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)  # whole or not there: the worker reads it once it exists


def _asked(kind: str, wave: int, index: int, seq: int, ids: set[str]) -> str:
    path = Path(WORKER["desk"]) / f"answer-{wave}-{index}-{seq}"
    WORKER["reports"].put((kind, wave, index, seq, sorted(ids)))
    began = time.perf_counter()
    while not path.exists():
        time.sleep(0.02)
    debug(f"part {index} answered ({kind} {seq}) after {time.perf_counter() - began:.2f} s")
    return path.read_text(encoding="utf-8")


def ask_numbers(wave: int, index: int, seq: int, ids: set[str]) -> dict[str, int]:
    """In a worker: the numbers `ids` stand for, from the parent (it answers as the chapters are laid out)."""
    return {name: int(number) for name, number in json.loads(_asked(NEED, wave, index, seq, ids)).items()}


def ask_part(wave: int, index: int, ids: set[str]) -> str:
    """In a worker: the part's document, rendered by the parent once the numbers `ids` are known."""
    return _asked(NEED_PART, wave, index, 0, ids)


# What a byte of a part's HTML costs to lay out, next to a chapter's (the 50-chapter benchmark book: 37 s
# for 1.21 MB of chapters, 14 s for 1.29 MB of notes, 9 s for 0.46 MB of index): only the order of the
# jobs depends on them, never what they lay out. The index lays out in about 6 s since its pad page lost its
# empty anchors; 0.6 / 0.5 and 0.3 / 0.5 in their place made cold builds slower (benchmarks/README.md).
COST = {"notes": 0.4, "index": 0.65}


def early_order(fresh: list, parts: list[Part], jobs: int) -> list:
    """The wave's jobs in book order, the early chain moved up to where it ends with the parts after it (the
    last chapters and the index) shared by the other workers."""
    chain = next(job for job in fresh if job.early)
    rest = [job for job in fresh if job is not chain]

    def cost(job) -> float:
        part = parts[job.index]
        return COST.get(part.kind, 1.0) * len(part.body)

    share, at, after = cost(chain) * max(jobs - 1, 1), len(rest), 0.0
    while at > 0 and after + cost(rest[at - 1]) <= share:
        at -= 1
        after += cost(rest[at])
    return rest[:at] + [chain] + rest[at:]


def rendered_part(build, index: int, start: int, numbers: dict[str, int]) -> tuple[str, Part, dict[str, int]]:
    """Part `index` of a build in parts (run.PartsBuild) rendered for `numbers`, the desk's answer to the
    index: its job's HTML, the part, and the numbers written in."""
    again = build.settings.rerender(numbers) if build.settings.rerender else build.html
    found = split(again, build.cuts)
    head, body_open, part = build.head, build.body_open, build.parts[index]
    if found is not None and [p.name for p in found[2]] == [p.name for p in build.parts]:
        head, body_open, part = found[0], found[1], found[2][index]
    wanted = numbers_shown(part, numbers, start)
    html = part_html(head, body_open, part, max(start, 1), index > 0, wanted, build.title, build.rtl,
                     build.strings_for.get(index))
    return html, part, wanted
