"""Python's cyclic garbage collector in a `bookmaker` command.

A command imports some 300 modules and builds one book's model: objects that
mostly live until the process ends. With the collector's defaults, the sample
article's EPUB made about 80 collections while it ran, and the interpreter's
own collections at exit walked every object again (about 0.012 s of its
0.165 s). So, while a command runs:

- `epub` and `html`, which lay nothing out, collect the youngest objects every
  50,000 allocations instead of every 700 (the 50-chapter EPUB's peak memory
  is the same, and it is 9% faster). The PDF's layout keeps the defaults: its
  memory is a target of its own, and WeasyPrint makes many short-lived cycles;
- at the process's exit, everything left is frozen (`gc.freeze`), so the
  interpreter's last collections skip it: the outputs are written and closed
  by then, and the memory goes back to the system with the process.

The thresholds are put back when the command ends, so a process that runs
commands one after another (the tests) keeps the defaults between them.
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Callable

_FEWER_PASSES = ("epub", "html")
_freeze_at_exit = False


def tune_for_command(command: str | None) -> Callable[[], None]:
    """Set the collector for the command about to run (`epub`, `pdf`...; None when none is named);
    return what puts the thresholds back."""
    global _freeze_at_exit
    if not _freeze_at_exit:
        atexit.register(gc.freeze)
        _freeze_at_exit = True
    before = gc.get_threshold()
    if command not in _FEWER_PASSES:
        return lambda: None
    gc.set_threshold(50_000, *before[1:])

    def restore() -> None:
        # Back to every 700 allocations, the next one would walk all the young objects the command
        # left (a few milliseconds as the process ends): they join the oldest generation first.
        gc.freeze()
        gc.unfreeze()
        gc.set_threshold(*before)

    return restore
