"""The command-line options that shape the PDF, gathered into one PrintOptions value."""

from __future__ import annotations

import functools
from collections.abc import Callable

import click

from bookmaker.paper import css_length


def _bleed(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return css_length(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def print_options(command: Callable) -> Callable:
    """Add --bleed, --marks, --pdf-variant, --duplex and --notes; pass them on as `options` (with --paper)."""
    from bookmaker.writers.html import PDF_VARIANTS, PrintOptions

    @functools.wraps(command)
    def wrapper(*args, bleed, marks, pdf_variant, duplex, notes, paper, **kwargs):
        options = PrintOptions(
            paper=paper, bleed=bleed, marks=marks, pdf_variant=pdf_variant, duplex=duplex, notes=notes
        )
        return command(*args, options=options, **kwargs)

    for option in reversed([
        click.option("--bleed", callback=_bleed, default=None, metavar="LENGTH",
                     help="Bleed around each page for printing to the edge, such as 3mm or 0.125in."),
        click.option("--marks", type=click.Choice(["crop", "cross", "crop cross"]), default=None,
                     help="Printer's marks in the bleed: crop marks, registration crosses, or both."),
        click.option("--pdf-variant", type=click.Choice(PDF_VARIANTS), default=None,
                     help="Make a PDF/A-3b (archiving), PDF/UA-1 (accessible, tagged) or PDF/X-4 (print) file."),
        click.option("--duplex/--simplex", default=False,
                     help="Printed on both sides: mirrored margins, page numbers outside, chapters on right-hand pages."),
        click.option("--notes", type=click.Choice(["book", "chapter"]), default="book",
                     help="Endnotes in one Notes section at the end (book, default) or after each chapter."),
    ]):
        wrapper = option(wrapper)
    return wrapper


NOTE_NUMBERING_OPTION = click.option(
    "--note-numbering", type=click.Choice(["continuous", "chapter"]), default="continuous",
    help="Number notes through the book (continuous, default) or start again at 1 in each chapter.",
)
