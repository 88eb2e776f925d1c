"""Page numbers known in advance: the TOC's numbers and the notes' "p. N" written as text.

WeasyPrint finds a `target-counter()` number by laying the document out,
then laying out again every page whose references changed (the TOC, the
notes), with a loop over all targets for every page: on a long book a third
of the layout time. With a page map (element id -> page number) from the
previous build of the same book, the numbers go into the HTML as attributes,
the stylesheet shows them with `attr()` instead of `target-counter()`, and
one layout pass is enough. The map is checked against that layout; a number
that moved (an edit added a page) is corrected by laying out once more, so the
PDF always says what a `target-counter()` layout says.

An element asks for a page number with `data-pageref="ID"`. With a map it
gets `data-page="N"`; an empty `<span class="pageref" data-pageref="ID">`
also gets N as its text. `data-digits="persian"` after `data-pageref` (a book in
Persian or Arabic, core/digits.py) writes N in those digits. Without a number (no map yet, or ID not in it) it is
left alone and the stylesheet's `target-counter()` rule applies.
"""

from __future__ import annotations

import html as html_escape
import json
import re
from collections.abc import Iterable

from bookmaker.core.digits import in_digits

# A page counter the book's CSS resets, sets or steps makes a page's number
# differ from its position; the map (position + 1) would then be wrong.
_PAGE_COUNTER = re.compile(r"counter-(?:reset|set|increment)\s*:[^;}]*\bpage\b", re.IGNORECASE)
_PAGEREF = re.compile(r'data-pageref="([^"]*)"(?: data-digits="([a-z-]+)")?')
_EMPTY_SPAN = re.compile(r'(<span class="pageref" data-pageref="([^"]*)"[^>]*>)(</span>)')


def can_use_page_map(html: str) -> bool:
    """Whether page numbers are page positions in this document (nothing renumbers the pages)."""
    return _PAGE_COUNTER.search(html) is None


def referenced_ids(html: str) -> set[str]:
    """The ids whose page numbers the document asks for."""
    return {html_escape.unescape(m.group(1)) for m in _PAGEREF.finditer(html)}


def fill_page_refs(html: str, page_map: dict[str, int]) -> str:
    """`html` with the page number of every reference the map knows written in."""
    if not page_map:
        return html

    def attribute(match: re.Match) -> str:
        number = page_map.get(html_escape.unescape(match.group(1)))
        return match.group(0) if number is None else f'{match.group(0)} data-page="{in_digits(int(number), match.group(2))}"'

    def text(match: re.Match) -> str:
        number = page_map.get(html_escape.unescape(match.group(2)))
        return match.group(0) if number is None else f"{match.group(1)}{int(number)}{match.group(3)}"

    return _PAGEREF.sub(attribute, _EMPTY_SPAN.sub(text, html))


def page_map_of(pages: Iterable, first_number: int = 1) -> dict[str, int]:
    """Each anchor (element id) of laid-out WeasyPrint pages -> the number of the first page it is on."""
    found: dict[str, int] = {}
    for number, page in enumerate(pages, start=first_number):
        for anchor in page.anchors:
            found.setdefault(anchor, number)
    return found


def agrees(used: dict[str, int], actual: dict[str, int], wanted: set[str]) -> bool:
    """Whether every number written from `used` is the one the layout gave."""
    return all(used.get(i) == actual.get(i) for i in wanted if i in used)


def load_page_map(key: str) -> dict[str, int]:
    """The page map the last build with this key left (empty when none)."""
    data = load_record(key)
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, int)}


def save_page_map(key: str, page_map: dict[str, int]) -> None:
    save_record(key, page_map)


def load_record(key: str) -> object:
    """What the last build with this key kept (JSON; None when nothing, or nothing readable, was kept).
    A damaged entry in the user cache is dropped (cache.py): the next layout uses target-counter() instead."""
    from bookmaker.core.cache import read_json

    return read_json("pagemaps", key.encode("utf-8", "surrogatepass"))


def save_record(key: str, data: object) -> None:
    from bookmaker.core.cache import write_json

    write_json("pagemaps", key.encode("utf-8", "surrogatepass"), data)
