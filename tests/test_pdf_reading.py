"""What a reader of the PDF sees, read back from the pages with poppler's pdftotext -bbox-layout:
note marks, line starts, word gaps, hyphenation, the title and the notes pages.

The fixture `article/article.md` is a one-file article as a new user writes one: its first
heading repeats the title, an infobox with a Persian name, 48 notes, adjacent note marks and a
quotation introduced by a line ending in a colon. It builds in a couple of seconds.
"""

from __future__ import annotations

import re
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from conftest import FIXTURES, Epub, build, copy_fixture, run_cli

ARTICLE = FIXTURES / "article" / "article.md"
XHTML = "{http://www.w3.org/1999/xhtml}"


@dataclass
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class Line:
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


# A test that lays a PDF out is the slow layer's, as every whole-book PDF is (tests/README.md).
LAYS_OUT_A_PDF = pytest.mark.slow


def page_lines(pdf: Path) -> list[list[Line]]:
    """Every page's lines as pdftotext finds them, each word with its box (points, y downwards)."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True))
    pages = []
    for page in root.iter(XHTML + "page"):
        lines = []
        for line in page.iter(XHTML + "line"):
            words = [Word(w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
                     for w in line.iter(XHTML + "word")]
            if words:
                lines.append(Line(words))
        pages.append(lines)
    return pages


def body_height(pages: list[list[Line]]) -> float:
    """The height of a word of running text: the most common word height before the notes."""
    end = next((i for i, lines in enumerate(pages) if any(line.text == "Notes" for line in lines)), len(pages))
    heights = [round(w.height, 1) for lines in pages[: max(end, 1)] for line in lines for w in line.words]
    return statistics.mode(heights)


def is_mark(word: Word, body: float) -> bool:
    """A note mark: digits (and separators) set smaller than the text."""
    return bool(re.fullmatch(r"[\d,\u2060]+", word.text)) and word.height < 0.85 * body


def labels_in_order(text: str) -> list[str]:
    seen: list[str] = []
    for label in re.findall(r"\[\^([^\]]+)\](?!:)", text):
        if label not in seen:
            seen.append(label)
    return seen


@pytest.fixture(scope="module")
def article(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("article") / "article.pdf"
    result = run_cli("pdf", str(ARTICLE), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    pages = page_lines(out)
    return {"path": out, "pages": pages, "body": body_height(pages), "pdf": PdfReader(out)}


# -- item 3: adjacent note marks -----------------------------------------------------------------


@LAYS_OUT_A_PDF
def test_adjacent_note_marks_are_separated_by_a_comma(article):
    manuscript = ARTICLE.read_text()
    numbers = {label: n for n, label in enumerate(labels_in_order(manuscript), start=1)}
    clusters = [re.findall(r"\[\^([^\]]+)\]", m) for m in re.findall(r"(?:\[\^[^\]]+\](?!:)){2,}", manuscript)]
    assert len(clusters) >= 5, "the fixture has runs of adjacent marks"
    text = re.sub(r"\s+", "", "\n".join(p.extract_text() for p in article["pdf"].pages)).replace("\u2060", "")
    for cluster in clusters:
        shown = [str(numbers[label]) for label in cluster]
        assert ",".join(shown) in text, f"marks {shown} are not separated"
    # Each mark is still its own link, to its own note.
    dests = []
    for page in article["pdf"].pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot:
                dests.append(str(annot["/Dest"]))
    refs = len(re.findall(r"\[\^[^\]]+\](?!:)", manuscript))
    assert sum(d.startswith("note-") for d in dests) == refs


def test_adjacent_marks_in_the_model_and_the_epub(tmp_path):
    epub = Epub(build(copy_fixture("article", tmp_path) / "article.md", "epub"))
    chapter = next(doc for name, doc in epub.content_documents().items() if "article" in name)
    xml = etree.tostring(chapter, encoding="unicode")
    # Three links, each a noteref, with a comma between them that is no part of either link.
    assert re.search(r'>9</a>\u2060?<span class="noteref-separator"[^>]*>,</span>\u2060?<a [^>]*>10</a>', xml), xml[:3000]
    for a in chapter.iter(XHTML + "a"):
        if a.get("class") == "noteref":
            assert a.get("{http://www.idpf.org/2007/ops}type") == "noteref" and re.fullmatch(r"\d+", a.text)


# -- item 4: the title printed once -------------------------------------------------------------


def _title_lines(pages: list[list[Line]], title: str, body: float) -> list[tuple[int, Line]]:
    """Lines that read as the title and are set larger than the text (headings, title blocks)."""
    return [(i, line) for i, lines in enumerate(pages) for line in lines
            if line.text == title and line.words[0].height > 1.3 * body]


@LAYS_OUT_A_PDF
def test_an_article_whose_heading_repeats_the_title_prints_it_once(article):
    pages = article["pages"]
    found = _title_lines(pages, "Kaveh Testpour", article["body"])
    assert len(found) == 1 and found[0][0] == 0, [(i, line.text) for i, line in found]
    page_one = " ".join(line.text for line in pages[0])
    assert "Kaveh Testpour (1950–2010) was an invented" in page_one, "the text begins on page 1"
    assert not any(line.text == "Contents" for lines in pages for line in lines)


@LAYS_OUT_A_PDF
def test_layout_article_prints_the_title_once(tmp_path):
    out = tmp_path / "a.pdf"
    assert run_cli("pdf", str(ARTICLE), "-o", str(out), "--layout", "article").exit_code == 0
    pages = page_lines(out)
    assert len(_title_lines(pages, "Kaveh Testpour", body_height(pages))) == 1


@LAYS_OUT_A_PDF
def test_a_title_taken_from_the_only_heading_is_the_title(tmp_path):
    out = tmp_path / "loose.pdf"
    assert run_cli("pdf", str(FIXTURES / "single-file" / "loose-note.md"), "-o", str(out)).exit_code == 0
    pages = page_lines(out)
    assert len(_title_lines(pages, "A Loose Note", body_height(pages))) == 1
    assert "the title comes from the first" in " ".join(line.text for line in pages[0])


def test_the_epub_shows_the_title_once(tmp_path):
    epub = Epub(build(copy_fixture("article", tmp_path) / "article.md", "epub"))
    chapter = next(doc for name, doc in epub.content_documents().items() if "article" in name)
    headings = [("".join(h.itertext())) for h in chapter.iter() if isinstance(h.tag, str) and re.fullmatch(
        XHTML.replace("{", r"\{").replace("}", r"\}") + "h[1-6]", h.tag)]
    assert "Kaveh Testpour" not in headings, "the title page already shows the title"
    assert "Early work" in headings


# -- item 6: a mark never starts a line ---------------------------------------------------------


@LAYS_OUT_A_PDF
def test_no_line_starts_with_a_note_mark(article):
    starts = [(i + 1, line.text) for i, lines in enumerate(article["pages"]) for line in lines
              if is_mark(line.words[0], article["body"]) and line.text != str(i + 1)]  # not the page number
    assert not starts, starts


# -- item 7: even word spacing beside the infobox ------------------------------------------------


def word_gaps(line: Line) -> list[float]:
    return [b.x0 - a.x1 for a, b in zip(line.words, line.words[1:])]


@LAYS_OUT_A_PDF
def test_word_gaps_beside_the_infobox_are_at_most_twice_normal(article):
    pages, body = article["pages"], article["body"]
    body_lines = [line for lines in pages for line in lines
                  if len(line.words) > 3 and abs(statistics.median(w.height for w in line.words) - body) < 0.5]
    normal = statistics.median(g for line in body_lines for g in word_gaps(line))
    # Lines beside the box: on page 1, at body size, ending well before the right margin.
    right = max(line.words[-1].x1 for line in body_lines)
    beside = [line for line in pages[0] if line in body_lines and line.words[-1].x1 < right - 100]
    assert len(beside) >= 8, "the fixture's infobox has text beside it"
    widest = max((max(word_gaps(line)), line.text) for line in beside)
    assert widest[0] <= 2 * normal, f"gap of {widest[0]:.1f} pt (normal {normal:.1f}) in: {widest[1]}"


# -- item 11: a lead-in stays with its quotation -------------------------------------------------


@LAYS_OUT_A_PDF
def test_a_lead_in_ending_in_a_colon_stays_with_its_quotation(article):
    texts = [" ".join(line.text for line in lines) for lines in article["pages"]]
    lead = next(i for i, t in enumerate(texts) if "explained his method:" in t)
    assert "A map is a promise" in texts[lead], "the quotation begins on the page of its lead-in"


def test_the_reader_marks_lead_ins():
    from bookmaker.read import read_book

    book, _ = read_book(ARTICLE)
    html = "".join(b.html for b in book.chapters[0].blocks if hasattr(b, "html"))
    assert '<p class="lead-in">His first published map' in html
    assert html.count('class="lead-in"') == 1, "only a paragraph ending in a colon before a quotation"


# -- item 5: hyphenation -----------------------------------------------------------------------

BAD_BREAKS = ["Is-rael", "Afgh-anistan", "respons-ibility", "Ir-aqi", "Ir-anian", "Secret-ary", "Al-lah"]
WORDS = "Israel Afghanistan responsibility Iraqi Iranian Secretary Allah revolutionary international consequence"


def breaks(pages: list[list[Line]]) -> list[tuple[str, str, float]]:
    """Each word broken at a line end: (before the hyphen, after it, the height of its type)."""
    found = []
    for lines in pages:
        for line, following in zip(lines, lines[1:]):
            last = line.words[-1]
            if last.text.endswith(("\u2010", "-")) and len(last.text) > 1:
                found.append((last.text[:-1], following.words[0].text, last.height))
    return found


@LAYS_OUT_A_PDF
def test_plain_english_is_hyphenated_with_american_patterns_and_limits(tmp_path):
    book = tmp_path / "narrow"
    (book / "manuscript").mkdir(parents=True)
    (book / "styles").mkdir()
    (book / "manuscript" / "text.md").write_text(
        "---\ntitle: Narrow\nlang: en\n---\n\n## Responsibility, Secretary, Afghanistan\n\n"
        + "\n\n".join(" ".join(WORDS.split()[i:] + WORDS.split()[:i]) for i in range(10)) + "\n"
    )
    # A column of a few letters breaks every long word that can be broken.
    (book / "styles" / "book-print.css").write_text(".chapter p, .chapter h2 { width: 4.6em; text-align: left; }\n")
    out = tmp_path / "narrow.pdf"
    result = run_cli("pdf", str(book), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    pages = page_lines(out)
    body = body_height(pages)
    found = breaks(pages)
    shown = {f"{a}-{b}".strip(".,") for a, b, _ in found}
    assert len(shown) >= 4, f"the narrow column hyphenates: {shown}"
    assert not [b for b in BAD_BREAKS if any(s.startswith(b) for s in shown)], shown
    assert all(len(a) >= 3 and len(b.strip(".,")) >= 3 for a, b, _ in found), "no fragment under three letters"
    assert not [f for f in found if f[2] > 1.1 * body], "headings are never hyphenated"


# -- item 8: the notes pages -----------------------------------------------------------------------


def _notes_pages(pages: list[list[Line]]) -> list[list[Line]]:
    start = next(i for i, lines in enumerate(pages) if any(line.text == "Notes" for line in lines))
    # Without the title, the page number and the running head (in the top margin).
    return [[line for line in lines if line.text not in ("Notes", str(i + start + 1)) and line.words[0].y1 > 70]
            for i, lines in enumerate(pages[start:])]


def _notes(pages: list[list[Line]]) -> tuple[list[Line], float, list[list[Line]]]:
    """The notes pages' lines, the indent of the notes' text, and the lines of each note."""
    lines = [line for lines in _notes_pages(pages) for line in lines]
    indent = statistics.mode(round(line.words[0].x0) for line in lines)
    notes: list[list[Line]] = []
    for line in lines:
        if line.words[0].x1 < indent - 1:  # a number, in the margin the notes hang from
            notes.append([])
        notes[-1].append(line)
    return lines, indent, notes


@LAYS_OUT_A_PDF
def test_notes_hang_from_right_aligned_numbers(article):
    lines, indent, notes = _notes(article["pages"])
    numbers = [note[0].words[0] for note in notes]
    assert [n.text for n in numbers] == [f"{i}." for i in range(1, 49)]
    ends = {round(n.x1) for n in numbers}
    assert max(ends) - min(ends) <= 1, "the numbers line up at their full stops"
    # The text of every line, first or not, of every paragraph, starts at one indent.
    for note in notes:
        assert abs(note[0].words[1].x0 - indent) < 1, note[0].text
        for line in note[1:]:
            assert abs(line.words[0].x0 - indent) < 1, f"not under the text of its note: {line.text}"
    assert any(len(note) > 3 for note in notes), "a note of two paragraphs"
    for note in notes:
        assert not re.fullmatch(r"\(pp?\. [\d, ]+\)", note[-1].text), f"a locator alone on a line: {note[0].text}"
        assert len(note) == 1 or len(note[0].words) > 3, f"a first line of one word: {note[0].text}"


@LAYS_OUT_A_PDF
def test_notes_give_each_page_of_their_references_once(article):
    pdf = article["pdf"]
    where = {name: pdf.get_destination_page_number(dest) + 1 for name, dest in pdf.named_destinations.items()}
    _, _, notes = _notes(article["pages"])
    texts = [" ".join(line.text for line in note) for note in notes]
    assert len(texts) == 48
    assert not [t for t in texts if "↑" in t or "↩" in t], "arrows mean nothing on paper"
    several = 0
    for number, text in enumerate(texts, start=1):
        pages = sorted({p for ref, p in where.items() if re.fullmatch(rf"ref-{number}(-\d+)?", ref)})
        expected = f"(p. {pages[0]})" if len(pages) == 1 else "(pp. " + ", ".join(map(str, pages)) + ")"
        assert text.endswith(expected), (number, text[-60:], expected)
        several += len(pages) > 1
    refs = [r for r in where if re.fullmatch(r"ref-6(-\d+)?", r)]
    assert len(refs) == 2 and len({where[r] for r in refs}) == 1, "the fixture cites note 6 twice on one page"
    assert several, "and some note on two pages"


def test_epub_notes_end_with_labelled_backlinks(tmp_path):
    epub = Epub(build(copy_fixture("article", tmp_path) / "article.md", "epub"))
    chapter = next(doc for name, doc in epub.content_documents().items() if "article" in name)
    ns = {"x": XHTML[1:-1]}
    notes = chapter.xpath("//*[@role='doc-footnote']")
    assert len(notes) == 48
    for note in notes:
        last = note.xpath("./x:p", namespaces=ns)[-1]
        links = last.xpath(".//x:a[@role='doc-backlink']", namespaces=ns)
        number = note.get("id").split("-")[1]
        assert links, f"note {number}: the backlink ends its last paragraph"
        assert "".join(last.itertext()).rstrip().endswith("".join(links[-1].itertext()))
        assert not note.xpath("./x:p[1]//x:a[@role='doc-backlink']", namespaces=ns) or len(note.xpath("./x:p", namespaces=ns)) == 1
        if len(links) == 1:
            assert links[0].get("aria-label") == f"Back to note reference {number}"
            assert "".join(links[0].itertext()).startswith("↩")
        else:
            assert [link.get("aria-label") for link in links] == [
                f"Back to note reference {number}{letter}" for letter in "abcdefgh"[: len(links)]]
            assert ["".join(link.itertext())[-1] for link in links] == list("abcdefgh"[: len(links)])
        assert all(link.get("{http://www.idpf.org/2007/ops}type") == "backlink" for link in links)


@pytest.mark.slow
def test_the_article_epub_passes_epubcheck_and_ace(tmp_path):
    from ace import assert_ace_clean
    from conftest import assert_epubcheck_clean

    epub = build(copy_fixture("article", tmp_path) / "article.md", "epub")
    assert_epubcheck_clean(epub)
    assert_ace_clean(epub)


@LAYS_OUT_A_PDF
def test_the_second_layout_reports_nothing_twice(tmp_path):
    book = tmp_path / "twice.md"
    book.write_text("---\ntitle: Twice\n---\n\nA claim.[^a] The same source again.[^a] "
                    '<span style="colour: red">Odd CSS.</span>\n\n[^a]: A source.\n')
    out = tmp_path / "twice.pdf"
    result = run_cli("pdf", str(book), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("colour") == 1, result.stderr
    text = " ".join(line.text for lines in page_lines(out) for line in lines)
    assert "A source. (p. 1)" in text, "both references are on page 1: the page is printed once"


def test_a_heading_with_a_note_mark_stays_a_heading():
    from bookmaker.read import read_book

    path = FIXTURES / "single-file" / "loose-note.md"
    text = path.read_text().replace("# A Loose Note", "# A Loose Note[^h]") + "\n[^h]: On the heading.\n"
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "loose-note.md"
        copy.write_text(text)
        book, _ = read_book(copy)
    assert [h.text for h in book.headings] == ["A Loose Note"], "kept, with its mark, above the text"
    assert all(note.refs for note in book.notes)


@LAYS_OUT_A_PDF
def test_no_word_is_left_alone_on_a_line_before_an_inline_element():
    """WeasyPrint 70 measured a text's trailing space before an inline element and kept only its
    first word on the line ("The" / "Quds Force started to build links with"): the sample's first
    page showed "Soleimani" alone. writers/weasy.py works around it; this is the sample's paragraph."""
    from bookmaker.writers.pdf.weasy import import_weasyprint

    weasyprint = import_weasyprint()
    paragraph = (
        'The Quds Force started to build links with <span class="index" id="a">Hamas</span> and '
        '<span class="index" id="b">Palestinian Islamic Jihad</span> in the 1990s, while it was led by '
        "Soleimani's predecessor, Brigadier General <span id=\"c\">Ahmad Vahidi</span>. These early ties "
        'have been connected with the 1995 bus attack at <span id="d">Kfar Darom</span> in Gaza. According '
        'to the Lebanese militant <span id="e">Anis al-Naqqash</span>, Soleimani deepened the relationship, '
        'when he and <em>Imad Mughniyeh</em>, <a href="#x">Hezbollah</a>’s chief of military operations, '
        "supervised the smuggling of arms."
    )

    def lines(box):
        if type(box).__name__ == "LineBox":
            yield "".join(_texts(box))
            return
        for child in getattr(box, "children", []):
            yield from lines(child)

    lonely = []
    for width in range(300, 462, 2):
        html = (f"<html lang='en'><style>p {{ width: {width}px; text-align: justify; font: 11pt serif }}</style>"
                f"<p>{paragraph}</p></html>")
        found = list(lines(weasyprint.HTML(string=html).render().pages[0]._page_box))
        lonely += [(width, line) for line in found[:-1] if len(line.split()) < 2]
    assert not lonely, f"lines of one word (width, line): {lonely}"


def _texts(box):
    if type(box).__name__ == "TextBox":
        yield box.text
    for child in getattr(box, "children", []):
        yield from _texts(child)
