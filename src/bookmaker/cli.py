"""The `bookmaker` command: pdf, epub, html and build from one read of the book.

Exit codes: 0 success, 1 the book has errors (each printed as
`file:line: error: ...`), 2 a usage error, 3 a bug in bookmaker (never on
any input: see `pipeline.reporting`), 130 interrupted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from bookmaker import __version__
from bookmaker.collector import tune_for_command
from bookmaker.print_cli import NOTE_NUMBERING_OPTION, parse_paper, print_options

PATH_ARG = click.argument("path", type=click.Path(path_type=Path), default=Path("."), required=False)


def _output_option(what: str) -> Callable:
    return click.option(
        "-o", "--output", type=click.Path(path_type=Path), default=None,
        help=f"Where to write the {what}: a file, a folder (for the default name), or - for standard output "
             "(default: build/<slug>.<ext> in the book folder).",
    )


def QUIET_VERBOSE(command: Callable) -> Callable:
    command = click.option("-v", "--verbose", is_flag=True, help="Also print the time of each stage.")(command)
    return click.option("-q", "--quiet", is_flag=True, help="Print errors only.")(command)


def _safety_options(command: Callable) -> Callable:
    command = click.option("--strict", is_flag=True, help="Treat warnings as errors.")(command)
    return click.option(
        "--allow-remote", is_flag=True,
        help="Fetch http(s) images and fonts the book names (with a timeout and a size cap); off by default.",
    )(command)


PAPER_OPTION = click.option(
    "--paper", callback=parse_paper, default=None, metavar="SIZE",
    help="Paper size: A4 (default), A5, Letter, Legal, or WxH such as 6x9in or 170x240mm.",
)


JOBS_OPTION = click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
    help="Lay the PDF's parts (front matter, chapters, notes) out in N processes and merge them, reusing "
         "unchanged parts from the user cache. Default 1: the book as one document (faster on a whole build "
         "today); `watch` uses one per core.",
)


EMBED_FONTS_OPTION = click.option(
    "--embed-fonts/--no-embed-fonts", default=None,
    help="EPUB: embed subsets of the theme's fonts for scripts a reader may lack, such as Arabic (default), or none.",
)


def run_build(*args, **kwargs) -> None:
    from bookmaker.pipeline import run_build as run

    run(*args, **kwargs)


def run_check(*args, **kwargs) -> None:
    from bookmaker.pipeline import run_check as run

    run(*args, **kwargs)


def _epub_overrides(embed_fonts: bool | None) -> dict:
    return {"embed_fonts": embed_fonts}


class _LazyGroup(click.Group):
    """Commands defined in their own modules, imported only when they run (or --help lists them):
    `bookmaker epub` need not pay for the HTTP server of `serve`."""

    lazy = {
        "init": "bookmaker.scaffold:init_command",
        "theme": "bookmaker.scaffold:theme_group",
        "watch": "bookmaker.watch:watch_command",
        "serve": "bookmaker.serve:serve_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, _, attribute = self.lazy[name].partition(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bookmaker")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Make a print-ready PDF and an EPUB 3 from one Markdown manuscript.

    PATH is a book folder (with manuscript/*.md) or a single Markdown file;
    it defaults to the current folder.
    """
    ctx.call_on_close(tune_for_command(ctx.invoked_subcommand))


@main.command()
@PATH_ARG
@_output_option("PDF")
@PAPER_OPTION
@print_options
@NOTE_NUMBERING_OPTION
@JOBS_OPTION
@_safety_options
def pdf(path: Path, output: Path | None, print_overrides: dict, note_numbering: str | None, jobs: int | None,
        strict: bool, allow_remote: bool) -> None:
    """Write the PDF."""
    run_build(path, ["pdf"], None, True, False, False, print_overrides=print_overrides, targets={"pdf": output},
              note_numbering=note_numbering, strict=strict, allow_remote=allow_remote, jobs=jobs)


@main.command()
@PATH_ARG
@_output_option("EPUB")
@NOTE_NUMBERING_OPTION
@EMBED_FONTS_OPTION
@click.option("--kepub", is_flag=True, default=False,
              help="Write a Kobo .kepub.epub instead (sentence spans as kepubify adds them).")
@_safety_options
def epub(path: Path, output: Path | None, note_numbering: str | None, embed_fonts: bool | None, kepub: bool,
         strict: bool, allow_remote: bool) -> None:
    """Write the EPUB 3."""
    fmt = "kepub" if kepub else "epub"
    run_build(path, [fmt], None, True, False, False, targets={fmt: output}, epub_overrides=_epub_overrides(embed_fonts),
              note_numbering=note_numbering, strict=strict, allow_remote=allow_remote)


@main.command()
@PATH_ARG
@_output_option("HTML")
@PAPER_OPTION
@print_options
@NOTE_NUMBERING_OPTION
@_safety_options
def html(path: Path, output: Path | None, print_overrides: dict, note_numbering: str | None, strict: bool,
         allow_remote: bool) -> None:
    """Write the single-file HTML that the PDF is rendered from."""
    run_build(path, ["html"], None, True, False, False, print_overrides=print_overrides, targets={"html": output},
              note_numbering=note_numbering, strict=strict, allow_remote=allow_remote)


@main.command()
@PATH_ARG
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=None,
              help="Folder for the outputs (default: [output] dir of bookmaker.toml, or build/).")
@PAPER_OPTION
@print_options
@NOTE_NUMBERING_OPTION
@EMBED_FONTS_OPTION
@click.option("-f", "--format", "formats", type=click.Choice(["pdf", "epub", "html", "kepub"]), multiple=True,
              help="A format to build (repeatable; default: [output] formats of bookmaker.toml, or pdf, epub, html).")
@click.option("--kepub", is_flag=True, default=False, help="Also write a Kobo .kepub.epub beside the EPUB.")
@click.option("--force", is_flag=True, help="Rebuild even the outputs whose sources have not changed.")
@JOBS_OPTION
@QUIET_VERBOSE
@_safety_options
def build(path: Path, output_dir: Path | None, print_overrides: dict, note_numbering: str | None,
          embed_fonts: bool | None, formats: tuple[str, ...], kepub: bool, force: bool, jobs: int | None, quiet: bool,
          verbose: bool, strict: bool, allow_remote: bool) -> None:
    """Write the configured formats from one read of the book, skipping those already up to date."""
    if output_dir is not None and str(output_dir) == "-":
        raise click.UsageError("build writes several files, so -o names a folder; to write one format to "
                               "standard output, use `bookmaker pdf -o -` (or epub, html)")
    run_build(path, list(formats), output_dir, force, quiet, verbose, print_overrides=print_overrides,
              epub_overrides=_epub_overrides(embed_fonts), note_numbering=note_numbering, strict=strict,
              allow_remote=allow_remote, extra_formats=("kepub",) if kepub else (), jobs=jobs)


@main.command()
@PATH_ARG
@_safety_options
def check(path: Path, strict: bool, allow_remote: bool) -> None:
    """Run every check on the book and write nothing."""
    run_check(path, strict, allow_remote)


