"""The PDF: the single-file HTML book laid out by WeasyPrint.

WeasyPrint is imported here only, so commands that make no PDF never pay for it.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bookmaker.diagnostics import BookError, Diagnostics
from bookmaker.index import anchor_ids
from bookmaker.model import Book
from bookmaker.output import atomic_output
from bookmaker.policy import Refused, ResourcePolicy, policy_for
from bookmaker.theme import book_stylesheets
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
    try:
        reported = _check_stylesheets(weasyprint, book_stylesheets(book, "print"), diagnostics, policy_for(book))
    except Refused as refused:
        raise refused.as_book_error("stylesheet", diagnostics) from None
    except FatalURLFetchingError as exc:
        diagnostics.error(target, None, f"{exc}")
        raise BookError(diagnostics) from None
    def lay_out(text: str):
        return weasyprint.HTML(string=text, base_url=target.parent.resolve().as_uri() + "/", url_fetcher=fetcher).render()

    try:
        long_notes: frozenset[str] = frozenset()
        document = None
        if options is not None and options.notes == "page" and book.notes:
            document, long_notes = _footnotes_that_fit(book, target, options, html, lay_out, diagnostics, reported)
            if long_notes:
                html = render_html(book, target.parent, options, long_notes=long_notes)
        with _weasyprint_warnings(diagnostics, target, reported=reported):
            if document is None:
                document = lay_out(html)
            if book.index_marks and pages_are_positions(html):
                def render(pages: dict[str, int]) -> str:
                    return render_html(book, target.parent, options, index_pages=pages, long_notes=long_notes)

                document = _with_index_pages(book, document, lay_out, render)
            if diagnostics.has_errors:  # --strict turns WeasyPrint's warnings into errors
                raise BookError(diagnostics)
            variant = options.pdf_variant if options else None
            with atomic_output(target) as out:
                # pdf/ua-1 implies a tagged structure tree; WeasyPrint sets pdf_tags for it.
                document.write_pdf(out, pdf_variant=variant) if variant else document.write_pdf(out)
    except FatalURLFetchingError as exc:
        diagnostics.error(target, None, f"{exc}")
        raise BookError(diagnostics) from None


MAX_FOOTNOTE_PASSES = 4


def _footnotes_that_fit(book: Book, target: Path, options: PrintOptions, html: str, lay_out, diagnostics: Diagnostics,
                        reported: set[str]):
    """Lay out with footnotes; a note WeasyPrint could not place (one taller than a page is
    dropped, text and all) is named in a warning and becomes an endnote, in a Notes section at the end.

    A note too long to place holds back the notes after it too, so only the first missing
    note becomes an endnote before the next try. Returns the layout (None when it must be
    made again: the last try still missed notes) and the ids of the notes set as endnotes.
    """
    long_notes: frozenset[str] = frozenset()
    for attempt in range(MAX_FOOTNOTE_PASSES):
        said = Diagnostics(strict=diagnostics.strict)
        with _weasyprint_warnings(said, target, reported=set(reported)):
            document = lay_out(html if not long_notes else render_html(book, target.parent, options, long_notes=long_notes))
        placed = {anchor for page in document.pages for anchor in page.anchors}
        missing = [note for note in book.notes if note.id not in placed and note.id not in long_notes]
        if not missing:
            diagnostics.extend(said)
            break  # this layout, with any notes too long set at the end, is the one
        document = None
        # The last try gives up on every note still missing.
        long_notes |= {n.id for n in (missing if attempt == MAX_FOOTNOTE_PASSES - 1 else missing[:1])}
    for note in book.notes:
        if note.id in long_notes:
            diagnostics.warning(
                target, None, f"note {note.number} is too long for the foot of a page, so it is set in a Notes "
                              "section at the end: shorten it, or set [pdf] notes = \"book\"")
    return document, long_notes


# A page counter the book's CSS resets, sets or steps makes a page's number differ from its position.
_PAGE_COUNTER = re.compile(r"counter-(?:reset|set|increment)\s*:[^;}]*\bpage\b", re.IGNORECASE)
MAX_INDEX_PASSES = 3


def pages_are_positions(html: str) -> bool:
    """Whether each page's printed number is its position in the document (nothing renumbers pages)."""
    return _PAGE_COUNTER.search(html) is None


def anchor_pages(document, wanted: set[str]) -> dict[str, int]:
    """The printed page number of the first page each wanted anchor is on."""
    found: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            if anchor in wanted:
                found.setdefault(anchor, number)
    return found


def _with_index_pages(book: Book, document, lay_out, render):
    """The index's page numbers written as text, consecutive pages merged ("12–14").

    `target-counter()` gives one number per mark and cannot merge them, so the marks'
    pages are read from a layout and the book is laid out again with the numbers in
    (`render(pages)` makes that document). The index comes last, so writing them in
    moves no mark; should one move anyway (a book stylesheet placing the index
    elsewhere), the layout is repeated.
    """
    wanted = anchor_ids(book.index_marks)
    used: dict[str, int] | None = None
    for _ in range(MAX_INDEX_PASSES):
        pages = anchor_pages(document, wanted)
        if pages == used:
            break
        used = pages
        document = lay_out(render(pages))
    return document


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


def _check_stylesheets(weasyprint, paths: list[Path], diagnostics: Diagnostics, policy: ResourcePolicy) -> set[str]:
    """Report the book's CSS problems at their file and line, before layout repeats them without either.

    Returns the messages reported, so layout does not report them again.
    """
    reported: set[str] = set()
    for path in paths:
        with _weasyprint_warnings(diagnostics, path, css_file=True, reported=reported):
            css = policy.read_local(path).decode("utf-8-sig")
            weasyprint.CSS(string=css, base_url=path.parent.as_uri() + "/", url_fetcher=_book_fetcher(policy))
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
