"""Print files for printing services, checked in the files themselves: `--printer`, PDF/X, `--ink grey`, `cover`.

No PDF/X validator can be installed here, so each rule is read back with pikepdf
(boxes, output intent, colour spaces, annotations), poppler (fonts, words' places,
pages rendered) and zbar (the barcode), against the numbers of config/printers.py's
cited pages. One book is laid out per service; the covers are sized by `--pages`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from bookmaker.build.pdf_colours import colour_spaces, rgb_in, transparency_in
from bookmaker.build.preflight import word_boxes
from conftest import run_cli

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which("gs"), reason="Ghostscript (scripts/system-packages.sh book)")]
IN = 72.0
ISBN = "978-3-16-148410-0"  # the example ISBN of the standard's own documentation
WORDS = ("lantern harbour ledger keeper tide rope gull window stair salt map oar bell quay mist "
         "cargo beacon rain chart wharf").split()


def _write_book(root: Path, chapters: int = 6, paragraphs: int = 12, identifier: str | None = ISBN,
                back: str | None = None) -> Path:
    """An invented book: chapters of generated sentences, a link, and a half-transparent image."""
    (root / "manuscript").mkdir(parents=True)
    toml = ['[book]', 'title = "The Lantern Keeper\'s Ledger"', 'author = "Ada Placeholder"']
    if identifier:
        toml.append(f'identifier = "urn:isbn:{identifier}"')
    toml += ['[pdf]', 'paper = "6x9in"', '[cover]', 'spine-text = "LEDGER SPINE"', 'spine = "#1d3557"']
    if back:
        toml.append('back = "back.md"')
        (root / "back.md").write_text(back, encoding="utf-8")
    (root / "bookmaker.toml").write_text("\n".join(toml) + "\n", encoding="utf-8")
    picture = Image.new("RGBA", (1000, 600), (190, 40, 40, 255))
    picture.putalpha(Image.linear_gradient("L").resize((1000, 600)))
    picture.save(root / "manuscript" / "gradient.png")
    for number in range(1, chapters + 1):
        text = [f"# Chapter {number}", ""]
        for p in range(paragraphs):
            words = [WORDS[(number * 7 + p * 3 + i) % len(WORDS)] for i in range(75)]
            text += [" ".join(words).capitalize() + ".", ""]
            if number == 1 and p == 2:
                text += ["See [the harbour notes](https://example.org/notes).", "",
                         "![A red gradient](gradient.png)", ""]
        (root / "manuscript" / f"ch{number:02}.md").write_text("\n".join(text), encoding="utf-8")
    return root


def _pdf(book: Path, target: Path, *options: str):
    result = run_cli("pdf", str(book), "-o", str(target), "--jobs", "2", *options)
    return result


def _boxes(page) -> dict[str, tuple[float, ...]]:
    return {name: tuple(round(float(v) / IN, 3) for v in page.obj[name])
            for name in ("/MediaBox", "/TrimBox", "/BleedBox")}


def _size(box: tuple[float, ...]) -> tuple[float, float]:
    return box[2] - box[0], box[3] - box[1]


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return _write_book(tmp_path_factory.mktemp("print") / "ledger")


@pytest.fixture(scope="module")
def kdp(book, tmp_path_factory):
    target = tmp_path_factory.mktemp("kdp") / "kdp.pdf"
    return target, _pdf(book, target, "--printer", "kdp", "--bleed", "3mm")


def test_kdp_bleeds_on_the_top_bottom_and_outside_edges_only(kdp):
    target, result = kdp
    assert result.exit_code == 0, result.stderr
    with pikepdf.open(target) as pdf:
        assert len(pdf.pages) >= 24 and len(pdf.pages) % 2 == 0
        for number, page in enumerate(pdf.pages, start=1):
            boxes = _boxes(page)
            assert _size(boxes["/MediaBox"]) == pytest.approx((6.125, 9.25), abs=0.01)
            assert _size(boxes["/TrimBox"]) == pytest.approx((6.0, 9.0), abs=0.01)
            assert boxes["/BleedBox"] == boxes["/MediaBox"]
            media, trim = boxes["/MediaBox"], boxes["/TrimBox"]
            inside, outside = (trim[0] - media[0], media[2] - trim[2]) if number % 2 else (
                media[2] - trim[2], trim[0] - media[0])
            assert (inside, outside) == pytest.approx((0.0, 0.125), abs=0.005), number
            assert "/Annots" not in page.obj  # the link is not clickable on paper
        assert "/Outlines" not in pdf.Root


def test_kdp_warns_of_an_image_under_300_ppi_at_its_line(kdp, book):
    _target, result = kdp
    lines = (book / "manuscript" / "ch01.md").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if "gradient.png" in text)
    said = rf"ch01\.md:{line}: warning: the image \(1000x600 px\) on page \d+ prints at (\d+) ppi"
    found = re.search(said, result.stderr)
    assert found and 150 <= int(found.group(1)) < 300, result.stderr


@pytest.fixture(scope="module")
def ingram(book, tmp_path_factory):
    target = tmp_path_factory.mktemp("ingram") / "ingram.pdf"
    result = _pdf(book, target, "--printer", "ingramspark", "--bleed", "0.125in")
    assert result.exit_code == 0, result.stderr
    return target


def test_ingramspark_gets_pdf_x1a_all_cmyk_without_transparency(ingram):
    with pikepdf.open(ingram) as pdf:
        assert pdf.pdf_version == "1.3"
        assert str(pdf.docinfo["/GTS_PDFXVersion"]) == "PDF/X-1a:2001"
        [intent] = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFX" and intent.DestOutputProfile.N == 4
        assert intent.DestOutputProfile.read_bytes()[36:40] == b"acsp"  # an ICC profile's signature
        assert b"prtr" == intent.DestOutputProfile.read_bytes()[12:16]  # an output device's
        with pdf.open_metadata() as meta:
            assert meta.get("pdfxid:GTS_PDFXVersion") == "PDF/X-1a:2001"
        for page in pdf.pages:
            boxes = _boxes(page)
            assert _size(boxes["/TrimBox"]) == pytest.approx((6.0, 9.0), abs=0.01)
            assert _size(boxes["/BleedBox"]) == pytest.approx((6.25, 9.25), abs=0.01)  # bleed on every edge
            assert "/Annots" not in page.obj
    spaces = colour_spaces(ingram)
    assert rgb_in(ingram) == [] and "DeviceCMYK" in spaces, spaces
    assert transparency_in(ingram) == []
    fonts = subprocess.run(["pdffonts", str(ingram)], capture_output=True, text=True, check=True).stdout
    assert all(row.split()[-5] == "yes" for row in fonts.splitlines()[2:])  # embedded


def test_ingramspark_keeps_text_half_an_inch_inside_the_trim(ingram):
    pages = word_boxes(ingram)
    assert pages
    closest = min(min(x0 - 9, y0 - 9, w - 9 - x1, h - 9 - y1) for w, h, words in pages
                  for x0, y0, x1, y1, _ in words)
    assert closest / IN >= 0.5 - 0.005


def test_the_text_survives_the_cmyk_conversion(ingram, book):
    text = subprocess.run(["pdftotext", "-f", "3", "-l", "8", str(ingram), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Chapter 1" in text or "Chapter 2" in text
    assert "lantern" in text.lower()


def test_pdf_x4_in_grey_has_its_output_intent_and_no_colour(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    book = _write_book(tmp_path / "short", chapters=2, paragraphs=3)
    target = tmp_path / "x4.pdf"
    for copy in (target, tmp_path / "again.pdf"):
        result = _pdf(book, copy, "--pdf-variant", "pdf/x-4", "--ink", "grey")
        assert result.exit_code == 0, result.stderr
    assert target.read_bytes() == (tmp_path / "again.pdf").read_bytes()  # reproducible, Ghostscript or not
    with pikepdf.open(target) as pdf:
        assert str(pdf.docinfo["/GTS_PDFXVersion"]) == "PDF/X-4"
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFX"
        assert all("/TrimBox" in page.obj and "/BleedBox" in page.obj for page in pdf.pages)
    spaces = colour_spaces(target)
    assert set(spaces) <= {"DeviceGray", "none"}, spaces


def test_a_short_book_with_a_small_picture_is_refused_with_both_reasons(tmp_path):
    book = _write_book(tmp_path / "short", chapters=2, paragraphs=3)
    Image.new("RGB", (500, 300), (20, 90, 160)).save(book / "manuscript" / "gradient.png")  # 116 ppi placed
    result = run_cli("check", "--printer", "kdp", str(book))  # laid out in a temporary folder
    assert result.exit_code == 1
    assert re.search(r"error: the book has \d+ pages; KDP prints at least 24", result.stderr), result.stderr
    assert re.search(r"ch01\.md:\d+: error: the image \(500x300 px\) .* under 150", result.stderr), result.stderr
    assert not (book / "build").exists()


def test_a_trim_the_service_does_not_print_is_an_error_naming_the_nearest(book, tmp_path):
    result = _pdf(book, tmp_path / "a5.pdf", "--printer", "kdp", "--paper", "A5")
    assert result.exit_code == 1 and "the nearest size it prints is 5.5x8.5in" in result.stderr


# -- the cover ------------------------------------------------------------------------------------------------


def _cover(book: Path, target: Path, *options: str):
    return run_cli("cover", str(book), "--printer", "kdp", "-o", str(target), *options)


def _render(pdf: Path, dpi: int = 300) -> Image.Image:
    out = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(pdf), str(out)], check=True)
    return Image.open(f"{out}.png")


def test_the_wrap_is_as_wide_as_the_page_count_and_paper_make_it(tmp_path):
    pages, stock, spine = 300, "cream", 0.75  # other counts and papers: tests/fast/test_print_rules.py
    book = _write_book(tmp_path / "b", chapters=1, paragraphs=1)
    target = tmp_path / "cover.pdf"
    result = _cover(book, target, "--pages", str(pages), "--stock", stock)
    assert result.exit_code == 0, result.stderr
    with pikepdf.open(target) as pdf:
        boxes = _boxes(pdf.pages[0])
    assert _size(boxes["/MediaBox"]) == pytest.approx((0.25 + 12 + spine, 9.25), abs=0.01)
    assert _size(boxes["/TrimBox"]) == pytest.approx((12 + spine, 9.0), abs=0.01)


def test_the_barcode_reads_back_as_the_isbn_and_the_spine_carries_its_text(tmp_path):
    book = _write_book(tmp_path / "b", chapters=1, paragraphs=1, back="# The back\n\nA short blurb.\n")
    target = tmp_path / "cover.pdf"
    result = _cover(book, target, "--pages", "200")
    assert result.exit_code == 0, result.stderr
    _render(target).save(tmp_path / "wrap.png")
    read = subprocess.run(["zbarimg", "-q", "--raw", "-Sean13.enable", str(tmp_path / "wrap.png")],
                          capture_output=True, text=True)
    assert ISBN.replace("-", "") in read.stdout.split(), read.stdout + read.stderr
    words = " ".join(subprocess.run(["pdftotext", "-raw", str(target), "-"], capture_output=True,
                                    text=True).stdout.split())
    assert "LEDGER SPINE" in words and "A short blurb." in words
    jpeg = Image.open(book / "build" / "the-lantern-keepers-ledger-cover.jpg")
    assert jpeg.mode == "RGB" and jpeg.width >= 1400 and jpeg.width * jpeg.height <= 4_000_000
    assert jpeg.height / jpeg.width == pytest.approx(1.6, abs=0.01)


def test_a_thin_books_spine_is_bare_and_without_an_isbn_the_barcode_area_is_left_empty(tmp_path):
    book = _write_book(tmp_path / "b", chapters=1, paragraphs=1, identifier=None)
    target = tmp_path / "cover.pdf"
    result = _cover(book, target, "--pages", "60")
    assert result.exit_code == 0, result.stderr
    assert "KDP prints text on a spine from 79 pages" in result.stderr
    assert "LEDGER SPINE" not in subprocess.run(["pdftotext", str(target), "-"], capture_output=True,
                                                text=True).stdout
    image = _render(target).convert("L")
    spine = 60 * 0.002252
    # The barcode area: 2 x 1.2 in, 0.25 in from the spine fold and the bottom trim (in pixels at 300 dpi).
    right, bottom = (0.125 + 6 - 0.25) * 300, (0.125 + 9 - 0.25) * 300
    area = image.crop((int(right - 2 * 300) + 3, int(bottom - 1.2 * 300) + 3, int(right) - 3, int(bottom) - 3))
    assert area.getextrema()[0] == area.getextrema()[1], "ink in the barcode area"
    assert spine < 0.14


@pytest.mark.parametrize(("paragraphs", "words", "lines"), [(12, 80, range(7, 27, 2)), (1, 1500, [3])])
def test_a_blurb_too_long_for_the_back_is_an_error_at_its_line(tmp_path, paragraphs, words, lines):
    """Said at the first paragraph that does not fit: a later one of twelve, or the only one, pushed off the sheet."""
    blurb = "# The back\n\n" + "\n\n".join(" ".join((WORDS * 100)[:words]) for _ in range(paragraphs)) + "\n"
    book = _write_book(tmp_path / "b", chapters=1, paragraphs=1, back=blurb)
    result = _cover(book, tmp_path / "cover.pdf", "--pages", "200")
    assert result.exit_code == 1
    found = re.search(r"back\.md:(\d+): error: the back cover's text runs past", result.stderr)
    assert found and int(found.group(1)) in lines, result.stderr


# -- the EPUB for the stores ----------------------------------------------------------------------------------


def test_check_store_finds_a_cmyk_image_converted_and_a_small_cover_refused(tmp_path):
    book = _write_book(tmp_path / "b", chapters=1, paragraphs=2)
    Image.new("CMYK", (600, 360), (0, 200, 200, 20)).save(book / "manuscript" / "gradient.png".replace(".png", ".jpg"))
    chapter = book / "manuscript" / "ch01.md"
    chapter.write_text(chapter.read_text().replace("gradient.png", "gradient.jpg"))
    result = run_cli("check", "--store", str(book))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "ok   Kobo, Apple Books: images in 8-bit RGB or grey" in result.stdout
    assert "ok   Apple Books: cover at most 4,000,000 pixels (3,969,000 pixels)" in result.stdout
    assert not (book / "build").exists()  # check writes nothing in the book
    Image.new("RGB", (800, 1280), "white").save(book / "small-cover.png")
    toml = book / "bookmaker.toml"
    toml.write_text(toml.read_text().replace("[pdf]", 'cover = "small-cover.png"\n[pdf]'))
    result = run_cli("check", "--store", str(book))
    assert result.exit_code == 1
    assert "FAIL Apple Books: cover at least 1400 px wide (800 x 1280 px)" in result.stdout
    assert "warning: the cover is 800 px wide; Apple Books asks for at least 1400" in result.stderr
