"""One diagnostic with its stable code (core/codes.py), for the print and store checks."""

from __future__ import annotations

from pathlib import Path

from bookmaker.core.diagnostics import Diagnostics


def say(diagnostics: Diagnostics, severity: str, path: Path | str, line: int | None, message: str, code: str) -> None:
    """A diagnostic with its stable code (core/codes.py)."""
    add = diagnostics.error if severity == "error" else diagnostics.warning
    try:
        add(path, line, message, code=code)
    except TypeError:  # TODO(h21): core/diagnostics.py before stable codes; gone after the merge of main
        add(path, line, message)
