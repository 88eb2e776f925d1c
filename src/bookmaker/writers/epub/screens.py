"""What a chapter's markup needs on a reader's small screen, beyond its style sheet (epub.css).

Each was seen in calibre's viewer and Foliate at phone width (issue 23) and is measured by
tests/test_epub_css.py in Chromium with those readers' injected styles:

- A wide table scrolls sideways in a box of its own, which a keyboard can reach and a screen
  reader names; narrow tables stay out of such boxes, since a scrolling box never breaks across
  pages and a long table lost every row past the first page.
- A heading directly above a figure stays with it, one above a box keeps room for the box's title
  and first lines, and a short captioned listing is kept whole:
  engines that ignore `break-after: avoid` in columns left the heading or caption at a column's
  foot, and keep only a block whole (`break-inside`).
- A web address shown as text may break where a copy editor would break it (after `//`, before
  `/`, `.` and the other separators): an engine without `overflow-wrap: anywhere` (Foliate's
  WebKit) moved it whole to the next line and spread the justified line before it with gaps.
- The spaces of inline code do not widen when a reader justifies the paragraph (`git  add`).

PDF and HTML keep the shared markup: a printed page neither scrolls nor reflows.
"""

from __future__ import annotations

import re

from lxml import etree

XHTML = "{http://www.w3.org/1999/xhtml}"
HEADINGS = {f"{XHTML}h{n}" for n in range(1, 7)}
# Text that is a web address (an autolink's, or the bibliography's DOI and URL links).
_ADDRESS = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.|doi:)\S+$", re.IGNORECASE)
# Where an address may break: before these (Chicago Manual of Style 14.18), after "//".
_BREAK_BEFORE = "/.?#&=-_~%,"
_SPACES = re.compile(r" +")
SHORT_LISTING = 12  # lines: a captioned listing this short is kept whole on a page (epub.css)


def for_small_screens(tree: etree._ElementTree, table_word: str) -> None:
    """Adjust one content document's markup in place; `table_word` names a scrolling table without a caption."""
    root = tree.getroot()
    taken = {el.get("id") for el in root.iter() if el.get("id")}
    for index, table in enumerate(root.iter(f"{XHTML}table")):
        _scrolling_box(table, index, table_word, taken)
    for heading in [el for el in root.iter() if el.tag in HEADINGS]:
        _keep_with_next(heading)
    for figure in root.iter(f"{XHTML}figure"):
        if "code-figure" in figure.get("class", "").split() and _lines(figure) <= SHORT_LISTING:
            figure.set("class", f"{figure.get('class')} keep-together")
    for a in root.iter(f"{XHTML}a"):
        if len(a) == 0 and a.text and _ADDRESS.match(a.text.strip()):
            _address_breaks(a)
    for code in list(root.iter(f"{XHTML}code")):
        if not any(parent.tag == f"{XHTML}pre" for parent in code.iterancestors()):
            _fixed_spaces(code)


def _scrolling_box(table: etree._Element, index: int, table_word: str, taken: set[str]) -> None:
    wrap = table.getparent()
    if "table-wide" not in table.get("class", "").split() or wrap is None or wrap.get("class") != "table-wrap":
        return
    wrap.set("class", "table-wrap table-scroll")
    wrap.set("tabindex", "0")  # a scrolling region a keyboard can reach (WCAG 2.1.1; Ace's scrollable-region-focusable)
    wrap.set("role", "region")
    caption = table.find(f"{XHTML}caption")
    if caption is None:
        wrap.set("aria-label", table_word)
        return
    if not caption.get("id"):
        name = f"{table.get('id') or f'table-{index + 1}'}-caption"
        while name in taken:
            name += "-1"
        caption.set("id", name)
        taken.add(name)
    wrap.set("aria-labelledby", caption.get("id"))


def _keep_with_next(heading: etree._Element) -> None:
    following = heading.getnext()
    if following is None or (heading.tail and heading.tail.strip()):
        return
    if "box" in following.get("class", "").split():
        # The heading's room for two lines must hold the box's edge, its title and the title's own room.
        heading.set("class", " ".join([*heading.get("class", "").split(), "before-box"]))
    if following.tag != f"{XHTML}figure" or "code-figure" in following.get("class", "").split():
        return  # a code figure may be longer than a page: its caption keeps lines of it (epub.css)
    keep = etree.Element(f"{XHTML}div", {"class": "keep-together"})
    heading.addprevious(keep)
    keep.tail, following.tail = following.tail, "\n"
    keep.text = "\n"
    keep.append(heading)
    keep.append(following)


def _lines(figure: etree._Element) -> int:
    return sum(1 for span in figure.iter(f"{XHTML}span") if span.get("class") == "line")


def _address_breaks(a: etree._Element) -> None:
    text = a.text
    pieces, start = [], 0
    for i in range(1, len(text)):
        before, here = text[i - 1], text[i]
        after_slashes = text[max(0, i - 2):i] == "//" and here != "/"
        if after_slashes or (here in _BREAK_BEFORE and before not in ":/" + here):
            pieces.append(text[start:i])
            start = i
    pieces.append(text[start:])
    a.text = pieces[0]
    for piece in pieces[1:]:
        etree.SubElement(a, f"{XHTML}wbr").tail = piece


def _fixed_spaces(code: etree._Element) -> None:
    """Each run of spaces in `code`'s own text becomes a box of its own, which justification does not widen
    (it widens spaces in text, NO-BREAK SPACE too, never inside an inline-block: epub.css)."""
    for node, attribute in [(code, "text"), *((child, "tail") for child in code)]:
        text = getattr(node, attribute)
        if not text or " " not in text:
            continue
        parts = _SPACES.split(text)
        spaces = _SPACES.findall(text)
        setattr(node, attribute, parts[0])
        anchor = node if attribute == "tail" else None
        for run, part in zip(spaces, parts[1:]):
            span = etree.Element(f"{XHTML}span", {"class": "code-space"})
            span.text, span.tail = run, part
            if anchor is None:
                code.insert(0, span)
            else:
                anchor.addnext(span)
            anchor = span
