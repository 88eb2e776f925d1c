"""`--printer`, `--ink` and the PDF/X variants: what they change in the print options, and the file's finish.

A service's preset (config/printers.py) sets what the book left open — a trim size
it prints, its bleed on the edges it wants, both sides printed, its PDF/X — and
refuses what it cannot print (a trim size it does not offer). The laid-out PDF is
then finished (pdfx.py) and checked (build/preflight.py) against the same rules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from bookmaker.config.paper import page_dimensions
from bookmaker.config.printers import PRINTERS, Printer, trim_name
from bookmaker.config.settings import PrintOptions
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.model import Book
from bookmaker.writers.pdf.page_layout import PageGeometry
from bookmaker.writers.pdf.pdfx import PDFX_VARIANTS, PrintFinish

MM_PER_IN = 25.4
DEFAULT_TRIM = "6in 9in"  # the most common trade paperback size; every service prints it


def printer_of(options: PrintOptions | None) -> Printer | None:
    return PRINTERS.get(options.printer) if options is not None and options.printer else None


def effective(options: PrintOptions) -> PrintOptions:
    """The options with the printer's preset filled in where the book and command line left them open."""
    printer = printer_of(options)
    if printer is None:
        return options
    return dataclasses.replace(
        options,
        paper=options.paper or DEFAULT_TRIM,
        # Bleed is asked for (--bleed); its width is the service's, whatever was given.
        bleed=f"{printer.bleed}in" if options.bleed else None,
        duplex=True,  # a printed book is printed on both sides
        marks=None,  # services want no crop marks in the file (KDP's guidelines)
        pdf_variant=options.pdf_variant or printer.pdf_variant,
    )


def trim_problem(options: PrintOptions) -> str | None:
    """Why the printer cannot print this page size (naming the nearest it prints), or None."""
    printer = printer_of(options)
    if printer is None:
        return None
    width, height = (v / MM_PER_IN for v in page_dimensions(effective(options).paper))
    if printer.prints_trim(width, height):
        return None
    nearest = trim_name(printer.nearest_trim(width, height))
    return (f"{printer.label} does not print {width:.3g}x{height:.3g}in pages; the nearest size it prints is "
            f"{nearest}: set --paper {nearest} (or [pdf] paper)")


def needs_finish(options: PrintOptions | None) -> bool:
    return options is not None and (options.printer is not None or options.ink == "grey"
                                    or options.pdf_variant in PDFX_VARIANTS)


def finish_of(options: PrintOptions, title: str) -> PrintFinish:
    printer = printer_of(options)
    bleed = 0.0
    if options.bleed:
        bleed = printer.bleed if printer else page_dimensions(f"{options.bleed} {options.bleed}")[0] / MM_PER_IN
    variant = options.pdf_variant if options.pdf_variant in PDFX_VARIANTS else None
    return PrintFinish(variant=variant, ink=options.ink, bleed=bleed,
                       bleed_inside=printer.bleed_inside if printer else True,
                       even_pages=printer is not None, for_print=printer is not None or variant is not None,
                       title=title)


def printer_geometry(g: PageGeometry, options: PrintOptions, pages: int = 0) -> PageGeometry:
    """The page's margins widened to the service's safe area, and the inside margin to what `pages` pages ask."""
    printer = printer_of(options)
    if printer is None:
        return g
    safe = printer.safe * MM_PER_IN
    inner = max(printer.inner_margin(pages) * MM_PER_IN, safe)
    # The running heads and page numbers stand in the top and bottom margins, `safe` from the edge
    # (safe_area_css), with room for a line below (above) them.
    return dataclasses.replace(g, inner=round(max(g.inner, inner), 1), outer=round(max(g.outer, safe), 1),
                               top=round(max(g.top, safe + 9), 1), bottom=round(max(g.bottom, safe + 9), 1))


def safe_area_css(options: PrintOptions) -> str:
    """Margin boxes padded so that running heads and page numbers keep the service's safe distance from the edge."""
    printer = printer_of(options)
    if printer is None:
        return ""
    top = " ".join(f"@top-{where} {{ padding-top: {printer.safe}in; }}"
                   for where in ("left", "center", "right"))
    bottom = " ".join(f"@bottom-{where} {{ padding-bottom: {printer.safe}in; }}"
                      for where in ("left", "center", "right"))
    return f"@page {{ {top} {bottom} }}"


def write_finished(book: Book, target: Path, diagnostics: Diagnostics, options: PrintOptions,
                   lay_out: Callable[[PrintOptions, Path], None], preflight: Callable | None = None) -> None:
    """Lay out (`lay_out(options, path)`), finish and check the print file; write it to `target` when it passes.

    The inside margin is sized for the last layout's page count; should this layout
    cross into another of the service's page-count brackets, it is laid out once more.
    `preflight(file, options, book, diagnostics, shown_as)` checks the finished file
    (build/preflight.py, handed down by the build: writers do not import it).
    """
    import tempfile

    from bookmaker.core.diagnostics import BookError
    from bookmaker.core.output import atomic_output
    from bookmaker.writers.pdf.pdfx import PrintFileError, finish

    problem = trim_problem(options)
    if problem:
        diagnostics.error(target, None, problem, code="print-trim-size")
        raise BookError(diagnostics)
    options = dataclasses.replace(effective(options), pages=_page_count(target))
    printer = printer_of(options)
    with tempfile.TemporaryDirectory(prefix="bookmaker-pdf-") as work:
        laid, finished = Path(work) / "laid.pdf", Path(work) / "finished.pdf"
        for _ in range(2):
            lay_out(options, laid)
            pages = _page_count(laid)
            if printer is None or printer.inner_margin(pages) <= printer.inner_margin(options.pages):
                break
            options = dataclasses.replace(options, pages=pages)
        try:
            finish(laid, finished, finish_of(options, book.metadata.title))
        except PrintFileError as exc:
            diagnostics.error(target, None, str(exc), code="print-tool-missing")
            raise BookError(diagnostics) from None
        if preflight is not None:
            preflight(finished, options, book, diagnostics, shown_as=target)
        if diagnostics.has_errors:
            raise BookError(diagnostics)
        with atomic_output(target) as out:
            out.write(finished.read_bytes())


def _page_count(path: Path) -> int:
    """The pages of a PDF (0 when there is none or it cannot be read)."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            return len(pdf.pages)
    except (OSError, pikepdf.PdfError):
        return 0
