"""The command-line options that shape the PDF and the EPUB, gathered as overrides of bookmaker.toml.

An option not given is None, so the book's [pdf] or [epub] setting (or the
default) applies; see config.with_overrides.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import click

from bookmaker.config.paper import css_length, css_page_size


def parsed(parse: Callable[[str], str]) -> Callable:
    """A click callback that turns the option's text into its CSS value, or a usage error (exit 2)."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


parse_bleed = parsed(css_length)
parse_paper = parsed(css_page_size)


PRINTER_OPTION = click.option(
    "--printer", type=click.Choice(["kdp", "ingramspark", "lulu"]), default=None,
    help="Follow a print-on-demand service's rules: its trim sizes, bleed, margins, page counts and PDF/X; "
         "the PDF is checked against them.")


def print_options(command: Callable) -> Callable:
    """Add --bleed, --marks, --pdf-variant, --duplex, --notes and --layout; pass them on as `print_overrides` (with --paper)."""
    from bookmaker.config.settings import INKS, LAYOUTS, MARKS, NOTE_PLACEMENTS, PDF_VARIANTS

    @functools.wraps(command)
    def wrapper(*args, bleed, marks, pdf_variant, duplex, notes, layout, paper, printer, ink, **kwargs):
        overrides = {"paper": paper, "bleed": bleed, "marks": marks, "pdf_variant": pdf_variant, "duplex": duplex,
                     "notes": notes, "layout": layout, "printer": printer, "ink": ink}
        return command(*args, print_overrides=overrides, **kwargs)

    for option in reversed([
        click.option("--bleed", callback=parse_bleed, default=None, metavar="LENGTH",
                     help="Bleed around each page for printing to the edge, such as 3mm or 0.125in."),
        click.option("--marks", type=click.Choice(MARKS), default=None,
                     help="Printer's marks in the bleed: crop marks, registration crosses, or both."),
        click.option("--pdf-variant", type=click.Choice(PDF_VARIANTS), default=None,
                     help="Make a PDF/A-3b (archiving), PDF/UA-1 (accessible, tagged), or a PDF/X-1a or PDF/X-4 "
                          "(print: CMYK, with an output intent) file."),
        PRINTER_OPTION,
        click.option("--ink", type=click.Choice(INKS), default=None,
                     help="grey: every colour and image in grey, for a black-and-white interior."),
        click.option("--duplex/--simplex", default=None,
                     help="Printed on both sides: mirrored margins, page numbers outside, chapters on right-hand pages."),
        click.option("--notes", type=click.Choice(NOTE_PLACEMENTS), default=None,
                     help="Endnotes in one Notes section at the end (book, default), after each chapter, "
                          "or footnotes at the foot of the page (page)."),
        click.option("--layout", type=click.Choice(LAYOUTS), default=None,
                     help="book: title page, imprint, contents; article: the title above the text on page 1; "
                          "auto (default): article for one chapter without chapter titles."),
    ]):
        wrapper = option(wrapper)
    return wrapper


NOTE_NUMBERING_OPTION = click.option(
    "--note-numbering", type=click.Choice(["continuous", "chapter"]), default=None,
    help="Number notes through the book (continuous, default) or start again at 1 in each chapter.",
)
