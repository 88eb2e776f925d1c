"""The PDF: the single-file HTML book laid out by WeasyPrint.

WeasyPrint is imported here only, so commands that make no PDF never pay for it.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bookmaker.diagnostics import BookError, Diagnostics
from bookmaker.model import Book
from bookmaker.output import atomic_output
from bookmaker.policy import Refused, ResourcePolicy, policy_for
from bookmaker.writers.html import PrintOptions, render_html


def write_pdf(
    book: Book, target: Path, diagnostics: Diagnostics, options: PrintOptions | None = None, html: str | None = None
) -> None:
    """Lay out the book and write it to `target`; `html` reuses an already rendered document."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    if html is None:
        html = render_html(book, target.parent, options)
    fetcher = _book_fetcher(policy_for(book))
    with _weasyprint_warnings(diagnostics, target):
        try:
            document = weasyprint.HTML(
                string=html, base_url=target.parent.resolve().as_uri() + "/", url_fetcher=fetcher
            ).render()
            if diagnostics.has_errors:  # --strict turns WeasyPrint's warnings into errors
                raise BookError(diagnostics)
            with atomic_output(target) as out:
                document.write_pdf(out)
        except FatalURLFetchingError as exc:
            diagnostics.error(target, None, f"{exc}")
            raise BookError(diagnostics) from None


def _book_fetcher(policy: ResourcePolicy):
    """A URL fetcher that loads only what the book's resource rules allow (policy.py)."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class BookFetcher(URLFetcher):
        def fetch(self, url: str, headers=None):
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            try:
                if scheme == "file":
                    path = Path(unquote(parts.path))
                    data = policy.read_local(path)
                else:
                    data = policy.fetch_remote(url)
            except Refused as refused:
                shown = unquote(parts.path) if scheme == "file" else url
                raise FatalURLFetchingError(f"refused to load '{shown}': it {refused}") from None
            mime = mimetypes.guess_type(parts.path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})

    return BookFetcher(allowed_protocols=["file", "data", "http", "https"])


class _Collect(logging.Handler):
    def __init__(self, diagnostics: Diagnostics, target: Path) -> None:
        super().__init__(logging.WARNING)
        self.diagnostics = diagnostics
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        self.diagnostics.warning(self.target, None, f"WeasyPrint: {record.getMessage()}")


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
