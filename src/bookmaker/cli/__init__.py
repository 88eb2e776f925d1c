"""The `bookmaker` command: pdf, epub, html and build from one read of the book.

Exit codes: 0 success, 1 the book has errors (each printed as
`file:line: error: ...`), 2 a usage error, 3 a bug in bookmaker (never on
any input: see `cli.report.reporting`), 130 interrupted (Ctrl-C, SIGINT), 143 stopped by SIGTERM
(core/stops.py).
"""

from __future__ import annotations

from pathlib import Path

import click

from bookmaker import __version__
from bookmaker.cli.options import (
    EMBED_FONTS_OPTION,
    JOBS_OPTION,
    OUTPUT_DIR_OPTION,
    PAPER_OPTION,
    PATH_ARG,
    QUIET_VERBOSE,
    formats_option,
    output_option,
    safety_options,
)
from bookmaker.cli.writer_options import NOTE_NUMBERING_OPTION, PRINTER_OPTION, print_options
from bookmaker.core.collector import tune_for_command
from bookmaker.build.request import BuildRequest


def run_build(path: Path, request: BuildRequest, quiet: bool = False, verbose: bool = False) -> None:
    from bookmaker.cli.report import run_build as run  # the build's modules only when a command runs

    run(path, request, quiet, verbose)


def _write_one(path: Path, fmt: str, output: Path | None, force: bool = True, **request) -> None:
    """`bookmaker pdf` (epub, html): one format, to -o or to its place in the output folder.

    Written always to -o; to its place unless `force` is off and nothing it is made from changed since
    it was written there (`pdf`: a layout of seconds skipped, as `build` skips it)."""
    if output is None and not force:
        run_build(path, BuildRequest(formats=(fmt,), **request))
    else:
        run_build(path, BuildRequest(formats=(fmt,), targets={fmt: output}, force=True, **request))


def _overrides(print_overrides: dict | None = None, embed_fonts: bool | None = None) -> dict:
    """The command line's settings over bookmaker.toml's, by the section they override."""
    return {"pdf": print_overrides or {}, "epub": {"embed_fonts": embed_fonts}}


class _LazyGroup(click.Group):
    """Commands defined in their own modules, imported only when they run (or --help lists them):
    `bookmaker epub` need not pay for the HTTP server of `serve`."""

    lazy = {
        "init": "bookmaker.build.scaffold:init_command",
        "theme": "bookmaker.build.scaffold:theme_group",
        "watch": "bookmaker.cli.live:watch_command",
        "serve": "bookmaker.cli.live:serve_command",
        "cover": "bookmaker.cli.cover:cover_command",
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
    from bookmaker.core.stops import stop_on_signals

    ctx.call_on_close(tune_for_command(ctx.invoked_subcommand))
    # SIGTERM and a script's SIGINT stop a build as Ctrl-C does: workers ended, nothing half-written.
    ctx.call_on_close(stop_on_signals())


@main.command()
@PATH_ARG
@output_option("PDF")
@PAPER_OPTION
@print_options
@NOTE_NUMBERING_OPTION
@JOBS_OPTION
@click.option("--force", is_flag=True, help="Lay the PDF out again even when nothing it is made from has changed.")
@safety_options
def pdf(path: Path, output: Path | None, print_overrides: dict, note_numbering: str | None, jobs: int | None,
        force: bool, strict: bool, allow_remote: bool, ignore: tuple[str, ...] = ()) -> None:
    """Write the PDF (to its place in the output folder: only when something it is made from changed)."""
    _write_one(path, "pdf", output, force=force, overrides=_overrides(print_overrides), note_numbering=note_numbering,
               strict=strict, allow_remote=allow_remote, jobs=jobs, ignore=ignore)


@main.command()
@PATH_ARG
@output_option("EPUB")
@NOTE_NUMBERING_OPTION
@EMBED_FONTS_OPTION
@click.option("--kepub", is_flag=True, default=False,
              help="Write a Kobo .kepub.epub instead (sentence spans as kepubify adds them).")
@safety_options
def epub(path: Path, output: Path | None, note_numbering: str | None, embed_fonts: bool | None, kepub: bool,
         strict: bool, allow_remote: bool, ignore: tuple[str, ...] = ()) -> None:
    """Write the EPUB 3."""
    _write_one(path, "kepub" if kepub else "epub", output, overrides=_overrides(embed_fonts=embed_fonts),
               note_numbering=note_numbering, strict=strict, allow_remote=allow_remote, ignore=ignore)


@main.command()
@PATH_ARG
@output_option("HTML")
@PAPER_OPTION
@print_options
@NOTE_NUMBERING_OPTION
@safety_options
def html(path: Path, output: Path | None, print_overrides: dict, note_numbering: str | None, strict: bool,
         allow_remote: bool, ignore: tuple[str, ...] = ()) -> None:
    """Write the single-file HTML that the PDF is rendered from."""
    _write_one(path, "html", output, overrides=_overrides(print_overrides), note_numbering=note_numbering,
               strict=strict, allow_remote=allow_remote, ignore=ignore)


@main.command()
@PATH_ARG
@OUTPUT_DIR_OPTION
@PAPER_OPTION
@print_options
@NOTE_NUMBERING_OPTION
@EMBED_FONTS_OPTION
@formats_option("A format to build (repeatable; default: [output] formats of bookmaker.toml, or {defaults}).")
@click.option("--kepub", is_flag=True, default=False, help="Also write a Kobo .kepub.epub beside the EPUB.")
@click.option("--force", is_flag=True, help="Rebuild even the outputs whose sources have not changed.")
@JOBS_OPTION
@QUIET_VERBOSE
@safety_options
def build(path: Path, output_dir: Path | None, print_overrides: dict, note_numbering: str | None,
          embed_fonts: bool | None, formats: tuple[str, ...], kepub: bool, force: bool, jobs: int | None, quiet: bool,
          verbose: bool, strict: bool, allow_remote: bool, ignore: tuple[str, ...] = ()) -> None:
    """Write the configured formats from one read of the book, skipping those already up to date."""
    if output_dir is not None and str(output_dir) == "-":
        raise click.UsageError("build writes several files, so -o names a folder; to write one format to "
                               "standard output, use `bookmaker pdf -o -` (or epub, html)")
    request = BuildRequest(formats=formats, extra_formats=("kepub",) if kepub else (), output_dir=output_dir,
                           force=force, overrides=_overrides(print_overrides, embed_fonts),
                           note_numbering=note_numbering, strict=strict, allow_remote=allow_remote, jobs=jobs,
                           ignore=ignore)
    run_build(path, request, quiet, verbose)


@main.command()
@PATH_ARG
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one object per problem (file, line, column, severity, code, message, fix), for editors.")
@click.option("--store", is_flag=True, help="List which ebook stores' rules the EPUB meets (built in a temporary "
                                            "folder): cover size, RGB images, EPUB 3, a page list.")
@PRINTER_OPTION
@safety_options
@click.option("--accessibility", is_flag=True,
              help="Also print what the EPUB and the PDF say of their accessibility, as a store's metadata asks.")
def check(path: Path, output_format: str, store: bool, printer: str | None, strict: bool, allow_remote: bool,
          accessibility: bool,
          ignore: tuple[str, ...] = ()) -> None:
    """Run every check on the book and write nothing."""
    from bookmaker.cli.report import run_check

    request = BuildRequest(strict=strict, allow_remote=allow_remote, ignore=ignore)
    if store or printer:  # what only a laid-out PDF or a packed EPUB shows, made in a temporary folder
        from bookmaker.cli.store import run_print_check, run_store_check

        if store:
            run_store_check(path, request)
        run_print_check(path, request, printer)
    run_check(path, request, output_format, accessibility)


