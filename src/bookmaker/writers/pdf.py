"""The PDF: the single-file HTML book laid out by WeasyPrint.

WeasyPrint is imported here only, so commands that make no PDF never pay for it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bookmaker.diagnostics import BookError, Diagnostics
from bookmaker.model import Book
from bookmaker.output import atomic_output
from bookmaker.theme import THEME_DIR
from bookmaker.writers.html import PrintOptions, render_html


def write_pdf(
    book: Book, target: Path, diagnostics: Diagnostics, options: PrintOptions | None = None, html: str | None = None
) -> None:
    """Lay out the book and write it to `target`; `html` reuses an already rendered document."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    if html is None:
        html = render_html(book, target.parent, options)
    fetcher = _book_fetcher(weasyprint, [book.root, THEME_DIR])
    with _weasyprint_warnings(diagnostics, target):
        try:
            document = weasyprint.HTML(
                string=html, base_url=target.parent.resolve().as_uri() + "/", url_fetcher=fetcher
            ).render()
            variant = options.pdf_variant if options else None
            with atomic_output(target) as tmp:
                # pdf/ua-1 implies a tagged structure tree; WeasyPrint sets pdf_tags for it.
                document.write_pdf(tmp, pdf_variant=variant) if variant else document.write_pdf(tmp)
        except FatalURLFetchingError as exc:
            diagnostics.error(target, None, f"{exc}: the PDF may only use files inside the book")
            raise BookError(diagnostics) from None


def _book_fetcher(weasyprint, allowed_roots: list[Path]):
    """A URL fetcher that reads local files inside the book or the theme, and nothing else."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    roots = [r.resolve() for r in allowed_roots]

    class BookFetcher(URLFetcher):
        def fetch(self, url: str, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                if any(path.is_relative_to(root) for root in roots):
                    return super().fetch(url, headers)
                raise FatalURLFetchingError(f"refused to read {path}, which is outside the book")
            raise FatalURLFetchingError(f"refused to fetch {url}: bookmaker does not load remote resources")

    return BookFetcher(allowed_protocols=["file", "data"])


class _Collect(logging.Handler):
    def __init__(self, diagnostics: Diagnostics, target: Path) -> None:
        super().__init__(logging.WARNING)
        self.diagnostics = diagnostics
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if any(noise in message for noise in _MEANINGLESS):
            return
        self.diagnostics.warning(self.target, None, f"WeasyPrint: {message}")


# Messages that say nothing a book's author could act on.
_MEANINGLESS = (
    # fontTools' subsetter notes about OpenType tables it drops while subsetting.
    "table is not supported",
)


class _weasyprint_warnings:
    """Route WeasyPrint's log into bookmaker's diagnostics instead of stderr."""

    def __init__(self, diagnostics: Diagnostics, target: Path) -> None:
        self.handler = _Collect(diagnostics, target)
        self.logger = logging.getLogger("weasyprint")

    def __enter__(self) -> None:
        self.propagate = self.logger.propagate
        self.logger.addHandler(self.handler)
        self.logger.propagate = False

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = self.propagate
