"""Which parts a wave lays out: those whose assumptions (start, numbers, text, running heads) changed, less
those that must wait for numbers the next wave will know."""

from __future__ import annotations

import os

from bookmaker.writers.pdf.pagemap import load_page_map
from bookmaker.writers.pdf.parts.desk import Desk, early_order, rendered_part
from bookmaker.writers.pdf.parts.jobs import Job, debug
from bookmaker.writers.pdf.parts.sizes import Sizes
from bookmaker.writers.pdf.parts.split import Part, numbers_shown, part_html
from bookmaker.writers.pdf.parts.waves import long_tail


class Planning:
    """The planning half of a build in parts (run.PartsBuild): it reads the build's parts, what each was laid
    out from (`assumed`) and the numbers known so far."""

    def _plan(self) -> tuple[list[Job], int]:
        """The parts to lay out in this wave (those whose assumptions changed), and how many wait for the next."""
        todo: list[Job] = []
        for i, part in enumerate(self.parts):
            start = self.starts[i]
            wanted_numbers = numbers_shown(part, self.numbers, start)
            assumption = (start, wanted_numbers, part.body, self.strings_for.get(i))
            if i in self.laid and self.assumed[i] == assumption:
                continue
            self._explain_again(i, assumption)
            self.assumed[i] = assumption
            todo.append(self.job_for(i, start, wanted_numbers))
        self._hold_guessed(todo)
        return todo, self._defer_tail(todo)

    def _explain_again(self, i: int, assumption: tuple) -> None:
        was = self.assumed.get(i)
        if i in self.laid and was is not None and os.environ.get("BOOKMAKER_DEBUG"):
            start, numbers, body, _ = assumption
            moved = sorted((k, was[1].get(k), v) for k, v in numbers.items() if was[1].get(k) != v)[:5]
            debug(f"part {i} again: start {was[0]}->{start}, numbers {moved}, "
                  f"body {'same' if was[2] == body else 'changed'}")

    def _hold_guessed(self, todo: list[Job]) -> None:
        """A part laid out before whose numbers are still guesses (the front matter's contents, while the
        notes and index of a first build are laid out for the first time) waits for them."""
        guessed = [j for j in todo if j.index in self.laid and not self.laid[j.index].abandoned
                   and self.parts[j.index].pagerefs & self.predicted]
        if len(guessed) < len(todo):
            for j in guessed:
                todo.remove(j)
                self.assumed[j.index] = None

    def _defer_tail(self, todo: list[Job]) -> int:
        """The last parts that show numbers not known yet (the index, and the notes' "p. N" when they are
        not laid out beside the chapters: early) wait for the next wave, when the
        parts before them are laid out: laid out once, with their numbers."""
        parts, deferred = self.parts, 0
        if any(parts[j.index].kind == "chapter" for j in todo):
            tail, waiting = len(parts), {j.index for j in todo}
            while tail - 1 in waiting and parts[tail - 1].kind in ("notes", "index"):
                tail -= 1
            if any(parts[k].pagerefs - set(self.numbers) for k in range(tail, len(parts))):
                for job in [j for j in todo if j.index >= tail and not self.early(j.index)]:
                    todo.remove(job)
                    self.assumed[job.index] = None
                    deferred += 1
        return deferred

    def early(self, index: int) -> bool:
        """Whether part `index` is laid out beside the chapters whose pages it shows (parts/desk.py) rather
        than after them: a first build's notes, as a chain (a part before them not laid out yet, so their
        start is a guess), and the index after such notes."""
        part = self.parts[index]
        if part.kind == "index":
            return any(self.early(k) for k in range(index) if self.parts[k].kind == "notes")
        return (self.renumber and self.chainable and part.kind == "notes" and part.notes is None
                and long_tail(part, self.record) and any(k not in self.sizes.content for k in range(index)))

    def job_for(self, i: int, start: int, numbers: dict[str, int], part: Part | None = None) -> Job:
        """Part `i`'s job (`part`: as rendered for other numbers than the build's HTML has: desk.py)."""
        part = part or self.parts[i]
        piece = part.notes
        html = part_html(self.head, self.body_open, part, max(start, 1), i > 0, numbers, self.title, self.rtl,
                         self.strings_for.get(i))
        return Job(i, html, i > 0, start, numbers, self.font_dir, part.name, notes=self.may_cut and part.kind == "notes",
                   probe=piece.probe_cut if piece else None, continued=piece.continued if piece else None)

    def _known_sizes(self) -> Sizes:
        counts = load_page_map(self.settings.key + "#parts")  # part name -> pages, from the last build
        sizes = Sizes(self.rtl, self.settings.duplex)
        for i, p in enumerate(self.parts):
            if p.name in counts:
                sizes.content[i] = counts[p.name]
            if p.name + "\n" in counts:
                sizes.wants[i] = bool(counts[p.name + "\n"])
        return sizes

    def _beside(self, fresh: list[Job]) -> list[Job]:
        """A wave with an early chain of notes (`early`): the index asks for its document once every number
        it shows is known, the chain is moved up among the chapters, and the wave's desk answers them."""
        self.desk = None
        if not any(job.early for job in fresh):
            return fresh
        for job in fresh:
            if job.handshake and not job.early and self.early(job.index):
                job.asks = tuple(sorted(self.parts[job.index].pagerefs))
        fresh = early_order(fresh, self.parts, self.settings.jobs)
        self.desk = Desk(self.parts, self.laid, fresh, self.state["desk"], lambda *asked: rendered_part(self, *asked))
        return fresh
