"""The back-of-book index: marks in the manuscript, sorting, page ranges, and the index in both outputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bookmaker.resolve.index import (
    SYMBOLS_GROUP,
    Locator,
    IndexEntry,
    build_index,
    group_label,
    merge_pages,
    page_locators,
    parse_entries,
    sort_key,
)
from bookmaker.model import IndexMark
from bookmaker.read import read_book
from conftest import FIXTURES, assert_index_pages_are_right, marked_texts, page_texts
from books import write_book

INDEXED = FIXTURES / "indexed"


def _book(tmp_path: Path, text: str):
    return read_book(write_book(tmp_path, text))


# -- fast: parsing, collation, ranges -------------------------------------------------


def test_entries_and_sub_entries_are_parsed_as_makeindex_writes_them():
    assert parse_entries("a!b;c") == [("a", "b"), ("c",)]
    assert parse_entries(" landings ! north ;  ports ") == [("landings", "north"), ("ports",)]
    assert parse_entries("a!!b;;") == [("a", "b")]
    assert parse_entries("  ") == []


def test_collation_ignores_case_and_accents_first_and_is_stable():
    terms = ["zebra", "Émile", "eagle", "Eagle", "élan", "Ålborg", "1848 storm", "“Quoted”", "apple"]
    ordered = sorted(terms, key=sort_key)
    assert ordered == ["1848 storm", "Ålborg", "apple", "eagle", "Eagle", "élan", "Émile", "“Quoted”", "zebra"]
    assert group_label("Émile") == "E" and group_label("ålborg") == "A"
    assert group_label("1848 storm") == SYMBOLS_GROUP


def test_consecutive_pages_merge_into_ranges():
    assert merge_pages([(12, 12), (13, 13), (14, 14), (20, 20)]) == [(12, 14), (20, 20)]
    assert merge_pages([(20, 20), (3, 5), (4, 4), (6, 6), (8, 9)]) == [(3, 6), (8, 9), (20, 20)]
    entry = IndexEntry("ferries", [Locator("a"), Locator("b"), Locator("c"), Locator("d", "e")])
    shown = page_locators(entry, {"a": 12, "b": 13, "c": 14, "d": 20, "e": 22})
    assert [(s.href, s.text) for s in shown] == [("#a", "12–14"), ("#d", "20–22")]
    # Without a layout each mark is a link whose number the stylesheet makes.
    assert [s.text for s in page_locators(entry, None)] == ["", "", "", ""]
    # The first layout, which only finds the marks' pages, has placeholders of a number's width.
    assert [s.text for s in page_locators(entry, {})] == ["00", "00", "00", "00"]


def test_entries_are_grouped_sorted_with_sub_entries_and_see_references():
    marks = [
        IndexMark("i1", 0, [("landings", "south")]),
        IndexMark("i2", 0, [("landings", "north"), ("ports",)]),
        IndexMark("i3", 0, [("boats",)], see=["ferries"]),
        IndexMark("i4", 0, [("Landings",)]),
    ]
    groups = build_index(marks)
    assert [g.label for g in groups] == ["B", "L", "P"]
    landings = groups[1].entries
    assert [e.term for e in landings] == ["landings", "Landings"]
    assert [c.term for c in landings[0].children] == ["north", "south"]
    assert groups[0].entries[0].see == ["ferries"] and groups[0].entries[0].locators == []


def test_the_reader_anchors_each_mark_and_strips_the_index_attributes(tmp_path):
    book, diagnostics = _book(tmp_path, (
        "# One\n\nThe [ferries]{.index} left [the north landing]{index=\"landings!north; ports\"}.\n\n"
        "[]{index=\"war\" index-range=\"start\"}War. [boats]{index=boats index-see=ferries}\n\n"
        "More war.[]{index=\"war\" index-range=\"end\"}^[A note on [Émile]{.index}.]\n"
    ))
    marks = book.index_marks
    assert [m.terms for m in marks] == [[("ferries",)], [("landings", "north"), ("ports",)], [("war",)], [("boats",)],
                                        [("Émile",)]]
    assert marks[2].end_id is not None and marks[3].see == ["ferries"]
    html = "".join(b.html for b in book.chapters[0].blocks) + book.notes[0].first_html
    for mark in marks:
        assert f'id="{mark.id}"' in html
    assert f'id="{marks[2].end_id}"' in html
    assert "index=" not in html and "index-see" not in html and "index-range" not in html
    assert not diagnostics.has_errors


def test_links_and_code_can_be_marked_and_no_index_attribute_reaches_the_xhtml(tmp_path):
    book, diagnostics = _book(tmp_path, (
        "# One\n\n::: sidebar A [titled]{index=\"boxed\"} box\nIn it.\n:::\n\n"
        "A [linked site](https://example.com){index=\"linked\"} and `code`{index=\"coded\"}.\n"
    ))
    # A box's title is read with its chapter, so its mark is indexed too.
    assert [m.terms for m in book.index_marks] == [[("boxed",)], [("linked",)], [("coded",)]]
    html = "".join(getattr(b, "html", "") + getattr(b, "title_html", "") for b in book.chapters[0].blocks)
    assert '<span id="idx-1">titled</span>' in html
    assert 'href="https://example.com" id="idx-2"' in html and '<code id="idx-3">' in html
    assert "index=" not in html, html
    assert not list(diagnostics)


def test_a_range_never_ended_is_reported_where_it_starts(tmp_path):
    book, diagnostics = _book(tmp_path, "# One\n\nText.\n\n[]{index=\"war\" index-range=\"start\"}War.\n")
    messages = [d.format() for d in diagnostics]
    assert any("01.md:5" in m and "never ended" in m for m in messages), messages


# -- slow: the index of a real book -----------------------------------------------------

def _marked_texts() -> dict[tuple[str, ...], list[str]]:
    return marked_texts(INDEXED)


@pytest.fixture(scope="module")
def indexed_pdf(tmp_path_factory) -> Path:
    from conftest import run_cli

    target = tmp_path_factory.mktemp("indexed") / "indexed.pdf"
    result = run_cli("pdf", str(INDEXED), "-o", str(target))
    assert result.exit_code == 0, result.stderr
    return target


@pytest.mark.slow
def test_each_index_entry_names_the_pages_its_marks_are_on(indexed_pdf):
    pages, index_text, checked = assert_index_pages_are_right(indexed_pdf, INDEXED)
    assert checked >= 12
    # Consecutive pages are merged, and "see" references stand in italics without numbers.
    assert re.search(r"(?:^| )ferries, \d+–\d+", index_text), index_text
    assert "boats. See ferries" in index_text


@pytest.mark.slow
def test_the_index_is_the_last_section_in_two_columns_and_in_the_contents(indexed_pdf, tmp_path):
    import subprocess

    pages = page_texts(indexed_pdf)
    last = max(pages)
    assert pages[last].startswith("Index ")
    from pypdf import PdfReader

    texts = [" ".join(page.extract_text().split()) for page in PdfReader(indexed_pdf).pages]
    contents = next(text for text in texts if text.startswith("Contents"))
    assert re.search(rf"war years[ .]+\d+ Index[ .]+{last}$", contents), contents
    # Two columns: entries start at two distinct left edges on the index page.
    bbox = subprocess.run(["pdftotext", "-bbox", "-f", str(last), "-l", str(last), str(indexed_pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    lefts = {round(float(m.group(1))) for m in re.finditer(r'<word xMin="([\d.]+)"[^>]*>(?:ferries|war|landings)</word>', bbox)}
    assert len(lefts) >= 2, bbox[:2000]


@pytest.mark.slow
def test_the_epub_index_follows_epub_indexes_and_passes_epubcheck_and_ace(tmp_path):
    from ace import assert_ace_clean
    from conftest import NS, EPUB_TYPE, Epub, assert_epubcheck_clean, build

    path = build(INDEXED, "epub", "-o", str(tmp_path / "indexed.epub"))
    epub = Epub(path)
    index = epub.xml("EPUB/index.xhtml")
    section = index.xpath("//x:section[@id='index']", namespaces=NS)[0]
    assert section.get(EPUB_TYPE) == "index" and section.get("role") == "doc-index"
    terms = [t.text for t in index.xpath("//*[@epub:type='index-term']", namespaces=NS)]
    assert "ferries" in terms and "north" in terms
    locators = index.xpath("//x:a[@epub:type='index-locator']", namespaces=NS)
    ferries = index.xpath("//x:span[@epub:type='index-term'][.='ferries']/../x:a", namespaces=NS)
    # Each locator names its section; the marks of one section are one locator (issue 23).
    assert [a.text for a in ferries] == ["The harbour", "The war years"]
    war = index.xpath("//x:span[@epub:type='index-term'][.='war']/../x:span[@epub:type='index-locator-range']/x:a",
                      namespaces=NS)
    assert [a.text for a in war] == ["The war years", "end"]
    see = index.xpath("//*[@epub:type='index-xref-preferred']/x:a[@epub:type='index-term']", namespaces=NS)
    assert [(a.text, a.get("href")) for a in see] == [("ferries", "#index-ferries")]
    assert index.xpath("//x:li[@id='index-ferries']", namespaces=NS)
    # Each locator reaches an element of that id in the chapter file it names.
    for a in locators:
        file_name, _, anchor = a.get("href").partition("#")
        assert epub.xml(f"EPUB/{file_name}").xpath(f"//*[@id='{anchor}']"), a.get("href")
    nav = epub.xml("EPUB/nav.xhtml")
    assert nav.xpath("//x:nav[@epub:type='landmarks']//x:a[@epub:type='index'][@href='index.xhtml#index']", namespaces=NS)
    features = [m.text for m in epub.opf().xpath("//opf:meta[@property='schema:accessibilityFeature']", namespaces=NS)]
    assert "index" in features
    assert_epubcheck_clean(path)
    assert_ace_clean(path)


@pytest.mark.slow
def test_pages_renumbered_by_the_book_get_one_target_counter_number_per_mark(tmp_path):
    from conftest import copy_fixture, run_cli

    book = copy_fixture("indexed", tmp_path)
    (book / "styles").mkdir()
    (book / "styles" / "numbers-print.css").write_text("@page :first { counter-reset: page 100; }\n")
    target = tmp_path / "renumbered.pdf"
    result = run_cli("pdf", str(book), "-o", str(target))
    assert result.exit_code == 0, result.stderr
    pages = page_texts(target)
    assert min(pages) > 100
    index_number = next(n for n, text in pages.items() if text.startswith("Index "))
    index_text = "\n".join(pages[n] for n in sorted(pages) if n >= index_number)
    line = re.search(r"(?:^| )ferries((?:, \d+)+)", index_text)
    numbers = [int(n) for n in re.findall(r"\d+", line.group(1))]
    assert len(numbers) == len(_marked_texts()[("ferries",)]) and "–" not in line.group(0)
    assert all("ferries" in pages[n] for n in numbers), numbers


@pytest.mark.slow
def test_printed_on_both_sides_the_index_starts_on_a_right_hand_page(tmp_path):
    from conftest import run_cli

    target = tmp_path / "duplex.pdf"
    result = run_cli("pdf", str(INDEXED), "--duplex", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    pages = page_texts(target)
    index_number = next(n for n, text in pages.items() if text.startswith("Index "))
    assert index_number % 2 == 1


def test_a_see_reference_to_no_entry_is_reported_at_its_mark(tmp_path):
    book, diagnostics = _book(tmp_path, (
        "# One\n\nThe [ferries]{.index} and [boats]{index=boats index-see=ferries}.\n\n"
        "[Ships]{index=ships index-seealso=\"steamers\"}.\n"
    ))
    messages = [d.format() for d in diagnostics]
    assert len(messages) == 1 and "01.md:5" in messages[0] and "'steamers' leads to no entry" in messages[0], messages


# -- the EPUB's index (issue 23, item 4): locators say where they lead, ranges end, "see" links ------

_SECTIONED = (
    "# The harbour\n\nThe [ferries]{.index} sail. The [ferries]{.index} sail again.\n\n"
    "## The north landing\n\n[]{index=\"war\" index-range=\"start\"}The [ferries]{.index} stop.\n\n"
    "# The war years {short-title=\"War\"}\n\nWar.[]{index=\"war\" index-range=\"end\"} "
    "[Peace]{index=\"peace\" index-range=\"start\"} came.[]{index=\"peace\" index-range=\"end\"}\n\n"
    "Small [boats]{index=\"boats\" index-see=\"ferries\"} and [ships]{index=\"ships\" index-seealso=\"landings!north\"}"
    " from [the landing]{index=\"landings!north\"}.\n"
)


def _epub_index(tmp_path: Path, text: str):
    import zipfile

    from lxml import etree

    from bookmaker.core.diagnostics import Diagnostics
    from bookmaker.writers.epub.writer import write_epub

    book, diagnostics = _book(tmp_path, text)
    assert not list(diagnostics), [d.format() for d in diagnostics]
    target = tmp_path / "book.epub"
    write_epub(book, target, Diagnostics())
    with zipfile.ZipFile(target) as epub:
        return etree.fromstring(epub.read("EPUB/index.xhtml"))


_NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


def _entry(index, term: str):
    return index.xpath(f"//x:li[@epub:type='index-entry'][x:span[@epub:type='index-term'][.='{term}']]",
                       namespaces=_NS)[0]


def test_each_epub_locator_names_the_section_it_leads_to(tmp_path):
    index = _epub_index(tmp_path, _SECTIONED)
    ferries = _entry(index, "ferries").xpath("x:a[@epub:type='index-locator']", namespaces=_NS)
    # Two marks in one section are one locator, as two marks on one page are one page number in print;
    # a section's short title (`{short-title=...}`) stands for it.
    assert [a.text for a in ferries] == ["The harbour", "The north landing"]
    assert all(re.fullmatch(r"[\w-]+\.xhtml#idx-\d+", a.get("href")) for a in ferries)


def test_an_epub_range_shows_its_start_and_its_end(tmp_path):
    index = _epub_index(tmp_path, _SECTIONED)
    ranges = _entry(index, "war").xpath("x:span[@epub:type='index-locator-range']", namespaces=_NS)
    assert len(ranges) == 1
    links = ranges[0].xpath("x:a[@epub:type='index-locator']", namespaces=_NS)
    assert [a.text for a in links] == ["The north landing", "War"]
    assert "".join(ranges[0].itertext()) == "The north landing–War"
    # A range within one section: its end is a link of its own.
    peace = _entry(index, "peace").xpath("x:span[@epub:type='index-locator-range']/x:a", namespaces=_NS)
    assert [a.text for a in peace] == ["War", "end"] and peace[0].get("href") != peace[1].get("href")


def test_see_and_see_also_link_to_the_entry_they_name(tmp_path):
    index = _epub_index(tmp_path, _SECTIONED)
    see = _entry(index, "boats").xpath("x:span[@epub:type='index-xref-preferred']/x:a[@epub:type='index-term']",
                                       namespaces=_NS)
    assert [a.text for a in see] == ["ferries"] and see[0].get("href") == f"#{_entry(index, 'ferries').get('id')}"
    also = _entry(index, "ships").xpath("x:span[@epub:type='index-xref-related']/x:a[@epub:type='index-term']",
                                        namespaces=_NS)
    assert [a.text for a in also] == ["landings, north"]  # a sub-entry named as an index names it
    north = _entry(index, "north")
    assert also[0].get("href") == f"#{north.get('id')}"
    ids = index.xpath("//@id")
    assert len(ids) == len(set(ids))


def test_entries_get_ids_unique_in_the_index_and_see_references_their_targets():
    marks = [IndexMark("i1", 0, [("landings", "north")]), IndexMark("i2", 0, [("Landings",)]),
             IndexMark("i3", 0, [("ports",)], seealso=["landings!east"]), IndexMark("i4", 0, [("quays",)], see=["ships"])]
    groups = build_index(marks)
    entries = {e.term: e for g in groups for e in g.entries}
    ids = [entries["landings"].id, entries["Landings"].id, entries["landings"].children[0].id]
    assert len(set(ids)) == 3 and all(i.startswith("index-") for i in ids)
    # A sub-entry that does not exist leads to its entry; a reference to no entry links nowhere.
    assert entries["ports"].xrefs == {"landings!east": entries["landings"].id}
    assert entries["ports"].xref_levels == {"landings!east": ("landings", "east")}
    assert entries["quays"].xrefs == {}
    # The reader's ids, claimed with the book's, come first.
    assert build_index(marks, {"landings": "mine"})[0].entries[0].id == "mine"
