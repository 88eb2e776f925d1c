"""The repository's own book, built with `bookmaker build` and checked with real tools.

Expectations come from the manuscript file itself (its headings, note
definitions, infobox fields), read here with plain regular expressions rather
than with bookmaker's reader, so the reader cannot vouch for itself.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from pypdf import PdfReader

from conftest import text_positions, EPUB_TYPE, NS, REPO, Epub, assert_epubcheck_clean

MANUSCRIPT = (REPO / "manuscript" / "qasem-soleimani.md").read_text(encoding="utf-8")
HEADINGS = re.findall(r"^## (.+)$", MANUSCRIPT, flags=re.M)
LABELS = re.findall(r"^\[\^([^\]]+)\]:", MANUSCRIPT, flags=re.M)
INLINE_NOTES = len(re.findall(r"\^\[", MANUSCRIPT))
NOTE_COUNT = len(LABELS) + INLINE_NOTES
REFERENCE_COUNT = len(re.findall(r"\[\^[^\]]+\](?!:)", MANUSCRIPT)) + INLINE_NOTES
PERSIAN_NAME = "قاسم سلیمانی"


def test_the_manuscript_meets_the_brief():
    assert len(HEADINGS) == 6 and HEADINGS[0] == "Palestinian groups"
    assert NOTE_COUNT >= 45
    assert REFERENCE_COUNT > NOTE_COUNT, "at least one note is referenced more than once"
    assert len(re.findall(r"^> ", MANUSCRIPT, flags=re.M)) >= 2
    assert f"[{PERSIAN_NAME}]{{lang=fa}}" in MANUSCRIPT


@pytest.mark.slow
def test_the_build_reports_no_problems(sample_book):
    assert sample_book["stderr"] == ""


# -- PDF -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf(sample_book) -> PdfReader:
    return PdfReader(sample_book["pdf"])


@pytest.mark.slow
def test_qpdf_finds_the_pdf_clean(sample_book):
    result = subprocess.run(["qpdf", "--check", str(sample_book["pdf"])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_every_font_is_embedded_and_persian_has_a_face(sample_book):
    result = subprocess.run(["pdffonts", str(sample_book["pdf"])], capture_output=True, text=True, check=True)
    rows = result.stdout.splitlines()[2:]
    assert rows
    for row in rows:
        emb, sub = row.split()[-5:-3]
        assert (emb, sub) == ("yes", "yes"), row
    assert any("Amiri" in row for row in rows), "the Persian name needs a face with Arabic-script glyphs"


@pytest.mark.slow
def test_pdf_metadata(pdf):
    assert pdf.metadata.title == "Qasem Soleimani: A biography"
    assert pdf.metadata.author == "The bookmaker sample authors"
    assert pdf.trailer["/Root"]["/Lang"] == "en"
    assert pdf.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4 by default


@pytest.mark.slow
def test_outline_follows_the_headings(pdf):
    top, children = pdf.outline[0], pdf.outline[1]
    assert top.title == "Qasem Soleimani"
    assert [c.title for c in children] == HEADINGS + ["Notes", "Index"]




@pytest.mark.slow
def test_infobox_sits_beside_the_lead_on_page_one(pdf):
    # The sample is an article: its text starts under the title on page 1.
    page = pdf.pages[0]
    text = page.extract_text()
    for field in ("Born", "11 March 1957", "Died", "3 January 2020", "Cause of", "Nationality", "Iranian"):
        assert field in text
    positions = text_positions(page)
    width = float(page.mediabox.width)
    nationality = next((x, y) for t, x, y in positions if t.startswith("Nationality"))
    lead = next((x, y) for t, x, y in positions if t.startswith("Qasem Soleimani (1957"))
    assert nationality[0] > width / 2, "the infobox is in the right half of the page"
    assert lead[0] < width / 3, "the lead starts at the left margin"
    assert nationality[1] < lead[1], "the box runs down beside the lead, below its first line"


@pytest.mark.slow
def test_every_note_is_in_the_notes_section(pdf):
    pages = [p.extract_text() for p in pdf.pages]
    start = next(i for i, t in enumerate(pages) if re.search(r"^Notes$", t, flags=re.M) and "Contents" not in t)
    notes_text = "\n".join(pages[start:])
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", notes_text, flags=re.M)]
    assert numbers == list(range(1, NOTE_COUNT + 1))
    # Each note ends with the pages of its reference(s) in print, each page once.
    locators = re.findall(r"\(pp?\.\s+(\d+(?:, \d+)*)\)", notes_text)
    assert len(locators) == NOTE_COUNT
    assert all(len(set(pages.split(", "))) == len(pages.split(", ")) for pages in locators)
    alone = [line for line in notes_text.splitlines() if re.fullmatch(r"\(pp?\.\s+\d+(?:, \d+)*\)", line.strip())]
    assert not alone, "a locator stays on the line of the note's last word"


@pytest.mark.slow
def test_the_index_follows_the_notes_and_names_the_pages_of_its_marks(pdf):
    """People, places and organisations are marked in the manuscript; the Index closes the book after the Notes."""
    marks = re.findall(r"\[([^\[\]]+)\]\{index=\"([^\"]+)\"\}|\[([^\[\]]+)\]\{\.index\}", MANUSCRIPT)
    assert len(marks) >= 80
    pages = [p.extract_text() for p in pdf.pages]
    notes = next(i for i, t in enumerate(pages) if re.search(r"^Notes$", t, flags=re.M))
    index = next(i for i, t in enumerate(pages) if re.search(r"^Index$", t, flags=re.M))
    assert notes < index and all("Notes" not in t.splitlines()[0] for t in pages[index:])
    index_text = " ".join(" ".join(pages[index:]).split())  # entries wrap over lines
    body = [" ".join(re.sub(r"[-\u2010\u00ad]\n", "", t).split()) for t in pages[:notes]]
    for words, entry, plain in marks:
        words = (words or plain).replace("'", "\u2019")
        term = (entry or plain).split("!")[-1].split(";")[0].strip().replace("'", "\u2019")
        lines = re.findall(rf"(?:^| ){re.escape(term)}((?:, \d+(?:–\d+)?)+)", index_text)
        assert lines, f"{term} has no page numbers in the index"
        shown = {n for line in lines for a, b in re.findall(r"(\d+)(?:–(\d+))?", line) for n in range(int(a), int(b or a) + 1)}
        # The printed page number is the page's position: the article's pages are numbered from 1.
        def starts_on(n: int) -> bool:  # a mark may begin at a page's foot and end overleaf
            first, last = words.split()[0], words.split()[-1]
            return words in body[n - 1] or (first[:4] in body[n - 1][-300:] and last in body[n][:500])

        assert any(starts_on(n) for n in shown), f"{words} is on none of the pages {sorted(shown)}"


def _links(pdf) -> list[tuple[int, str, list[float]]]:
    links = []
    for number, page in enumerate(pdf.pages):
        for annot in page.get("/Annots", []):
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot:
                links.append((number, str(annot["/Dest"]), [float(v) for v in annot["/Rect"]]))
    return links


@pytest.mark.slow
def test_references_and_notes_link_both_ways(pdf):
    links = _links(pdf)
    destinations = {name: pdf.get_destination_page_number(dest) for name, dest in pdf.named_destinations.items()}
    to_notes = [link for link in links if re.fullmatch(r"note-\d+", link[1])]
    backlinks = [link for link in links if re.fullmatch(r"ref-\d+(-\d+)?", link[1])]
    assert len(to_notes) == REFERENCE_COUNT
    # WeasyPrint may split one link into several annotations (text and ::after); count targets.
    # A note links back to each page its references are on, once for the references on one page.
    reference_page = {name: number for name, number in destinations.items() if re.fullmatch(r"ref-\d+(-\d+)?", name)}
    pages_per_note = {(name.split("-")[1], number) for name, number in reference_page.items()}
    assert len(reference_page) == REFERENCE_COUNT
    assert {(dest.split("-")[1], destinations[dest]) for _, dest, _ in backlinks} == pages_per_note
    assert {link[1] for link in to_notes} == {f"note-{n}" for n in range(1, NOTE_COUNT + 1)}
    for page, dest, rect in to_notes + backlinks:
        assert dest in destinations, dest
        assert abs(rect[2] - rect[0]) > 1 and abs(rect[3] - rect[1]) > 1, f"link to {dest} has no area to click"
    # A backlink leads to the page its reference is on.
    for page, dest, _ in to_notes:
        assert destinations[dest] > page
    reference_pages: dict[str, set[int]] = {}
    for page, dest, _ in to_notes:
        reference_pages.setdefault(dest.split("-")[1], set()).add(page)
    for page, dest, _ in backlinks:
        assert destinations[dest] in reference_pages[dest.split("-")[1]], dest


# -- EPUB ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def epub(sample_book) -> Epub:
    return Epub(sample_book["epub"])


@pytest.mark.slow
def test_epubcheck_passes_the_sample_book(sample_book):
    assert_epubcheck_clean(sample_book["epub"])


def _chapter(epub: Epub):
    return epub.xml("EPUB/qasem-soleimani.xhtml")


@pytest.mark.slow
def test_epub_infobox_follows_the_lead_paragraph(epub):
    section = _chapter(epub).find(".//x:section[@class='chapter']", NS)
    first, second = [c for c in section if isinstance(c.tag, str)][:2]
    assert first.tag.endswith("}p") and "".join(first.itertext()).startswith("Qasem Soleimani (1957")
    assert second.get("class") == "box infobox"
    assert second.find(".//x:table", NS) is not None


@pytest.mark.slow
def test_epub_persian_name_is_marked(epub):
    spans = _chapter(epub).xpath(f"//x:span[text()='{PERSIAN_NAME}']", namespaces=NS)
    assert spans and spans[0].get("lang") == "fa" and spans[0].get("dir") == "rtl"


@pytest.mark.slow
def test_epub_notes_follow_pop_up_rules(epub):
    doc = _chapter(epub)
    refs = doc.xpath("//x:a[@epub:type='noteref']", namespaces=NS)
    notes = doc.xpath("//*[@epub:type='footnote']", namespaces=NS)
    assert len(refs) == REFERENCE_COUNT and len(notes) == NOTE_COUNT
    order = {el.get("id"): i for i, el in enumerate(doc.iter()) if el.get("id")}
    for ref in refs:
        target = ref.get("href")[1:]
        assert target in order and order[target] > order[ref.get("id")]
        assert ref.get("role") == "doc-noteref" and len(ref) == 0
    for note in notes:
        assert note.get(EPUB_TYPE) == "footnote" and note.get("role") == "doc-footnote"
        backs = note.xpath(".//x:a[@role='doc-backlink']", namespaces=NS)
        assert backs and all(b.get("href")[1:] in order for b in backs)
        length = len("".join(note.itertext()).strip())
        assert 9 <= length <= 5000, "Kobo shows pop-ups for notes of 9 to 5000 characters"
    assert {b.get("href") for b in doc.xpath("//x:a[@role='doc-backlink']", namespaces=NS)} == {
        "#" + r.get("id") for r in refs}


@pytest.mark.slow
def test_epub_navigation_and_package(epub):
    nav = epub.xml("EPUB/nav.xhtml")
    toc = [("".join(a.itertext())) for a in nav.xpath("//x:nav[@epub:type='toc']//x:a", namespaces=NS)]
    assert toc == HEADINGS + ["Notes", "Index"]
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']", namespaces=NS)[0]
    assert landmarks.get("hidden") is not None
    assert {a.get(EPUB_TYPE) for a in landmarks.iter(f"{{{NS['x']}}}a")} >= {"toc", "bodymatter", "endnotes", "index"}
    assert "EPUB/toc.ncx" in epub.names()
    opf = epub.opf()
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    modified = opf.xpath("//opf:meta[@property='dcterms:modified']", namespaces=NS)[0].text
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", modified)
    assert epub.names()[0] == "mimetype" and epub.zip.getinfo("mimetype").compress_type == 0
