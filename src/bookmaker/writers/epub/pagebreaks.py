"""Print page numbers in the EPUB: a page-break marker before the first word of each printed page.

The PDF writer kept the first words of every page (print_pages.py). Here the EPUB's documents
are read as one stream of letters, in reading order, and each page's words are looked for after
the previous page's place (the notes, which print at the end of the book but stand in each
chapter's file here, are looked for from the start when they are not found after it). The
marker goes before the word the page starts in: a word hyphenated across two pages stays whole.
A page whose words are not in the EPUB (a blank page, the printed contents) gets its marker
beside the next page's, so the page list still has every page, in order of pages.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from lxml import etree

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)  # letters only: numbers differ (note numbers, index locators)
# A marker inside these would break them (MathML holds no XHTML) or hide in them (a link's text).
_ATOMIC = {f"{{{XHTML_NS}}}a", "{http://www.w3.org/1998/Math/MathML}math", f"{{{XHTML_NS}}}sup",
           f"{{{XHTML_NS}}}sub", f"{{{XHTML_NS}}}code", f"{{{XHTML_NS}}}svg", "{http://www.w3.org/2000/svg}svg"}
_MIN_KEY = 6  # letters: a shorter start would be found anywhere


@dataclass
class _Spot:
    """Where a letter of the stream is: the text (or tail) of `element`, at `offset`."""

    doc: str
    element: etree._Element
    tail: bool
    offset: int


@dataclass
class _Text:
    """One text (or tail) of the documents: where its letters begin in the stream, and each one's offset."""

    start: int
    doc: str
    element: etree._Element
    tail: bool
    offsets: list[int]


@dataclass
class PageBreak:
    label: str
    doc: str
    id: str


def letters(text: str) -> str:
    return "".join(_LETTERS.findall(text.casefold()))


def place_page_breaks(trees: dict[str, etree._ElementTree], order: list[str], labels: list[str],
                      starts: list[str], taken_ids: set[str]) -> list[PageBreak]:
    """Insert a marker for every page into the documents `order` names; return them in page order."""
    stream, texts = _stream(trees, order)
    firsts = [text.start for text in texts]
    found: list[int | None] = []
    position = 0
    for start in starts:
        key = letters(start)[:60]
        at = None
        if len(key) >= _MIN_KEY:
            at = stream.find(key, position)
            if at < 0:
                at = stream.find(key)
            at = None if at < 0 else at
        found.append(at)
        if at is not None:
            position = at + 1
    # A page not found stands where the next found page does; the last ones after the end of the text.
    places: list[int] = []
    following = len(stream)
    for at in reversed(found):
        following = at if at is not None else following
        places.append(following)
    places.reverse()
    breaks = [PageBreak(label, order[-1], _free_id(f"page-{label}", taken_ids)) for label in labels]
    # Inserted from the last place to the first, so that the spots before each stay where they were;
    # two pages at one place: the later first, so the earlier ends up before it.
    for index in sorted(range(len(breaks)), key=lambda i: (places[i], i), reverse=True):
        if places[index] < len(stream):
            spot = _word_start(texts[bisect_right(firsts, places[index]) - 1], places[index])
            breaks[index].doc = spot.doc
            _insert(spot, breaks[index])
    body = trees[order[-1]].getroot().find(f"{{{XHTML_NS}}}body")
    for index, page in enumerate(breaks):
        if places[index] >= len(stream) and body is not None:
            body.append(_marker(page))
    return breaks


def _stream(trees: dict[str, etree._ElementTree], order: list[str]) -> tuple[str, list[_Text]]:
    chars: list[str] = []
    texts: list[_Text] = []

    def add(doc: str, element, tail: bool, text: str | None) -> None:
        offsets: list[int] = []
        for offset, char in enumerate(text or ""):
            for letter in _LETTERS.findall(char.casefold()):
                chars.append(letter)
                offsets.append(offset)
        if offsets:
            texts.append(_Text(len(chars) - len(offsets), doc, element, tail, offsets))

    def walk(doc: str, element) -> None:
        if not isinstance(element.tag, str) or element.get("hidden") is not None or element.tag.endswith("annotation"):
            return
        if element.get(f"{{{EPUB_NS}}}type") == "index-locator":
            return  # the EPUB's index names sections where print has page numbers: not the PDF's words
        add(doc, element, False, element.text)
        for child in element:
            walk(doc, child)
            add(doc, child, True, child.tail)

    for doc in order:
        body = trees[doc].getroot().find(f"{{{XHTML_NS}}}body")
        if body is not None:
            walk(doc, body)
    return "".join(chars), texts


def _word_start(text: _Text, at: int) -> _Spot:
    """The first letter of the word the stream's letter `at` is in (within its text: no space between)."""
    k = at - text.start
    source = (text.element.tail if text.tail else text.element.text) or ""
    while k > 0 and source[text.offsets[k - 1]:text.offsets[k] + 1].replace("\xad", "").isalpha():
        k -= 1
    return _Spot(text.doc, text.element, text.tail, text.offsets[k])


def _marker(page: PageBreak) -> etree._Element:
    return etree.Element(f"{{{XHTML_NS}}}span", {f"{{{EPUB_NS}}}type": "pagebreak", "role": "doc-pagebreak",
                                                 "id": page.id, "aria-label": page.label})


def _insert(spot: _Spot, page: PageBreak) -> None:
    element, tail, offset = spot.element, spot.tail, spot.offset
    # Inside a link, a formula or a note mark: just before it, at the outermost such element.
    host, outer = (element.getparent() if tail else element), None
    while host is not None:
        if host.tag in _ATOMIC:
            outer = host
        host = host.getparent()
    if outer is not None:
        before = outer.getprevious()
        if before is not None:
            element, tail, offset = before, True, len(before.tail or "")
        else:
            element, tail, offset = outer.getparent(), False, len(outer.getparent().text or "")
    marker = _marker(page)
    text = (element.tail if tail else element.text) or ""
    marker.tail = text[offset:]
    if tail:
        element.tail = text[:offset]
        element.addnext(marker)
    else:
        element.text = text[:offset]
        element.insert(0, marker)


def _free_id(wanted: str, taken: set[str]) -> str:
    ident, n = wanted, 1
    while ident in taken:
        n += 1
        ident = f"{wanted}-{n}"
    taken.add(ident)
    return ident
