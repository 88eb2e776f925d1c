"""One fixture manuscript per syntax element, built as a real EPUB (checked by
EPUBCheck) and, where the print layout matters, a real PDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from conftest import EPUB_TYPE, FIXTURES, NS, Epub, assert_markup_is_epubchecked, build, run_cli

FIXTURE_BOOKS = [
    "front-matter", "notes", "infobox", "sidebar", "tables", "typography/quotes-de.md",
    "typography/quotes-en.md", "attributes", "rtl", "blockquote", "chapters", "single-file/loose-note.md",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Epub]:
    """Every fixture built once as an EPUB."""
    out = tmp_path_factory.mktemp("epubs")
    books = {}
    for name in FIXTURE_BOOKS:
        target = out / (name.replace("/", "-").removesuffix(".md") + ".epub")
        books[name] = Epub(build(FIXTURES / name, "epub", "-o", str(target)))
    return books


def chapter(epub: Epub) -> etree._Element:
    docs = {n: d for n, d in epub.content_documents().items() if not n.endswith(("titlepage.xhtml", "cover.xhtml"))}
    assert len(docs) == 1, sorted(docs)
    return next(iter(docs.values()))


def text(el: etree._Element) -> str:
    return "".join(el.itertext())


# EPUBCheck runs on the books that hold all of this markup (conftest.EPUBCHECKED_BOOKS), not on
# each fixture: a JVM per fixture took a minute and a half. A fixture whose EPUB has markup
# those books lack fails here, and the markup then belongs in `every-syntax`.
@pytest.mark.parametrize("name", FIXTURE_BOOKS)
def test_the_epubchecked_books_hold_all_the_markup_of_each_fixture(built, epubchecked_shapes, name):
    assert_markup_is_epubchecked(built[name], epubchecked_shapes)


def test_front_matter_reaches_the_package(built):
    opf = built["front-matter"].opf()
    meta = opf.find("opf:metadata", NS)
    assert meta.findtext("dc:title", namespaces=NS) == "A Book of Metadata"
    assert [c.text for c in meta.findall("dc:creator", NS)] == ["Ada Writer", "Bo Editor"]
    assert meta.findtext("dc:identifier", namespaces=NS) == "urn:isbn:9780000000002"
    assert meta.findtext("dc:language", namespaces=NS) == "en-GB"
    assert meta.findtext("dc:description", namespaces=NS) == "A fixture that sets every front matter key."
    assert [s.text for s in meta.findall("dc:subject", NS)] == ["fixtures", "metadata"]
    assert meta.findtext("dc:rights", namespaces=NS) == "Copyright the fixture authors."
    assert meta.findtext("dc:date", namespaces=NS) == "2024-05-01"
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    titles = [t.text for t in meta.findall("dc:title", NS)]
    assert "Every front matter key" in titles
    for doc in built["front-matter"].content_documents().values():
        assert doc.get("lang") == "en-GB"
        assert doc.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"


@pytest.mark.slow
def test_front_matter_reaches_the_pdf(tmp_path):
    pdf = PdfReader(build(FIXTURES / "front-matter", "pdf", "-o", str(tmp_path / "b.pdf")))
    assert pdf.metadata.title == "A Book of Metadata: Every front matter key"
    assert pdf.metadata.author == "Ada Writer, Bo Editor"
    assert pdf.trailer["/Root"]["/Lang"] == "en-GB"


def test_notes_are_numbered_by_first_reference_and_link_both_ways(built):
    doc = chapter(built["notes"])
    refs = doc.xpath("//x:a[@role='doc-noteref']", namespaces=NS)
    assert [r.text for r in refs] == ["1", "2", "3", "1", "4", "1"]
    assert [r.get("href") for r in refs] == ["#note-1", "#note-2", "#note-3", "#note-1", "#note-4", "#note-1"]
    ids = [r.get("id") for r in refs]
    assert len(set(ids)) == len(ids), "every reference needs its own id for the backlink"
    assert all(r.get(EPUB_TYPE) == "noteref" for r in refs)
    assert all(len(r) == 0 for r in refs), "no tags inside a noteref link (Apple Books)"

    notes = doc.xpath("//*[@role='doc-footnote']", namespaces=NS)
    assert [n.get("id") for n in notes] == ["note-1", "note-2", "note-3", "note-4"]
    first = notes[0]
    assert [a.get("href") for a in first.xpath(".//x:a[@role='doc-backlink']", namespaces=NS)] == [
        "#ref-1", "#ref-1-2", "#ref-1-3"]
    assert "The first note, cited three times." in text(first)
    assert "with Markdown" in text(notes[1]) and notes[1].xpath(".//x:em", namespaces=NS)
    assert "A definition may stand before" in text(notes[2])
    assert len(notes[3].findall("x:p", NS)) == 2, "a two-paragraph note keeps both paragraphs"
    # Readers treat a target as a note only with a single-token type.
    assert all(n.get(EPUB_TYPE) == "footnote" for n in notes)
    # Kobo: the note follows its references in the same file.
    order = [el.get("id") for el in doc.iter() if el.get("id")]
    for ref in refs:
        assert order.index(ref.get("id")) < order.index(ref.get("href")[1:])


def test_infobox_is_a_table_after_the_lead_in_the_epub(built):
    doc = chapter(built["infobox"])
    section = doc.find(".//x:section[@class='chapter']", NS)
    children = [c for c in section if isinstance(c.tag, str)]
    assert children[0].tag == f"{{{NS['x']}}}p" and "lead paragraph" in text(children[0])
    box = children[1]
    assert box.get("class") == "box infobox"
    rows = {text(r.find("x:th", NS)): [text(v) for v in r.findall("x:td/x:div", NS)]
            for r in box.findall(".//x:tr", NS) if r.find("x:th", NS) is not None}
    assert rows == {"Born": ["1 January 1900", "Somewhere, Some Country"], "Known for": ["Fixtures"]}
    img = box.find(".//x:img", NS)
    assert img.get("alt") == "A grey square standing in for a portrait"
    assert "EPUB/" + img.get("src") in built["infobox"].names()
    span = box.find(".//x:span[@lang='ru']", NS)
    assert text(span) == "Ада Райтер" and span.get("dir") is None
    assert text(box.find(".//x:caption", NS)) == "Ada Writer"


@pytest.mark.slow
def test_infobox_floats_beside_the_text_in_the_pdf(tmp_path):
    html_path = build(FIXTURES / "infobox", "html", "-o", str(tmp_path / "b.html"))
    html = html_path.read_text()
    # In print the box stays first, so it floats at the top right beside the lead.
    assert html.index('class="box infobox"') < html.index("The lead paragraph")
    assert 'src="../infobox/manuscript/images/portrait.png"' not in html  # relative to the output, which is elsewhere
    pdf_path = build(FIXTURES / "infobox", "pdf", "-o", str(tmp_path / "b.pdf"))
    # One chapter without a chapter title is set as an article: the text starts on page 1.
    page = PdfReader(pdf_path).pages[0]
    assert "Born" in page.extract_text() and "Known for" in page.extract_text()
    assert "/XObject" in page["/Resources"], "the infobox image is in the PDF"


def test_sidebar_keeps_any_markdown_and_its_notes(built):
    doc = chapter(built["sidebar"])
    box = doc.find(".//x:aside[@class='box sidebar']", NS)
    assert text(box.find("x:p[@class='box-title']", NS)) == "A general box"
    assert len(box.findall(".//x:li", NS)) == 2
    ref = box.find(".//x:a[@role='doc-noteref']", NS)
    assert ref.get("href") == "#note-1"
    assert doc.find(".//*[@id='note-1']", NS) is not None


def test_tables_and_strikethrough(built):
    doc = chapter(built["tables"])
    table = doc.find(".//x:table", NS)
    assert [text(th) for th in table.findall(".//x:th", NS)] == ["Year", "Event"]
    assert len(table.findall(".//x:tbody/x:tr", NS)) == 2
    assert [text(s) for s in doc.findall(".//x:s", NS)] == ["Retired", "gone"]


@pytest.mark.parametrize("name, expected", [
    ("typography/quotes-en.md", "She said “hello” and ‘goodbye’ – then left… 1990–2000 — done."),
    ("typography/quotes-de.md", "Er sagte „Hallo“ und ‚tschüss‘ – dann ging er… 1990–2000 — fertig."),
])
def test_typographic_quotes_and_dashes_follow_the_language(built, name, expected):
    doc = chapter(built[name])
    assert text(doc.find(".//x:section/x:p", NS)) == expected


def test_heading_and_span_attributes(built):
    doc = chapter(built["attributes"])
    h = doc.find(".//x:h2[@id='custom-id']", NS)
    assert h is not None and h.get("class") == "special" and h.get("lang") == "fr"
    assert text(h) == "A heading with its own id"
    assert [e.get("id") for e in doc.findall(".//x:section[@class='chapter']/x:h2", NS)] == [
        "custom-id", "repeated", "repeated-1", "notes-about-notes", "notes-1"]
    fr = doc.find(".//x:span[@lang='fr']", NS)
    assert text(fr) == "mot français" and fr.get("dir") is None
    fa = doc.find(".//x:span[@lang='fa']", NS)
    assert fa.get("dir") == "rtl", "a span in a right-to-left language gets dir=rtl"


def test_unmarked_right_to_left_text_is_isolated(built):
    doc = chapter(built["rtl"])
    spans = doc.findall(".//x:span[@dir='rtl']", NS)
    assert [text(s) for s in spans] == ["قاسم سلیمانی", "שלום עולם", "مرحبا"]


def test_block_quotation(built):
    doc = chapter(built["blockquote"])
    quote = doc.find(".//x:blockquote", NS)
    assert "A short quotation" in text(quote)


def test_chapters_make_files_with_continuous_notes_and_links_across(built):
    epub = built["chapters"]
    docs = epub.content_documents()
    names = sorted(n for n in docs if not n.endswith(("titlepage.xhtml", "cover.xhtml")))
    assert names == ["EPUB/first.xhtml", "EPUB/second.xhtml", "EPUB/third.xhtml"]
    numbers = {n: [a.text for a in docs[n].xpath("//x:a[@role='doc-noteref']", namespaces=NS)] for n in names}
    assert numbers == {"EPUB/first.xhtml": ["1"], "EPUB/second.xhtml": ["2", "3"], "EPUB/third.xhtml": ["4"]}
    # Each chapter file holds its own notes, after their references.
    assert [n.get("id") for n in docs["EPUB/second.xhtml"].xpath("//*[@role='doc-footnote']")] == ["note-2", "note-3"]
    assert "Note two" in text(docs["EPUB/second.xhtml"].xpath("//*[@id='note-2']")[0])
    hrefs = [a.get("href") for a in docs["EPUB/first.xhtml"].iter(f"{{{NS['x']}}}a")]
    assert "third.xhtml#the-third-chapter" in hrefs
    assert "first.xhtml#the-first-chapter" in [a.get("href") for a in docs["EPUB/third.xhtml"].iter(f"{{{NS['x']}}}a")]
    nav = epub.xml("EPUB/nav.xhtml")
    toc = nav.find(".//x:nav[@id='toc']/x:ol", NS)
    top = [text(li.find("x:a", NS)) for li in toc.findall("x:li", NS)]
    assert top == ["The first chapter", "The second chapter", "The third chapter"]
    second = toc.findall("x:li", NS)[1]
    assert [text(a) for a in second.findall("x:ol/x:li/x:a", NS)] == ["A section", "Notes"]
    css = epub.zip.read("EPUB/css/book.css").decode()
    assert "#123456" in css and "letter-spacing" not in css, "book.css applies to the EPUB, book-print.css does not"


@pytest.mark.slow
def test_chapters_pdf_has_one_notes_section_and_an_outline(tmp_path):
    pdf = PdfReader(build(FIXTURES / "chapters", "pdf", "-o", str(tmp_path / "c.pdf")))
    titles = [item.title for item in pdf.outline if not isinstance(item, list)]
    # The book's Notes stand beside the chapters, not inside the last one.
    assert titles == ["Three Chapters", "The first chapter", "The second chapter", "The third chapter", "Notes"]
    all_text = "\n".join(p.extract_text() for p in pdf.pages)
    for n in ("Note one.", "Note two", "Note three.", "Note four."):
        assert n in all_text
    assert len(re.findall(r"^1\. ", all_text, flags=re.M)) == 1, "one Notes section, numbered through the book"


def test_single_file_takes_its_title_from_the_first_heading(built):
    opf = built["single-file/loose-note.md"].opf()
    assert opf.findtext(".//dc:title", namespaces=NS) == "A Loose Note"


def test_single_file_default_output_is_beside_it(tmp_path):
    source = tmp_path / "draft.md"
    source.write_text("# Draft\n\nText.\n", encoding="utf-8")
    result = run_cli("epub", str(source))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "build" / "draft.epub").is_file()
    assert Path(result.stdout.strip()) == tmp_path / "build" / "draft.epub"
