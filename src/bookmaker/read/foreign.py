"""Blocks written for another tool that bookmaker shows but does not do, each kind said once for the
book (tally.py): a Quarto or R Markdown cell (```` ```{python} ````) is shown as its code, never run."""

from __future__ import annotations

from markdown_it.token import Token

from bookmaker.render.highlight import parse_info
from bookmaker.read.state import ChapterContext
from bookmaker.core.tally import tally


def note_foreign_blocks(ctx: ChapterContext, tokens: list[Token]) -> None:
    for token in tokens:
        if token.type != "fence":
            continue
        options = parse_info(token.info)
        if options.executable:
            line = token.map[0] + 1 if token.map else None
            tally(ctx.book.seen, "executable-cell", ctx.path, line,
                  f"a cell to run (```{{{options.lang}}}) is shown as code and not run, and its output is not "
                  "in the book (a book folder runs no code): paste the output you want shown after it",
                  "executable-cell")
