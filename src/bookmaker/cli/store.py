"""`bookmaker check --store`: the book's checks, then which ebook stores' rules its EPUB meets."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bookmaker.build.request import BuildRequest


def run_store_check(path: Path, request: BuildRequest) -> None:
    """Print one line a rule (met or not, and what the EPUB holds); exit 1 when one is not met."""
    from bookmaker.build.progress import Reporter
    from bookmaker.build.store_check import check_store
    from bookmaker.cli.report import report, reporting

    reporter = Reporter(quiet=False, verbose=False)
    cwd = Path.cwd()
    with reporting(reporter, cwd, strict=request.strict):
        rules, diagnostics = check_store(path, request)
        report(diagnostics, reporter, cwd)
        for rule in rules:
            mark = "ok  " if rule.met else "FAIL" if rule.required else "no  "
            click.echo(f"{mark} {rule.stores}: {rule.rule} ({rule.found})")
    sys.exit(0 if all(rule.met or not rule.required for rule in rules) else 1)


def run_print_check(path: Path, request: BuildRequest, printer: str) -> None:
    """`check --printer`: the PDF laid out for the service (elsewhere) and its preflight's diagnostics."""
    from bookmaker.build.progress import Reporter
    from bookmaker.build.store_check import build_elsewhere
    from bookmaker.cli.report import report, reporting

    reporter = Reporter(quiet=False, verbose=False)
    cwd = Path.cwd()
    with reporting(reporter, cwd, strict=request.strict):
        with build_elsewhere(path, request, "pdf", {"pdf": {"printer": printer}}) as (_pdf, diagnostics):
            report(diagnostics, reporter, cwd)
    sys.exit(0)
