"""The built-in formats' writers behind the one signature of the format table (formats.py):
`write(book, target, context)`. Each imports its writer module only when called."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bookmaker.formats import WriteContext
from bookmaker.model import Book


def write_html(book: Book, target: Path, context: WriteContext) -> None:
    from bookmaker.writers.html import write_html as write

    context.rendered[target.parent] = write(book, target, context.options)


def write_pdf(book: Book, target: Path, context: WriteContext) -> None:
    from bookmaker.writers.font_coverage import check_fonts
    from bookmaker.writers.pdf.writer import write_pdf as write

    # The faces of the book's characters (one warning per character no face has, in place of
    # WeasyPrint's one per occurrence). The EPUB's reader sets what its embedded faces lack itself.
    check_fonts(book, context.diagnostics)
    write(book, target, context.diagnostics, context.options, html=context.rendered.get(target.parent),
          jobs=context.jobs, progress=context.progress, preflight=context.preflight)


def write_epub(book: Book, target: Path, context: WriteContext) -> None:
    from bookmaker.writers.epub.writer import EpubOptions, write_epub as write

    write(book, target, context.diagnostics, context.options or EpubOptions(), info=context.info)


def write_kepub(book: Book, target: Path, context: WriteContext) -> None:
    from bookmaker.writers.epub.writer import EpubOptions

    write_epub(book, target, dataclasses.replace(context, options=dataclasses.replace(
        context.options or EpubOptions(), kepub=True)))
