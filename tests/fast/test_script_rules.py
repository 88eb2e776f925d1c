"""The PDF's HTML holds the theme's font rules of the languages it uses only (font_stacks.scripts_css with the
document's languages): WeasyPrint tries every `[lang|=...]` selector on every element, and a rule of a language
the document does not use matches nothing. The stacks every element takes stay whole."""

from __future__ import annotations

from pathlib import Path

from books import write_book

from bookmaker.config.bookmaker_toml import load_config
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.read import read_book
from bookmaker.writers.font_stacks import languages_in, root_stack, scripts_css
from bookmaker.writers.html import render_html


def _html(tmp_path: Path, text: str, lang: str = "en") -> str:
    book = write_book(tmp_path / "book", {"manuscript/01.md": f"---\ntitle: T\nlang: {lang}\n---\n\n# One\n\n{text}\n"})
    diagnostics = Diagnostics()
    read, _ = read_book(book, load_config(book, diagnostics), None, "continuous", diagnostics)
    assert not diagnostics.has_errors
    return render_html(read, tmp_path)


def test_a_book_without_japanese_gets_no_japanese_rules_and_every_face_in_its_stacks(tmp_path):
    html = _html(tmp_path, "Plain *text*.")
    assert '[lang|="' not in html
    stack = ", ".join(f'"{family}"' for family in root_stack())
    assert f"html {{ font-family: {stack}, serif; }}" in html  # a character of any script still finds its face


def test_a_japanese_span_brings_the_japanese_rules_and_no_others(tmp_path):
    html = _html(tmp_path, "Text [日本語の*本*]{lang=ja}.")
    assert '[lang|="ja"] { font-family: "Noto Serif CJK JP", "Linux Libertine O", serif; }' in html
    assert '[lang|="ja"] h1' in html and '[lang|="ja"] em { font-style: normal; font-weight: bold; }' in html
    assert '[lang|="ko"]' not in html and '[lang|="fa"]' not in html and '[lang|="zh"]' not in html


def test_a_language_of_raw_html_and_of_the_book_itself_count(tmp_path):
    html = _html(tmp_path, '<span lang="he">שלום</span>', lang="fa")
    assert '[lang|="fa"] {' in html and '[lang|="he"] {' in html and '[lang|="th"]' not in html


def test_every_rule_that_could_match_a_language_is_kept_in_its_order():
    # zh-Hant-HK is matched by the zh, zh-Hant and zh-Hant-HK rules; the later, more precise, wins.
    css = scripts_css({"zh-hant-hk"})
    order = [css.index(f'[lang|="{tag}"] {{') for tag in ("zh", "zh-Hant", "zh-Hant-HK")]
    assert order == sorted(order) and '[lang|="zh-TW"]' not in css and '[lang|="ja"]' not in css
    assert scripts_css(languages_in('<p lang="JA-jp">')).count('[lang|="ja"] {') == 1  # without case
    assert scripts_css().startswith(scripts_css(set()))  # the stacks, then the rules by language
