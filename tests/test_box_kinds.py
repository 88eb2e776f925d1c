"""A box kind is a template: a book adds its own kind with templates/boxes/<kind>.html, and a
kind without a template is a plain titled box. Either way, all of a box's text reaches both outputs."""

from __future__ import annotations

import pytest
from lxml import etree, html
from pypdf import PdfReader

from conftest import FIXTURES, NS, Epub, assert_epubcheck_clean, build, run_cli

BOOK = FIXTURES / "box-kinds"
CALLOUT = ["Before you start", "The callout's first paragraph must survive.",
           "Its second paragraph, with emphasis, must survive too."]
TIP = ["A kind without a template", "The hint's only paragraph is set in a plain box."]


def _text(el) -> str:
    return " ".join("".join(el.itertext()).split()).replace("\u2019", "'")


def _boxes_of(root, ns: dict | None = None) -> dict[str, str]:
    x = "x:" if ns else ""
    found = {"callout": root.xpath(f"//{x}div[@class='callout']", namespaces=ns),
             "hint": root.xpath(f"//{x}aside[@class='box hint']", namespaces=ns),
             "sidebar": root.xpath(f"//{x}aside[@class='box sidebar']", namespaces=ns)}
    assert all(len(boxes) == 1 for boxes in found.values()), found
    return {kind: _text(boxes[0]) for kind, boxes in found.items()}


def test_the_fixture_manuscript_holds_the_sentences_checked_below():
    text = " ".join((BOOK / "manuscript" / "chapter.md").read_text(encoding="utf-8").replace("*", "").split())
    assert all(sentence in text for sentence in CALLOUT + TIP)


def test_a_books_own_kind_and_a_kind_without_template_keep_all_their_text_in_html_and_epub(tmp_path):
    page = html.fromstring(build(BOOK, "html", "-o", str(tmp_path / "book.html")).read_bytes())
    epub = Epub(build(BOOK, "epub", "-o", str(tmp_path / "book.epub")))
    chapter = epub.xml("EPUB/chapter.xhtml")
    for boxes in (_boxes_of(page), _boxes_of(chapter, NS)):
        assert all(sentence in boxes["callout"] for sentence in CALLOUT), boxes["callout"]
        assert all(sentence in boxes["hint"] for sentence in TIP), boxes["hint"]
        assert boxes["sidebar"] == "The theme's own sidebar A sidebar stays a sidebar."
    # The note referenced in the callout is numbered and linked like any other.
    assert chapter.xpath("//x:div[@class='callout']//x:a[@role='doc-noteref']/@href", namespaces=NS) == ["#note-1"]


def test_only_the_kind_without_a_template_is_reported():
    result = run_cli("check", ".", cwd=BOOK)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "manuscript/chapter.md:17: warning: box kind 'hint' has no template, so it is set as a plain box with "
        "class 'hint': add templates/boxes/hint.html to the book to give it one [box-kind-without-template]",
        "bookmaker: 0 errors, 1 warning",
    ]


@pytest.mark.slow
def test_the_books_own_kind_reaches_the_pdf_and_a_valid_epub(tmp_path):
    pdf = PdfReader(build(BOOK, "pdf", "-o", str(tmp_path / "book.pdf")))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).replace("\u2019", "'").split())
    for sentence in CALLOUT + TIP:
        assert sentence in text, sentence
    assert_epubcheck_clean(build(BOOK, "epub", "-o", str(tmp_path / "book.epub")))
