"""The command line's side of a run: what it prints (the diagnostics, what was written or skipped), the
verdict of --strict, and the exit codes. The build itself (pipeline.py) never prints nor exits."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bookmaker.core.diagnostics import BookError, Diagnostics, Severity
from bookmaker.build.pipeline import Builder, default_jobs, shown
from bookmaker.build.progress import Reporter
from bookmaker.build.request import BuildRequest


def run_build(path: Path, request: BuildRequest, quiet: bool = False, verbose: bool = False) -> None:
    """`bookmaker build` (and pdf, epub, html): print what was written or skipped, every diagnostic, and exit."""
    from bookmaker.core.output import is_stdout

    reporter = Reporter(quiet=quiet, verbose=verbose)
    cwd = Path.cwd()
    builder = Builder(path, reporter)
    # The PDF's parts on every core: on the 50-chapter benchmark book 1.7x faster than the book as one
    # document, with a largest process half its size; `--jobs 1` is the reference way.
    builder.jobs = default_jobs()
    with reporting(reporter, cwd, strict=request.strict):
        result = builder.build(request)
        report(result.diagnostics, reporter, cwd)
        if not quiet:
            for target in result.written:
                if not is_stdout(target):  # standard output holds the book itself
                    click.echo(shown(target, cwd))
        for target in result.skipped:
            reporter.info(f"{shown(target, cwd)}: up to date, nothing it is made from changed (--force rebuilds it)")
    sys.exit(0)


def run_check(path: Path, request: BuildRequest, output_format: str = "text", accessibility: bool = False) -> None:
    """`bookmaker check`: every check of a build, nothing written; with `accessibility`, what the EPUB
    and the PDF would say of their accessibility (writers/accessibility.py)."""
    reporter = Reporter(quiet=False, verbose=False)
    cwd = Path.cwd()
    if output_format == "json":
        _check_as_json(path, request, reporter, cwd)
    with reporting(reporter, cwd, strict=request.strict):
        builder = Builder(path, reporter)
        diagnostics = builder.check(request)
        if request.fails(diagnostics):
            raise BookError(diagnostics)
        for line in builder.font_lines:  # which face sets each script, as the PDF and the EPUB set it
            click.echo(f"fonts: {line}")
        report(diagnostics, reporter, cwd)
        if accessibility and builder.checked_book is not None:
            from bookmaker.writers.accessibility import summary_lines

            for line in summary_lines(builder.checked_book, builder.config.pdf):
                click.echo(line)
    sys.exit(0)


def _check_as_json(path: Path, request: BuildRequest, reporter: Reporter, cwd: Path) -> None:
    """Every problem as a JSON array on standard output, for an editor; exit 1 when the book has errors."""
    import json

    try:
        diagnostics = Builder(path, reporter).check(request)
    except BookError as exc:
        diagnostics = exc.diagnostics
    if request.strict:
        diagnostics = as_errors(diagnostics)
    click.echo(json.dumps([d.as_json(cwd) for d in diagnostics], ensure_ascii=False, indent=1))
    sys.exit(1 if request.fails(diagnostics) else 0)


def as_errors(diagnostics: Diagnostics) -> Diagnostics:
    """--strict, applied once at the end of a run: every warning is shown, and counted, as an error."""
    errors = Diagnostics()
    for d in diagnostics:
        errors.error(d.path, d.line, d.message, d.column, d.code)
    return errors


def report(diagnostics: Diagnostics, reporter: Reporter, cwd: Path, strict: bool = False) -> None:
    """Print the diagnostics (only the errors under -q) and their count."""
    if strict:
        diagnostics = as_errors(diagnostics)
    reporter.clear()
    listed = [d for d in diagnostics if not reporter.quiet or d.severity is Severity.ERROR]
    for diagnostic in listed:
        click.echo(diagnostic.format(relative_to=cwd), err=True)
    if listed:
        click.echo(f"bookmaker: {diagnostics.summary()}", err=True)


class reporting:
    """Turn what stops a build into the CLI's printed diagnostics and exit codes, never a traceback."""

    def __init__(self, reporter: Reporter, cwd: Path, exit_on_error: bool = True, strict: bool = False) -> None:
        self.reporter = reporter
        self.cwd = cwd
        self.exit_on_error = exit_on_error
        self.strict = strict
        self.failed = False
        self.diagnostics: Diagnostics | None = None

    def __enter__(self) -> reporting:
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        import os
        import traceback

        from bookmaker.core.text import printable

        if exc is None or isinstance(exc, SystemExit):
            return False
        self.reporter.clear()
        self.failed = True
        if isinstance(exc, BookError):
            self.diagnostics = as_errors(exc.diagnostics) if self.strict else exc.diagnostics
            report(self.diagnostics, self.reporter, self.cwd)
            code = 1
        elif isinstance(exc, KeyboardInterrupt):
            click.echo("bookmaker: interrupted; no output was changed", err=True)
            code = getattr(exc, "exit_code", 130)  # 143 for SIGTERM (core/stops.py)
        else:
            if os.environ.get("BOOKMAKER_DEBUG"):
                traceback.print_exception(kind, exc, tb)
            click.echo(
                f"bookmaker: internal error: {kind.__name__}: {printable(str(exc))}\n"
                "This is a bug in bookmaker. Run again with BOOKMAKER_DEBUG=1 for details and report it.",
                err=True,
            )
            code = 3
        if self.exit_on_error or isinstance(exc, KeyboardInterrupt):
            sys.exit(code)
        return True  # watch and serve carry on after a failed rebuild
