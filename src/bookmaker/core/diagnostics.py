"""Problems found in a book, reported as `file:line: severity: message` values.

`Diagnostic` is the one form of a problem. Every stage appends to one
`Diagnostics` collection instead of raising, so a single run reports every
problem at once. A check that does not know the file and line (the raw-HTML
sanitizer, the resource policy) makes an unplaced Diagnostic that its caller
places with `at`. Only `BookError`, a carrier of Diagnostics, stops a build,
and the CLI turns it into printed diagnostics and exit code 1, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from bookmaker.core.text import printable


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int | None
    column: int | None
    severity: Severity
    message: str
    code: str = ""  # its stable short name (core/codes.py), which `--ignore` and editors use

    @classmethod
    def error(cls, message: str, code: str = "") -> Diagnostic:
        """An error not yet placed in a file: the caller knows where it is."""
        return cls("", None, None, Severity.ERROR, message, code)

    @classmethod
    def warning(cls, message: str, code: str = "") -> Diagnostic:
        """A warning not yet placed in a file: the caller knows where it is."""
        return cls("", None, None, Severity.WARNING, message, code)

    def at(self, path: Path | str, line: int | None = None, column: int | None = None) -> Diagnostic:
        """This problem placed in `path` at `line` (and `column`)."""
        return replace(self, path=str(path), line=line, column=column)

    def format(self, relative_to: Path | None = None) -> str:
        path = self.path
        if relative_to is not None and os.path.isabs(path):
            try:
                relative = os.path.relpath(path, relative_to)
            except ValueError:  # another drive on Windows
                relative = path
            if not relative.startswith(".."):
                path = relative
        location = path
        if self.line is not None:
            location += f":{self.line}"
            if self.column is not None:
                location += f":{self.column}"
        # A file name or a quoted piece of the book may hold control characters: shown escaped, never obeyed.
        code = f" [{self.code}]" if self.code else ""  # the name --ignore and [diagnostics] ignore take
        return printable(f"{location}: {self.severity.value}: {self.message}{code}")

    def as_json(self, relative_to: Path | None = None) -> dict:
        """For editors (`check --format json`): the message split where it says what to do."""
        path = replace(self, code="").format(relative_to).split(":", 1)[0] if self.path else ""
        problem, fix = split_fix(self.message)
        return {"file": path, "line": self.line, "column": self.column, "severity": self.severity.value,
                "code": self.code, "message": problem, "fix": fix}


class Diagnostics:
    """An ordered collection of problems found while building one book."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []

    def error(self, path: Path | str, line: int | None, message: str, column: int | None = None,
              code: str = "") -> None:
        self.add(Diagnostic(str(path), line, column, Severity.ERROR, message, code))

    def warning(self, path: Path | str, line: int | None, message: str, column: int | None = None,
                code: str = "") -> None:
        self.add(Diagnostic(str(path), line, column, Severity.WARNING, message, code))

    def without(self, ignored: frozenset[str] | set[str]) -> Diagnostics:
        """These problems less the warnings whose code the author silenced (an error is never silenced)."""
        kept = Diagnostics()
        kept._items = [d for d in self._items if d.severity is Severity.ERROR or not d.code or d.code not in ignored]
        return kept

    def add(self, diagnostic: Diagnostic) -> None:
        self._items.append(diagnostic)

    def relocate(self, path: Path | str, line_of: Callable[[int], int], start: int = 0) -> None:
        """The lines of the problems in `path` found from the `start`-th on, mapped through `line_of`
        (a chapter read with included text: its lines as the author wrote them)."""
        for index in range(start, len(self._items)):
            item = self._items[index]
            if item.path == str(path) and item.line is not None:
                self._items[index] = replace(item, line=line_of(item.line))

    def extend(self, other: Diagnostics) -> None:
        self._items.extend(other._items)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self._items)

    def sorted(self) -> list[Diagnostic]:
        # Sort by file and line so the author can work down the list; problems
        # without a line (whole-file ones) come first in their file.
        return sorted(self._items, key=lambda d: (d.path, d.line or 0, d.column or 0))

    def __iter__(self):
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self._items)

    def summary(self) -> str:
        errors = sum(d.severity is Severity.ERROR for d in self._items)
        warnings = len(self._items) - errors
        return f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"


class BookError(Exception):
    """Raised when a book cannot be built; it carries the Diagnostics that say why."""

    def __init__(self, diagnostics: Diagnostics) -> None:
        super().__init__(diagnostics.summary())
        self.diagnostics = diagnostics

    @classmethod
    def of(cls, diagnostic: Diagnostic, diagnostics: Diagnostics | None = None) -> BookError:
        """The build stops on `diagnostic`, added to the problems found so far (`diagnostics`)."""
        diagnostics = diagnostics if diagnostics is not None else Diagnostics()
        diagnostics.add(diagnostic)
        return cls(diagnostics)


def split_fix(message: str) -> tuple[str, str]:
    """A message 'what is wrong: what to do' as its two halves; the colon is the first outside quotes."""
    quote = None
    for i, char in enumerate(message):
        if char in "'\"`" and (quote is None or quote == char):
            quote = None if quote else char
        elif char == ":" and quote is None and message[i + 1 : i + 2] == " ":
            return message[:i], message[i + 2 :]
    return message, ""


def did_you_mean(name: str, known: Sequence[str], listed: str = "known") -> str:
    """The hint after an unknown key or name: the closest known one, or all of them."""
    import difflib  # only a book with a mistake pays for it

    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean '{close[0]}'?" if close else f"{listed}: {', '.join(known)}"
