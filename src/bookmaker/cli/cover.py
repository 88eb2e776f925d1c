"""`bookmaker cover`: the paperback's full wrap for a printing service, and the ebook cover."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bookmaker.cli.options import PATH_ARG, safety_options
from bookmaker.config.paper import css_length
from bookmaker.config.printers import PRINTER_NAMES, STOCKS


def _inches(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    from bookmaker.config.paper import page_dimensions

    try:
        length = css_length(value) if value.strip()[-2:] in ("mm", "cm", "in", "pt") else f"{value.strip()}in"
        return page_dimensions(f"{length} {length}")[0] / 25.4
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("cover")
@PATH_ARG
@click.option("--printer", type=click.Choice(PRINTER_NAMES), required=True,
              help="The print-on-demand service whose cover rules apply (spine formula, bleed, barcode area).")
@click.option("--stock", type=click.Choice(STOCKS), default=None,
              help="The interior's paper, which sets the spine's width (default: [cover] stock, or white).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Where to write the wrap's PDF (default: build/<slug>-cover.pdf in the book folder).")
@click.option("--pages", type=click.IntRange(1, 5000), default=None,
              help="Size the wrap for this many interior pages instead of laying out the interior.")
@click.option("--spine", callback=_inches, default=None, metavar="LENGTH",
              help="The spine's width, from the service's cover template (for services without a formula).")
@safety_options
def cover_command(path: Path, printer: str, stock: str | None, output: Path | None, pages: int | None,
                  spine: float | None, strict: bool, allow_remote: bool, ignore: tuple[str, ...] = ()) -> None:
    """Write the paperback cover's wrap (back, spine, front) and the ebook cover."""
    from bookmaker.build.cover import CoverRequest, make_cover
    from bookmaker.build.pipeline import Builder, shown
    from bookmaker.build.progress import Reporter
    from bookmaker.cli.report import report, reporting

    reporter = Reporter(quiet=False, verbose=False)
    cwd = Path.cwd()
    with reporting(reporter, cwd, strict=strict):
        written, diagnostics = make_cover(path, CoverRequest(printer, stock, output, pages, spine, allow_remote),
                                          Builder(path, reporter))
        report(diagnostics.without(frozenset(ignore)), reporter, cwd)
        for target in written:
            click.echo(shown(target, cwd))
    sys.exit(0)
