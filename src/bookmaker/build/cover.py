"""`bookmaker cover`: the paperback's wrap for a printing service, and the ebook cover, from the book.

The wrap's width comes from the interior's page count, so the interior is built
first (skipped when up to date) with the same `--printer`, and its pages counted;
`--pages` sizes the wrap for a page count instead (to plan a cover before the text
is final). Writes build/<slug>-cover.pdf (or -o) and build/<slug>-cover.jpg.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from bookmaker.build.pipeline import Builder
from bookmaker.build.request import BuildRequest
from bookmaker.config.paper import page_dimensions
from bookmaker.config.printers import PRINTERS
from bookmaker.core.diagnostics import BookError, Diagnostics


@dataclass(frozen=True)
class CoverRequest:
    printer: str
    stock: str | None = None  # None: [cover] stock
    output: Path | None = None
    pages: int | None = None  # None: the interior's
    spine: float | None = None  # inches, for a service without a published formula
    allow_remote: bool = False
    output_dir: Path | None = None  # where the ebook cover goes; None: the book's output folder


def make_cover(path: Path, request: CoverRequest, builder: Builder | None = None) -> tuple[list[Path], Diagnostics]:
    """Write the wrap and the ebook cover; return what was written and what was found (BookError on errors)."""
    from bookmaker.read import read_book
    from bookmaker.writers.pdf.print_file import effective, trim_problem

    builder = builder or Builder(path)
    config = builder.load_config()
    diagnostics = Diagnostics()
    diagnostics.extend(builder.config_diagnostics)
    printer = PRINTERS[request.printer]
    options = dataclasses.replace(config.pdf, printer=printer.name)
    target = request.output
    problem = trim_problem(options)
    if problem:
        diagnostics.error(builder.root / "bookmaker.toml", config.line_of("pdf", "paper"), problem,
                          code="print-trim-size")
        raise BookError(diagnostics)
    pages = request.pages
    if pages is None:
        result = builder.build(BuildRequest(formats=("pdf",), overrides={"pdf": {"printer": printer.name}},
                                            allow_remote=request.allow_remote))
        diagnostics.extend(result.diagnostics)
        pages = _pages(builder.last_output("pdf"))
    book, _read = read_book(builder.path, config, None, config.notes.numbering, Diagnostics(), request.allow_remote)
    out_dir = request.output_dir or builder.output_dir()
    target = target or out_dir / f"{book.slug}-cover.pdf"
    if printer.spine_per_page == {} and request.spine is None:
        diagnostics.error(target, None, f"{printer.label} publishes no spine formula: give the spine "
            "width from its cover template generator with --spine (such as --spine 0.5in)", code="cover-spine-unknown")
        raise BookError(diagnostics)
    width_mm, height_mm = page_dimensions(effective(options).paper)
    from bookmaker.writers.cover.wrap import wrap_geometry
    from bookmaker.writers.cover.write import write_ebook_cover, write_wrap

    g = wrap_geometry(printer, (width_mm / 25.4, height_mm / 25.4), pages, request.stock or config.cover.stock,
                      request.spine)
    lines = {"back": config.line_of("cover", "back"), "identifier": config.line_of("book", "identifier")}
    write_wrap(book, config.cover, printer, g, pages, target, diagnostics, lines)
    jpeg = out_dir / f"{book.slug}-cover.jpg"
    write_ebook_cover(book, config.cover, jpeg, diagnostics)
    return [target, jpeg], diagnostics


def _pages(pdf: Path | None) -> int:
    import pikepdf

    if pdf is None:
        return 0
    with pikepdf.open(pdf) as opened:
        return len(opened.pages)
