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
        wanted = anchor_ids(book.index_marks) if pages_are_positions(html) else set()

        def first_html(long_notes: frozenset[str]) -> str:
            # The first layout only finds the marks' pages: the index has placeholders (index.page_locators).
            return render_html(book, target.parent, options, index_pages={} if wanted else None, long_notes=long_notes)

        long_notes: frozenset[str] = frozenset()
        document = None
        if wanted:
            html = first_html(long_notes)
        if options is not None and options.notes == "page" and book.notes:
            document, long_notes = _footnotes_that_fit(book, target, html, lay_out, diagnostics, reported, first_html)
            if long_notes:
                html = first_html(long_notes)
        with _weasyprint_warnings(diagnostics, target, reported=reported):
            if document is None:
                document = lay_out(html)
            # What only a layout tells: which note references share a page (a note says "(p. 9)"
            # rather than "(pp. 9, 9)") and on which pages the index's marks are. The book is
            # laid out again with those written in; the first layout has reported WeasyPrint's warnings.
            same_page = _references_on_a_page_already_named(book, document)
            index_pages = anchor_pages(document, wanted) if wanted else None
            again, passes = bool(same_page or wanted), 0
            while again and passes < MAX_INDEX_PASSES:
                logger = logging.getLogger("weasyprint")
                logger.disabled = True
                try:
                    document = lay_out(render_html(book, target.parent, options, same_page, index_pages=index_pages,
                                                   long_notes=long_notes))
                finally:
                    logger.disabled = False
                passes += 1
                # The index comes last, so writing its numbers in moves no mark; should one move
                # anyway (a book stylesheet placing the index elsewhere), the layout is repeated.
                found = anchor_pages(document, wanted) if wanted else None
                again, index_pages = found != index_pages, found
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


def _footnotes_that_fit(book: Book, target: Path, html: str, lay_out, diagnostics: Diagnostics, reported: set[str],
                        render):
    """Lay out with footnotes; a note WeasyPrint could not place (one taller than a page is
    dropped, or runs off the top of the page) is named in a warning and becomes an endnote,
    in a Notes section at the end.

    A note too long to place holds back the notes after it too, so only the first missing
    note becomes an endnote before the next try. Returns the layout (None when it must be
    made again: the last try still missed notes) and the ids of the notes set as endnotes.
    `render(long_notes)` makes the document with those notes at the end.
    """
    long_notes: frozenset[str] = frozenset()
    for attempt in range(MAX_FOOTNOTE_PASSES):
        said = Diagnostics(strict=diagnostics.strict)
        with _weasyprint_warnings(said, target, reported=set(reported)):
            document = lay_out(html if not long_notes else render(long_notes))
        placed = {anchor for page in document.pages for anchor in page.anchors} - _overflowing_footnotes(document)
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


def _overflowing_footnotes(document) -> set[str]:
    """Ids of footnotes that run above the top of their page's text area (text lost off the page).

    WeasyPrint either drops a footnote taller than the page or, placing it anyway, grows the
    footnote area up past the page's top; neither is reported. This reads its page boxes.
    """
    overflowing = set()
    for page in document.pages:
        box = getattr(page, "_page_box", None)
        if box is None:
            continue
        top = box.content_box_y()
        for area in box.children:
            if type(area).__name__ != "FootnoteAreaBox":
                continue
            for note in area.children:
                element = getattr(note, "element", None)
                if note.position_y < top - 1 and element is not None and element.get("id"):
                    overflowing.add(element.get("id"))
    return overflowing


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


def _references_on_a_page_already_named(book: Book, document) -> frozenset[str]:
    """Ids of note references on the same page as an earlier reference to the same note."""
    page_of = {anchor: number for number, page in enumerate(document.pages) for anchor in page.anchors}
    repeated = set()
    for note in book.notes:
        seen = set()
        for ref in note.refs:
            page = page_of.get(ref.id)
            if page is None:
                continue
            if page in seen:
                repeated.add(ref.id)
            seen.add(page)
    return frozenset(repeated)


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
