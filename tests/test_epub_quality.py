"""E-reader-grade EPUB: EPUBCheck and DAISY Ace clean, pop-up note markup, structure,
cover and embedded fonts, on the sample book and two fixture books."""

from __future__ import annotations

import io
import re

import pytest
from ace import assert_ace_clean
from conftest import EPUB_TYPE, FIXTURES, NS, Epub, assert_epubcheck_clean, build, run_cli
from lxml import etree
from PIL import Image
from shaping import arabic_runs, shaped

from bookmaker.writers.fonts import ARABIC_SCRIPT, find_font
from bookmaker.writers.epub.writer import ROLE_TO_EPUB_TYPE

NOTE_TYPES = {"note", "footnote", "rearnote"}
NOTE_ROLES = {"doc-note", "doc-footnote", "doc-rearnote"}
PERSIAN_NAME = "قاسم سلیمانی"


@pytest.fixture(scope="module")
def books(sample_book, tmp_path_factory) -> dict[str, Epub]:
    out = tmp_path_factory.mktemp("quality")
    return {
        "sample": Epub(sample_book["epub"]),
        "every-syntax": Epub(build(FIXTURES / "every-syntax", "epub", "-o", str(out / "every-syntax.epub"))),
        "chapters": Epub(build(FIXTURES / "chapters", "epub", "-o", str(out / "chapters.epub"))),
    }


BOOKS = ["sample", "every-syntax", "chapters"]


# -- the two checkers --------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["every-syntax", "chapters"])
def test_epubcheck_reports_nothing(books, name):
    # The sample book is checked in test_sample_book.py. These three books hold all the markup
    # of the other fixtures (conftest.EPUBCHECKED_BOOKS), which are not checked one by one.
    assert_epubcheck_clean(books[name].path)


@pytest.mark.slow
@pytest.mark.parametrize("name", BOOKS)
def test_ace_reports_no_violation_of_any_impact(books, name):
    report = assert_ace_clean(books[name].path)
    assert report["earl:testSubject"]["metadata"]["dcterms:conformsTo"] == "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


# -- accessibility metadata and roles ---------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", BOOKS)
def test_accessibility_metadata(books, name):
    opf = books[name].opf()
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang")
    meta = {}
    for m in opf.xpath("//opf:meta[@property]", namespaces=NS):
        meta.setdefault(m.get("property"), []).append(m.text)
    assert set(meta["schema:accessMode"]) == {"textual", "visual"}  # every book has at least its cover
    assert meta["schema:accessModeSufficient"] == ["textual"]
    assert {"structuralNavigation", "tableOfContents", "readingOrder", "alternativeText"} <= set(
        meta["schema:accessibilityFeature"])
    assert meta["schema:accessibilityHazard"] == ["none"]
    assert meta["schema:accessibilitySummary"][0]
    assert meta["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]


@pytest.mark.slow
@pytest.mark.parametrize("name", BOOKS)
def test_every_epub_type_has_its_aria_role(books, name):
    epub = books[name]
    role_of = {t: r for r, t in ROLE_TO_EPUB_TYPE.items()}
    seen = set()
    for doc_name in [n for n in epub.names() if n.endswith(".xhtml")]:
        # EPUBCheck 5.1+ warns on doc-endnote (deprecated); doc-endnotes on the section is the role.
        assert not epub.xml(doc_name).xpath("//*[@role='doc-endnote']")
        for el in epub.xml(doc_name).iter():
            types = el.get(EPUB_TYPE) if isinstance(el.tag, str) else None
            if types is None or el.tag == f"{{{NS['x']}}}a" and doc_name.endswith("nav.xhtml"):
                continue  # the landmarks' links carry types that have no ARIA role
            assert len(types.split()) == 1, (doc_name, types)
            if types == "landmarks" or types.startswith("index-"):
                continue  # EPUB Indexes 1.0's entries, terms and locators have no ARIA role
            assert el.get("role") == role_of[types], (doc_name, etree.tostring(el)[:200])
            seen.add(types)
    assert {"toc", "cover"} <= seen


# -- notes: the rules e-readers follow to show a pop-up ----------------------------


def _notes_markup(epub: Epub):
    for name, doc in epub.content_documents().items():
        order = {el: i for i, el in enumerate(doc.iter())}
        by_id = {el.get("id"): el for el in doc.iter() if isinstance(el.tag, str) and el.get("id")}
        yield name, doc, order, by_id


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sample", "every-syntax", "chapters"])
def test_each_reference_pops_up_its_note(books, name):
    refs_seen = 0
    for doc_name, doc, order, by_id in _notes_markup(books[name]):
        for ref in doc.xpath("//x:a[@role='doc-noteref']", namespaces=NS):
            refs_seen += 1
            # Single tokens, which Calibre and KOReader compare exactly.
            assert ref.get(EPUB_TYPE) == "noteref"
            # Nothing inside the link (tags inside it broke Apple Books pop-ups); superscript comes from CSS.
            assert len(ref) == 0 and ref.text and ref.text.strip().isdigit()
            assert ref.get("id"), "each reference needs an id for the note's backlink"
            href = ref.get("href")
            # The note is in the same file (Kobo) and after the reference.
            assert href.startswith("#"), (doc_name, href)
            note = by_id[href[1:]]
            assert order[note] > order[ref], f"{doc_name}: note {href} comes before its reference"
            assert note.get(EPUB_TYPE) in NOTE_TYPES and note.get("role") in NOTE_ROLES
            assert note.tag != f"{{{NS['x']}}}aside", "Apple Books hides asides from the reading flow"
            # Kobo shows notes of 9 to 5000 characters as pop-ups.
            length = len(" ".join("".join(note.itertext()).split()))
            assert 9 <= length <= 5000, (doc_name, href, length)
    assert refs_seen


@pytest.mark.slow
@pytest.mark.parametrize("name", BOOKS)
def test_reference_ids_are_unique_and_every_note_links_back_to_each(books, name):
    for doc_name, doc, order, by_id in _notes_markup(books[name]):
        ids = [el.get("id") for el in doc.iter() if isinstance(el.tag, str) and el.get("id")]
        assert len(ids) == len(set(ids)), doc_name
        for note in doc.xpath("//*[@role='doc-footnote']"):
            refs = doc.xpath(f"//x:a[@role='doc-noteref'][@href='#{note.get('id')}']", namespaces=NS)
            backlinks = note.xpath(".//x:a[@role='doc-backlink']", namespaces=NS)
            assert refs, f"{doc_name}: note {note.get('id')} has no reference in its file"
            assert [b.get("href") for b in backlinks] == ["#" + r.get("id") for r in refs]
            assert all(b.get(EPUB_TYPE) == "backlink" and b.get("aria-label") for b in backlinks)
            # The note is one element with its backlinks inside (Kindle merged notes otherwise).
            assert note.xpath("ancestor::*[@role='doc-endnotes']"), "notes are readable in the flow, at the end"


@pytest.mark.slow
def test_a_note_cited_twice_has_two_references_and_two_backlinks(books):
    doc = books["every-syntax"].xml("EPUB/everything.xhtml")
    refs = doc.xpath("//x:a[@role='doc-noteref'][@href='#note-1']", namespaces=NS)
    assert len(refs) == 2 and refs[0].get("id") != refs[1].get("id")
    assert len(doc.xpath("//*[@id='note-1']//x:a[@role='doc-backlink']", namespaces=NS)) == 2


@pytest.mark.slow
def test_notes_are_never_hidden_by_css(books):
    # Only MathML's annotation is hidden (the TeX a reader without MathML would show after the formula).
    css = books["sample"].zip.read("EPUB/css/book.css").decode().replace("display:none", "display: none")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    hidden = re.findall(r"([^{}]*)\{[^}]*display: none", css)
    assert [" ".join(selector.split()) for selector in hidden] == ["annotation, annotation-xml"], hidden


# -- structure -----------------------------------------------------------------------


@pytest.mark.slow
def test_one_file_per_chapter_a_title_page_a_cover_and_an_ncx(books):
    epub = books["every-syntax"]
    spine = [epub.opf().xpath(f"//opf:item[@id='{r.get('idref')}']", namespaces=NS)[0].get("href")
             for r in epub.opf().xpath("//opf:itemref", namespaces=NS)]
    # The contents page where a printed book has it, after the title page: a non-linear nav
    # is listed by calibre after the last chapter, behind the notes.
    assert spine == ["cover.xhtml", "titlepage.xhtml", "nav.xhtml", "everything.xhtml", "second.xhtml"]
    assert not epub.opf().xpath("//opf:itemref[@linear='no']", namespaces=NS)
    assert "EPUB/toc.ncx" in epub.names()
    assert epub.opf().xpath("//opf:spine", namespaces=NS)[0].get("toc") == "ncx"
    title = epub.xml("EPUB/titlepage.xhtml")
    assert "Every Syntax" in "".join(title.itertext()) and "Bo Editor" in "".join(title.itertext())


@pytest.mark.slow
def test_the_table_of_contents_nests_by_heading_level(books):
    nav = books["every-syntax"].xml("EPUB/nav.xhtml")
    toc = nav.xpath("//x:nav[@epub:type='toc']/x:ol", namespaces=NS)[0]

    def tree(ol):
        return [("".join(li.find("x:a", NS).itertext()),
                 tree(li.find("x:ol", NS)) if li.find("x:ol", NS) is not None else [])
                for li in ol.findall("x:li", NS)]

    assert tree(toc) == [
        ("Everything at once", [("A table and struck text", []), ("Quotation and lists", []), ("Notes", [])]),
        ("The second chapter", [("A section", [("A subsection", [])]), ("Notes", [])]),
    ]
    ncx = books["every-syntax"].xml("EPUB/toc.ncx")
    ncx_ns = {"n": "http://www.daisy.org/z3986/2005/ncx/"}
    assert ncx.xpath("count(//n:navMap/n:navPoint)", namespaces=ncx_ns) == 2
    assert ncx.xpath("count(//n:navPoint)", namespaces=ncx_ns) == 8


@pytest.mark.slow
def test_landmarks_are_hidden_and_point_at_cover_title_page_text_and_notes(books):
    nav = books["every-syntax"].xml("EPUB/nav.xhtml")
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']", namespaces=NS)[0]
    assert landmarks.get("hidden") == "hidden"
    marks = {a.get(EPUB_TYPE): a.get("href") for a in landmarks.iter(f"{{{NS['x']}}}a")}
    assert marks == {"cover": "cover.xhtml", "toc": "nav.xhtml#toc", "titlepage": "titlepage.xhtml",
                     "bodymatter": "everything.xhtml", "endnotes": "everything.xhtml#notes"}
    assert not nav.xpath("//x:nav[@epub:type='page-list']", namespaces=NS), "no page-list without page breaks"


# -- cover -----------------------------------------------------------------------------


def _cover(epub: Epub) -> tuple[str, bytes]:
    item = epub.opf().xpath("//opf:item[@properties='cover-image']", namespaces=NS)
    assert len(item) == 1
    meta = epub.opf().xpath("//opf:meta[@name='cover']", namespaces=NS)
    assert meta and meta[0].get("content") == item[0].get("id")
    page = epub.xml("EPUB/cover.xhtml")
    img = page.xpath("//x:img", namespaces=NS)[0]
    assert img.get("src") == item[0].get("href")
    assert img.get("role") == "doc-cover" and img.get(EPUB_TYPE) == "cover"
    assert img.get("alt", "").startswith("Cover: ")
    return item[0].get("href"), epub.zip.read("EPUB/" + item[0].get("href"))


@pytest.mark.slow
def test_the_front_matter_cover_is_used_as_it_is(books):
    href, data = _cover(books["every-syntax"])
    assert data == (FIXTURES / "every-syntax" / "manuscript" / "images" / "cover.png").read_bytes()
    assert href == "manuscript/images/cover.png"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sample", "chapters"])
def test_a_book_without_cover_gets_a_typographic_one(books, name):
    href, data = _cover(books[name])
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    # Within every store's rules (writers/covers.py): at least 1,400 px wide, at most 4,000,000 pixels, 1.6:1.
    assert image.width >= 1400 and image.width * image.height <= 4_000_000 and image.height / image.width == 1.6
    # Not a blank page: the title is set in dark ink on the light paper.
    dark = sum(image.convert("L").histogram()[:100])
    assert dark > 10_000


def test_a_missing_cover_is_reported_with_its_line(tmp_path):
    book = tmp_path / "book" / "manuscript"
    book.mkdir(parents=True)
    (book / "a.md").write_text("---\ntitle: T\ncover: images/none.png\n---\n\nText.\n", encoding="utf-8")
    result = run_cli("epub", str(book.parent))
    assert result.exit_code == 1
    assert re.search(r"a\.md:3: error: cover 'images/none.png' does not exist", result.stderr), result.stderr


def test_a_cover_in_another_format_is_reported(tmp_path):
    book = tmp_path / "book" / "manuscript"
    book.mkdir(parents=True)
    (book / "cover.bmp").write_bytes(b"BM")
    (book / "a.md").write_text("---\ntitle: T\ncover: cover.bmp\n---\n\nText.\n", encoding="utf-8")
    result = run_cli("epub", str(book.parent))
    assert result.exit_code == 1
    assert "a.md:3: error: cover 'cover.bmp' has an unsupported format: use a PNG or JPEG" in result.stderr


# -- fonts -----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_persian_face_is_embedded_as_a_small_subset(books):
    from fontTools.ttLib import TTFont

    epub = books["sample"]
    item = epub.opf().xpath("//opf:item[@href='fonts/amiri-regular.ttf']", namespaces=NS)
    assert item and item[0].get("media-type") == "font/ttf"
    data = epub.zip.read("EPUB/fonts/amiri-regular.ttf")
    font = TTFont(io.BytesIO(data))
    cmap = font.getBestCmap()
    assert all(ord(c) in cmap for c in PERSIAN_NAME.replace(" ", ""))
    full = TTFont(find_font(ARABIC_SCRIPT.family))
    assert len(font.getGlyphOrder()) < len(full.getGlyphOrder()) / 10
    assert len(data) < 100_000
    css = epub.zip.read("EPUB/css/book.css").decode()
    assert '@font-face { font-family: "Amiri"' in css and 'url("../fonts/amiri-regular.ttf")' in css


@pytest.mark.slow
def test_the_embedded_face_shapes_every_arabic_script_run_of_the_book_as_the_full_face(books):
    # Readers that use publisher fonts (calibre, Foliate, the AZW3 calibre makes) shape with the subset:
    # without its layout features the letters of the Persian name stood apart.
    epub = books["sample"]
    subset = epub.zip.read("EPUB/fonts/amiri-regular.ttf")
    full = find_font(ARABIC_SCRIPT.family).read_bytes()
    runs = {run for doc in epub.content_documents().values() for run in arabic_runs("".join(doc.itertext()))}
    assert PERSIAN_NAME in runs
    for run in runs:
        assert shaped(subset, run) == shaped(full, run), run


@pytest.mark.slow
def test_a_book_without_arabic_script_embeds_no_font(books):
    assert not [n for n in books["chapters"].names() if n.startswith("EPUB/fonts/")]
    assert "@font-face" not in books["chapters"].zip.read("EPUB/css/book.css").decode()


def test_no_embed_fonts_embeds_none(tmp_path, epubchecked_shapes):
    from conftest import REPO, assert_markup_is_epubchecked

    epub = Epub(build(REPO, "epub", "--no-embed-fonts", "-o", str(tmp_path / "plain.epub")))
    assert not [n for n in epub.names() if n.startswith("EPUB/fonts/")]
    assert "@font-face" not in epub.zip.read("EPUB/css/book.css").decode()
    assert_markup_is_epubchecked(epub, epubchecked_shapes)
