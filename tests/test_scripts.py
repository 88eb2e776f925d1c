"""Books in other scripts, read as their readers see them (issue 20): real public chapters in Persian,
Hebrew, Japanese, Traditional Chinese and Thai (tests/fixtures/scripts/*/SOURCE.md names each).

Right-to-left: the visual order of the Latin words of every mixed line, read from word positions
(`pdftotext -bbox-layout`) in the PDF and in the EPUB's chapter printed by headless Chromium, must
be what the Unicode bidi algorithm (GNU FriBidi) makes of the line's words in their logical order,
as the source has them: code is left to right, and nothing else is isolated. Wrapping each
right-to-left run in its own span, as bookmaker did, put the Latin words between them in another order.
CJK and Thai: no line starts with a closing mark, no gap of an em or more between words.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html

from conftest import FIXTURES, NS, assert_epubcheck_clean, build, run_cli

pytestmark = pytest.mark.slow

BOOKS = FIXTURES / "scripts"
CHROMIUM = Path("/usr/bin/chromium")
LATIN = re.compile(r"[A-Za-z]+")
WORD = re.compile(r"\w+")
RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
LRI, RLI, PDI = "\u2066", "\u2067", "\u2069"
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "td", "th", "figcaption", "caption", "pre"}
CODE = {"code", "kbd", "samp", "pre"}
BBOX_NS = {"x": "http://www.w3.org/1999/xhtml"}


def _book(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(BOOKS / name, target)
    return target


# -- the source's logical order ------------------------------------------------------------------------


def _logical(element, outer: str) -> str:
    """The text of an element in logical order, with HTML's isolates where the source has them: code
    (left to right) and an author's span of a language of the other direction. The spans bookmaker
    adds (`<span dir>` without a language) are left out: the oracle must not take our word for it."""
    parts = [element.text or ""]
    for child in element:
        if not isinstance(child.tag, str):
            parts.append(child.tail or "")
            continue
        tag = etree.QName(child).localname
        own = "ltr" if tag in CODE else _authors_direction(child, outer)
        inner = _logical(child, own)
        parts.append(inner if own == outer else (LRI if own == "ltr" else RLI) + inner + PDI)
        parts.append(child.tail or "")
    return "".join(parts)


def _authors_direction(element, outer: str) -> str:
    lang = element.get("lang") or element.get("{http://www.w3.org/XML/1998/namespace}lang")
    if lang and element.get("dir") in ("ltr", "rtl"):
        return element.get("dir")
    return outer


def _source_blocks(chapter: Path, base: str) -> list[tuple[str, str]]:
    """Each leaf block of the chapter's XHTML: its direction and its logical text."""
    tree = lxml_html.parse(str(chapter)) if chapter.suffix == ".html" else etree.parse(str(chapter))
    out = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or etree.QName(element).localname not in BLOCKS:
            continue
        if any(isinstance(d.tag, str) and etree.QName(d).localname in BLOCKS for d in element.iterdescendants()):
            continue
        direction = "ltr" if etree.QName(element).localname == "pre" else base
        for ancestor in element.iterancestors():
            if ancestor.get("dir") in ("ltr", "rtl") and ancestor.get("lang"):
                direction = ancestor.get("dir") if direction == base else direction
                break
        text = _logical(element, direction)
        for line in text.split("\n") if direction == "ltr" else [text.replace("\n", " ")]:
            out.append((direction, line))
    return out


def _visual_latin(text: str, direction: str) -> list[str]:
    """The Latin words of a line of `text` left to right, as the Unicode bidi algorithm (FriBidi) sets them."""
    result = subprocess.run(["fribidi", "--nopad", "--nobreak", "--width", "100000", f"--{direction}"],
                            input=text.replace("\n", " ") + "\n", capture_output=True, text=True, check=True)
    return LATIN.findall(result.stdout)


# -- what the reader sees ------------------------------------------------------------------------------


def _lines(pdf: Path) -> list[list[tuple[float, float, str]]]:
    """Every line of the PDF: its words as (left, right, text), left to right."""
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    tree = etree.fromstring(out, etree.XMLParser(recover=True))
    lines = []
    for line in tree.iterfind(".//x:line", BBOX_NS):
        words = [(float(w.get("xMin")), float(w.get("xMax")), w.text or "") for w in line.iterfind("x:word", BBOX_NS)]
        lines.append(sorted(words))
    return lines


def _check_order(pdf: Path, blocks: list[tuple[str, str]]) -> tuple[int, list[str]]:
    """How many mixed lines were checked, and the lines whose Latin words are out of order.

    A line of the PDF is found in the source as the run of words of one block that holds the same
    letters (pdftotext gives a right-to-left word's letters in visual order, and sometimes splits a
    word in two); a running head or a generated word is in none, and is passed over."""
    source = [(m.group(), b, m.start()) for b, (_, text) in enumerate(blocks) for m in WORD.finditer(text)]
    checked, wrong, cursor = 0, [], 0
    for words in _lines(pdf):
        seen = [w for _, _, text in words for w in LATIN.findall(text)]
        if len(seen) < 2 or not any(RTL.search(text) for _, _, text in words):
            continue  # not a mixed line with an order to check
        found = _window(source, Counter("".join(w for _, _, text in words for w in WORD.findall(text))), cursor)
        if found is None:
            continue
        start, end = found
        direction, text = blocks[source[start][1]]
        piece = text[source[start][2]: source[end - 1][2] + len(source[end - 1][0])]
        expected = _visual_latin(piece if direction == "rtl" else LRI + piece + PDI, "rtl")
        checked += 1
        if expected != seen:
            wrong.append(f"{' '.join(seen)}  (the bidi algorithm: {' '.join(expected)})")
        cursor = end
    return checked, wrong


def _window(source: list[tuple[str, int, int]], letters: Counter, cursor: int) -> tuple[int, int] | None:
    """The first run of source words at or after `cursor`, in one block, made of the same letters."""
    size = sum(letters.values())
    for start in range(cursor, len(source)):
        count, end = 0, start
        while end < len(source) and source[end][1] == source[start][1] and count < size:
            count += len(source[end][0])
            end += 1
        if count == size and Counter("".join(w for w, _, _ in source[start:end])) == letters:
            return start, end
    return None


@pytest.mark.parametrize("name", ["fa", "he"])
def test_right_to_left_pdf_sets_latin_words_in_the_bidi_algorithms_order(name, tmp_path):
    assert shutil.which("fribidi"), "install libfribidi-bin: scripts/system-packages.sh test"
    book = _book(name, tmp_path)
    pdf = build(book, "pdf", "-o", str(tmp_path / "book.pdf"))
    page = build(book, "html", "-o", str(tmp_path / "book.html"))
    checked, wrong = _check_order(pdf, _source_blocks(page, "rtl"))
    assert checked >= 10, f"only {checked} mixed lines found to check"
    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    assert CHROMIUM.exists(), "install Debian's chromium: scripts/system-packages.sh test"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")), executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        try:
            yield context
        finally:
            context.close()


@pytest.mark.parametrize("name", ["fa", "he"])
def test_right_to_left_epub_in_chromium_sets_latin_words_in_the_bidi_algorithms_order(name, tmp_path, browser):
    assert shutil.which("fribidi"), "install libfribidi-bin: scripts/system-packages.sh test"
    epub = build(_book(name, tmp_path), "epub", "-o", str(tmp_path / "book.epub"))
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(epub) as z:
        z.extractall(folder)
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    assert opf.find("opf:spine", NS).get("page-progression-direction") == "rtl"
    assert_epubcheck_clean(epub)
    chapter = folder / "EPUB" / "chapter.xhtml"
    root = etree.parse(str(chapter)).getroot()
    assert root.get("dir") == "rtl" and root.get("lang") == name
    page = browser.new_page()
    page.goto(chapter.as_uri())
    page.pdf(path=str(tmp_path / "chapter.pdf"), format="A5")
    page.close()
    checked, wrong = _check_order(tmp_path / "chapter.pdf", _source_blocks(chapter, "rtl"))
    assert checked >= 10, f"only {checked} mixed lines found to check"
    assert not wrong, "\n".join(wrong)


def test_the_order_check_sees_the_latin_words_of_isolated_runs_in_another_order(tmp_path):
    """The check's own check: the issue's sentence with every right-to-left run isolated, as bookmaker
    set it before, is laid out by Chromium's bidi algorithm in another order than the sentence's."""
    assert shutil.which("fribidi"), "install libfribidi-bin: scripts/system-packages.sh test"
    sentence = "در یک DVCS (مانند Git، Mercurial، Bazaar یا Darcs) کاربران به checkout کردن اکتفا نمی‌کنند."
    wrapped = re.sub(r"([\u0600-\u06ff\u200c]+(?: [\u0600-\u06ff\u200c]+)*)", RLI + r"\1" + PDI, sentence)
    assert _visual_latin(wrapped, "rtl") != _visual_latin(sentence, "rtl")


# -- the text layer ------------------------------------------------------------------------------------


def test_persian_pdf_keeps_every_zero_width_non_joiner(tmp_path):
    """278 ZWNJ in the Persian chapter were lost from the PDF's text: search for می‌شود found nothing."""
    book = _book("fa", tmp_path)
    source = (book / "manuscript" / "chapter.md").read_text(encoding="utf-8")
    pdf = build(book, "pdf", "-o", str(tmp_path / "book.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = {w for w in re.findall(r"\S*\u200c\S*", source) if not LATIN.search(w)}
    assert source.count("\u200c") > 20
    found = [w.strip(".،:()") for w in words if w.strip(".،:()") in text]
    assert text.count("\u200c") >= source.count("\u200c") * 0.9, (text.count("\u200c"), source.count("\u200c"))
    assert len(found) >= len(words) * 0.9, sorted(words - set(found))[:10]


def test_right_to_left_pdf_reads_right_to_left_laid_out_whole_or_in_parts(tmp_path):
    """/ViewerPreferences /Direction /R2L, written by WeasyPrint's finisher (one layout) and by the merge of
    the parts; the two PDFs, bound on the right (duplex), have the same pages."""
    import pikepdf

    book = _book("fa", tmp_path)
    (book / "manuscript" / "second.md").write_text("# فصل دوم\n\nمتنی کوتاه با Git و C++.\n", encoding="utf-8")
    texts = []
    for jobs in ("1", "2"):
        pdf = build(book, "pdf", "-o", str(tmp_path / f"book-{jobs}.pdf"), "--duplex", "--jobs", jobs)
        with pikepdf.open(pdf) as doc:
            assert str(doc.Root.ViewerPreferences.Direction) == "/R2L"
        texts.append(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                    check=True).stdout.split("\f"))
    assert texts[0] == texts[1]


# -- CJK and Thai --------------------------------------------------------------------------------------

NO_LINE_START = "。、，．」』）〕］｝〉》！？：；ー…"


@pytest.mark.parametrize("name", ["ja", "zh-hant"])
def test_no_cjk_line_starts_with_a_closing_mark(name, tmp_path):
    pdf = build(_book(name, tmp_path), "pdf", "-o", str(tmp_path / "book.pdf"))
    starts = [words[0][2] for words in _lines(pdf) if words]
    assert len(starts) > 40
    bad = [s for s in starts if s[0] in NO_LINE_START]
    assert not bad, bad


@pytest.mark.parametrize("name", ["ja", "zh-hant", "th"])
def test_no_stretched_gaps_between_words(name, tmp_path):
    """Justified, a Thai line stretched its few spaces (between phrases) into gaps of several ems."""
    pdf = build(_book(name, tmp_path), "pdf", "-o", str(tmp_path / "book.pdf"))
    gaps = []
    for words in _lines(pdf):
        # pdftotext gives a Thai vowel or tone mark that it cannot place as a word of its own
        words = [w for w in words if not all(unicodedata.category(c) == "Mn" for c in w[2])]
        for (_, right, _), (left, _, _) in zip(words, words[1:]):
            gaps.append(left - right)
    body_em = 10.0  # the body text's size on A4 is under 11pt (page_layout.py): a gap of an em is wide
    assert gaps
    wide = [round(g, 1) for g in gaps if g > body_em]
    assert not wide, f"{len(wide)} gaps wider than an em: {wide[:10]}"


def test_vertical_japanese_epub_is_set_in_columns_in_chromium(tmp_path, browser):
    """[epub] vertical: the EPUB's Japanese runs top to bottom in columns from the right (Chromium, the
    engine of calibre's viewer, reads writing-mode), its pages turn right to left, and EPUBCheck passes it."""
    book = _book("ja", tmp_path)
    (book / "bookmaker.toml").write_text("[epub]\nvertical = true\n", encoding="utf-8")
    result = run_cli("epub", str(book), "-o", str(tmp_path / "book.epub"))
    assert result.exit_code == 0, result.stderr
    assert "the PDF and the HTML are set horizontally" in result.stderr
    epub = tmp_path / "book.epub"
    assert_epubcheck_clean(epub)
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(epub) as z:
        z.extractall(folder)
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    assert opf.find("opf:spine", NS).get("page-progression-direction") == "rtl"
    page = browser.new_page()
    page.set_viewport_size({"width": 800, "height": 1000})
    page.goto((folder / "EPUB" / "chapter.xhtml").as_uri())
    mode = page.evaluate("getComputedStyle(document.documentElement).writingMode")
    # Each paragraph of Japanese, as the engine laid it out: a long one is taller than it is wide,
    # and each stands to the left of the one before it (set horizontally, each was wider and below).
    boxes = page.evaluate("""[...document.querySelectorAll('p')].filter(p => p.textContent.length > 60)
        .map(p => { const r = p.getBoundingClientRect(); return [r.left, r.right, r.width, r.height]; })""")
    page.close()
    assert mode == "vertical-rl"
    assert len(boxes) >= 5
    assert all(height > width for _, _, width, height in boxes), boxes
    assert all(after[1] <= before[0] + 1 for before, after in zip(boxes, boxes[1:])), boxes


def test_right_to_left_epub_in_calibre_sets_latin_words_in_the_bidi_algorithms_order(tmp_path):
    """calibre's reading of the Persian EPUB (its PDF output, laid out by Qt WebEngine) in the bidi algorithm's order."""
    assert shutil.which("ebook-convert"), "install calibre: scripts/system-packages.sh test"
    assert shutil.which("fribidi"), "install libfribidi-bin: scripts/system-packages.sh test"
    epub = build(_book("fa", tmp_path), "epub", "-o", str(tmp_path / "book.epub"))
    env = {**os.environ, "CALIBRE_CONFIG_DIRECTORY": str(tmp_path / "config"), "QT_QPA_PLATFORM": "offscreen",
           "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox", "XDG_RUNTIME_DIR": str(tmp_path)}
    run = subprocess.run(["ebook-convert", str(epub), str(tmp_path / "calibre.pdf")], capture_output=True, text=True,
                         timeout=600, env=env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    with zipfile.ZipFile(epub) as z:
        z.extractall(tmp_path / "unpacked")
    checked, wrong = _check_order(tmp_path / "calibre.pdf", _source_blocks(tmp_path / "unpacked" / "EPUB" / "chapter.xhtml", "rtl"))
    assert checked >= 10, f"only {checked} mixed lines found to check"
    assert not wrong, "\n".join(wrong)
