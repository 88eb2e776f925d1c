"""What bookmaker meets but does not do, said once per kind for the whole book: at its first line,
with how many times it occurs, so a book of 700 executable cells gets one warning and not 700."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bookmaker.core.diagnostics import Diagnostics


@dataclass
class Seen:
    path: Path
    line: int | None
    message: str  # what it is and what to do; the count is added
    code: str
    count: int = 1


def tally(seen: dict[str, Seen], kind: str, path: Path, line: int | None, message: str, code: str) -> None:
    """One more of `kind`; the first one's place and message are the warning's."""
    if kind in seen:
        seen[kind].count += 1
    else:
        seen[kind] = Seen(path, line, message, code)


def report(seen: dict[str, Seen], diagnostics: Diagnostics) -> None:
    for item in seen.values():
        times = f" (here and {item.count - 1} more time{'s' if item.count > 2 else ''} in the book)" if item.count > 1 else ""
        what, _, todo = item.message.partition(": ")
        diagnostics.warning(item.path, item.line, f"{what}{times}: {todo}" if todo else what + times, code=item.code)
    seen.clear()
