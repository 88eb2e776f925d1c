"""The whole scholarly apparatus in one book (issue 13): citation notes with the author's own notes,
cross-references, a bibliography and an index, in print with notes at the end and at the foot of the page."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

from bookmaker.read import read_book
from conftest import FIXTURES, assert_index_pages_are_right, assert_notes_on_their_reference_pages, page_texts, run_cli

SCHOLARLY = FIXTURES / "scholarly"

needs_pandoc = pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")


def _plain(fragment: str) -> str:
    # the word joiner that binds a note call to its word is not in the PDF's text
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).replace("\u2060", "").split())


def _references_and_notes(book_dir: Path) -> list[tuple[str, str]]:
    """(the three words ending at a note's reference, with its number; the note's number and first six words)
    for every note the reader made, citation notes included: read from the one document model, not the manuscript,
    since a citation's note text is the citation processor's."""
    book, _ = read_book(book_dir)
    text = " ".join(b.html for c in book.chapters for b in c.blocks)
    pairs = []
    for note in book.notes:
        ref = re.search(rf'<a class="noteref"[^>]*id="{re.escape(note.refs[0].id)}"[^>]*>[^<]*</a>', text)
        if ref is None:  # referenced from inside another note
            continue
        before = " ".join(_plain(text[: ref.end()]).split()[-3:])
        pairs.append((before, f"{note.number} " + " ".join(_plain(note.first_html).split()[:6])))
    return pairs


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("apparatus")
    built = {}
    for mode in ("book", "page"):
        target = out / f"{mode}.pdf"
        result = run_cli("pdf", str(SCHOLARLY), "--notes", mode, "-o", str(target))
        assert result.exit_code == 0, result.stderr
        built[mode] = target
    return built


@pytest.mark.slow
@needs_pandoc
@pytest.mark.parametrize("mode", ["book", "page"])
def test_index_page_numbers_are_right_with_citations_and_notes(pdfs, mode):
    pages, index_text, checked = assert_index_pages_are_right(pdfs[mode], SCHOLARLY)
    # an entry, sub-entries (one marked inside an author's note), a range, a "see" reference
    assert checked >= 5
    assert re.search(r"harbours, \d+ north quay, \d+ tides, \d+", index_text), index_text
    assert re.search(r"bridges, \d+", index_text) and "harbour master. See harbours" in index_text, index_text


@pytest.mark.slow
@needs_pandoc
def test_citation_notes_and_author_notes_sit_on_the_page_of_their_reference(pdfs):
    pairs = _references_and_notes(SCHOLARLY)
    assert len(pairs) >= 9  # eight citation notes and the author's own note
    pages = assert_notes_on_their_reference_pages(pdfs["page"], pairs)
    # the citation inside the author's note stays inside it, at the same foot
    tides = next(text for text in pages if "The author’s note on the tides" in text)
    assert "(Brindle et al., “Tidal Patterns in an Invented Estuary,” 50) and stays one note." in tides
    assert not any(text.startswith("Notes") for text in pages)


@pytest.mark.slow
@needs_pandoc
@pytest.mark.parametrize("mode, back", [("book", ["Notes", "Bibliography", "Index"]), ("page", ["Bibliography", "Index"])])
def test_back_matter_is_notes_bibliography_index_in_the_contents_and_the_pages(pdfs, mode, back):
    pages = page_texts(pdfs[mode])
    from pypdf import PdfReader

    texts = [" ".join(p.extract_text().split()) for p in PdfReader(pdfs[mode]).pages]
    contents = next(text for text in texts if text.startswith("Contents"))
    entries = re.findall(r"(Notes|Bibliography|Index)[ .]+(\d+)", contents)
    assert [name for name, _ in entries] == back, contents
    # each is where the contents says, in that order, the index last
    numbers = [int(n) for _, n in entries]
    assert numbers == sorted(numbers) and numbers[-1] == max(pages)
    for name, number in entries:
        assert pages[int(number)].startswith(name + " "), (name, pages[int(number)][:120])


@needs_pandoc
def test_an_index_mark_inside_a_citation_is_reported_not_silently_lost(tmp_path):
    """pandoc's citation processor gets a citation's prefix and suffix as text, so a mark there would index nothing."""
    (tmp_path / "manuscript").mkdir()
    shutil.copy(SCHOLARLY / "manuscript" / "references.json", tmp_path / "manuscript")
    (tmp_path / "bookmaker.toml").write_text('[book]\ntitle = "T"\nbibliography = "manuscript/references.json"\n')
    (tmp_path / "manuscript" / "01.md").write_text(
        "# One\n\nA claim [see [Quill]{.index} @quill2001, 23].\n\n"
        "[Quill]{.index} is cited outside the brackets [@quill2009, [tides]{index=\"tides\"}].\n")
    book, diagnostics = read_book(tmp_path)
    messages = [d.format(tmp_path) for d in diagnostics]
    assert any("01.md:3" in m and "warning" in m and "index mark inside a citation" in m for m in messages), messages
    assert any("01.md:5" in m and "index mark inside a citation" in m for m in messages), messages
    assert sum("index mark inside a citation" in m for m in messages) == 2
    assert [m.terms for m in book.index_marks] == [[("Quill",)]]


@pytest.mark.slow
@needs_pandoc
def test_a_paragraph_with_many_notes_is_not_broken_early_at_the_foot_of_the_page(pdfs):
    """With padding on the footnote area WeasyPrint left half of the first page empty and moved the
    paragraph's last lines, with their four notes, to the next page, though all fitted."""
    pages = page_texts(pdfs["page"])
    first = next(n for n, text in pages.items() if text.startswith("The Harbours This fixture"))
    assert "An author’s own note sits between them.7" in pages[first], pages[first]
    assert "7 The author’s note on the tides" in pages[first], pages[first]
