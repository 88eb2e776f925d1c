"""The `bookmaker` command: pdf, epub, html and build from one read of the book.

Exit codes: 0 success, 1 the book has errors (each printed as
`file:line: error: ...`), 2 a usage error.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import click

from bookmaker import __version__
from bookmaker.diagnostics import BookError, Diagnostics
from bookmaker.print_cli import NOTE_NUMBERING_OPTION, print_options

PATH_ARG = click.argument("path", type=click.Path(path_type=Path), default=Path("."), required=False)


def _output_option(what: str) -> Callable:
    return click.option(
        "-o", "--output", type=click.Path(path_type=Path), default=None,
        help=f"Where to write the {what} (default: build/<slug>.<ext> in the book folder).",
    )


def _paper(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from bookmaker.paper import css_page_size

    if value is None:
        return None
    try:
        return css_page_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _safety_options(command: Callable) -> Callable:
    command = click.option("--strict", is_flag=True, help="Treat warnings as errors.")(command)
    return click.option(
        "--allow-remote", is_flag=True,
        help="Fetch http(s) images and fonts the book names (with a timeout and a size cap); off by default.",
    )(command)


PAPER_OPTION = click.option(
    "--paper", callback=_paper, default=None, metavar="SIZE",
    help="Paper size: A4 (default), A5, Letter, Legal, or WxH such as 6x9in or 170x240mm.",
)


EMBED_FONTS_OPTION = click.option(
    "--embed-fonts/--no-embed-fonts", default=True,
    help="EPUB: embed subsets of the theme's fonts for scripts a reader may lack, such as Arabic (default), or none.",
)


KEPUB_OPTION = click.option(
    "--kepub", is_flag=True, default=False,
    help="Also write a Kobo .kepub.epub (sentence spans as kepubify adds them); with `epub`, write only that.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bookmaker")
def main() -> None:
    """Make a print-ready PDF and an EPUB 3 from one Markdown manuscript.

    PATH is a book folder (with manuscript/*.md) or a single Markdown file;
    it defaults to the current folder.
    """


@main.command()
@PATH_ARG
@_output_option("PDF")
@PAPER_OPTION
@print_options
@NOTE_NUMBERING_OPTION
@_safety_options
def pdf(path: Path, output: Path | None, options, note_numbering: str, strict: bool, allow_remote: bool) -> None:
    """Write the PDF."""
    _run(path, lambda book, diagnostics: [_pdf(book, diagnostics, output, options)], note_numbering, strict, allow_remote)


@main.command()
@PATH_ARG
@_output_option("EPUB")
@NOTE_NUMBERING_OPTION
@EMBED_FONTS_OPTION
@KEPUB_OPTION
@_safety_options
def epub(path: Path, output: Path | None, note_numbering: str, embed_fonts: bool, kepub: bool, strict: bool,
         allow_remote: bool) -> None:
    """Write the EPUB 3."""
    _run(path, lambda book, diagnostics: [_epub(book, diagnostics, output, embed_fonts, kepub)], note_numbering,
         strict, allow_remote)


@main.command()
@PATH_ARG
@_output_option("HTML")
@PAPER_OPTION
@print_options
@NOTE_NUMBERING_OPTION
@_safety_options
def html(path: Path, output: Path | None, options, note_numbering: str, strict: bool, allow_remote: bool) -> None:
    """Write the single-file HTML that the PDF is rendered from."""
    _run(path, lambda book, diagnostics: [_html(book, output, options)[0]], note_numbering, strict, allow_remote)


@main.command()
@PATH_ARG
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=None,
              help="Folder for the outputs (default: build/ in the book folder).")
@PAPER_OPTION
@print_options
@NOTE_NUMBERING_OPTION
@EMBED_FONTS_OPTION
@KEPUB_OPTION
@_safety_options
def build(path: Path, output_dir: Path | None, options, note_numbering: str, embed_fonts: bool, kepub: bool,
          strict: bool, allow_remote: bool) -> None:
    """Write the HTML, the PDF and the EPUB from one read of the book."""

    def all_formats(book, diagnostics):
        def target(ext: str) -> Path | None:
            return output_dir / f"{book.slug}.{ext}" if output_dir else None

        html_path, html_text = _html(book, target("html"), options)
        # The HTML and the PDF share a folder, so the PDF reuses the rendered HTML as is.
        pdf_path = _pdf(book, diagnostics, target("pdf"), options, html=html_text)
        written = [html_path, pdf_path, _epub(book, diagnostics, target("epub"), embed_fonts)]
        if kepub:
            written.append(_epub(book, diagnostics, target("kepub.epub"), embed_fonts, kepub=True))
        return written

    _run(path, all_formats, note_numbering, strict, allow_remote)


@main.command()
@PATH_ARG
@_safety_options
def check(path: Path, strict: bool, allow_remote: bool) -> None:
    """Run every check on the book and write nothing."""
    _run(path, lambda book, diagnostics: [], strict=strict, allow_remote=allow_remote)


# -- the formats ---------------------------------------------------------------


def _target(book, output: Path | None, ext: str) -> Path:
    from bookmaker.output import default_output

    return (output if output is not None else default_output(book.root, book.slug, ext)).absolute()


def _html(book, output: Path | None, options) -> tuple[Path, str]:
    from bookmaker.writers.html import write_html

    target = _target(book, output, "html")
    return target, write_html(book, target, options)


def _pdf(book, diagnostics: Diagnostics, output: Path | None, options, html: str | None = None) -> Path:
    from bookmaker.writers.pdf import write_pdf

    target = _target(book, output, "pdf")
    write_pdf(book, target, diagnostics, options, html=html)
    return target


def _epub(book, diagnostics: Diagnostics, output: Path | None, embed_fonts: bool = True, kepub: bool = False) -> Path:
    from bookmaker.writers.epub import EpubOptions, write_epub

    target = _target(book, output, "kepub.epub" if kepub else "epub")
    write_epub(book, target, diagnostics, EpubOptions(embed_fonts=embed_fonts, kepub=kepub))
    return target


# -- running a command -----------------------------------------------------------


def _run(path: Path, make: Callable, note_numbering: str = "continuous", strict: bool = False,
         allow_remote: bool = False) -> None:
    from bookmaker.reader import read_book

    cwd = Path.cwd()
    try:
        book, diagnostics = read_book(path, note_numbering=note_numbering, diagnostics=Diagnostics(strict=strict),
                                      allow_remote=allow_remote)
        written = make(book, diagnostics)
        if diagnostics.has_errors:
            raise BookError(diagnostics)
    except BookError as exc:
        _report(exc.diagnostics, cwd)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("bookmaker: interrupted; no output was left half-written", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug in bookmaker, reported as one line with a way forward
        if os.environ.get("BOOKMAKER_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"bookmaker: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in bookmaker. Run again with BOOKMAKER_DEBUG=1 for details and report it.",
            err=True,
        )
        sys.exit(3)
    _report(diagnostics, cwd)
    for target in written:
        click.echo(_shown(target, cwd))


def _report(diagnostics: Diagnostics, cwd: Path) -> None:
    if not len(diagnostics):
        return
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(relative_to=cwd), err=True)
    click.echo(f"bookmaker: {diagnostics.summary()}", err=True)


def _shown(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)
