"""Blocks written for another tool, each kind said once for the book (tally.py): a Quarto or R Markdown
cell (```` ```{python} ````) is shown as its code, never run; pandoc's raw blocks (```` ```{=latex} ````)
are handled as pandoc handles them in HTML and EPUB: `{=html}` is the book's raw HTML (through the same
sanitizer as any), any other format's block is left out."""

from __future__ import annotations

import re

from markdown_it.token import Token

from bookmaker.render.highlight import parse_info
from bookmaker.read.state import ChapterContext
from bookmaker.core.tally import tally


_RAW_FORMAT = re.compile(r"^\{=([A-Za-z0-9_-]+)\}$")
HTML_FORMATS = ("html", "html5", "html4", "epub", "epub3")


def note_foreign_blocks(ctx: ChapterContext, tokens: list[Token]) -> None:
    for token in tokens:
        if token.type != "fence":
            continue
        if raw := _RAW_FORMAT.match(token.info.strip()):
            _raw_block(ctx, token, raw.group(1).lower())
            continue
        options = parse_info(token.info)
        if options.executable:
            line = token.map[0] + 1 if token.map else None
            tally(ctx.book.seen, "executable-cell", ctx.path, line,
                  f"a cell to run (```{{{options.lang}}}) is shown as code and not run, and its output is not "
                  "in the book (a book folder runs no code): paste the output you want shown after it",
                  "executable-cell")


def _raw_block(ctx: ChapterContext, token: Token, fmt: str) -> None:
    """A raw block for pandoc's HTML or EPUB output is raw HTML here; one for another output (LaTeX,
    OpenXML, ...) is left out, as pandoc leaves it out of HTML and EPUB, said once for each format."""
    if fmt in HTML_FORMATS:
        token.type, token.tag, token.info = "html_block", "", ""
        return
    line = token.map[0] + 1 if token.map else None
    tally(ctx.book.seen, f"pandoc-raw-block {fmt}", ctx.path, line,
          f"a raw {{={fmt}}} block is for pandoc's {fmt} output and is left out, as pandoc leaves it out of "
          "an EPUB: write Markdown, or raw HTML", "pandoc-raw-block")
    token.type, token.tag, token.info, token.content = "html_block", "", "", ""
