"""A part's layout job, as the parent hands it to a worker, and what the worker sends back."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bookmaker.core.diagnostics import Diagnostics
from bookmaker.writers.pdf.notes.cuts import NoteCut, NotesLayout


@dataclass
class Job:
    """One layout of one part: its HTML and what was assumed for it."""

    index: int
    html: str
    pad: bool
    start: int  # the number of its pad page (the previous part's last page), 0 for the front part
    numbers: dict[str, int]  # page numbers written in
    font_dir: str
    first_id: str  # the id of its first element, which must not stand on the pad page
    handshake: bool = False  # `start` is a guess: after layout, ask the parent for the real one (renumbered)
    wave: int = 0  # which wave of layout it belongs to, named in its report
    notes: bool = False  # it holds notes: report their page tops (pdf_note_parts.py)
    probe: NoteCut | None = None  # the next part's first note, laid out after its own
    continued: NoteCut | None = None  # it begins inside the notes, at this cut
    chain: tuple | None = None  # the notes whole, laid out in pieces one after another (lay_out_chain)
    # A chain laid out beside the parts it shows the numbers of (parts/desk.py): it asks each piece's numbers,
    # and a piece paginated before its start is known waits for it in a child (worker.renumbered).
    early: bool = False
    base: int | None = None  # a piece of an early chain: the chain's guessed start, which the parent's answer replaces
    asks: tuple[str, ...] | None = None  # its document comes from the parent once these numbers are known (desk.py)


@dataclass
class Laid:
    index: int
    pdf: bytes
    pages: int  # without the pad page
    anchors: dict[str, int]  # owned id -> page index in the part, pad excluded
    bookmarks: list[tuple[int, str, str]]  # (level, label, state) in document order
    fonts: dict[str, dict]  # font name -> {"sha", "gids", "missing", "otf"}
    diagnostics: Diagnostics
    pad_holds_content: bool
    blank_first: bool  # a blank page follows the pad (the part starts on the other side)
    seconds: float = 0.0
    start: int = 0  # the book page its pad stands for, as numbered in `pdf`
    abandoned: bool = False  # laid out but not written: its start was wrong in a way numbers cannot fix
    notes: NotesLayout | None = None  # its notes' page tops and probe (pdf_note_parts.py)
    more: list[tuple[bytes, int, list]] = field(default_factory=list)  # further (PDF, pages, bookmarks): a chain
    chain_failed: bool = False  # its notes were to be laid out in pieces, and a piece did not match the book
    starts: list[str] = field(default_factory=list)  # the first words of each of its pages (print_pages.py)
    resources: dict[str, str] = field(default_factory=dict)  # each file fetched -> its SHA-256 ("" if remote)
    # A chain's pieces, each (the cut it begins at, its own layout): the parts the next build cuts the notes
    # into, cached as such (parts/next_build.py). Taken off before the chain's own entry is cached.
    pieces: list[tuple[NoteCut | None, Laid]] = field(default_factory=list)
    used: dict[str, int] | None = None  # an early chain: the numbers it was given and wrote in (parts/desk.py)
    deferred: bool = False  # paginated, and finished by a child once its start was known (worker.renumbered)


WORKER: dict = {}  # what every part of this build shares, set in each worker by start_worker


def debug(text: str) -> None:
    if os.environ.get("BOOKMAKER_DEBUG"):
        import sys

        print(f"bookmaker: pdf parts: {text}", file=sys.stderr)
