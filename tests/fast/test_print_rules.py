"""The printing services' rules as bookmaker applies them: spine, wrap, margins, trims, ISBNs (no layout here)."""

from __future__ import annotations

import dataclasses

import pytest

from bookmaker.config.printers import INGRAMSPARK, KDP, LULU, PRINTERS, even
from bookmaker.config.settings import PrintOptions
from bookmaker.writers.cover.barcode import bad_isbn, isbn_of, price_addon
from bookmaker.writers.cover.wrap import CoverContent, back_text_box, barcode_box, wrap_geometry, wrap_html
from bookmaker.writers.pdf.print_file import effective, finish_of, trim_problem


@pytest.mark.parametrize(("pages", "stock", "spine"), [
    (100, "white", 0.2252), (300, "cream", 0.75), (200, "color", 0.4694), (151, "white", 152 * 0.002252),
])
def test_kdp_spine_is_the_even_page_count_times_the_paper(pages, stock, spine):
    assert KDP.spine_width(pages, stock) == pytest.approx(spine, abs=1e-6)


def test_lulu_spine_adds_its_cover_allowance():
    assert LULU.spine_width(444, "white") == pytest.approx(1.06)


def test_a_service_without_a_spine_formula_says_so():
    with pytest.raises(ValueError, match="cover template"):
        INGRAMSPARK.spine_width(200, "white")


@pytest.mark.parametrize(("pages", "margin"), [
    (24, 0.375), (150, 0.375), (151, 0.5), (300, 0.5), (301, 0.625), (500, 0.625), (700, 0.75), (701, 0.875),
    (828, 0.875),
])
def test_kdp_inner_margin_grows_with_the_page_count(pages, margin):
    assert KDP.inner_margin(pages) == margin


def test_a_wrap_is_back_spine_front_and_bleed_all_round():
    g = wrap_geometry(KDP, (6, 9), 300, "cream")
    assert (g.width, g.height) == pytest.approx((0.125 + 6 + 0.75 + 6 + 0.125, 9.25))
    assert g.front_left == pytest.approx(0.125 + 6 + 0.75)
    odd = wrap_geometry(KDP, (6, 9), 299, "cream")  # printed on both sides: 299 pages bind as 300
    assert odd.spine == g.spine and even(299) == 300


def test_the_back_text_stays_above_the_barcode_area_which_stays_on_the_back():
    g = wrap_geometry(KDP, (6, 9), 200, "white")
    left, top, width, height = barcode_box(g, KDP.barcode_area)
    assert (width, height) == (2.0, 1.2)
    assert g.bleed < left and left + width <= g.spine_left - 0.25 + 1e-9  # on the back, clear of the fold
    assert top + height == pytest.approx(g.bleed + 9 - 0.25)
    t_left, t_top, t_width, t_height = back_text_box(g, KDP.barcode_area)
    assert t_top + t_height < top


def test_the_wrap_html_escapes_the_books_words():
    g = wrap_geometry(KDP, (6, 9), 200, "white")
    content = CoverContent(title="<script>alert(1)</script>", subtitle=None, authors=["A & B"], spine_text="<b>x</b>")
    page = wrap_html(g, content, KDP.barcode_area)
    assert "<script>" not in page and "&lt;script&gt;" in page and "A &amp; B" in page and "<b>x" not in page


def test_a_printer_preset_fills_what_the_book_left_open():
    options = effective(PrintOptions(printer="kdp", bleed="3mm"))
    assert (options.paper, options.bleed, options.duplex) == ("6in 9in", "0.125in", True)
    assert effective(PrintOptions(printer="ingramspark")).pdf_variant == "pdf/x-1a"
    assert effective(PrintOptions(printer="kdp")).bleed is None  # no bleed asked for, none added
    finish = finish_of(effective(PrintOptions(printer="kdp", bleed="3mm")), "T")
    assert (finish.bleed, finish.bleed_inside, finish.even_pages, finish.for_print) == (0.125, False, True, True)
    assert finish_of(effective(PrintOptions(printer="lulu", bleed="3mm")), "T").bleed_inside is True


def test_a_trim_size_the_service_does_not_print_is_refused_naming_the_nearest():
    assert trim_problem(PrintOptions(printer="kdp", paper="A5")) .endswith("set --paper 5.5x8.5in (or [pdf] paper)")
    assert "nearest size it prints is 5.5x8.5in" in trim_problem(PrintOptions(printer="kdp", paper="A5"))
    assert trim_problem(PrintOptions(printer="ingramspark", paper="A5")) is None  # 5.83 x 8.27 in
    assert trim_problem(PrintOptions(printer="kdp", paper="6in 9in")) is None
    assert trim_problem(PrintOptions(paper="A5")) is None  # no printer, no rule


def test_every_service_cites_the_page_of_its_rules():
    for printer in PRINTERS.values():
        assert printer.sources and all(url.startswith("https://") for url in printer.sources.values())


@pytest.mark.parametrize(("identifier", "isbn"), [
    ("urn:isbn:978-3-16-148410-0", "9783161484100"),
    ("ISBN 978 3 16 148410 0", "9783161484100"),
    ("0-306-40615-2", "9780306406157"),  # an ISBN-10 becomes its ISBN-13
    ("urn:isbn:978-3-16-148410-1", None),  # a wrong check digit
    ("urn:uuid:0f6e2d55-8d3b-4bd1-9c53-3f1f4a5d2a10", None),
    (None, None),
])
def test_an_isbn_is_read_from_the_identifier_with_its_check_digit(identifier, isbn):
    assert isbn_of(identifier) == isbn


def test_a_misspelled_isbn_is_an_error_and_a_price_is_five_digits():
    assert bad_isbn("urn:isbn:978-3-16-148410-1") and not bad_isbn("urn:isbn:978-3-16-148410-0")
    assert not bad_isbn("urn:uuid:x")
    assert price_addon("51995") == "51995" and price_addon("19.95") is None and price_addon(None) is None


def test_the_print_options_are_keys_of_the_pdf_section():
    names = {f.name for f in dataclasses.fields(PrintOptions) if f.metadata.get("key", True)}
    assert {"printer", "ink"} <= names and "pages" not in names
