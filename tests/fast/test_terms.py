"""The book's own words, digits and dates in its language (core/terms.py, core/digits.py), and the
theme's faces by script (writers/font_stacks.py): the data behind them, checked as data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bookmaker.core.digits import in_digits, local_date, native_digits
from bookmaker.core.terms import PAGE_TERMS, TERMS_DIR, languages, term_names, terms_file, terms_for, with_page
from bookmaker.theme import THEME_DIR
from bookmaker.writers.font_stacks import SCRIPTS, cjk_region, faces_for, root_stack, scripts_css
from bookmaker.writers.pdf.terms_css import terms_css, with_page_digits

ROOT = Path(__file__).resolve().parents[2]
CLAIMED = ["en", "fr", "de", "es", "it", "pt", "nl", "ru", "pl", "tr", "fa", "ar", "he", "ja", "zh-Hans", "zh-Hant",
           "ko", "th", "hi"]


def test_every_claimed_language_has_a_terms_file_with_every_term():
    assert set(CLAIMED) <= set(languages())
    english = json.loads((TERMS_DIR / "en.json").read_text(encoding="utf-8"))
    for lang in languages():
        terms = json.loads((TERMS_DIR / f"{lang}.json").read_text(encoding="utf-8"))
        assert list(terms) == list(english), lang
        assert all(isinstance(v, str) and v.strip() == v and v for k, v in terms.items() if k not in ("and", "comma")), lang
        for key in PAGE_TERMS:
            assert terms[key].count("{n}") == 1, (lang, key)
        assert "{title}" in terms["cover-of"] and "{authors}" in terms["cover-by"], lang


def test_every_language_but_english_says_its_words_in_its_own_words():
    english = terms_for("en")
    for lang in CLAIMED[1:]:
        terms = terms_for(lang)
        assert terms["contents"] != english["contents"] and terms["cover"] != english["cover"], lang


def test_persian_terms_keep_their_zero_width_non_joiners():
    assert terms_for("fa")["notes"] == "یادداشت\u200cها"
    assert terms_for("fa")["bibliography"] == "کتاب\u200cنامه"


@pytest.mark.parametrize("tag, file", [("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-TW", "zh-Hant"),
                                       ("zh-Hant-HK", "zh-Hant"), ("pt-BR", "pt"), ("fa-IR", "fa"), ("sw", "en"),
                                       ("", "en"), ("EN-gb", "en")])
def test_a_language_tag_finds_its_terms_file(tag, file):
    assert terms_file(tag) == file


def test_the_books_own_terms_override_the_languages():
    terms = terms_for("de", {"contents": "Inhalt", "no-such-term": "x"})
    assert terms["contents"] == "Inhalt" and terms["index"] == "Register" and "no-such-term" not in terms
    assert set(term_names()) == set(terms)


def test_a_page_term_keeps_its_number_and_its_words_together():
    assert with_page(terms_for("en")["page"], "41") == "p.\u00a041"
    # The term stays with its number; a line may break between the pages themselves.
    assert with_page(terms_for("en")["pages"], "6, 7") == "pp.\u00a06, 7"
    assert with_page(terms_for("zh-Hans")["page"], "41") == "第41页"


@pytest.mark.parametrize("lang, style", [("fa", "persian"), ("fa-IR", "persian"), ("ar", "arabic-indic"),
                                         ("ar-EG", "arabic-indic"), ("ar-MA", None), ("en", None), ("hi", None),
                                         ("th", None), ("he", None)])
def test_persian_and_arabic_books_number_in_their_own_digits(lang, style):
    assert native_digits(lang) == style
    assert native_digits(lang, "latin") is None


def test_numbers_in_persian_and_arabic_indic_digits():
    assert in_digits(1204, "persian") == "۱۲۰۴"
    assert in_digits("12.3", "arabic-indic") == "١٢.٣"
    assert in_digits(7, None) == "7"


@pytest.mark.parametrize("lang, expected", [
    ("en", "May 1, 2024"), ("en-GB", "1 May 2024"), ("fr", "1 mai 2024"), ("de", "1. Mai 2024"),
    ("es", "1 de mayo de 2024"), ("ru", "1 мая 2024 г."), ("ja", "2024年5月1日"), ("zh-Hant", "2024年5月1日"),
    ("ko", "2024년 5월 1일"), ("fa", "۱۲ اردیبهشت ۱۴۰۳"), ("fa-AF", "۱ مه ۲۰۲۴"), ("ar", "١ مايو ٢٠٢٤"), ("he", "1 במאי 2024"),
    ("th", "1 พฤษภาคม พ.ศ. 2567"), ("hi", "1 मई 2024"), ("xx", "2024-05-01"),
])
def test_front_matter_dates_are_printed_in_the_language(lang, expected):
    assert local_date("2024-05-01", lang, native_digits(lang)) == expected


@pytest.mark.parametrize("day, persian", [("2024-03-19", "29 اسفند 1402"), ("2024-03-20", "1 فروردین 1403"),
                                          ("2025-03-20", "30 اسفند 1403"), ("2025-03-21", "1 فروردین 1404"),
                                          ("2023-09-23", "1 مهر 1402"), ("2024-12-31", "11 دی 1403")])
def test_persian_dates_are_in_the_solar_hijri_calendar(day, persian):
    # Nowruz at the equinox, leap years (1403) with a 30th of Esfand: the days Iran's calendar gives.
    assert local_date(day, "fa", None) == persian


@pytest.mark.parametrize("value", ["May 2024", "2024", "2024-02-30", "soon"])
def test_a_date_that_is_not_a_full_iso_date_is_printed_as_given(value):
    assert local_date(value, "fr") == value


def test_print_css_says_page_references_in_the_books_words_and_digits():
    css = terms_css(terms_for("fa"), "persian")
    assert 'target-counter(attr(href), page, persian)' in css and '"ص.\\a0 "' in css
    assert '"第" attr(data-page) "页" ")"' in terms_css(terms_for("zh-Hans"), None)
    assert with_page_digits("@bottom-center { content: counter(page); }", "persian") == \
        "@bottom-center { content: counter(page, persian); }"
    assert with_page_digits("counter(page)", None) == "counter(page)"


def test_the_themes_scripts_stylesheet_is_the_one_font_stacks_writes():
    assert (THEME_DIR / "styles" / "scripts.css").read_text(encoding="utf-8") == scripts_css()


def test_every_face_the_theme_names_comes_from_a_package_make_book_installs():
    script = (ROOT / "scripts" / "system-packages.sh").read_text(encoding="utf-8")
    book = re.search(r"^book=\((.*?)^\)", script, re.S | re.M).group(1)
    packages = {line.split("#")[0].strip() for line in book.splitlines()} | {
        p for line in book.splitlines() for p in line.split("#")[0].split()}
    for face in [*SCRIPTS, *faces_for("ja")]:
        assert face.package in packages, face


@pytest.mark.parametrize("lang, region", [("ja", "JP"), ("ja-JP", "JP"), ("zh", "SC"), ("zh-Hans", "SC"),
                                          ("zh-CN", "SC"), ("zh-TW", "TC"), ("zh-Hant", "TC"), ("zh-HK", "HK"),
                                          ("zh-Hant-HK", "HK"), ("ko", "KR"), ("en", "SC")])
def test_cjk_text_takes_the_regional_forms_of_its_language(lang, region):
    assert cjk_region(lang) == region
    if lang[:2] in ("ja", "zh", "ko"):
        assert root_stack(lang)[0] == f"Noto Serif CJK {region}"


def test_a_books_own_script_comes_first_and_latin_books_start_with_libertine():
    assert root_stack("en")[:2] == ["Linux Libertine O", "Linux Libertine"]
    assert root_stack("fa")[0] == "Amiri" and root_stack("he")[0] == "Noto Serif Hebrew"
    assert root_stack("th")[0] == "Noto Serif Thai" and root_stack("hi")[0] == "Noto Serif Devanagari"


def test_a_line_may_break_between_the_pages_of_a_note_but_never_inside_p_41():
    css = terms_css(terms_for("en"), None)
    assert '.note a.backlink::after { content: ", " target-counter(attr(href), page); }' in css
    assert '"(" "p.\\a0 " target-counter(attr(href), page)' in css
