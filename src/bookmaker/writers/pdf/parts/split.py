"""The book's HTML cut into parts at its chapters (and the notes at their cuts), each part a document of its own."""

from __future__ import annotations

import html as html_escape
import re
from dataclasses import dataclass, field

from bookmaker.writers.pdf.notes.cuts import CSS as NOTES_CSS
from bookmaker.writers.pdf.notes.cuts import (
    FILLER,
    NoteCut,
    NotesPiece,
    balance,
    cut_notes,
)
from bookmaker.writers.pdf.pagemap import fill_page_refs, referenced_ids

_ID = re.compile(r'\sid="([^"]*)"')


_HREF = re.compile(r'\shref="#([^"]*)"')


_TOP = re.compile(r'<(section|nav|div|aside|header|footer|main|article)\b[^>]*\bclass="([^"]*)"')


# Rules a split cannot honour: page counters of the book's own, :first pages, counter(pages) (in a
# part it would be the part's own total), and counters the book steps itself (a figure or chapter
# number would restart in each part; the theme's code-line counter is reset by each listing).
_UNSPLITTABLE = re.compile(r"counter-(?:reset|set|increment)\s*:[^;}]*\bpage\b|@page[^{]*:first|counter\(\s*pages\s*\)"
                           r"|counter-(?:increment|set)\s*:(?!\s*(?:none|line)\s*[;}])", re.IGNORECASE)


_PAD_CLASS = "bookmaker-part-pad"


# Rules that make a page's layout depend on its side of the spread: a part laid out from a guessed
# start on the wrong side cannot just be renumbered.
SIDED = re.compile(r"@page[^{]*:(?:left|right|recto|verso)|break-(?:before|after)\s*:\s*(?:left|right|recto|verso)",
                    re.IGNORECASE)


@dataclass
class Part:
    name: str  # its first element's id, or "front"
    body: str  # its top-level elements, as in the whole document
    owned: set[str] = field(default_factory=set)
    wanted: set[str] = field(default_factory=set)  # ids it links to
    pagerefs: set[str] = field(default_factory=set)  # ids whose page numbers it shows (pagemap.py)
    kind: str = "front"  # "chapter", "notes", "index" or "front"
    notes: NotesPiece | None = None  # a part of the notes cut at a page top (pdf_note_parts.py)


def split(html: str, cuts: list[NoteCut] = ()) -> tuple[str, str, list[Part]] | None:
    """The document's head, its body's opening, and its parts; None when it cannot be split exactly.

    `cuts`: where the notes are cut into parts of their own (pdf_note_parts.py)."""
    if _UNSPLITTABLE.search(html):
        return None
    head, sep, rest = html.partition("<body")
    if not sep:
        return None
    open_end = rest.find(">")
    body_open = sep + rest[: open_end + 1]
    body, sep, tail = rest[open_end + 1 :].rpartition("</body>")
    if not sep:
        return None
    # Top-level elements start their line in the template's output; a line that
    # starts one is only believed when the elements before it are balanced.
    parts: list[Part] = []
    current: list[str] = []
    name = "front"
    kind = "front"
    depth = 0
    for line in body.splitlines(keepends=True):
        top = _TOP.match(line) if depth == 0 else None
        if top:
            classes = top.group(2).split()
            # A chapter that continues the one before it (no page break: read/book.py) stays in its part.
            new_part = ("chapter" in classes and "continued" not in classes) or (
                top.group(1) == "section" and ("notes" in classes or "index" in classes))
            if new_part and "".join(current).strip():
                parts.append(Part(name, "".join(current), kind=kind))
                current = []
            if new_part:
                kind = "chapter" if "chapter" in classes else "notes" if "notes" in classes else "index"
                found = _ID.search(line)
                if not found:
                    return None
                name = html_escape.unescape(found.group(1))
        current.append(line)
        depth += balance(line)
        if depth < 0:
            return None
    if depth != 0:
        return None
    parts.append(Part(name, "".join(current), kind=kind))
    if len(parts) < 2 or parts[0].name != "front":
        return None
    if cuts:
        at = next((n for n, p in enumerate(parts) if p.kind == "notes"), None)
        pieces = cut_notes(parts[at].body, list(cuts)) if at is not None else None
        if pieces is None:
            return None
        parts[at: at + 1] = [Part(piece.continued.note_id if piece.continued else parts[at].name, piece.body,
                                  kind="notes", notes=piece) for piece in pieces]
    for part in parts:
        _part_ids(part)
        if part.kind == "index":
            # Its numbers are written in by the caller's rerender (index_pages): they depend on every mark's page.
            part.pagerefs |= {html_escape.unescape(i) for i in _HREF.findall(part.body)} - part.owned
    return head, body_open, parts


def _part_ids(part: Part) -> Part:
    """The ids a part holds (not those of its probe), links to, and shows the page numbers of."""
    part.owned = {html_escape.unescape(i) for i in _ID.findall(part.body)}
    if part.notes is not None:
        part.owned -= {html_escape.unescape(i) for i in _ID.findall(part.notes.probe)}
    part.wanted = {html_escape.unescape(i) for i in _HREF.findall(part.body)} | referenced_ids(part.body)
    part.pagerefs = referenced_ids(part.body)
    return part


# The theme's rules that show a page number with target-counter() (print.css, terms_css.py) are for links
# of these classes, and for every link of the contents and the lists of figures and tables. A book whose
# own CSS says target-counter() is not laid out in parts (numbers.targets_of_its_own).
COUNTED_CLASSES = ("backlink", "with-page", "pending")
COUNTED_WITHIN = ("toc", "list-of-figures", "list-of-tables")
_LINK = re.compile(r"<a\b[^>]*>")
_CLASS = re.compile(r'\sclass="([^"]*)"')


def counted(body: str) -> set[str]:
    """The ids whose page numbers a theme rule may show with target-counter() in `body`: those of the
    links it has that rule for, and of elements that ask for a page number (`data-pageref`)."""
    within = any(name in COUNTED_WITHIN for found in _CLASS.findall(body) for name in found.split())
    ids = referenced_ids(body)
    for tag in _LINK.findall(body):
        href = _HREF.search(tag)
        classes = _CLASS.search(tag)
        if href and (within or (classes and any(c in COUNTED_CLASSES for c in classes.group(1).split()))):
            ids.add(html_escape.unescape(href.group(1)))
    return ids


def book_title(html: str) -> str | None:
    """The text the title page gives the `booktitle` running head."""
    from lxml import html as lxml_html

    front = html.split('<section class="titlepage">', 1)
    if len(front) < 2:
        return None
    titles = lxml_html.fromstring(front[1].split("</section>", 1)[0] or "<p></p>").find_class("title")
    return titles[0].text_content() if titles else None


def _css_string(text: str) -> str:
    return '"' + "".join(f"\\{ord(c):x} " if c in '"\\\n' or ord(c) < 32 else c for c in text) + '"'


def numbers_shown(part: Part, numbers: dict[str, int], start: int) -> dict[str, int]:
    """The page numbers written into a part starting after page `start`: each it shows, as `numbers` knows
    it, else guessed as the part's own start. A number not known yet is a guess, corrected by the next
    wave; target-counter() would lay the part out again and again for numbers that are wrong anyway."""
    return {name: numbers.get(name, max(start, 1)) for name in sorted(part.pagerefs)}


def part_html(head: str, body_open: str, part: Part, start: int, pad: bool, numbers: dict[str, int],
              title: str | None, rtl: bool, strings: dict[str, str] | None = None) -> str:
    """A part as a document of its own, starting after page `start` of the book.

    `strings`: the named strings in effect where it begins, for a part that begins inside the notes
    (else the book title of the running heads)."""
    css = []
    if pad:
        # The pad page is page `start`, on the side that page has in the book.
        right = (start % 2 == 1) != rtl
        css.append(f"html {{ break-before: {'right' if right else 'left'}; }}")
        css.append(f"@page :first {{ counter-reset: page {start}; }}")
        if strings is None:
            strings = {"booktitle": title} if title is not None else {}
        if strings:
            pairs = ", ".join(f"{name} {_css_string(value)}" for name, value in sorted(strings.items())
                              if re.fullmatch(r"-?[A-Za-z_][\w-]*", name))
            css.append(f"html {{ string-set: {pairs}; }}")
    if part.notes is not None and part.notes.continued is not None:
        css.append(NOTES_CSS)
    css.append(f".{_PAD_CLASS}-anchors {{ position: absolute; top: 0; left: 0; width: 0; height: 0; overflow: hidden; }}")
    style = "<style>\n" + "\n".join(css) + "\n</style>\n"
    head = head.replace("</head>", style + "</head>", 1) if "</head>" in head else head + style
    missing = part.wanted - part.owned - ({html_escape.unescape(i) for i in _ID.findall(part.notes.probe)}
                                          if part.notes is not None else set())
    # Only the ids a target-counter() may look for stand on the pad page as elements; a link to an id
    # elsewhere needs only a name, which the worker gives it after layout (worker.name_links_elsewhere):
    # thousands of empty spans were a third of the index's layout, thrown away with the pad page.
    anchors = "".join(f'<span id="{html_escape.escape(i)}"></span>' for i in sorted(missing & counted(part.body)))
    anchors = f'<div class="{_PAD_CLASS}-anchors">{anchors}</div>' if anchors else ""
    body = fill_page_refs(part.body, numbers)
    if part.notes is not None and part.notes.continued is not None:
        # The pad page holds the notes' section and its filler, nothing before them: the filler fills
        # that page, so the first note comes next by an unforced break.
        return head + body_open + "\n" + body.replace(FILLER, FILLER[:-6] + anchors + "</div>", 1) + "</body>\n</html>\n"
    lead = f'<div class="{_PAD_CLASS}">{anchors}</div>' if pad else anchors
    return head + body_open + "\n" + lead + body + "</body>\n</html>\n"
