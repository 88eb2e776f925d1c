"""The PDF: the single-file HTML book laid out by WeasyPrint.

WeasyPrint is imported here only, so commands that make no PDF never pay for it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from bookmaker.core.diagnostics import BookError, Diagnostics
from bookmaker.resolve.index import anchor_ids
from bookmaker.model import Book
from bookmaker.core.output import atomic_output
from bookmaker.safety.policy import Refused, ResourcePolicy, policy_for
from bookmaker.theme import THEME_DIR, book_stylesheets, theme_stylesheets
from bookmaker.writers.html import PrintOptions, render_html
from bookmaker.writers.pdf.weasy import _book_fetcher, _weasyprint_warnings, import_weasyprint
from bookmaker.writers.pdf.pagemap import (
    agrees,
    can_use_page_map,
    fill_page_refs,
    load_page_map,
    page_map_of,
    referenced_ids,
    save_page_map,
)


def write_pdf(
    book: Book, target: Path, diagnostics: Diagnostics, options: PrintOptions | None = None, html: str | None = None,
    jobs: int = 1, progress: Callable[[int, int], None] | None = None, preflight: Callable | None = None,
) -> None:
    """Lay out the book and write it to `target`; `html` reuses an already rendered document.

    A file for a printer (--printer, --ink grey, PDF/X) is laid out as any other (in
    parts too), then finished and checked (print_file.py).
    """
    from bookmaker.writers.pdf.print_file import needs_finish, write_finished

    if needs_finish(options):
        def lay_out(laid_options: PrintOptions, path: Path) -> None:
            _write_pdf(book, path, diagnostics, laid_options, None, jobs, progress)

        write_finished(book, target, diagnostics, options, lay_out, preflight)
    else:
        _write_pdf(book, target, diagnostics, options, html, jobs, progress)


def _write_pdf(
    book: Book, target: Path, diagnostics: Diagnostics, options: PrintOptions | None = None, html: str | None = None,
    jobs: int = 1, progress: Callable[[int, int], None] | None = None,
) -> None:
    """Lay out the book and write it to `target`; `html` reuses an already rendered document.

    With `jobs` > 1 a book's parts are laid out by that many processes and
    merged (pdf_parts.py); a book that cannot be split so is laid out whole.
    """
    weasyprint = import_weasyprint()
    from weasyprint.urls import FatalURLFetchingError

    plain: list[str] = [] if html is None else [html]

    def plain_html() -> str:
        # Rendered only when it is laid out: the parts of a book whose last build left a page map
        # are laid out from the HTML with its notes' marks, not this one (a second render in `watch`).
        if not plain:
            plain.append(render_html(book, target.parent, options))
        return plain[0]

    fetcher = _book_fetcher(policy_for(book))
    try:
        reported = _check_stylesheets(weasyprint, book_stylesheets(book, "print"), diagnostics, policy_for(book))
    except Refused as refused:
        raise refused.as_book_error("stylesheet", diagnostics) from None
    except FatalURLFetchingError as exc:
        diagnostics.error(target, None, f"{exc}")
        raise BookError(diagnostics) from None
    base_url = target.parent.resolve().as_uri() + "/"
    key = page_map_key(book, options)
    # References on the page of an earlier reference to the same note are marked, so that the
    # note says "(p. 9)" rather than "(pp. 9, 9)"; which they are is known after layout, so
    # the marks come from the last build's page map and are checked against this layout.
    marks = _references_on_a_page_already_named(book, load_page_map(key))

    if jobs > 1 and _splittable(book, options) and not (options is not None and options.notes == "page"):
        from bookmaker.writers.pdf.parts.run import write_in_parts

        used = [marks]
        marks_ids = anchor_ids(book.index_marks)
        rendered: dict = {}

        def rerender(numbers: dict[str, int]) -> str:
            # The notes' same-page marks and the index's numbers, from the pages known so far; the
            # index shows placeholders until every mark's page is known (it is laid out after them).
            used[0] = _references_on_a_page_already_named(book, numbers)
            index_pages = None
            if marks_ids:
                index_pages = {a: numbers[a] for a in marks_ids} if marks_ids <= numbers.keys() else {}
            wanted = (used[0], tuple(sorted(index_pages.items())) if index_pages is not None else None)
            if wanted not in rendered:
                rendered.clear()
                rendered[wanted] = (render_html(book, target.parent, options, used[0], index_pages=index_pages)
                                    if used[0] or index_pages is not None else plain_html())
            return rendered[wanted]

        start_map = load_page_map(key)
        # A book whose own CSS counts pages across parts is laid out as one document, below.
        tries = 0 if _targets_of_its_own(book, rerender(start_map)) else 3
        for _ in range(tries):
            said = Diagnostics()
            try:
                laid = write_in_parts(rerender(start_map), target, said, reported, policy_for(book), key, jobs,
                                      bool(options and options.duplex), progress, rerender, marks_ids)
            except FatalURLFetchingError as exc:
                diagnostics.error(target, None, f"{exc}")
                raise BookError(diagnostics) from None
            if laid is None:
                break  # not splittable: laid out as one document below
            data, numbers = laid
            if _references_on_a_page_already_named(book, numbers) == used[0]:
                diagnostics.extend(said)
                if diagnostics.has_errors:
                    raise BookError(diagnostics)
                with atomic_output(target) as out:
                    out.write(data)
                return
            start_map = numbers

    def lay_out(text: str):
        return weasyprint.HTML(string=text, base_url=base_url, url_fetcher=fetcher).render()

    html = plain_html()
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
        # What the first layout's HTML says of the notes' same-page marks and the index's numbers:
        # nothing (placeholders), or what the last build's page map says, checked after layout.
        first_marks: frozenset[str] = frozenset()
        first_pages: dict[str, int] | None = {} if wanted else None
        if document is None and not (options is not None and options.notes == "page"):
            known = load_page_map(key)
            if wanted and wanted <= known.keys():
                first_pages = {a: known[a] for a in wanted}
            first_marks = marks
            if first_marks or first_pages:
                html = render_html(book, target.parent, options, first_marks, index_pages=first_pages)
        with _weasyprint_warnings(diagnostics, target, reported=reported):
            if document is None:
                # Numbers from the last build's page map, checked after layout (pagemap.py).
                document = _lay_out_numbered(html, lambda text: (lay_out(text), None), key)[0]
            # What only a layout tells: which note references share a page (a note says "(p. 9)"
            # rather than "(pp. 9, 9)") and on which pages the index's marks are. The book is
            # laid out again with those written in unless the first layout had them right; the
            # first layout has reported WeasyPrint's warnings.
            same_page = _references_on_a_page_already_named(book, page_map_of(document.pages))
            index_pages = anchor_pages(document, wanted) if wanted else None
            again, passes = same_page != first_marks or bool(wanted and index_pages != first_pages), 0
            while again and passes < MAX_INDEX_PASSES:
                logger = logging.getLogger("weasyprint")
                logger.disabled = True
                try:
                    document = _lay_out_numbered(
                        render_html(book, target.parent, options, same_page, index_pages=index_pages,
                                    long_notes=long_notes), lambda text: (lay_out(text), None), key)[0]
                finally:
                    logger.disabled = False
                passes += 1
                # The index comes last, so writing its numbers in moves no mark; should one move
                # anyway (a book stylesheet placing the index elsewhere), the layout is repeated.
                found = anchor_pages(document, wanted) if wanted else None
                again, index_pages = found != index_pages, found
            if wanted and index_pages:  # the next build writes them in before its first layout
                save_page_map(key, {**load_page_map(key), **index_pages})
            if diagnostics.has_errors:  # an error in the layout: the previous PDF stays
                raise BookError(diagnostics)
            variant = _weasyprint_variant(options)
            with atomic_output(target) as out:
                # pdf/ua-1 implies a tagged structure tree; WeasyPrint sets pdf_tags for it.
                document.write_pdf(out, pdf_variant=variant) if variant else document.write_pdf(out)
    except FatalURLFetchingError as exc:
        diagnostics.error(target, None, f"{exc}")
        raise BookError(diagnostics) from None


MAX_FOOTNOTE_PASSES = 4


def _weasyprint_variant(options: PrintOptions | None) -> str | None:
    """The variant WeasyPrint writes; PDF/X is made from the plain file (print_file.py)."""
    variant = options.pdf_variant if options else None
    return None if (variant or "pdf/x").startswith("pdf/x") else variant


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
        said = Diagnostics()
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


def _splittable(book: Book, options: PrintOptions | None) -> bool:
    """Whether the book can be laid out in parts: not an article (one flow), no PDF variant
    (PDF/A's metadata, PDF/UA's structure tree and PDF/X's output intent are made for one document)."""
    from bookmaker.writers.html import is_article

    options = options or PrintOptions()
    plain = not options.pdf_variant or options.pdf_variant.startswith("pdf/x")  # PDF/X: finished after the merge
    return plain and not is_article(book, options) and len(book.chapters) > 1


_TARGETS = re.compile(r"\btarget-(?:counters?|text)\s*\(", re.IGNORECASE)


def _targets_of_its_own(book: Book, html: str) -> bool:
    """Whether the book's own CSS (a stylesheet, a replaced print.css, a template's) shows another
    element's page number or text: laid out in parts, an element in another part is not there
    (`target-counter()` would count the part's own pages). The theme's print.css has such rules,
    each overridden by the page number written in (pagemap.py)."""
    theme = THEME_DIR / "styles" / "print.css"
    ours = len(_TARGETS.findall(theme.read_text(encoding="utf-8"))) if theme in theme_stylesheets("print", book) else 0
    return len(_TARGETS.findall(html)) > ours


def page_map_key(book: Book, options: PrintOptions | None) -> str:
    """Which earlier layout's page map fits this one: the same book folder with the same print options."""
    import dataclasses
    import json

    settings = dataclasses.asdict(options) if options else {}
    return json.dumps([str(Path(book.root).resolve()), book.slug, settings], sort_keys=True)


def _lay_out_numbered(html: str, lay_out, key: str):
    """Lay out with the page numbers of the last build written in, and check them.

    A number that the layout contradicts (the text moved) is corrected by laying
    out again with the numbers just found; should they keep moving (a longer
    number pushing its own target to another page), `target-counter()` decides,
    as it does on a first build. The map found is kept for the next build.
    """
    wanted = referenced_ids(html)
    usable = bool(wanted) and can_use_page_map(html)
    used = load_page_map(key) if usable else {}
    for _ in range(3):
        document, said = lay_out(fill_page_refs(html, used))
        if not usable:
            return document, said
        found = page_map_of(document.pages)
        if agrees(used, found, wanted):
            break
        used = found
    else:
        document, said = lay_out(html)
        found = page_map_of(document.pages)
    save_page_map(key, {i: n for i, n in found.items() if i in wanted})
    return document, said


def _references_on_a_page_already_named(book: Book, page_map: dict[str, int]) -> frozenset[str]:
    """Ids of note references on the same page as an earlier reference to the same note."""
    repeated = set()
    for note in book.notes:
        seen = set()
        for ref in note.refs:
            page = page_map.get(ref.id)
            if page is None:
                continue
            if page in seen:
                repeated.add(ref.id)
            seen.add(page)
    return frozenset(repeated)


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
