"""Citations, the bibliography and cross-references (issue 13): syntax, diagnostics, pandoc as the oracle."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from bookmaker.resolve.citations import CSL_DIR
from bookmaker.core.diagnostics import BookError
from bookmaker.markdown.parser import parser_for
from bookmaker.read import read_book
from conftest import FIXTURES, assert_epubcheck_clean, build
from books import write_book

SCHOLARLY = FIXTURES / "scholarly"


def _cites(source: str) -> list[tuple[str, str, list]]:
    out = []
    for token in parser_for("en").parse(source, {}):
        for child in token.children or []:
            if child.type in ("citation", "crossref"):
                out.append((child.type, child.content,
                            [(i.key, i.prefix, i.suffix, i.suppress_author) for i in child.meta["items"]]))
    return out


def test_pandoc_citation_syntax():
    assert _cites("A [@key, 23–25] b.") == [("citation", "[@key, 23–25]", [("key", "", ", 23–25", False)])]
    assert _cites("[see @a, 110; @b]")[0][2] == [("a", "see", ", 110", False), ("b", "", "", False)]
    assert _cites("[-@key]")[0][2] == [("key", "", "", True)]
    assert _cites("As @smith2001 says.") == [("citation", "@smith2001", [("smith2001", "", "", False)])]
    assert _cites("@smith2001 [p. 33] says")[0][2] == [("smith2001", "", "p. 33", False)]


def test_addresses_links_and_spans_are_not_citations():
    assert _cites("Write to a@b.com or [a link](https://example.org) or [a span]{.x} or [text].") == []
    # a bracket followed by a URL is a link (its text may still hold an in-text citation, as in pandoc)
    assert [t for t, *_ in _cites("[see @key](https://example.org)")] == ["citation"]
    assert _cites("[see @key](https://example.org)")[0][1] == "@key"


def test_quarto_cross_reference_syntax():
    assert _cites("@fig-tower, [-@tbl-bridges], [Fig. @fig-tower] and @sec-intro.") == [
        ("crossref", "@fig-tower", [("fig-tower", "", "", False)]),
        ("crossref", "[-@tbl-bridges]", [("tbl-bridges", "", "", True)]),
        ("crossref", "[Fig. @fig-tower]", [("fig-tower", "Fig.", "", False)]),
        ("crossref", "@sec-intro", [("sec-intro", "", "", False)]),
    ]


def _book(tmp_path: Path, chapter: str, toml: str = "", files: dict[str, str] | None = None) -> Path:
    return write_book(tmp_path, {"manuscript/01.md": chapter, **(files or {})}, "[book]\ntitle = \"T\"\n" + toml)


def _errors(root: Path) -> list[str]:
    with pytest.raises(BookError) as caught:
        read_book(root)
    return [d.format(root) for d in caught.value.diagnostics]


REFS = '[\n  {"id": "quill2001", "type": "book", "title": "A Book"},\n  {"id": "quill2009", "type": "book"}\n]\n'


def test_unknown_citation_key_names_the_nearest(tmp_path):
    root = _book(tmp_path, "# One\n\nText.\n\nAs [@quil2001] says, and @quill2009.\n",
                 'bibliography = "refs.json"\n', {"refs.json": REFS})
    errors = _errors(root)
    assert any("manuscript/01.md:5" in e and "unknown citation key @quil2001" in e and "@quill2001" in e for e in errors), errors
    # the cited entry without a title is reported at its own line of the bibliography
    assert any("refs.json:3" in e and "'quill2009' has no title" in e for e in errors), errors


def test_nocite_keys_are_checked(tmp_path):
    root = _book(tmp_path, "# One\n\nText.\n", 'bibliography = "refs.json"\nnocite = "@quill2002"\n', {"refs.json": REFS})
    assert any("bookmaker.toml:4" in e and "nocite names @quill2002" in e and "@quill2001" in e for e in _errors(root))


def test_malformed_bibliography_is_reported_at_its_own_line(tmp_path):
    root = _book(tmp_path, "# One\n\n[@a]\n", 'bibliography = "refs.json"\n', {"refs.json": '[\n {"id": "a",\n}\n]\n'})
    assert any("refs.json:3" in e and "not valid JSON" in e for e in _errors(root))


def test_a_bibliography_nested_too_deeply_is_an_error_not_a_crash(tmp_path):
    root = _book(tmp_path, "# One\n\n[@a]\n", 'bibliography = "refs.json"\n', {"refs.json": "[" * 100_000})
    assert any("refs.json:1" in e and "nested too deeply" in e for e in _errors(root))


def test_unclosed_bibtex_entry_is_reported_at_its_line(tmp_path):
    root = _book(tmp_path, "# One\n\n[@a]\n", 'bibliography = "refs.bib"\n',
                 {"refs.bib": "@book{a,\n title = {A}\n}\n\n@book{b,\n title = {B\n"})
    assert any("refs.bib:5" in e and "'b' is not closed" in e for e in _errors(root))


def test_unknown_style(tmp_path):
    root = _book(tmp_path, "# One\n\nText.\n", 'bibliography = "refs.json"\ncsl = "chicago-note"\n', {"refs.json": REFS})
    assert any("bookmaker.toml:4" in e and "unknown citation style 'chicago-note'" in e for e in _errors(root))


DEPENDENT = ('<?xml version="1.0"?>\n<style xmlns="http://purl.org/net/xbiblio/csl" class="note" version="1.0"><info>'
             '<link rel="independent-parent" href="http://127.0.0.1:9/parent.csl"/></info></style>\n')


def test_book_styles_are_checked(tmp_path):
    """A dependent style would make pandoc fetch its parent from the network (even with --sandbox)."""
    root = _book(tmp_path, "# One\n\n[@quill2001]\n", 'bibliography = "refs.json"\ncsl = "dep.csl"\n',
                 {"refs.json": REFS, "dep.csl": DEPENDENT})
    assert any("bookmaker.toml:4" in e and "'dep.csl' is a dependent style" in e for e in _errors(root))
    (tmp_path / "dep.csl").write_text("not a style")
    assert any("bookmaker.toml:4" in e and "is not a CSL style" in e for e in _errors(root))


def test_bibliography_outside_the_book_is_refused(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "outside.json").write_text(REFS)
    root = _book(tmp_path / "book", "# One\n\n[@quill2001]\n", 'bibliography = "../outside.json"\n')
    assert any("bibliography '../outside.json' is outside the book" in e for e in _errors(root))


def test_an_at_name_without_a_bibliography_stays_text(tmp_path):
    root = _book(tmp_path, "# One\n\nFollow @harbourmaster for news.\n")
    book, diagnostics = read_book(root)
    assert "Follow @harbourmaster for news." in book.chapters[0].blocks[-1].html and not book.notes
    assert any("'@harbourmaster' is a citation, but the book names no bibliography" in d.format(root) for d in diagnostics)


def test_unknown_cross_reference_names_the_nearest(tmp_path):
    root = _book(tmp_path, "# One {#sec-one}\n\n![A tower](t.png){#fig-tower}\n\nSee @fig-towr.\n")
    errors = _errors(root)
    assert any("01.md:5" in e and "unknown cross-reference @fig-towr" in e and "@fig-tower" in e for e in errors), errors


def test_cross_references_number_and_link(tmp_path):
    chapter = ("# One {#sec-one}\n\n| a |\n|---|\n| 1 |\n\n: Bridges {#tbl-bridges}\n\n"
               "See @tbl-bridges, [-@tbl-bridges], [Tab. @tbl-bridges] and @sec-one.\n")
    root = _book(tmp_path, chapter)
    book, _ = read_book(root)
    text = "".join(b.html for b in book.chapters[0].blocks)
    assert '<table class="table" id="tbl-bridges">\n<caption><span class="crossref-label">Table 1.</span> Bridges</caption>' in text
    assert ('See <a class="crossref" href="#tbl-bridges">Table\u00a01</a>, <a class="crossref" href="#tbl-bridges">1</a>, '
            '<a class="crossref" href="#tbl-bridges">Tab.\u00a01</a> and <a class="crossref" href="#sec-one">One</a>.') in text


def test_cross_references_numbered_per_chapter(tmp_path):
    root = _book(tmp_path, "# One\n\nText.\n", 'crossref-numbering = "chapter"\n[manuscript]\nchapters = ["01.md", "02.md"]\n',
                 {"manuscript/02.md": "# Two\n\n| a |\n|---|\n| 1 |\n\n: First {#tbl-a}\n\n"
                                      "| b |\n|---|\n| 2 |\n\n: Second {#tbl-b}\n\n@tbl-b\n"})
    book, _ = read_book(root)
    assert "Table\u00a02.2</a>" in "".join(b.html for b in book.chapters[1].blocks)


def test_citations_without_pandoc_are_an_error_not_a_crash(tmp_path, monkeypatch):
    import bookmaker.resolve.citations

    monkeypatch.setattr(bookmaker.resolve.citations.shutil, "which", lambda name: None)
    root = _book(tmp_path, "# One\n\n[@quill2001]\n", 'bibliography = "refs.json"\n', {"refs.json": REFS})
    errors = _errors(root)
    assert any("bookmaker.toml:3" in e and "needs pandoc" in e for e in errors), errors


def test_a_note_referenced_only_from_another_note_is_still_numbered(tmp_path):
    root = _book(tmp_path, "# One\n\nText.[^a] And @fig-x.\n\n![X](x.png){#fig-x}\n\n[^a]: See [^b].\n[^b]: The other.\n")
    with pytest.raises(BookError):  # x.png does not exist; the point is no crash
        read_book(root)


def test_page_locator_is_asked_for_in_print(tmp_path):
    root = _book(tmp_path, "# One\n\n| a |\n|---|\n| 1 |\n\n: T {#tbl-t}\n\nSee @tbl-t, [-@tbl-t].\n", "crossref-pages = true\n")
    book, _ = read_book(root)
    text = "".join(b.html for b in book.chapters[0].blocks)
    assert '<a class="crossref with-page" href="#tbl-t" data-pageref="tbl-t">Table\u00a01</a>, <a class="crossref" href="#tbl-t">1</a>' in text


def test_crossref_settings_are_validated(tmp_path):
    root = _book(tmp_path, "# One\n", 'crossref-numbering = "part"\ncrossref-pages = "yes"\n')
    errors = _errors(root)
    assert any("bookmaker.toml:3" in e and "'book' or 'chapter'" in e for e in errors), errors
    assert any("bookmaker.toml:4" in e and "true or false" in e for e in errors), errors


# -- pandoc as the oracle ---------------------------------------------------------------

needs_pandoc = pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).replace("↩︎", "").strip()


def _pandoc(markdown: str, style: str) -> lxml_html.HtmlElement:
    run = subprocess.run(
        ["pandoc", "-f", "markdown", "-t", "html", "--citeproc", "--csl", str(CSL_DIR / f"{style}.csl"),
         "--bibliography", str(SCHOLARLY / "manuscript" / "references.json"), "-M", "lang=en", "--wrap=none"],
        input=markdown.encode(), capture_output=True, check=True, timeout=300)
    return lxml_html.fromstring(run.stdout.decode())


def _oracle_markdown() -> str:
    """The fixture's chapters for pandoc, cross-references (which pandoc would take for citations) as plain text."""
    text = "\n\n".join((SCHOLARLY / "manuscript" / name).read_text() for name in ("01-harbours.md", "02-bridges.md"))
    text = '---\nnocite: "@marsh2010"\n---\n\n' + text  # as the fixture's bookmaker.toml
    return re.sub(r"\[[^\[\]@]*-?@(?:fig|tbl|sec|eq)-[\w-]+\]|@(?:fig|tbl|sec|eq)-[\w-]+", "X", text)


def _fixture_as(tmp_path: Path, style: str) -> Path:
    root = tmp_path / "book"
    shutil.copytree(SCHOLARLY, root)
    toml = root / "bookmaker.toml"
    toml.write_text(toml.read_text().replace('csl = "chicago-notes-bibliography"', f'csl = "{style}"'))
    return root


def _our_bibliography(book) -> list[str]:
    whole = "".join(b.html for c in book.chapters for b in c.blocks)
    return [_text(e) for e in re.findall(r'<li class="csl-entry"[^>]*>(.*?)</li>', whole, re.DOTALL)]


@pytest.mark.slow
@needs_pandoc
def test_chicago_notes_and_bibliography_equal_pandocs(tmp_path):
    book, _ = read_book(_fixture_as(tmp_path, "chicago-notes-bibliography"))
    oracle = _pandoc(_oracle_markdown(), "chicago-notes-bibliography")
    theirs_notes = [_text(lxml_html.tostring(li, encoding="unicode")) for li in oracle.xpath("//section[@role='doc-endnotes']//li")]
    ours_notes = [_text(n.first_html + n.rest_html) for n in book.notes]
    assert ours_notes == theirs_notes
    theirs_bib = [_text(lxml_html.tostring(d, encoding="unicode")) for d in oracle.xpath("//div[@class='csl-entry']")]
    assert _our_bibliography(book) == theirs_bib
    assert len(theirs_bib) == 10 and any("Marsh, Tobias" in entry for entry in theirs_bib)  # nocite


@pytest.mark.slow
@needs_pandoc
def test_apa_citations_and_references_equal_pandocs(tmp_path):
    book, _ = read_book(_fixture_as(tmp_path, "apa"))
    oracle = _pandoc(_oracle_markdown(), "apa")
    whole = "".join(b.html for c in book.chapters for b in c.blocks)
    ours = [_text(c) for c in re.findall(r'<span class="citation">(.*?)</span>(?=[^<]*(?:<(?!/span)|$))', whole, re.DOTALL)]
    theirs = [_text(lxml_html.tostring(s, encoding="unicode", with_tail=False))
              for s in oracle.xpath("//p//span[@class='citation']") if not s.xpath("ancestor::span[@class='citation']")]
    # the author's note keeps its citation inside it, in both
    theirs_in_text = [t for t in theirs]
    ours_notes = [_text(n.first_html) for n in book.notes]
    assert len(book.notes) == 1 and "(Brindle et al., 2018, p. 50)" in ours_notes[0]
    assert [t for t in ours if t] == [t for t in theirs_in_text if t not in ("(Brindle et al., 2018, p. 50)",)]
    theirs_bib = [_text(lxml_html.tostring(d, encoding="unicode")) for d in oracle.xpath("//div[@class='csl-entry']")]
    assert _our_bibliography(book) == theirs_bib


@pytest.mark.slow
@needs_pandoc
def test_scholarly_epub_with_an_index_is_clean(tmp_path):
    from ace import assert_ace_clean

    root = tmp_path / "book"
    shutil.copytree(SCHOLARLY, root)
    epub = build(root, "epub")
    import zipfile

    nav = zipfile.ZipFile(epub).read("EPUB/nav.xhtml").decode()
    assert 'epub:type="bibliography" href="bibliography.xhtml#refs"' in nav
    # the same book carries an index (EPUB Indexes 1.0): its marks in text, in a note and across a range
    assert 'epub:type="index" href="index.xhtml#index"' in nav
    index = zipfile.ZipFile(epub).read("EPUB/index.xhtml").decode()
    for term in ("bridges", "harbours", "north quay", "tides", "Quill, Ambrose"):
        assert f">{term}</" in index, term
    assert_epubcheck_clean(epub)
    assert_ace_clean(epub)


@pytest.mark.slow
@needs_pandoc
def test_bibtex_bibliography_equals_pandocs(tmp_path):
    bib = ("@book{quill2001,\n  author = {Quill, Ambrose},\n  title = {The Imaginary Harbours of Nowhere},\n"
           "  publisher = {Placeholder Press},\n  address = {Exampleton},\n  year = {2001}\n}\n\n"
           "@article{brindle2018,\n  author = {Brindle, Cora and Dunmore, Felix},\n  title = {Tidal Patterns},\n"
           "  journaltitle = {Journal of Pretend Hydrography},\n  volume = {12},\n  pages = {45--67},\n  date = {2018}\n}\n")
    chapter = "# One\n\nA claim [@quill2001, 23]. Another [@brindle2018].\n"
    root = _book(tmp_path, chapter, 'bibliography = "refs.bib"\n', {"refs.bib": bib})
    book, _ = read_book(root)
    (tmp_path / "o.bib").write_text(bib)
    run = subprocess.run(["pandoc", "-t", "html", "--citeproc", "--bibliography", str(tmp_path / "o.bib"),
                          "--csl", str(CSL_DIR / "chicago-notes-bibliography.csl"), "-M", "lang=en", "--wrap=none"],
                         input=chapter.encode(), capture_output=True, check=True, timeout=300)
    oracle = lxml_html.fromstring(run.stdout.decode())
    assert [_text(n.first_html) for n in book.notes] == [
        _text(lxml_html.tostring(li, encoding="unicode")) for li in oracle.xpath("//section[@role='doc-endnotes']//li")]
    assert _our_bibliography(book) == [
        _text(lxml_html.tostring(d, encoding="unicode")) for d in oracle.xpath("//div[@class='csl-entry']")]


@pytest.mark.slow
@needs_pandoc
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_pdf_prints_the_page_of_a_cross_reference(tmp_path, jobs, monkeypatch, request):
    """In parts (--jobs 2) a chapter's target-counter() could not count another part's pages: the
    page is written in from the page map, on a first build (a fresh user cache) and after."""
    from bookmaker.core.cache import cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache_dir.cache_clear()
    request.addfinalizer(cache_dir.cache_clear)  # the next test finds its own user cache
    root = tmp_path / "book"
    shutil.copytree(SCHOLARLY, root)
    pdf = build(root, "pdf", "--jobs", jobs)
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = pages.split("\f")
    figure_page = next(n for n, text in enumerate(pages, start=1) if "Figure 1. The harbour at dawn" in text)
    assert re.search(rf"Figure\s+1\s+on\s+p\.\s+{figure_page}\b", " ".join(pages)), pages
    bibliography = next(n for n, text in enumerate(pages) if "Bibliography" in text and "Quill, Ambrose" in text)
    assert "Vell, Rosa" in pages[bibliography]
    # a bibliography chapter of its own follows the notes, as publishers order them (and so does the contents)
    notes = next(n for n, text in enumerate(pages) if text.lstrip().startswith("Harbours That Never Were") and "Notes" in text
                 or text.lstrip().startswith("Notes"))
    assert notes < bibliography
    contents = next(text for text in pages if "Contents" in text)
    assert contents.index("Notes") < contents.index("Bibliography")


@pytest.mark.slow
@needs_pandoc
def test_without_refs_the_bibliography_closes_the_last_chapter(tmp_path):
    root = _book(tmp_path, "# One\n\nA claim [@quill2001, 23].\n", 'bibliography = "refs.json"\ncsl = "apa"\n',
                 {"refs.json": REFS.replace('"type": "book"}', '"type": "book", "title": "B"}')})
    book, _ = read_book(root)
    last = book.chapters[-1].blocks[-1].html
    assert '<section class="bibliography" id="refs" role="doc-bibliography"' in last
    assert '<h2 class="bibliography-title" id="refs-title">References</h2>' in last and "<em>A Book</em>" in last
    assert '<span class="citation">(' in book.chapters[0].blocks[-2].html and not book.notes


def test_labelled_table_with_raw_html_keeps_its_id(tmp_path):
    root = _book(tmp_path, "# One\n\n| a |\n|---|\n| <b>1</b> |\n\n: T {#tbl-t}\n\nSee @tbl-t.\n")
    book, _ = read_book(root)
    text = "".join(b.html for b in book.chapters[0].blocks)
    assert '<table class="table" id="tbl-t">' in text and 'href="#tbl-t"' in text


@pytest.mark.slow
@needs_pandoc
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_lists_of_figures_and_tables_give_each_ones_page(tmp_path, jobs):
    """Issue 23: the PDF's list of figures and list of tables had no page numbers. Each entry now ends
    with the page its figure or table is printed on, laid out whole or in parts."""
    root = tmp_path / "book"
    shutil.copytree(SCHOLARLY, root)
    pdf = build(root, "pdf", "--jobs", jobs)
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    entries = re.findall(r"^\s*((?:Figure|Table) \d+)\. .*?\.\s\.[ .]*(\d+)\s*$", "\n".join(pages), re.M)
    assert {label for label, _ in entries} == {"Figure 1", "Table 1"}, entries
    for label, page in entries:
        caption_page = next(n for n, text in enumerate(pages, 1)
                            if re.search(rf"^\s*{label}\. \w", text, re.M) and ". . ." not in text.split(label)[1][:200])
        assert int(page) == caption_page, (label, page, caption_page)
