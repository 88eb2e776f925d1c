"""The generated words of a whole book in its language: the contents, the notes and the index of the
PDF's HTML, the EPUB's navigation, landmarks and cover, with a term of bookmaker.toml's [terms]
over the language's (core/terms.py). The chapters' words are in fixtures/terms.md."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bookmaker.config.bookmaker_toml import load_config
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.read import read_book
from bookmaker.writers.epub.writer import write_epub
from bookmaker.writers.html import render_html

CHAPTER = """# {title}

Text on [ships]{{index="ships" index-seealso="boats"}}.[^1]

[^1]: A note.
"""


def _book(tmp_path: Path, lang: str, terms: str = "") -> Path:
    book = tmp_path / lang
    (book / "manuscript").mkdir(parents=True)
    for n in (1, 2):
        (book / "manuscript" / f"0{n}.md").write_text(CHAPTER.format(title=f"Chapter {n}"), encoding="utf-8")
    (book / "bookmaker.toml").write_text(f'[book]\ntitle = "T"\nauthor = ["A. Writer", "B. Writer"]\n'
                                         f'lang = "{lang}"\ndate = "2026-03-01"\n{terms}', encoding="utf-8")
    return book


def _read(book: Path):
    diagnostics = Diagnostics()
    config = load_config(book, diagnostics)
    read, _ = read_book(book, config, None, "continuous", diagnostics)
    assert not diagnostics.has_errors
    return read


@pytest.mark.parametrize("lang, words", [
    ("de", ["Inhaltsverzeichnis", "Anmerkungen", "Register", "siehe auch", "1. März 2026"]),
    ("ja", ["目次", ">注<", ">索引<", "⇒", "2026年3月1日"]),
    ("fa", ["فهرست مطالب", "یادداشت\u200cها", "نمایه", "نیز نگاه کنید به", "۱۰ اسفند ۱۴۰۴", 'data-digits="persian"']),
])
def test_the_pdfs_contents_notes_index_and_date_are_in_the_books_language(tmp_path, lang, words):
    html = render_html(_read(_book(tmp_path, lang)), tmp_path)
    for word in words:
        assert word in html, word
    assert ">Contents<" not in html and ">Index<" not in html and "See also" not in html


def test_a_term_of_bookmaker_toml_replaces_the_languages(tmp_path):
    book = _book(tmp_path, "fa", '[terms]\ncontents = "فهرست"\ndigits = "latin"\n')
    html = render_html(_read(book), tmp_path)
    assert ">فهرست<" in html and "فهرست مطالب" not in html
    assert "data-digits" not in html and "۱" not in html


def test_the_epubs_navigation_landmarks_and_cover_are_in_the_books_language(tmp_path):
    book = _read(_book(tmp_path, "fr"))
    target = tmp_path / "book.epub"
    write_epub(book, target, Diagnostics())
    with zipfile.ZipFile(target) as epub:
        nav = epub.read("EPUB/nav.xhtml").decode("utf-8")
        cover = epub.read("EPUB/cover.xhtml").decode("utf-8")
        index = epub.read("EPUB/index.xhtml").decode("utf-8")
    for word in ("Table des matières", "Repères", ">Couverture<", ">Page de titre<", ">Début du texte<", ">Notes<",
                 ">Index<"):
        assert word in nav, word
    assert 'alt="Couverture : T, par A. Writer et B. Writer"' in cover
    assert "Voir aussi" in index and "<title>Index</title>" in index


@pytest.mark.parametrize("lang", ["en", "fa", "zh-Hans"])
def test_the_books_words_keep_the_pdf_in_parts(tmp_path, lang):
    """The page references in the book's words (terms_css.py) are the theme's, overridden by the page
    map like print.css's: they must not make the book one whose own CSS counts pages across parts."""
    from bookmaker.writers.pdf.numbers import targets_of_its_own

    book = _read(_book(tmp_path, lang))
    assert not targets_of_its_own(book, render_html(book, tmp_path))
