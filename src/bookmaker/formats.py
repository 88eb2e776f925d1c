"""The output formats: one table, as pandoc's `writers`, from which the command line, bookmaker.toml's
`[output] formats`, `build`, `watch` and `serve` all learn which formats there are.

Adding a format is a module with a writer of the one signature below and an entry here. The writer is
imported only when its format is written, so that `bookmaker epub` never imports WeasyPrint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bookmaker.core.diagnostics import Diagnostics
    from bookmaker.model import Book


@dataclass
class WriteContext:
    """What a writer gets besides the book and its target."""

    diagnostics: Diagnostics
    options: Any = None  # the format's options (its `options` section of bookmaker.toml), None for the defaults
    jobs: int = 1  # processes laying out the PDF's parts
    progress: Callable[[int, int], None] | None = None  # parts laid out so far, of how many
    # The HTML rendered for a folder: the PDF written into the same folder reuses it instead of rendering again.
    rendered: dict[Path, str] = field(default_factory=dict)
    info: Callable[[str], None] | None = None  # a line for the author, not a problem (the EPUB's page list)
    # A print file's checks against its service's rules (build/preflight.py): (file, options, book, diagnostics).
    preflight: Callable[..., None] | None = None


# Every writer: write(book, target, context) -> None; raises BookError (with the diagnostics) when it cannot.
Writer = Callable[["Book", Path, WriteContext], None]


@dataclass(frozen=True)
class Format:
    name: str
    extension: str  # of the file written: <name>.<extension>
    stage: str  # the status line while it is written
    noun: str  # "the PDF was not written"
    writer: str  # "module:function", imported when the format is written
    # the bookmaker.toml section its writer takes as its options (settings.py), with the command line's overrides
    options: str | None = None
    default: bool = True  # built when bookmaker.toml names no formats
    slow: bool = False  # takes a core for seconds (the PDF's layout): the `background` formats are written meanwhile
    background: bool = False  # written in a forked process while a slow format is written
    reuses: str | None = None  # a format written before this one, whose output it reuses
    # written after this format when both are: it uses what that one leaves (the EPUB, the PDF's page numbers)
    follows: str | None = None

    def write_function(self) -> Writer:
        import importlib

        module, _, function = self.writer.partition(":")
        return getattr(importlib.import_module(module), function)


# In the order the command line and bookmaker.toml's messages list them.
FORMATS: dict[str, Format] = {fmt.name: fmt for fmt in (
    Format("pdf", "pdf", "laying out the PDF", "PDF", "bookmaker.writers.registered:write_pdf", options="pdf",
           slow=True, reuses="html"),
    Format("epub", "epub", "writing the EPUB", "EPUB", "bookmaker.writers.registered:write_epub", options="epub",
           background=True, follows="pdf"),
    Format("html", "html", "writing HTML", "HTML", "bookmaker.writers.registered:write_html", options="pdf"),
    Format("kepub", "kepub.epub", "writing the Kobo EPUB", "EPUB", "bookmaker.writers.registered:write_kepub",
           options="epub", default=False, background=True, follows="pdf"),
)}

DEFAULT_FORMATS = tuple(name for name, fmt in FORMATS.items() if fmt.default)

def build_order(formats: set[str] | list[str]) -> list[str]:
    """The formats in the order they are written: those whose output another may reuse first (the HTML), then
    as listed above."""
    reused = {fmt.reuses for fmt in FORMATS.values()}
    return sorted(set(formats), key=lambda name: (name not in reused, list(FORMATS).index(name)))
