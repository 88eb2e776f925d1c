"""`--kepub`: Kobo's markup on top of the same EPUB, still valid, with no text lost."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import FIXTURES, NS, REPO, Epub, assert_epubcheck_clean, build, run_cli
from lxml import etree

from bookmaker.writers.epub.kepub import koboize


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("kepub")
    book = FIXTURES / "every-syntax"
    return (Epub(build(book, "epub", "-o", str(out / "plain.epub"))),
            Epub(build(book, "epub", "--kepub", "-o", str(out / "kobo.kepub.epub"))))


def _body_text(doc: etree._Element) -> str:
    return "".join(doc.find("x:body", NS).itertext())


@pytest.mark.slow
def test_kepub_is_valid(pair):
    assert_epubcheck_clean(pair[1].path)


def test_every_content_document_is_wrapped_and_keeps_its_text(pair):
    plain, kobo = pair
    for name, doc in kobo.content_documents().items():
        body = doc.find("x:body", NS)
        inner = body.xpath("x:div[@id='book-columns']/x:div[@id='book-inner']", namespaces=NS)
        assert len(inner) == 1 and len(body) == 1, name
        assert doc.xpath("//x:head/x:style[@class='kobostylehacks']", namespaces=NS), name
        assert _body_text(doc) == _body_text(plain.xml(name)), f"{name}: text changed"


def test_sentences_get_numbered_kobo_spans(pair):
    doc = pair[1].xml("EPUB/everything.xhtml")
    spans = doc.xpath("//x:span[@class='koboSpan']", namespaces=NS)
    ids = [s.get("id") for s in spans]
    assert len(ids) == len(set(ids)) > 30
    assert all(len(i.split(".")) == 3 and i.startswith("kobo.") for i in ids)
    lead = doc.xpath("//x:p", namespaces=NS)[0]
    first = lead.find("x:span", NS)
    assert first.text.startswith("The lead paragraph") and first.get("id") == "kobo.1.1"
    # Each sentence of a paragraph is its own span, numbered on.
    quote = "".join(lead.itertext())
    assert quote.count(".") <= len(lead.xpath(".//x:span[@class='koboSpan']", namespaces=NS))
    # An image is a paragraph of its own, in one span.
    img = doc.xpath("//x:img", namespaces=NS)[0]
    assert img.getparent().get("class") == "koboSpan" and img.getparent().get("id").endswith(".1")
    # Notes keep their pop-up markup under the spans.
    assert doc.xpath("//*[@id='note-1'][@role='doc-footnote']", namespaces=NS)


def test_koboize_splits_sentences_and_counts_paragraphs():
    doc = etree.fromstring(
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body>'
        "<h1>Title</h1><p>One. Two? <em>Three!</em> Four</p><p>Five</p></body></html>"
    )
    koboize(doc)
    spans = [(s.get("id"), s.text) for s in doc.iter("{http://www.w3.org/1999/xhtml}span")]
    assert spans == [("kobo.0.1", "Title"), ("kobo.1.1", "One. "), ("kobo.1.2", "Two? "), ("kobo.1.3", "Three!"),
                     ("kobo.1.4", " Four"), ("kobo.2.1", "Five")]
    koboize(doc)  # a second pass changes nothing
    assert Counter(s.get("class") for s in doc.iter("{http://www.w3.org/1999/xhtml}span"))["koboSpan"] == 6


def test_default_kepub_name_and_build_writes_both(tmp_path):
    result = run_cli("build", str(FIXTURES / "chapters"), "-o", str(tmp_path), "--kepub")
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".epub")
    assert names == ["three-chapters.epub", "three-chapters.kepub.epub"]
    assert not Epub(tmp_path / "three-chapters.epub").xml("EPUB/first.xhtml").xpath(
        "//x:span[@class='koboSpan']", namespaces=NS)
