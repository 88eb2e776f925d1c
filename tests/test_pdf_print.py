"""The print-ready PDF: book typography, long books and print production options.

Expectations come from the fixture manuscripts, read here with regular
expressions, and from the PDFs read back with pypdf and poppler's tools; the
page numbers the book prints are compared with where the layout really put things.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import text_positions, FIXTURES, REPO, build, copy_fixture, run_cli

FIVE = FIXTURES / "five-chapters"
FIVE_FILES = sorted((FIVE / "manuscript").glob("*.md"))
FIVE_TITLE = "A Short History of the Book"
PT_PER_MM = 72 / 25.4


def _headings(path: Path) -> list[tuple[int, str]]:
    # As typeset: an apostrophe becomes a typographic one.
    found = re.finditer(r"^(#{1,3}) (.+)$", path.read_text(), flags=re.M)
    return [(len(m.group(1)), m.group(2).replace("'", "\u2019")) for m in found]


def _note_labels(path: Path) -> list[str]:
    """Labels in order of first reference, as a reader numbers them."""
    text = path.read_text()
    seen: list[str] = []
    for label in re.findall(r"\[\^([^\]]+)\](?!:)", text):
        if label not in seen:
            seen.append(label)
    return seen


def assert_qpdf_clean(pdf: Path) -> None:
    result = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def assert_fonts_embedded(pdf: Path) -> list[str]:
    rows = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert rows
    for row in rows:
        assert row.split()[-5:-3] == ["yes", "yes"], f"not embedded and subset: {row}"
    return rows


def pdf_build(book: Path, target: Path, *options: str) -> tuple[Path, PdfReader, str]:
    """Build a PDF, check it with qpdf and pdffonts, and return it opened, with the command's stderr."""
    result = run_cli("pdf", str(book), "-o", str(target), *options)
    assert result.exit_code == 0, result.stderr
    assert_qpdf_clean(target)
    assert_fonts_embedded(target)
    return target, PdfReader(target), result.stderr


def page_of(pdf: PdfReader) -> dict[str, int]:
    """Every named destination (element id) -> the 1-based page it is on."""
    return {name: pdf.get_destination_page_number(dest) + 1 for name, dest in pdf.named_destinations.items()}


def texts(pdf: PdfReader) -> list[str]:
    return [page.extract_text() for page in pdf.pages]




def toc_numbers(page_text: str) -> list[tuple[str, int]]:
    entries = []
    for line in page_text.splitlines():
        match = re.match(r"^(.*?)\s*(?:\. ?)+\s*(\d+)$", line)
        if match:
            entries.append((match.group(1).strip(), int(match.group(2))))
    return entries


# -- the five-chapter book, printed on both sides ---------------------------------------------


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    out = tmp_path_factory.mktemp("five") / "five.pdf"
    path, pdf, stderr = pdf_build(FIVE, out, "--duplex")
    return {"path": path, "pdf": pdf, "stderr": stderr, "texts": texts(pdf)}


def test_the_fixture_is_a_book_of_five_chapters():
    assert len(FIVE_FILES) == 5
    assert all(_headings(f)[0][0] == 1 for f in FIVE_FILES), "each file is one chapter with a title"


@pytest.mark.slow
def test_five_chapters_build_without_any_warning(five):
    # Among others, WeasyPrint warns of every character drawn as a missing-glyph box (.notdef).
    assert five["stderr"] == ""


@pytest.mark.slow
def test_title_page_and_imprint(five):
    title, imprint = five["texts"][0], five["texts"][1]
    for expected in (FIVE_TITLE.split()[-1], "From clay tablets to the printed page", "Ada Writer, Ben Setter", "March 1, 2026"):  # the date in the language (core/digits.py)
        assert expected in title
    for expected in ("First edition", "Copyright © 2026", "ISBN 9780000000019"):
        assert expected in imprint
    # No page number and no running head on either: nothing lies in the top or bottom margin.
    for page in five["pdf"].pages[:2]:
        height = float(page.mediabox.height)
        ys = [y for _, _, y in text_positions(page)]
        assert ys and all(0.12 * height < y < 0.9 * height for y in ys)


@pytest.mark.slow
def test_outline_is_nested_by_heading_level(five):
    outline = five["pdf"].outline
    expected_top = [FIVE_TITLE] + [_headings(f)[0][1] for f in FIVE_FILES] + ["Notes"]
    assert [item.title for item in outline if not isinstance(item, list)] == expected_top
    # Each chapter's sections are its children, and level-3 headings sit under their section.
    chapter_children = [item for item in outline if isinstance(item, list)]
    assert len(chapter_children) == 5
    for children, path in zip(chapter_children, FIVE_FILES):
        sections = [t for level, t in _headings(path) if level == 2]
        assert [c.title for c in children if not isinstance(c, list)] == sections
    first = chapter_children[0]
    papyrus = next(i for i, c in enumerate(first) if not isinstance(c, list) and c.title == "Papyrus")
    assert [c.title for c in first[papyrus + 1]] == ["A note on words"]


@pytest.mark.slow
def test_toc_page_numbers_are_the_pages_of_the_headings(five):
    pdf, pages = five["pdf"], five["texts"]
    toc_page = next(i for i, t in enumerate(pages) if t.startswith("Contents"))
    entries = toc_numbers(pages[toc_page])
    expected = [t for f in FIVE_FILES for level, t in _headings(f) if level <= 2] + ["Notes"]
    assert [title for title, _ in entries] == expected
    for title, number in entries:
        # The heading stands on the page the contents name, and that page prints that number at its foot.
        assert title in pages[number - 1], f"'{title}' is not on page {number}"
        page = pdf.pages[number - 1]
        assert any(t == str(number) and y < 0.1 * float(page.mediabox.height) for t, _, y in text_positions(page))
    assert len({number for _, number in entries}) >= 8, "the entries spread over many pages"


@pytest.mark.slow
def test_chapters_start_on_right_hand_pages(five):
    pages = five["texts"]
    for path in FIVE_FILES:
        title = _headings(path)[0][1]
        page = next(i + 1 for i, t in enumerate(pages) if t.lstrip().startswith(title))
        assert page % 2 == 1, f"'{title}' starts on page {page}, a left-hand page"


@pytest.mark.slow
def test_page_numbers_in_the_outer_corner_and_running_heads(five):
    pdf = five["pdf"]
    chapter_openings = {i for i, t in enumerate(five["texts"]) if any(t.lstrip().startswith(_headings(f)[0][1]) for f in FIVE_FILES)}
    checked = 0
    for index, page in enumerate(pdf.pages[4:], start=4):
        found = text_positions(page)
        if not found or index in chapter_openings:
            continue
        number = index + 1
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        folio = [(x, y) for t, x, y in found if t == str(number) and y < 0.1 * height]
        assert folio, f"page {number} has no page number at its foot"
        x = folio[0][0]
        assert (x < width / 3) if number % 2 == 0 else (x > 2 * width / 3), f"page {number}: number not outside"
        head = " ".join(t for t, _, y in found if y > 0.92 * height)
        if number % 2 == 0:
            assert head.lower() == FIVE_TITLE.lower(), f"verso {number} head: {head!r}"
        else:
            assert head and head.lower() != FIVE_TITLE.lower(), f"recto {number} should name its section: {head!r}"
        checked += 1
    assert checked >= 6


@pytest.mark.slow
def test_notes_grouped_by_chapter_with_the_page_of_each_reference(five):
    pdf, pages = five["pdf"], five["texts"]
    where = page_of(pdf)
    start = where["notes"]
    notes_text = "\n".join(pages[start - 1 :])
    # Under each chapter's title, in chapter order.
    titles = [_headings(f)[0][1] for f in FIVE_FILES]
    offsets = [notes_text.index("\n" + t + "\n") for t in titles]
    assert offsets == sorted(offsets)
    # Continuous numbering; each note ends with the pages its references are on, each page once.
    labels = [label for f in FIVE_FILES for label in _note_labels(f)]
    assert [int(n) for n in re.findall(r"^(\d{1,3})\. ", notes_text, flags=re.M)] == list(range(1, len(labels) + 1))
    refs = sorted((n for n in where if n.startswith("ref-")), key=lambda n: [int(p) for p in n.split("-")[1:]])
    expected = []
    for number in range(1, len(labels) + 1):
        pages = sorted({where[r] for r in refs if r.split("-")[1] == str(number)})
        expected.append(pages)
    printed = [[int(p) for p in re.split(r",\s+", m)] for m in re.findall(r"\(pp?\.\s+(\d+(?:,\s+\d+)*)\)", notes_text)]
    assert printed == expected
    assert len(refs) > len(labels), "a note is referenced twice"


@pytest.mark.slow
def test_measure_and_hyphenation(five):
    lines = []
    for text in five["texts"][4:]:
        lines += [line for line in text.splitlines() if len(line) > 45]  # full lines of running text
    lengths = sorted(len(line) for line in lines)
    median = lengths[len(lengths) // 2]
    assert 60 <= median <= 75, f"median line has {median} characters"
    assert any(line.endswith("\u2010") or line.endswith("-") for line in lines), "no word is hyphenated at a line end"


@pytest.mark.slow
def test_headings_are_never_last_on_a_page(five):
    pdf = five["pdf"]
    for path in FIVE_FILES:
        for level, title in _headings(path)[1:]:
            page = next(p for p in pdf.pages if title in p.extract_text())
            found = text_positions(page)
            heading_y = next(y for t, _, y in found if t.startswith(title))
            below = [t for t, _, y in found if y < heading_y - 1 and y > 0.1 * float(page.mediabox.height)]
            assert below, f"'{title}' is the last thing on its page"


@pytest.mark.slow
def test_figures_have_captions_and_fit_the_text_block(five, tmp_path):
    text = "\n".join(five["texts"])
    assert "A gathering: four sheets folded together make eight leaves" in text
    assert "drawn very much larger than any page" in text
    listing = subprocess.run(["pdfimages", "-list", str(five["path"])], capture_output=True, text=True, check=True)
    rows = [line.split() for line in listing.stdout.splitlines()[2:]]
    big = next(r for r in rows if r[3:5] == ["3000", "4200"])
    page = five["pdf"].pages[int(big[0]) - 1]
    drawn_w, drawn_h = 3000 * 72 / float(big[12]), 4200 * 72 / float(big[13])
    assert drawn_w < float(page.mediabox.width) * 0.75 and drawn_h < float(page.mediabox.height) * 0.7
    assert drawn_h > 100, "scaled down to fit, not to a thumbnail"


@pytest.mark.slow
def test_the_book_faces_and_a_face_for_arabic_script(five):
    rows = assert_fonts_embedded(five["path"])
    names = {row.split()[0].split("+", 1)[1] for row in rows}
    assert {"Linux-Libertine-O", "Linux-Libertine-O-Italic", "Linux-Libertine-O-Bold", "Linux-Biolinum-O-Bold"} <= names
    assert "Amiri" in names
    assert "كتاب" in "\n".join(five["texts"])


# -- the sample book ---------------------------------------------------------------------------


@pytest.mark.slow
def test_sample_book_contents_page_numbers(tmp_path):
    # The sample is an article (one chapter, no chapter titles), set as a book on request.
    _, pdf, stderr = pdf_build(REPO, tmp_path / "book.pdf", "--layout", "book")
    assert stderr == ""
    pages = texts(pdf)
    manuscript = (REPO / "manuscript" / "qasem-soleimani.md").read_text()
    toc_page = next(i for i, t in enumerate(pages) if t.startswith("Contents"))
    entries = toc_numbers(pages[toc_page])
    assert [t for t, _ in entries] == re.findall(r"^## (.+)$", manuscript, flags=re.M) + ["Notes", "Index"]
    for title, number in entries:
        assert title in pages[number - 1]
    assert "Written for the bookmaker project as a sample book." in pages[1], "the imprint carries the rights"


@pytest.mark.slow
def test_an_article_starts_its_text_under_the_title_on_page_one(sample_book):
    pdf = PdfReader(sample_book["pdf"])
    pages = texts(pdf)
    for text in ("A biography", "The bookmaker sample authors", "Born", "Qasem Soleimani (1957–2020)"):
        assert text in pages[0]
    assert not any(t.startswith("Contents") for t in pages), "an article has no contents page"
    titles = [item.title for item in pdf.outline if not isinstance(item, list)]
    assert titles == ["Qasem Soleimani"]


# -- notes by chapter, numbered by chapter -----------------------------------------------------


@pytest.mark.slow
def test_notes_after_each_chapter_numbered_from_one(tmp_path):
    _, pdf, stderr = pdf_build(FIVE, tmp_path / "n.pdf", "--notes", "chapter", "--note-numbering", "chapter", "--paper", "A5")
    assert stderr == ""
    assert float(pdf.pages[0].mediabox.width) == pytest.approx(148 * PT_PER_MM, abs=0.5)
    pages = texts(pdf)
    where = page_of(pdf)
    for index, path in enumerate(FIVE_FILES):
        labels = _note_labels(path)
        chapter_id = path.stem.lstrip("0123456789-")
        notes_page = where[f"{chapter_id}--notes"]
        next_chapter = where[FIVE_FILES[index + 1].stem.lstrip("0123456789-")] if index < 4 else len(pages) + 1
        assert where[chapter_id] <= notes_page < next_chapter, "a chapter's notes close that chapter"
        section = "\n".join(pages[notes_page - 1 : next_chapter - 1])
        section = section[section.index("Notes\n") :]
        numbers = [int(n) for n in re.findall(r"^(\d{1,3})\. ", section, flags=re.M)]
        assert numbers[: len(labels)] == list(range(1, len(labels) + 1))
    assert "notes" not in where, "no book-wide Notes section"
    toc = pages[next(i for i, t in enumerate(pages) if t.startswith("Contents"))]
    assert "Notes" not in toc


def test_per_chapter_numbering_keeps_ids_unique():
    from bookmaker.read import read_book

    book, _ = read_book(FIVE, note_numbering="chapter")
    ids = [n.id for n in book.notes] + [r.id for n in book.notes for r in n.refs]
    assert len(ids) == len(set(ids))
    for chapter in book.chapters:
        assert [n.number for n in book.notes_of(chapter)] == list(range(1, len(book.notes_of(chapter)) + 1))
    continuous, _ = read_book(FIVE)
    assert [n.number for n in continuous.notes] == list(range(1, len(continuous.notes) + 1))


# -- the infobox at a page break ---------------------------------------------------------------

BOX_VALUES = ("1 January 1900", "Compositor", "31 December 1999", "The churchyard")


def _box_pages(pdf: PdfReader) -> list[int]:
    return [i for i, t in enumerate(texts(pdf)) if any(v in t for v in BOX_VALUES)]


@pytest.mark.slow
def test_infobox_at_a_page_break_moves_whole_to_the_next_page(tmp_path):
    _, pdf, stderr = pdf_build(FIXTURES / "infobox-page-break", tmp_path / "b.pdf")
    assert stderr == ""
    pages = _box_pages(pdf)
    assert len(pages) == 1
    text = pdf.pages[pages[0]].extract_text()
    assert all(v in text for v in BOX_VALUES)
    # Inside the text block, not drawn past its foot.
    page = pdf.pages[pages[0]]
    rows = [y for t, _, y in text_positions(page) if any(t.startswith(v) for v in BOX_VALUES)]
    assert len(rows) == len(BOX_VALUES) and min(rows) > 0.1 * float(page.mediabox.height)


@pytest.mark.slow
def test_the_infobox_fixture_really_stands_at_a_page_break(tmp_path):
    """Without the rule that keeps it whole, WeasyPrint splits the box (or loses its end)."""
    book = copy_fixture("infobox-page-break", tmp_path)
    (book / "styles").mkdir()
    (book / "styles" / "split-print.css").write_text(".infobox table { display: table; }\n")
    _, pdf, _ = pdf_build(book, tmp_path / "split.pdf")
    whole = [i for i, t in enumerate(texts(pdf)) if all(v in t for v in BOX_VALUES)]
    assert not whole


# -- print production options ------------------------------------------------------------------


def _pdfinfo(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdfinfo", *args, str(pdf)], capture_output=True, text=True, check=True).stdout


def _box(info: str, name: str) -> list[float]:
    return [float(v) for v in re.search(rf"Page\s+1 {name}:\s+(.+)", info).group(1).split()]


@pytest.mark.slow
def test_bleed_crop_marks_and_pdf_x4(tmp_path):
    path, pdf, stderr = pdf_build(
        FIXTURES / "infobox", tmp_path / "x.pdf", "--paper", "6x9in", "--bleed", "3mm", "--marks", "crop", "--pdf-variant", "pdf/x-4"
    )
    assert stderr == ""
    info = _pdfinfo(path, "-box", "-f", "1", "-l", "1")
    trim, bleed, media = _box(info, "TrimBox"), _box(info, "BleedBox"), _box(info, "MediaBox")
    # Measured from the sheet's corner: the PDF/X file is rewritten (writers/pdf/pdfx.py), its origin at 0.
    trim, bleed = ([v - media[i % 2] for i, v in enumerate(box)] for box in (trim, bleed))
    three_mm = 3 * PT_PER_MM
    assert trim == pytest.approx([three_mm, three_mm, three_mm + 432, three_mm + 648], abs=0.05), "6x9in"
    assert bleed == pytest.approx([0, 0, 432 + 2 * three_mm, 648 + 2 * three_mm], abs=0.05)
    assert _box(info, "MediaBox") == _box(info, "BleedBox")
    meta = _pdfinfo(path, "-meta")
    assert "PDF/X-4" in meta
    assert _pdfinfo(path).count("PDF version:     1.6") == 1


@pytest.mark.slow
def test_pdf_ua1_is_tagged_with_title_and_language(tmp_path):
    path, pdf, stderr = pdf_build(FIXTURES / "infobox", tmp_path / "ua.pdf", "--pdf-variant", "pdf/ua-1")
    assert stderr == ""
    assert re.search(r"^Tagged:\s+yes$", _pdfinfo(path), flags=re.M)
    root = pdf.trailer["/Root"]
    assert root["/Lang"] == "en" and root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert "/StructTreeRoot" in root and pdf.metadata.title == "Infobox"
    struct = subprocess.run(["pdfinfo", "-struct", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Figure" in struct and "Table" in struct


@pytest.mark.slow
def test_pdf_a3b_with_dates_from_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    path, pdf, stderr = pdf_build(FIXTURES / "infobox", tmp_path / "a.pdf", "--pdf-variant", "pdf/a-3b")
    assert stderr == ""
    meta = _pdfinfo(path, "-meta")
    assert re.search(r'pdfaid:part="?3', meta) and re.search(r'pdfaid:conformance="?B', meta)
    assert "2023-11-14T22:13:20" in meta
    # PDF/A forbids image interpolation: the HTML asks for none.
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    assert rows and all(row[9] == "no" for row in rows)


@pytest.mark.slow
def test_document_metadata(five):
    info = _pdfinfo(five["path"])
    assert "Title:           A Short History of the Book: From clay tablets to the printed page" in info
    assert "Author:          Ada Writer" in info  # WeasyPrint writes the authors it is given
    assert "Keywords:        books, printing, history" in info
    assert "Subject:         A five-chapter fixture book" in info
    assert five["pdf"].trailer["/Root"]["/Lang"] == "en"


@pytest.mark.slow
def test_print_options_on_the_command_line(tmp_path):
    book = FIXTURES / "notes"
    assert run_cli("pdf", str(book), "--bleed", "3 parsecs").exit_code == 2
    assert run_cli("pdf", str(book), "--bleed", "40mm").exit_code == 2
    assert run_cli("pdf", str(book), "--marks", "stars").exit_code == 2
    assert run_cli("pdf", str(book), "--pdf-variant", "pdf/a-9").exit_code == 2
    html = build(book, "html", "-o", str(tmp_path / "n.html"), "--bleed", "0.125in", "--marks", "crop cross", "--duplex")
    text = html.read_text()
    assert "bleed: 0.125in; marks: crop cross;" in text
    assert "@page :left" in text and "break-before: recto" in text  # recto: the right-hand page, or the left in a right-to-left book


# -- stylesheets and WeasyPrint's messages -----------------------------------------------------


@pytest.mark.parametrize("paper,duplex", [("A4", False), ("A5", True), ("6in 9in", True), ("letter", False)])
def test_the_theme_css_gives_weasyprint_nothing_to_warn_about(paper, duplex, caplog):
    import weasyprint

    from bookmaker.theme import theme_stylesheets
    from bookmaker.writers.pdf.page_layout import geometry, page_css

    css = "\n".join(p.read_text() for p in theme_stylesheets("print"))
    css += page_css(geometry(paper, duplex), duplex, "3mm", "crop cross")
    with caplog.at_level("WARNING", logger="weasyprint"):
        weasyprint.CSS(string=css)
    assert [r.getMessage() for r in caplog.records] == []


def test_margins_follow_the_paper():
    from bookmaker.writers.pdf.page_layout import geometry

    a4, a5 = geometry("A4", True), geometry("A5", True)
    assert a5.font_pt < a4.font_pt
    assert a5.inner < a4.inner and a5.outer < a4.outer and a5.top < a4.top
    assert a4.inner < a4.outer, "mirrored: the outer margin is the wider"
    simplex = geometry("A4", False)
    assert simplex.inner == pytest.approx(simplex.outer, abs=0.1)


@pytest.mark.slow
def test_book_css_problems_and_missing_glyphs_become_located_warnings(tmp_path):
    book = tmp_path / "book"
    (book / "manuscript").mkdir(parents=True)
    (book / "styles").mkdir()
    (book / "manuscript" / "a.md").write_text(
        '---\ntitle: Glyphs\n---\n\nA Kawi letter: \U00011F04. <span style="colr: red">Styled</span>.\n'
    )
    (book / "styles" / "book-print.css").write_text("p {\n  colour: red;\n}\n")
    result = run_cli("pdf", str(book), "-o", str(tmp_path / "g.pdf"))
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert any(re.search(r"styles/book-print\.css:2:3: warning: CSS: Ignored `colour: red`", line) for line in lines), lines
    # No installed font has this letter of Unicode 15: one warning at its line (writers/font_coverage.py).
    assert any(re.search(r"a\.md:5: warning: no installed font has .*U\+11F04.*install a font", line)
               for line in lines), lines
    assert any(line.endswith("g.pdf: warning: CSS: Ignored `colr: red`, unknown property. [css-ignored]") for line in lines), lines
    assert not any(re.search(r"\bat \d+:\d+", line) for line in lines), "no message points into the generated HTML"
    assert lines[-1] == "bookmaker: 0 errors, 3 warnings", "the book's stylesheet problem is reported once"


def test_epub_with_per_chapter_numbering_and_figures_has_only_epubchecked_markup(tmp_path, epubchecked_shapes):
    from conftest import Epub, assert_markup_is_epubchecked

    epub = build(FIVE, "epub", "-o", str(tmp_path / "five.epub"), "--note-numbering", "chapter")
    assert_markup_is_epubchecked(Epub(epub), epubchecked_shapes)
    docs = Epub(epub).content_documents()
    text = "".join(etree_text for etree_text in (d.xpath("string(.)") for d in docs.values()))
    assert "A gathering: four sheets folded together" in text
    firsts = []
    for doc in docs.values():
        refs = [a.text for a in doc.iter("{http://www.w3.org/1999/xhtml}a") if a.get("role") == "doc-noteref"]
        if refs:
            firsts.append(refs[0])
            assert max(int(r) for r in refs) == len(set(refs)), "numbered 1, 2, 3... within the chapter"
    assert firsts == ["1"] * 5, "each of the five chapters starts again at note 1"
