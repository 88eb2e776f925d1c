"""Print page numbers in the EPUB (issue 22): a marker before the first words of each printed page.

The oracle is poppler: the words pdftotext finds at the top of page N's text area (the running
head and the page number, in the margins, aside) must follow marker N in the EPUB's text.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from ace import assert_ace_clean
from conftest import FIXTURES, REPO, run_cli

pytestmark = pytest.mark.slow

XHTML = "{http://www.w3.org/1999/xhtml}"
_WORD = re.compile(r'<word xMin="[^"]+" yMin="([^"]+)" xMax="[^"]+" yMax="([^"]+)">([^<]*)</word>')


def letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalpha())


def page_starts(pdf: Path) -> list[str]:
    """The first words of each page's text area, as poppler reads them."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    starts = []
    for page in out.split("<page ")[1:]:
        height = float(re.search(r'height="([^"]+)"', page).group(1))
        words = [w for top, bottom, w in _WORD.findall(page)
                 if float(top) >= 0.08 * height and float(bottom) <= 0.9 * height]
        starts.append(letters(" ".join(words[:4])))
    return starts


def epub_text_with_markers(epub: Path) -> tuple[str, list[str]]:
    """The EPUB's reading order as letters, each page-break marker as `|N|`; and the page list's labels."""
    with zipfile.ZipFile(epub) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        ns = {"o": "http://www.idpf.org/2007/opf"}
        items = {i.get("id"): i.get("href") for i in opf.iterfind(".//o:manifest/o:item", ns)}
        spine = [items[r.get("idref")] for r in opf.iterfind(".//o:spine/o:itemref", ns)]
        parts: list[str] = []
        for href in spine:
            if href in ("nav.xhtml", "cover.xhtml"):
                continue
            body = etree.fromstring(z.read(f"EPUB/{href}")).find(f"{XHTML}body")

            def walk(el) -> None:
                if el.get("role") == "doc-pagebreak":
                    parts.append(f"|{el.get('aria-label')}|")
                elif el.tag.endswith("annotation"):
                    return
                else:
                    parts.append(letters(el.text or ""))
                    for child in el:
                        walk(child)
                parts.append(letters(el.tail or "") if el is not body else "")

            walk(body)
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
        page_list = nav.find(f".//{XHTML}nav[@role='doc-pagelist']")
        labels = [a.text for a in page_list.iter(f"{XHTML}a")] if page_list is not None else []
    return "".join(parts), labels


def assert_markers_match(pdf: Path, epub: Path) -> None:
    starts = page_starts(pdf)
    text, labels = epub_text_with_markers(epub)
    assert labels == [str(n) for n in range(1, len(starts) + 1)], labels
    plain = re.sub(r"\|\d+\|", "", text)
    checked = 0
    for number, start in enumerate(starts, start=1):
        if len(start) < 8 or start not in plain:
            continue  # a page whose words the EPUB does not hold (the printed contents, a blank page)
        after = text.split(f"|{number}|", 1)[1]
        following = re.sub(r"\|\d+\|", "", after)[:len(start) + 20]
        assert start in following, f"page {number} starts with {start!r}; after its marker: {following!r}"
        checked += 1
    assert checked >= len(starts) - 3, f"only {checked} of {len(starts)} pages found in the EPUB"


def test_page_list_follows_the_pdf(sample_book) -> None:
    """The sample (an article, laid out as one document): every page's first words follow its marker.
    Its EPUB, page list and all, is checked by Ace in test_epub_quality.py."""
    assert_markers_match(sample_book["pdf"], sample_book["epub"])
    opf = zipfile.ZipFile(sample_book["epub"]).read("EPUB/content.opf").decode()
    for feature in ("pageBreakMarkers", "pageNavigation"):
        assert f">{feature}<" in opf
    assert '<meta property="pageBreakSource">Qasem Soleimani, PDF edition (A4)</meta>' in opf


def test_page_list_of_a_book_laid_out_in_parts(tmp_path: Path) -> None:
    """A book of chapters, notes at the end and a bibliography, laid out in parallel parts: the notes
    print after the last chapter and stand in each chapter's file in the EPUB, their markers too."""
    out = tmp_path / "out"
    book = tmp_path / "book"
    shutil.copytree(FIXTURES / "scholarly", book)
    toml = (book / "bookmaker.toml").read_text(encoding="utf-8")  # an invented ISBN (the starter's)
    (book / "bookmaker.toml").write_text(toml.replace("[book]\n", '[book]\nidentifier = "urn:isbn:9780000000002"\n', 1),
                                         encoding="utf-8")
    assert run_cli("build", str(book), "-f", "pdf", "-f", "epub", "-o", str(out)).exit_code == 0
    pdf, epub = next(out.glob("*.pdf")), next(out.glob("*.epub"))
    assert_markers_match(pdf, epub)
    opf = zipfile.ZipFile(epub).read("EPUB/content.opf").decode()
    assert '<meta property="pageBreakSource">urn:isbn:9780000000002</meta>' in opf
    assert_ace_clean(epub)


def test_no_page_list_without_a_current_pdf(tmp_path: Path) -> None:
    """An EPUB of a changed book says in one line that it has no print page numbers, and has no page list."""
    book = tmp_path / "book"
    shutil.copytree(FIXTURES / "chapters", book)
    out = tmp_path / "out"
    assert run_cli("build", str(book), "--jobs", "1", "-o", str(out)).exit_code == 0
    epub = next(out.glob("*.epub"))
    assert epub_text_with_markers(epub)[1], "a build with its PDF has a page list"
    chapter = sorted((book / "manuscript").glob("*.md"))[0]
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n\nA paragraph added after the PDF.\n", encoding="utf-8")
    run = run_cli("epub", str(book), "-o", str(out))
    assert run.exit_code == 0, run.stderr
    said = [line for line in run.stdout.splitlines() + run.stderr.splitlines() if "page numbers" in line]
    assert len(said) == 1 and "changed since its PDF" in said[0], run.stdout + run.stderr
    text, labels = epub_text_with_markers(epub)
    assert labels == [] and "|" not in text


@pytest.mark.skipif(not shutil.which("gs"), reason="Ghostscript (scripts/system-packages.sh book)")
def test_page_list_after_a_print_file(tmp_path: Path) -> None:
    """A PDF finished for print (--ink grey, --printer, PDF/X: laid out in a temporary file, then finished
    into the target) still gives the EPUB written next its page list: the record names the target."""
    book = tmp_path / "book"
    shutil.copytree(FIXTURES / "chapters", book)
    out = tmp_path / "out"
    out.mkdir()
    pdf = run_cli("pdf", str(book), "--ink", "grey", "--jobs", "1", "-o", str(out))
    assert pdf.exit_code == 0, pdf.stderr
    run = run_cli("epub", str(book), "-o", str(out))
    assert run.exit_code == 0, run.stderr
    assert "no print page numbers" not in run.stdout + run.stderr
    assert_markers_match(next(out.glob("*.pdf")), next(out.glob("*.epub")))


def test_the_index_pages_markers_stand_before_their_words(tmp_path: Path) -> None:
    """The EPUB's index names sections where print has page numbers (issue 23): its locators are
    passed over when the pages' words are looked for, so the index's pages still get their markers."""
    book, out = tmp_path / "book", tmp_path / "out"
    shutil.copytree(FIXTURES / "indexed", book)
    assert run_cli("build", str(book), "-f", "pdf", "-f", "epub", "-o", str(out)).exit_code == 0
    pdf, epub = next(out.glob("*.pdf")), next(out.glob("*.epub"))
    starts = page_starts(pdf)
    text = epub_text_with_markers(epub)[0]
    last = len(starts)
    assert starts[-1].startswith("indexsymbols"), starts[-1]
    assert re.sub(r"\|\d+\|", "", text.split(f"|{last}|", 1)[1]).startswith(starts[-1]), text[-300:]
