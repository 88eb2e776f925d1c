"""The manual (docs/manual), a bookmaker book written by us and our largest real fixture.

`make docs` builds it with `--strict`; this test builds it the same way into PDF, EPUB and HTML and
fails on any diagnostic, on any EPUBCheck error or warning, on any DAISY Ace violation, on a
cross-reference left unresolved, and on a missing index.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from ace import assert_ace_clean
from conftest import REPO, Epub, epubcheck, epubcheck_problems, run_cli

pytestmark = pytest.mark.slow

MANUAL = REPO / "docs" / "manual"


@pytest.fixture(scope="module")
def manual(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("manual")
    result = run_cli("build", str(MANUAL), "-o", str(out), "--strict", "--force")
    assert result.exit_code == 0, result.stderr
    # Not one diagnostic: `--strict` would fail on a warning; nothing else may be printed either.
    assert not re.search(r"(error|warning):", result.stderr), result.stderr
    paths = [Path(line) for line in result.stdout.strip().splitlines()]
    return {p.suffix.lstrip("."): p for p in paths}


@pytest.fixture(scope="module")
def pages(manual) -> list[str]:
    """Each PDF page's words, read once by poppler (pypdf took 8 s for each test that read them)."""
    text = subprocess.run(["pdftotext", str(manual["pdf"]), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


def test_the_manual_builds_all_three_formats(manual):
    assert set(manual) == {"pdf", "epub", "html"}
    assert len(PdfReader(manual["pdf"]).pages) > 50


def test_the_manual_epub_passes_epubcheck(manual):
    report = epubcheck(manual["epub"])
    assert report["checker"]["checkerVersion"].startswith("5.3"), report["checker"]["checkerVersion"]
    assert epubcheck_problems(report) == []


def test_the_manual_epub_passes_ace(manual):
    assert_ace_clean(manual["epub"])


def test_a_cross_reference_to_a_chapter_is_resolved(manual, pages):
    """`@sec-notes` in the cross-references chapter is the Notes chapter's title, a link to it."""
    html = manual["html"].read_text(encoding="utf-8")
    prose = re.sub(r"<(code|pre)\b.*?</\1>", "", html, flags=re.S)  # the manual shows the syntax in code
    assert not re.search(r"@(sec|fig|tbl|eq)-", prose), "a cross-reference was left as written"
    assert re.search(r'<a [^>]*href="#sec-notes"[^>]*>Notes</a>', html), "the link to the Notes chapter"
    # In the PDF the reference carries its page (crossref-pages = true), and the page is right.
    text = next(t for t in pages if "cross-references its own chapters" in t)
    found = re.search(r"Figure 1 on p\. (\d+)", text)
    assert found, text
    figure_page = pages[int(found.group(1)) - 1]
    assert "Figure 1. The five-chapter test book" in figure_page


def test_the_manual_has_its_index(manual, pages):
    index = [t for t in pages if t.startswith("Index") or " Index " in t[:40]]
    assert index, "no index page in the PDF"
    assert re.search(r"EPUBCheck, \d+", " ".join(index))
    epub = Epub(manual["epub"])
    index_files = [name for name, doc in epub.content_documents().items()
                   if doc.xpath("//*[@epub:type='index']", namespaces={"epub": "http://www.idpf.org/2007/ops"})]
    assert index_files, "no index in the EPUB"
