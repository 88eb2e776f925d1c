"""Which parts a wave lays out: those whose assumptions (start, numbers, text, running heads) changed, less
those that must wait for numbers the next wave will know."""

from __future__ import annotations

import os

from bookmaker.writers.pdf.parts.jobs import Job, debug


class Planning:
    """The planning half of a build in parts (run.PartsBuild): it reads the build's parts, what each was laid
    out from (`assumed`) and the numbers known so far."""

    def _plan(self) -> tuple[list[Job], int]:
        """The parts to lay out in this wave (those whose assumptions changed), and how many wait for the next."""
        todo: list[Job] = []
        for i, part in enumerate(self.parts):
            start = self.starts[i]
            # A number not known yet is a guess, corrected by the next wave; target-counter()
            # would lay the part out again and again for numbers that are wrong anyway.
            wanted_numbers = {k: self.numbers.get(k, max(start, 1)) for k in sorted(part.pagerefs)}
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
        """The last parts that show numbers not known yet (the notes' "p. N" on a first build) wait for the
        next wave, when the parts before them are laid out: laid out once, with their numbers."""
        parts, deferred = self.parts, 0
        if any(parts[j.index].kind == "chapter" for j in todo):
            tail, waiting = len(parts), {j.index for j in todo}
            while tail - 1 in waiting and parts[tail - 1].kind in ("notes", "index"):
                tail -= 1
            if any(parts[k].pagerefs - set(self.numbers) for k in range(tail, len(parts))):
                while todo and todo[-1].index >= tail:
                    self.assumed[todo.pop().index] = None
                    deferred += 1
        return deferred
