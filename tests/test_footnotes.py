"""Footnotes at the foot of the page ([pdf] notes = "page"): each note on the page of its reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bookmaker.model import Note
from bookmaker.writers.pdf.footnotes import footnote_html, place_footnotes
from conftest import FIXTURES, assert_notes_on_their_reference_pages, copy_fixture, run_cli

INDEXED = FIXTURES / "indexed"
_MARKUP = re.compile(r"\[([^\[\]]*)\]\{[^{}]*\}")


def test_a_note_goes_after_its_first_reference_with_its_blocks_as_spans():
    note = Note(number=3, id="note-3", label="a", first_html="First <em>part</em>.",
                rest_html="<p>Second.</p>\n<ul>\n<li>item</li>\n</ul>\n")
    html = footnote_html(note)
    # Nothing in it would end the paragraph it is put into.
    assert not re.search(r"<(p|ul|li|div|blockquote)\b", html)
    assert html.startswith('<span class="footnote" id="note-3" role="doc-footnote">')
    assert '<span class="footnote-p">Second.</span>' in html and '<span class="footnote-li">item</span>' in html


def _references_and_notes(path: Path) -> list[tuple[str, str]]:
    """(the three words before a note's reference, the note's first six words) for each note of a chapter file."""
    text = _MARKUP.sub(r"\1", path.read_text(encoding="utf-8"))
    bodies = dict(re.findall(r"^\[\^([^\]]+)\]: (.+)$", text, flags=re.M))
    found = []
    for match in re.finditer(r"\[\^([^\]]+)\](?!:)|\^\[([^\]]+)\]", text):
        before = " ".join(text[: match.start()].split()[-3:])
        body = bodies[match.group(1)] if match.group(1) else match.group(2)
        found.append((before, " ".join(body.split()[:6])))
    return [(b.replace("'", "\u2019"), n.replace("'", "\u2019")) for b, n in found]


@pytest.mark.slow
def test_each_footnote_sits_on_the_page_of_its_reference(tmp_path):
    target = tmp_path / "indexed.pdf"
    result = run_cli("pdf", str(INDEXED), "-o", str(target))  # bookmaker.toml: [pdf] notes = "page"
    assert result.exit_code == 0, result.stderr
    pairs = [pair for path in sorted((INDEXED / "manuscript").glob("*.md")) for pair in _references_and_notes(path)]
    assert len(pairs) >= 4
    pages = assert_notes_on_their_reference_pages(target, pairs)
    # No Notes section, and none in the contents.
    assert not any(text.startswith("Notes") for text in pages)
    assert not any(text.startswith("Contents") and " Notes " in text for text in pages)


@pytest.mark.slow
def test_notes_page_on_the_command_line_and_chapter_and_book_still_work(tmp_path):
    from pypdf import PdfReader

    book = copy_fixture("notes", tmp_path)
    # (The fixture's title is "Notes", so the section is told by its page locators.)
    for notes, has_section in (("page", False), ("book", True), ("chapter", True)):
        target = tmp_path / f"{notes}.pdf"
        result = run_cli("pdf", str(book), "--notes", notes, "-o", str(target))
        assert result.exit_code == 0, result.stderr
        texts = [p.extract_text() for p in PdfReader(target).pages]
        # Endnotes say on which page their references are, "(p. 2)"; footnotes, on that page, do not.
        assert any(re.search(r"\(pp?\.\s", t) for t in texts) == has_section, notes
        if notes == "page":
            # A short article: each note on the page of its reference, not pushed to pages of their own.
            assert len(texts) == 1 and "The first note, cited three times." in texts[0], texts


@pytest.mark.slow
def test_a_note_too_long_for_a_page_becomes_an_endnote_with_a_warning_and_loses_nothing(tmp_path):
    from pypdf import PdfReader

    (tmp_path / "manuscript").mkdir()
    long = " ".join(f"Word{i} of the long note." for i in range(700))
    (tmp_path / "manuscript" / "a.md").write_text(
        "# One\n\nA claim.[^long] A short one.[^short]\n\n[^long]: " + long + " The end of the long note.\n\n"
        "[^short]: A short note.\n", encoding="utf-8")
    target = tmp_path / "long.pdf"
    result = run_cli("pdf", str(tmp_path), "--notes", "page", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert "note 1 is too long for the foot of a page" in result.stderr
    assert "No anchor" not in result.stderr
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(target).pages]
    text = " ".join(pages)
    assert "The end of the long note." in text and all(f"Word{i} of the long note." in text for i in range(0, 700, 50))
    # The short note is still a footnote, on the page of its reference.
    assert any("A short one." in p and "A short note." in p for p in pages)


@pytest.mark.slow
def test_footnotes_numbered_by_chapter_start_again_in_each_chapter(tmp_path):
    from pypdf import PdfReader

    target = tmp_path / "by-chapter.pdf"
    result = run_cli("pdf", str(INDEXED), "--note-numbering", "chapter", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(target).pages]
    war = next(p for p in pages if "The blockade is as invented as the war." in p)
    assert "1 The blockade is as invented as the war." in war and "the ferries stopped.1" in war.replace(" 1", "1")


@pytest.mark.slow
def test_a_footnote_called_from_a_heading_or_a_box_title_is_set_like_any_other(tmp_path):
    """A page footnote stands where its call is: it must not take a heading's size or a title's bold."""
    from pypdf import PdfReader

    book = tmp_path / "book"
    (book / "manuscript").mkdir(parents=True)
    (book / "manuscript" / "chapter.md").write_text(
        "# Chapter\n\nBody text.[^p]\n\n## A heading[^h]\n\nMore.\n\n::: sidebar A box[^s]\nInside.\n:::\n\n"
        "[^p]: Plainnote.\n[^h]: Headingnote.\n[^s]: Boxnote.\n", encoding="utf-8")
    target = tmp_path / "book.pdf"
    result = run_cli("pdf", str(book), "-o", str(target), "--notes", "page")
    assert result.exit_code == 0, result.stderr
    seen: dict[str, tuple[str, float]] = {}

    def visit(text, cm, tm, font, size):
        for word in ("Plainnote", "Headingnote", "Boxnote"):
            if word in text and font is not None:
                seen[word] = (str(font.get("/BaseFont")), round(size * tm[0] * cm[0], 1))

    PdfReader(target).pages[0].extract_text(visitor_text=visit)
    assert set(seen) == {"Plainnote", "Headingnote", "Boxnote"}, seen
    # The same size, and upright roman; the family follows the call (a heading's sans), left as it is.
    assert seen["Headingnote"][1] == seen["Plainnote"][1] == seen["Boxnote"][1], seen
    assert not any(re.search(r"Bold|Italic|Oblique", name) for name, _size in seen.values()), seen
