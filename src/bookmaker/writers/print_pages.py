"""The printed pages of the last PDF of a book, as the EPUB's page list needs them.

The PDF writer keeps, for each page, its printed number and the first words of its text (its
running head, page number and floats aside); the EPUB writer places a page-break marker before
those words (writers/epub/pagebreaks.py). The record is used only while it is current: made
from the same book (the model's fingerprint) and describing the PDF that is still where it was
written, byte for byte. Anything else gives no page list rather than a wrong one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from bookmaker.model import Book

FIRST_WORDS = 8  # enough to find a page's start among a book's text; few enough to stay on the page
_WORD = re.compile(r"\w+")


@dataclass
class PrintPages:
    pdf: Path  # the print edition the numbers come from
    labels: list[str]  # the printed number of each page, in page order
    starts: list[str]  # the first words of each page's text ('' for a page without text)
    paper: str = ""


def book_fingerprint(book: Book) -> str:
    """What the book says, as the model holds it: a PDF and an EPUB of equal fingerprints hold the same text."""
    parts = [_plain(book.metadata), _plain(book.chapters), _plain(book.notes), _plain(book.index_marks)]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


_LEAVES = (str, int, float, bool, type(None))
_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's fields, found once (a book holds thousands of blocks)


def _plain(value):
    if type(value) in _LEAVES:  # the exact types first: most of a book
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if dataclasses.is_dataclass(value):
        kind = type(value)
        if kind not in _FIELDS:
            _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value) if f.name != "policy")
        return {name: _plain(getattr(value, name)) for name in _FIELDS[kind]}
    return value if isinstance(value, _LEAVES) else str(value)


def first_words_of(page) -> str:
    """The first words of a laid-out WeasyPrint page's text: no margin boxes (running heads, page
    numbers), footnote area, floats (an infobox) nor positioned boxes."""
    from weasyprint.formatting_structure import boxes

    found: list[str] = []

    def walk(box, top: bool) -> None:
        if isinstance(box, boxes.MarginBox) or type(box).__name__ == "FootnoteAreaBox":
            return
        style = getattr(box, "style", None)
        if not top and style is not None and (style["float"] != "none" or style["position"] in ("absolute", "fixed")):
            return
        if isinstance(box, boxes.TextBox):
            found.extend(_WORD.findall(box.text))
            return
        for child in getattr(box, "children", ()):
            if len(found) >= FIRST_WORDS:
                return
            walk(child, False)

    try:
        walk(page._page_box, True)
    except (AttributeError, KeyError, TypeError, RecursionError):
        return ""  # a box of a shape not foreseen: this page gets no words, and its marker stands by the next
    return " ".join(found[:FIRST_WORDS])


# The records this process made: a build with the cache off (BOOKMAKER_NO_CACHE) still has its PDF's pages.
_MADE: dict[str, dict] = {}


def _key(book: Book) -> str:
    return json.dumps(["print-pages", str(Path(book.root).resolve()), book.slug])


def save_print_pages(book: Book, pdf: Path, labels: list[str], starts: list[str], paper: str = "") -> None:
    """Kept after the PDF at `pdf` is written; the EPUB written next finds it (pagemap.py's cache)."""
    from bookmaker.writers.pdf.pagemap import save_record

    try:
        digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    except OSError:
        return
    record = {"book": book_fingerprint(book), "pdf": str(pdf.resolve()), "sha256": digest,
              "labels": labels, "starts": starts, "paper": paper}
    _MADE[_key(book)] = record
    save_record(_key(book), record)


def move_print_pages(book: Book, laid: Path, finished: Path) -> None:
    """The record of the PDF laid out at `laid` made the record of `finished`, the file it became (a print
    file's finish, print_file.py, writes new bytes to the target): else the EPUB would look for `laid`,
    a temporary file gone by then, and have no page list."""
    from bookmaker.writers.pdf.pagemap import save_record

    record = _MADE.get(_key(book))
    if record is None or record.get("pdf") != str(laid.resolve()):
        return
    try:
        digest = hashlib.sha256(finished.read_bytes()).hexdigest()
    except OSError:
        return
    record = {**record, "pdf": str(finished.resolve()), "sha256": digest}
    _MADE[_key(book)] = record
    save_record(_key(book), record)


def current_print_pages(book: Book) -> tuple[PrintPages | None, str]:
    """The page record of this book's last PDF when it is current, else None and why not (one line)."""
    from bookmaker.writers.pdf.pagemap import load_record

    data = _MADE.get(_key(book)) or load_record(_key(book))
    if not isinstance(data, dict) or not isinstance(data.get("pdf"), str):
        return None, "no PDF of this book was made yet: build the PDF first (bookmaker build)"
    if data.get("book") != book_fingerprint(book):
        return None, "the book changed since its PDF was made: build the PDF again first (bookmaker build)"
    pdf = Path(data["pdf"])
    try:
        same = hashlib.sha256(pdf.read_bytes()).hexdigest() == data.get("sha256")
    except OSError:
        same = False
    if not same:
        return None, f"the PDF {pdf.name} the page numbers came from is gone or changed: build the PDF again first"
    labels, starts = data.get("labels"), data.get("starts")
    if (not isinstance(labels, list) or not isinstance(starts, list) or len(labels) != len(starts)
            or not all(isinstance(v, str) for v in labels + starts)):
        return None, "the page record of the last PDF cannot be read: build the PDF again first"
    return PrintPages(pdf, labels, starts, str(data.get("paper") or "")), ""


# `counter(page, upper-roman)`: a page number printed in another style than the digits of its position.
_COUNTER_STYLE = re.compile(r"counter\(\s*page\s*,", re.IGNORECASE)


def keep_print_pages(book: Book, target: Path, html: str, starts: list[str], paper: str | None) -> None:
    """The pages' numbers and first words of the PDF just written, for the EPUB's page list; a book whose
    CSS numbers its pages itself keeps none (the numbers printed are not known here), nor one whose words
    do not cover every page (a part from an older cache)."""
    from bookmaker.core.output import is_stdout
    from bookmaker.writers.pdf.numbers import pages_are_positions

    if is_stdout(target) or not pages_are_positions(html) or _COUNTER_STYLE.search(html):
        return
    import pikepdf

    try:
        with pikepdf.open(target) as pdf:
            if len(pdf.pages) != len(starts):
                return
    except (OSError, pikepdf.PdfError):
        return
    save_print_pages(book, target, [str(n) for n in range(1, len(starts) + 1)], starts, paper or "A4")
