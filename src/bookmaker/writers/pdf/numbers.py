"""What the PDF's page numbers depend on: which books may be laid out in parts, the page map's key, numbers
written in from the last build and checked (lay_out_numbered), the notes' same-page marks, the index's pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bookmaker.core.paths import real_path
from bookmaker.model import Book
from bookmaker.theme import THEME_DIR, theme_stylesheets
from bookmaker.writers.html import PrintOptions
from bookmaker.writers.pdf.pagemap import (
    agrees,
    can_use_page_map,
    fill_page_refs,
    load_page_map,
    page_map_of,
    referenced_ids,
    save_page_map,
)
from bookmaker.writers.pdf.settle import settle

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


def splittable(book: Book, options: PrintOptions | None) -> bool:
    """Whether the book can be laid out in parts: not an article (one flow), not PDF/A nor PDF/X (their
    metadata and output intent are made for one document; PDF/UA's structure trees are merged, structure.py)."""
    from bookmaker.writers.html import is_article

    options = options or PrintOptions()
    # PDF/A's metadata is made for one document; PDF/X is finished after the merge, PDF/UA's trees merged.
    plain = not (options.pdf_variant or "").startswith("pdf/a")
    return plain and not is_article(book, options) and len(book.chapters) > 1


_TARGETS = re.compile(r"\btarget-(?:counters?|text)\s*\(", re.IGNORECASE)


def targets_of_its_own(book: Book, html: str) -> bool:
    """Whether the book's own CSS (a stylesheet, a replaced print.css, a template's) shows another
    element's page number or text: laid out in parts, an element in another part is not there
    (`target-counter()` would count the part's own pages). The theme's print.css has such rules,
    each overridden by the page number written in (pagemap.py), and so has the stylesheet that says
    them in the book's words and digits (terms_css.py)."""
    from bookmaker.writers.pdf.terms_css import terms_css

    theme = THEME_DIR / "styles" / "print.css"
    ours = len(_TARGETS.findall(theme.read_text(encoding="utf-8"))) if theme in theme_stylesheets("print", book) else 0
    ours += len(_TARGETS.findall(terms_css(book.terms, book.digits)))
    return len(_TARGETS.findall(html)) > ours


def page_map_key(book: Book, options: PrintOptions | None) -> str:
    """Which earlier layout's page map fits this one: the same book folder with the same print options."""
    import dataclasses
    import json

    settings = dataclasses.asdict(options) if options else {}
    return json.dumps([str(real_path(book.root)), book.slug, settings], sort_keys=True)


def lay_out_numbered(html: str, lay_out: Callable[[str], object], key: str):
    """Lay out with the page numbers of the last build written in, and check them.

    A number that the layout contradicts (the text moved) is corrected by laying
    out again with the numbers just found; should they keep moving (a longer
    number pushing its own target to another page), `target-counter()` decides,
    as it does on a first build. The map found is kept for the next build.
    """
    wanted = referenced_ids(html)
    if not (wanted and can_use_page_map(html)):
        return lay_out(html)

    def numbered(used: dict[str, int]):
        document = lay_out(fill_page_refs(html, used))
        return document, page_map_of(document.pages)

    settled = settle(numbered, load_page_map(key), 3, lambda used, found: agrees(used, found, wanted))
    document, found = settled.result, settled.numbers
    if not settled.agreed:
        document = lay_out(html)
        found = page_map_of(document.pages)
    save_page_map(key, {i: n for i, n in found.items() if i in wanted})
    return document


def references_on_a_page_already_named(book: Book, page_map: dict[str, int]) -> frozenset[str]:
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
