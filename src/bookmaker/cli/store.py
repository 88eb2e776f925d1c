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
        with build_elsewhere(path, request, "pdf", {"pdf": {"printer": printer}}) as (pdf, diagnostics):
            diagnostics.extend(_cover_checks(path, request, printer, pdf))
            report(diagnostics.without(request.ignore), reporter, cwd)
    sys.exit(0)


def _cover_checks(path: Path, request: BuildRequest, printer: str, pdf: Path):
    """What would not fit on the cover for this page count (the back's text, the spine's), made elsewhere."""
    import tempfile

    import pikepdf

    from bookmaker.build.cover import CoverRequest, make_cover
    from bookmaker.config.printers import PRINTERS
    from bookmaker.core.diagnostics import BookError, Diagnostics

    if not PRINTERS[printer].spine_per_page:
        return Diagnostics()  # no spine formula: the cover needs --spine from the service's template
    with pikepdf.open(pdf) as opened:
        pages = len(opened.pages)
    with tempfile.TemporaryDirectory(prefix="bookmaker-check-") as folder:
        cover = CoverRequest(printer, output=Path(folder) / "cover.pdf", pages=pages,
                             allow_remote=request.allow_remote, output_dir=Path(folder))
        try:
            return make_cover(path, cover)[1]
        except BookError as exc:
            return exc.diagnostics
