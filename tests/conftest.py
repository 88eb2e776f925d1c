"""Helpers shared by the tests: build real books and check them with real tools."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

import epubcheck_server

from bookmaker.cli import main

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path | None = None) -> Run:
    """Run the bookmaker command in this process (WeasyPrint is imported once per test session)."""
    runner = CliRunner()
    old = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = runner.invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return Run(result.exit_code, result.stdout, result.stderr)


def copy_fixture(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def build(book: Path, fmt: str, *extra: str) -> Path:
    """Build one format and return the path the command printed; fail with its diagnostics otherwise."""
    result = run_cli(fmt, str(book), *extra)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines, "the command printed no output path"
    path = Path(lines[-1])
    return path if path.is_absolute() else Path.cwd() / path


def short_highlight_budget(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """The hostile case whose two code blocks exhaust Pygments' time budget runs with 1 s instead of a
    build's 3 (its expected.txt says "1 s"): the fast layer waited 12 of its 35 seconds on them. The blocks
    that took too long before, with another budget, are forgotten for the test."""
    if case == "highlight-backtracking":
        from bookmaker.render import highlight_worker

        monkeypatch.setattr(highlight_worker, "BUDGET_SECONDS", 1.0)
        monkeypatch.setattr(highlight_worker._WORKER, "too_slow", {})


# -- EPUB ----------------------------------------------------------------------------


def epubcheck(epub: Path) -> dict:
    """Run W3C EPUBCheck (the jar bundled by the epubcheck package) and return its JSON report."""
    return epubcheck_server.epubcheck(epub)


def epubcheck_many(epubs: list[Path]) -> dict[Path, dict]:
    """EPUBCheck's JSON report of each EPUB (one warm Java process checks them all)."""
    return {epub: epubcheck_server.epubcheck(epub) for epub in epubs}


def epubcheck_problems(report: dict) -> list[str]:
    """The fatal errors, errors and warnings of an EPUBCheck report, one line each."""
    return [f"{m['severity']} {m['ID']}: {m['message']} {[l.get('path') for l in m['locations']][:3]}"
            for m in report["messages"] if m["severity"] in ("FATAL", "ERROR", "WARNING")]


def assert_epubcheck_clean(epub: Path) -> None:
    report = epubcheck(epub)
    messages = [f"{m['severity']} {m['ID']}: {m['message']} {[l.get('path') for l in m['locations']][:3]}"
                for m in report["messages"] if m["severity"] in ("FATAL", "ERROR", "WARNING")]
    assert report["checker"]["nFatal"] == 0 and report["checker"]["nError"] == 0 and report["checker"]["nWarning"] == 0, messages
    assert report["checker"]["checkerVersion"].startswith("5.3"), report["checker"]["checkerVersion"]


class Epub:
    """An EPUB opened for reading its parts as XML."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path)

    def names(self) -> list[str]:
        return self.zip.namelist()

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.zip.read(name))

    def opf(self) -> etree._Element:
        return self.xml("EPUB/content.opf")

    def content_documents(self) -> dict[str, etree._Element]:
        return {n: self.xml(n) for n in self.names() if n.endswith(".xhtml") and not n.endswith("nav.xhtml")}


# EPUBCheck (a JVM, seconds a book) runs on the books that hold all of bookmaker's markup:
# the sample book (test_sample_book.py), `every-syntax` and `chapters` (test_epub_quality.py).
# Another EPUB a test builds needs no run of its own when it has no markup those books lack.
EPUBCHECKED_BOOKS = (REPO, FIXTURES / "every-syntax", FIXTURES / "chapters")
_SHAPE_ATTRIBUTES = ("role", EPUB_TYPE, "dir", "property", "name", "rel", "media-type", "properties")


def markup_shapes(epub: Epub) -> set[tuple]:
    """Each element of the package, navigation and content documents, by its tag, the names of
    its attributes and the values of those EPUBCheck reads (role, epub:type, dir, property...)."""
    shapes = set()
    for name in epub.names():
        if name.endswith((".xhtml", ".opf", ".ncx")):
            for el in epub.xml(name).iter():
                if isinstance(el.tag, str):
                    shapes.add((el.tag, tuple(sorted(el.attrib)), tuple(el.get(a) for a in _SHAPE_ATTRIBUTES)))
    return shapes


@pytest.fixture(scope="session")
def epubchecked_shapes(tmp_path_factory) -> set[tuple]:
    out = tmp_path_factory.mktemp("epubchecked")
    return set().union(*(markup_shapes(Epub(build(book, "epub", "-o", str(out / f"{i}.epub"))))
                         for i, book in enumerate(EPUBCHECKED_BOOKS)))


# The print edition's page list: an EPUB has it when its book's last PDF is still current, which depends
# on what the session built before (the user cache). The sample, built with its PDF, has it and is
# EPUBChecked (test_sample_book.py), and so is the scholarly book's (test_page_list.py, with Ace).
_PAGE_LIST = {"pagebreak", "page-list", "doc-pagebreak", "doc-pagelist", "pageBreakSource"}


def assert_markup_is_epubchecked(epub: Epub, checked: set[tuple]) -> None:
    missing = sorted((shape for shape in markup_shapes(epub) - checked if not _PAGE_LIST & set(shape[2])), key=str)
    assert not missing, f"{epub.path.name} has markup no EPUBChecked book has; add it to every-syntax: {missing}"


@pytest.fixture(scope="session")
def sample_book(tmp_path_factory) -> dict[str, Path]:
    """The repository's own book, built once for the session with `bookmaker build`."""
    out = tmp_path_factory.mktemp("sample")
    result = run_cli("build", str(REPO), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    paths = [Path(line) for line in result.stdout.strip().splitlines()]
    return {p.suffix.lstrip("."): p for p in paths} | {"stderr": result.stderr}


def text_positions(page) -> list[tuple[str, float, float]]:
    """Each piece of text on a pypdf page with its x and y in points."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((text.strip(), tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]))

    page.extract_text(visitor_text=visit)
    return found


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-fixtures", action="store_true",
                     help="rewrite the expected output of the tests/fast/fixtures cases whose output changed")


# -- the printed index and footnotes: checked against the pages of a real PDF ---------------

_INDEX_MARK = re.compile(r"\[([^\[\]]*)\]\{([^{}]*\bindex\b[^{}]*)\}")
_INDEX_ATTR = re.compile(r'([\w-]+)=(?:"([^"]*)"|(\S+))')
_SPAN = re.compile(r"\[([^\]]*)\]\{[^}]*\}")


def marked_texts(book: Path) -> dict[tuple[str, ...], list[str]]:
    """Each index entry of a book -> the words its marks stand on (a range's empty mark: the words beside it)."""
    from bookmaker.resolve.index import parse_entries

    found: dict[tuple[str, ...], list[str]] = {}
    for path in sorted((book / "manuscript").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for match in _INDEX_MARK.finditer(text):
            attrs = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
                     for m in _INDEX_ATTR.finditer(match.group(2))}
            if "index-see" in attrs or "index-seealso" in attrs:
                continue
            words = match.group(1)
            if not words:  # a range's mark: the three words after its start, or before its end
                if attrs.get("index-range") == "end":
                    words = " ".join(_SPAN.sub(r"\1", text[: match.start()]).split()[-3:])
                else:
                    words = " ".join(_SPAN.sub(r"\1", text[match.end():]).split()[:3])
            for entry in parse_entries(attrs.get("index") or match.group(1)):
                found.setdefault(entry, []).append(words.replace("'", "\u2019"))
    return found


def page_texts(pdf: Path) -> dict[int, str]:
    """Printed page number (the number in the page's foot) -> the page's text, lines joined."""
    from pypdf import PdfReader

    pages = {}
    for page in PdfReader(pdf).pages:
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        if lines and lines[-1].isdigit():
            text = "\n".join(lines[:-1])
            pages[int(lines[-1])] = " ".join(re.sub(r"[-\u2010\u00ad]\n", "", text).split())  # words hyphenated at line ends
    return pages


def assert_index_pages_are_right(pdf: Path, book: Path) -> tuple[dict[int, str], str, int]:
    """Find each marked word on every page its index entry names, and each mark's page in its entry.

    Returns the pages, the index's text and how many page spans were checked."""
    pages = page_texts(pdf)
    index_number = next(n for n, text in pages.items() if text.startswith("Index "))
    index_text = "\n".join(pages[n] for n in sorted(pages) if n >= index_number)
    checked = 0
    for entry, words in marked_texts(book).items():
        term = entry[-1]
        # The entry's line in the index: its (last level) term followed by its page numbers.
        line = re.search(rf"(?:^| ){re.escape(term)}((?:, \d+(?:–\d+)?)+)", index_text)
        assert line, f"{entry} is not in the index: {index_text}"
        numbers = re.findall(r"(\d+)(?:–(\d+))?", line.group(1))
        shown = set()
        for first, last in numbers:
            first, last = int(first), int(last or first)
            assert first < index_number and last < index_number
            shown |= set(range(first, last + 1))
            # Every page of a span carries the entry: each a mark's page, or inside a marked range.
            assert any(w in pages[first] for w in words), f"{entry}: none of {words} on page {first}"
            assert any(w in pages[last] for w in words), f"{entry}: none of {words} on page {last}"
            checked += 1
        # Every mark's page is listed.
        for w in words:
            on = [n for n, text in pages.items() if w in text and n < index_number]
            assert on and set(on) & shown, f"{entry}: '{w}' is on pages {on}, the index says {sorted(shown)}"
    return pages, index_text, checked


def assert_notes_on_their_reference_pages(pdf: Path, pairs: list[tuple[str, str]]) -> list[str]:
    """Each (words just before a note's reference, the note's first words) is on one page, the same. Returns the pages."""
    from pypdf import PdfReader

    pages = [" ".join(re.sub(r"[-\u2010\u00ad]\n", "", p.extract_text()).split()) for p in PdfReader(pdf).pages]
    for before, note in pairs:
        where_ref = [i for i, text in enumerate(pages) if before in text]
        where_note = [i for i, text in enumerate(pages) if note in text]
        assert len(where_ref) == 1 and where_ref == where_note, (before, where_ref, note, where_note)
    return pages


@pytest.fixture
def make_book(tmp_path: Path):
    """A book folder in this test's tmp_path: `make_book(files, toml=None, name="book")` (books.write_book)."""
    from books import write_book

    def make(files: dict[str, str | bytes] | str = "# T\n\nx\n", toml: str | None = None, name: str = "book") -> Path:
        return write_book(tmp_path / name, files, toml)

    return make
