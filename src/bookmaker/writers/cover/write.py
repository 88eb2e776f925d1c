"""Writing the covers: the wrap as a finished print file, the front alone as the ebook cover's JPEG."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from bookmaker.config.printers import Printer
from bookmaker.config.settings import CoverConfig
from bookmaker.core.diagnostics import BookError, Diagnostics
from bookmaker.core.output import atomic_output
from bookmaker.model import Book
from bookmaker.writers.cover.content import cover_content
from bookmaker.writers.cover.wrap import (
    WrapGeometry,
    lay_out,
    overflowing_block,
    typographic_front,
    wrap_html,
)
from bookmaker.writers.pdf.pdfx import PrintFileError, PrintFinish, finish, ghostscript

EBOOK_COVER_IN = (5.0, 8.0)
EBOOK_COVER_DPI = 315  # 1575 x 2520 px: 1.6:1, over 1,400 px wide, under 4,000,000 px


def write_wrap(book: Book, config: CoverConfig, printer: Printer, g: WrapGeometry, pages: int, target: Path,
               diagnostics: Diagnostics, lines: dict[str, int | None] | None = None) -> None:
    """Lay out the wrap, check that the back's text fits, and write it finished for `printer`."""
    content, resources = cover_content(book, config, g, printer, pages, diagnostics, lines)
    document = lay_out(wrap_html(g, content, printer.barcode_area), resources)
    blocks = content.back_blocks or []
    late = overflowing_block(document, g, printer.barcode_area, len(blocks))
    if late is not None:
        diagnostics.error(book.root / config.back, blocks[late][0],
            "the back cover's text runs past its space above the barcode area from here: shorten the blurb",
            code="cover-back-too-long")
    if diagnostics.has_errors:
        raise BookError(diagnostics)
    with tempfile.TemporaryDirectory(prefix="bookmaker-cover-") as work:
        laid, finished = Path(work) / "laid.pdf", Path(work) / "cover.pdf"
        document.write_pdf(laid)
        try:
            finish(laid, finished, PrintFinish(variant=printer.pdf_variant, bleed=g.bleed, bleed_inside=True,
                                               for_print=True, title=f"{book.metadata.title}: cover"))
        except PrintFileError as exc:
            diagnostics.error(target, None, str(exc), code="print-tool-missing")
            raise BookError(diagnostics) from None
        with atomic_output(target) as out:
            out.write(finished.read_bytes())


def write_ebook_cover(book: Book, config: CoverConfig, target: Path, diagnostics: Diagnostics) -> None:
    """The front as a JPEG within every store's limits (1575 x 2520 px, sRGB, 8 bits)."""
    content, resources = cover_content(book, config, None, None, 0, diagnostics)
    width, height = EBOOK_COVER_IN
    css = [f"@page {{ size: {width}in {height}in; margin: 0; }} html, body {{ margin: 0; }}",
           f"body {{ position: relative; width: {width}in; height: {height}in; overflow: hidden;"
           f" background: {content.background}; color: {content.color};"
           " font-family: 'Linux Libertine O', serif; } div { position: absolute; box-sizing: border-box; }",
           "img { position: absolute; left: 0; top: 0; width: 100%; height: 100%; object-fit: cover; }"]
    if content.front_image:
        body = f"<img src='{content.front_image}' alt=''/>"
    else:
        body = typographic_front(width, height, 0.0, content, css)
    html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'/><style>{' '.join(css)}</style></head>"
            f"<body>{body}</body></html>")
    document = lay_out(html, resources)
    with tempfile.TemporaryDirectory(prefix="bookmaker-cover-") as work:
        laid, jpeg = Path(work) / "front.pdf", Path(work) / "front.jpg"
        document.write_pdf(laid)
        try:
            _rasterize(laid, jpeg)
        except PrintFileError as exc:
            diagnostics.error(target, None, str(exc), code="print-tool-missing")
            raise BookError(diagnostics) from None
        with atomic_output(target) as out:
            out.write(jpeg.read_bytes())


def _rasterize(pdf: Path, jpeg: Path) -> None:
    command = [ghostscript(), "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dQUIET", "-sDEVICE=jpeg", "-dJPEGQ=92",
               f"-r{EBOOK_COVER_DPI}", "-dTextAlphaBits=4", "-dGraphicsAlphaBits=4", "-dFirstPage=1",
               "-dLastPage=1", f"-sOutputFile={jpeg}", str(pdf)]
    done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    if done.returncode != 0 or not jpeg.is_file():
        raise PrintFileError(f"Ghostscript could not draw the ebook cover ({done.returncode})")

