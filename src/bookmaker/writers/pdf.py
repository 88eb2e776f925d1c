"""The PDF: the single-file HTML book laid out by WeasyPrint.

WeasyPrint is imported here only, so commands that make no PDF never pay for it.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bookmaker.diagnostics import BookError, Diagnostics
from bookmaker.model import Book
from bookmaker.output import atomic_output
from bookmaker.theme import THEME_DIR, book_stylesheets
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
    reported = _check_stylesheets(weasyprint, book_stylesheets(book, "print"), diagnostics)
    with _weasyprint_warnings(diagnostics, target, reported=reported):
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


def _check_stylesheets(weasyprint, paths: list[Path], diagnostics: Diagnostics) -> set[str]:
    """Report the book's CSS problems at their file and line, before layout repeats them without either.

    Returns the messages reported, so layout does not report them again.
    """
    reported: set[str] = set()
    for path in paths:
        with _weasyprint_warnings(diagnostics, path, css_file=True, reported=reported):
            weasyprint.CSS(string=path.read_text(encoding="utf-8"), base_url=path.parent.as_uri() + "/")
    return reported


# WeasyPrint's CSS messages end with the line and column in the stylesheet text.
_CSS_LOCATION = re.compile(r" at (\d+):(\d+)(?=[.,])")
_NOTDEF = re.compile(r"\.notdef glyph rendered for Unicode string unsupported by fonts: \"(.*)\" \((U\+[0-9A-F]+)\)")


class _Collect(logging.Handler):
    def __init__(self, diagnostics: Diagnostics, target: Path, css_file: bool, reported: set[str]) -> None:
        super().__init__(logging.WARNING)
        self.diagnostics = diagnostics
        self.target = target
        self.css_file = css_file
        self.reported = reported

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        location = _CSS_LOCATION.search(message)
        if location:
            text = f"CSS: {_CSS_LOCATION.sub('', message)}"
            if self.css_file:
                self.reported.add(text)
                line, column = int(location.group(1)), int(location.group(2))
                self.diagnostics.warning(self.target, line, text, column)
            elif text not in self.reported:
                # From the assembled document (a style attribute in raw HTML): its line and
                # column point into generated text, so they are left out.
                self.diagnostics.warning(self.target, None, text)
            return
        notdef = _NOTDEF.search(message)
        if notdef:
            self.diagnostics.warning(
                self.target, None,
                f"no installed font has the character '{notdef.group(1)}' ({notdef.group(2)}), so it prints as a "
                "box: install a font that has it and name it in a stylesheet's font-family",
            )
            return
        self.diagnostics.warning(self.target, None, f"WeasyPrint: {message}")


class _weasyprint_warnings:
    """Route WeasyPrint's log into bookmaker's diagnostics instead of stderr."""

    def __init__(
        self, diagnostics: Diagnostics, target: Path, css_file: bool = False, reported: set[str] | None = None
    ) -> None:
        self.handler = _Collect(diagnostics, target, css_file, reported if reported is not None else set())
        self.logger = logging.getLogger("weasyprint")

    def __enter__(self) -> None:
        self.propagate = self.logger.propagate
        self.logger.addHandler(self.handler)
        self.logger.propagate = False

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = self.propagate
