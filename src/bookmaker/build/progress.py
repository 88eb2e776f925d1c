"""What a build tells its author while it runs.

On a terminal, one status line (stage and chapter) redrawn in place on stderr;
elsewhere no animation, only whole lines. `-q` keeps only errors; `-v` adds the
time of each stage.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click


class Reporter:
    def __init__(self, quiet: bool = False, verbose: bool = False, stream: TextIO | None = None,
                 live: bool | None = None) -> None:
        self.quiet = quiet
        self.verbose = verbose and not quiet
        self.stream = stream or sys.stderr
        self.live = (not quiet) and (self.stream.isatty() if live is None else live)
        self._status = ""

    def status(self, text: str) -> None:
        """Redraw the terminal's status line (nothing when not on a terminal)."""
        if not self.live:
            return
        width = 79
        line = text if len(text) <= width else text[: width - 1] + "…"
        click.echo("\r" + line.ljust(len(self._status)), file=self.stream, nl=False)
        self._status = line

    def clear(self) -> None:
        if self.live and self._status:
            click.echo("\r" + " " * len(self._status) + "\r", file=self.stream, nl=False)
            self._status = ""

    def chapter(self, path: Path, index: int, total: int) -> None:
        self.status(f"reading chapter {index + 1}/{total}: {path.name}")

    def parts(self, done: int, total: int) -> None:
        self.status(f"laying out: {done}/{total} parts")

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.status(f"{name}…")
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            if self.verbose:
                self.clear()
                click.echo(f"{name}: {elapsed:.2f} s", file=self.stream)

    def info(self, text: str) -> None:
        """A line for the author (not under -q)."""
        if not self.quiet:
            self.clear()
            click.echo(text, file=self.stream)
