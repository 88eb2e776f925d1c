"""The PDF: the single-file HTML book laid out by WeasyPrint, in parts on every core or as one document.

WeasyPrint is imported here only, so commands that make no PDF never pay for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from bookmaker.core.paths import real_path
from bookmaker.core.diagnostics import BookError, Diagnostics
from bookmaker.core.output import atomic_output
from bookmaker.model import Book
from bookmaker.resolve.index import anchor_ids
from bookmaker.safety.policy import Refused, ResourcePolicy, policy_for
from bookmaker.theme import book_stylesheets
from bookmaker.writers.html import PrintOptions, render_html
from bookmaker.writers.pdf.fitting import footnotes_that_fit
from bookmaker.writers.pdf.numbers import (
    MAX_INDEX_PASSES,
    anchor_pages,
    lay_out_numbered,
    page_map_key,
    pages_are_positions,
    references_on_a_page_already_named,
    splittable,
    targets_of_its_own,
)
from bookmaker.writers.pdf.pagemap import load_page_map, page_map_of, save_page_map
from bookmaker.writers.pdf.settle import settle
from bookmaker.writers.pdf.tagging import tagged_pdf, write_options
from bookmaker.writers.pdf.weasy import _book_fetcher, _weasyprint_warnings, import_weasyprint
from bookmaker.writers.print_pages import first_words_of, keep_print_pages, move_print_pages


def write_pdf(
    book: Book, target: Path, diagnostics: Diagnostics, options: PrintOptions | None = None, html: str | None = None,
    jobs: int = 1, progress: Callable[[int, int], None] | None = None, preflight: Callable | None = None,
) -> None:
    """Lay out the book and write it to `target`; `html` reuses an already rendered document.

    A file for a printer (--printer, --ink grey, PDF/X) is laid out as any other (in
    parts too), then finished and checked (print_file.py; `preflight` is the build's check).
    """
    from bookmaker.writers.pdf.print_file import needs_finish, write_finished

    if needs_finish(options):
        laid: list[Path] = []

        def lay_out(laid_options: PrintOptions, path: Path) -> None:
            laid.append(path)
            _write_pdf(book, path, diagnostics, laid_options, None, jobs, progress)

        write_finished(book, target, diagnostics, options, lay_out, preflight)
        # The page record names the laid-out file, a temporary one: it is the target's now (the EPUB's page list).
        move_print_pages(book, laid[-1], target)
    else:
        _write_pdf(book, target, diagnostics, options, html, jobs, progress)


def _write_pdf(
    book: Book, target: Path, diagnostics: Diagnostics, options: PrintOptions | None = None, html: str | None = None,
    jobs: int = 1, progress: Callable[[int, int], None] | None = None,
) -> None:
    """Lay out the book and write it to `target`; `html` reuses an already rendered document.

    With `jobs` > 1 a book's parts are laid out by that many processes and
    merged (parts/); a book that cannot be split so is laid out whole.
    """
    weasyprint = import_weasyprint()
    from weasyprint.urls import FatalURLFetchingError

    build = PdfBuild(book, target, diagnostics, options, html)
    try:
        build.check_stylesheets(weasyprint)
        if jobs > 1 and build.may_split() and build.in_parts(jobs, progress):
            return
        build.as_one_document(weasyprint)
    except FatalURLFetchingError as exc:
        diagnostics.error(target, None, f"{exc}", code="resource-unfetchable")
        raise BookError(diagnostics) from None


class PdfBuild:
    """One PDF of one book: its HTML rendered for the numbers known, laid out in parts or as one document."""

    def __init__(self, book: Book, target: Path, diagnostics: Diagnostics, options: PrintOptions | None,
                 html: str | None) -> None:
        self.book, self.target, self.diagnostics, self.options = book, target, diagnostics, options
        variant = options.pdf_variant if options else None
        # PDF/X is finished after the layout (print_file.py: Ghostscript and pikepdf); WeasyPrint writes it plain.
        self.variant = None if variant and variant.startswith("pdf/x") else variant
        self.starts: list[str] = []  # the first words of each page laid out in parts (print_pages.py)
        self.plain: list[str] = [] if html is None else [html]
        self.key = page_map_key(book, options)
        self.notes_at_foot = options is not None and options.notes == "page"
        # References on the page of an earlier reference to the same note are marked, so that the
        # note says "(p. 9)" rather than "(pp. 9, 9)"; which they are is known after layout, so
        # the marks come from the last build's page map and are checked against this layout.
        self.marks = references_on_a_page_already_named(book, load_page_map(self.key))
        self.reported: set[str] = set()
        self.rendered: dict = {}

    def render(self, marks: frozenset[str] = frozenset(), **kwargs) -> str:
        return render_html(self.book, self.target.parent, self.options, marks, **kwargs)

    def plain_html(self) -> str:
        # Rendered only when it is laid out: the parts of a book whose last build left a page map
        # are laid out from the HTML with its notes' marks, not this one (a second render in `watch`).
        if not self.plain:
            self.plain.append(render_html(self.book, self.target.parent, self.options))
        return self.plain[0]

    def check_stylesheets(self, weasyprint) -> None:
        try:
            self.reported = _check_stylesheets(weasyprint, book_stylesheets(self.book, "print"), self.diagnostics,
                                               policy_for(self.book))
        except Refused as refused:
            raise refused.as_book_error("stylesheet", self.diagnostics) from None

    def may_split(self) -> bool:
        return splittable(self.book, self.options) and not self.notes_at_foot

    def rerender(self, numbers: dict[str, int]) -> str:
        """The document for the pages known so far: the notes' same-page marks and the index's numbers (the
        index shows placeholders until every mark's page is known: it is laid out after them)."""
        self.used = references_on_a_page_already_named(self.book, numbers)
        marks_ids = anchor_ids(self.book.index_marks)
        index_pages = None
        if marks_ids:
            index_pages = {a: numbers[a] for a in marks_ids} if marks_ids <= numbers.keys() else {}
        wanted = (self.used, tuple(sorted(index_pages.items())) if index_pages is not None else None)
        if wanted not in self.rendered:
            self.rendered.clear()
            self.rendered[wanted] = (self.render(self.used, index_pages=index_pages)
                                     if self.used or index_pages is not None else self.plain_html())
        return self.rendered[wanted]

    def in_parts(self, jobs: int, progress: Callable[[int, int], None] | None) -> bool:
        """Lay the book out in parts and write it; False when it cannot be split (laid out as one document)."""
        from bookmaker.writers.pdf.parts.run import write_in_parts

        self.used = self.marks
        start_map = load_page_map(self.key)
        # A book whose own CSS counts pages across parts is laid out as one document.
        if targets_of_its_own(self.book, self.rerender(start_map)):
            return False
        said: list[Diagnostics] = []

        def in_parts_once(numbers: dict[str, int]):
            said[:] = [Diagnostics()]
            laid = write_in_parts(self.rerender(numbers), self.target, said[0], self.reported, policy_for(self.book),
                                  self.key, jobs, bool(self.options and self.options.duplex), progress, self.rerender,
                                  anchor_ids(self.book.index_marks), write_options(self.book, self.variant))
            if laid is None:
                raise _NotSplit
            self.starts = laid[2]  # the first words of each page, for the EPUB's page list
            return laid[0], laid[1]

        def marks_hold(_given: dict[str, int], found: dict[str, int]) -> bool:
            return references_on_a_page_already_named(self.book, found) == self.used

        try:
            settled = settle(in_parts_once, start_map, 3, marks_hold)
        except _NotSplit:
            return False  # not splittable: laid out as one document
        if not settled.agreed:
            return False
        self.diagnostics.extend(said[0])
        if self.diagnostics.has_errors:
            raise BookError(self.diagnostics)
        with atomic_output(self.target) as out:
            out.write(settled.result)
        # What keep_print_pages asks of the document is in its CSS, the same in every render of it (they differ in
        # the notes' marks and the index's numbers): the last one laid out, not the plain one rendered again.
        laid = next(iter(self.rendered.values()), None) or self.plain_html()
        keep_print_pages(self.book, self.target, laid, self.starts, self.options and self.options.paper)
        return True

    def as_one_document(self, weasyprint) -> None:
        fetcher = _book_fetcher(policy_for(self.book))
        base_url = real_path(self.target.parent).as_uri() + "/"

        def lay_out(text: str):
            return weasyprint.HTML(string=text, base_url=base_url, url_fetcher=fetcher).render()

        wanted = anchor_ids(self.book.index_marks) if pages_are_positions(self.plain_html()) else set()
        document, html, long_notes, first_marks, first_pages = self._first_layout(lay_out, wanted)
        with _weasyprint_warnings(self.diagnostics, self.target, reported=self.reported):
            if document is None:
                # Numbers from the last build's page map, checked after layout (pagemap.py).
                document = lay_out_numbered(html, lay_out, self.key)
            document = self._numbers_settled(document, lay_out, wanted, long_notes, first_marks, first_pages)
            if self.diagnostics.has_errors:  # an error in the layout: the previous PDF stays
                raise BookError(self.diagnostics)
            data = tagged_pdf(document, html, **_write_options(self.book, self.variant))
            with atomic_output(self.target) as out:
                out.write(data)
        keep_print_pages(self.book, self.target, html, [first_words_of(page) for page in document.pages],
                         self.options and self.options.paper)

    def _first_layout(self, lay_out, wanted: set[str]):
        """The first layout's HTML (and, with notes at the foot of the page, the layout itself): the index with
        placeholders or the last build's numbers, the notes' same-page marks from the last build's page map."""
        html, long_notes, document = self.plain_html(), frozenset(), None

        def first_html(long_notes: frozenset[str]) -> str:
            # The first layout only finds the marks' pages: the index has placeholders (index.page_locators).
            return self.render(index_pages={} if wanted else None, long_notes=long_notes)

        if wanted:
            html = first_html(long_notes)
        if self.notes_at_foot and self.book.notes:
            document, long_notes = footnotes_that_fit(self.book, self.target, html, lay_out, self.diagnostics,
                                                      self.reported, first_html)
            if long_notes:
                html = first_html(long_notes)
        first_marks: frozenset[str] = frozenset()
        first_pages: dict[str, int] | None = {} if wanted else None
        if document is None and not self.notes_at_foot:
            known = load_page_map(self.key)
            if wanted and wanted <= known.keys():
                first_pages = {a: known[a] for a in wanted}
            first_marks = self.marks
            if first_marks or first_pages:
                html = self.render(first_marks, index_pages=first_pages)
        return document, html, long_notes, first_marks, first_pages

    def _numbers_settled(self, document, lay_out, wanted: set[str], long_notes: frozenset[str],
                         first_marks: frozenset[str], first_pages: dict[str, int] | None):
        """What only a layout tells: which note references share a page (a note says "(p. 9)" rather than
        "(pp. 9, 9)") and on which pages the index's marks are. The book is laid out again with those written
        in unless the first layout had them right (it has reported WeasyPrint's warnings). The index comes
        last, so writing its numbers in moves no mark; should one move anyway (a book stylesheet placing the
        index elsewhere), the layout is repeated."""
        same_page = references_on_a_page_already_named(self.book, page_map_of(document.pages))
        index_pages = anchor_pages(document, wanted) if wanted else None
        if same_page == first_marks and not (wanted and index_pages != first_pages):
            return self._keep_index_pages(document, wanted, index_pages)

        def again(pages: dict[str, int] | None):
            html = self.render(same_page, index_pages=pages, long_notes=long_notes)
            found = lay_out_numbered(html, lay_out, self.key)
            return found, anchor_pages(found, wanted) if wanted else None

        logger = logging.getLogger("weasyprint")
        logger.disabled = True
        try:
            settled = settle(again, index_pages, MAX_INDEX_PASSES,
                             lambda given, found: given == found)
        finally:
            logger.disabled = False
        return self._keep_index_pages(settled.result, wanted, settled.numbers)

    def _keep_index_pages(self, document, wanted: set[str], index_pages: dict[str, int] | None):
        if wanted and index_pages:  # the next build writes them in before its first layout
            save_page_map(self.key, {**load_page_map(self.key), **index_pages})
        return document


def _write_options(book: Book, variant: str | None) -> dict:
    """WeasyPrint's write_pdf options: tagged, with the PDF variant (tagging.write_options), and a
    right-to-left book's reading order."""
    options = write_options(book, variant)
    if book.metadata.rtl:
        options["finisher"] = _right_to_left
    return options


def _right_to_left(document, pdf) -> None:
    """A right-to-left book's reading order: viewers show its spreads right to left, as it is bound
    (`/ViewerPreferences << /Direction /R2L >>`; merge.py does the same for a book laid out in parts)."""
    import pydyf

    if not isinstance(pdf.catalog.get("ViewerPreferences"), pydyf.Dictionary):
        pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({})
    pdf.catalog["ViewerPreferences"]["Direction"] = "/R2L"  # beside the tags' DisplayDocTitle


class _NotSplit(Exception):
    """The book cannot be laid out in parts (parts/run.py said so): it is laid out as one document."""


def _check_stylesheets(weasyprint, paths: list[Path], diagnostics: Diagnostics, policy: ResourcePolicy) -> set[str]:
    """Report the book's CSS problems at their file and line, before layout repeats them without either.

    Returns the messages reported, so layout does not report them again.
    """
    reported: set[str] = set()
    for path in paths:
        with _weasyprint_warnings(diagnostics, path, css_file=True, reported=reported):
            css = policy.read_local(path).decode("utf-8-sig")
            try:
                weasyprint.CSS(string=css, base_url=path.parent.as_uri() + "/", url_fetcher=_book_fetcher(policy))
            except (SyntaxError, RecursionError):
                pass  # a selector beyond what cssselect2 compiles: the reader reported it, layout gets it left out
    return reported
