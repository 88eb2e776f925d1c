"""The command line's options, each declared once for every command that takes it (build, pdf, epub,
html, check, watch, serve)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from bookmaker.formats import DEFAULT_FORMATS, FORMATS
from bookmaker.cli.writer_options import parse_paper

PATH_ARG = click.argument("path", type=click.Path(path_type=Path), default=Path("."), required=False)


def output_option(what: str) -> Callable:
    return click.option(
        "-o", "--output", type=click.Path(path_type=Path), default=None,
        help=f"Where to write the {what}: a file, a folder (for the default name), or - for standard output "
             "(default: build/<slug>.<ext> in the book folder).",
    )


OUTPUT_DIR_OPTION = click.option(
    "-o", "--output-dir", type=click.Path(path_type=Path), default=None,
    help="Folder for the outputs (default: [output] dir of bookmaker.toml, or build/).",
)

QUIET_OPTION = click.option("-q", "--quiet", is_flag=True, help="Print errors only.")


def QUIET_VERBOSE(command: Callable) -> Callable:
    command = click.option("-v", "--verbose", is_flag=True, help="Also print the time of each stage.")(command)
    return QUIET_OPTION(command)


class FormatChoice(click.Choice):
    """The formats of the format table (formats.py), as they are when the command line is read."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(FORMATS)

    @choices.setter
    def choices(self, value) -> None:
        pass  # always the table's


def formats_option(help: str) -> Callable:
    """-f/--format, repeatable, any format of the table; `help` may name the defaults as {defaults}."""
    return click.option("-f", "--format", "formats", type=FormatChoice(), multiple=True,
                        help=help.format(defaults=", ".join(DEFAULT_FORMATS)))


def _known_codes(ctx: click.Context, param: click.Parameter, codes: tuple[str, ...]) -> tuple[str, ...]:
    from bookmaker.core.codes import CODES
    from bookmaker.core.diagnostics import did_you_mean

    for code in codes:
        if code not in CODES:
            raise click.BadParameter(f"no diagnostic has the code '{code}'; "
                                     f"{did_you_mean(code, sorted(CODES), 'codes are listed in the manual')}")
    return codes


def safety_options(command: Callable) -> Callable:
    command = click.option("--ignore", "ignore", multiple=True, metavar="CODE", callback=_known_codes,
                           help="Silence the warnings of this code (repeatable); an error is never silenced.")(command)
    command = click.option("--strict", is_flag=True, help="Treat warnings as errors.")(command)
    return click.option(
        "--allow-remote", is_flag=True,
        help="Fetch http(s) images and fonts the book names (with a timeout and a size cap); off by default.",
    )(command)


PAPER_OPTION = click.option(
    "--paper", callback=parse_paper, default=None, metavar="SIZE",
    help="Paper size: A4 (default), A5, Letter, Legal, or WxH such as 6x9in or 170x240mm.",
)


def _capped_jobs(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    """No more layout processes than cores: --jobs 100000 would be a fork bomb, and more processes
    than cores only share them."""
    from bookmaker.build.pipeline import default_jobs

    cores = default_jobs()
    if value is not None and value > cores:
        click.echo(f"bookmaker: warning: --jobs {value} is more than the {cores} core{'s' if cores != 1 else ''} "
                   f"this process may use: using {cores}", err=True)
        return cores
    return value


JOBS_OPTION = click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N", callback=_capped_jobs,
    help="Lay the PDF's parts (front matter, chapters, notes) out in N processes and merge them, reusing "
         "unchanged parts from the user cache. Default: one per core. 1: the book as one document, the "
         "reference way.",
)


EMBED_FONTS_OPTION = click.option(
    "--embed-fonts/--no-embed-fonts", default=None,
    help="EPUB: embed subsets of the theme's fonts for scripts a reader may lack, such as Arabic (default), or none.",
)
