"""Issue 14: code, tables, math and the Markdown technical books are written in.

Fast tests read a manuscript or render a fragment; the slow ones build the
technical fixture book (tests/fixtures/technical) and check the EPUB with
EPUBCheck and Ace, and the PDF's words with poppler's `pdftotext -bbox`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bookmaker.core.diagnostics import Diagnostics
from bookmaker.config.frontmatter import split_front_matter


# -- item 7: a chapter that opens with a scene break ------------------------

def test_a_scene_break_at_the_top_is_not_front_matter():
    text = "---\n\nThe night was dark.\n\n---\n\nMorning came.\n"
    diagnostics = Diagnostics()
    front, body = split_front_matter(text, Path("ch.md"), diagnostics)
    assert not diagnostics.has_errors, diagnostics
    assert front.values == {}
    assert body == text


def test_dashes_around_prose_are_markdown_not_front_matter():
    # `---`, a paragraph and `---` is a rule and a setext heading in Markdown.
    text = "---\nA heading, not YAML\n---\n\nText.\n"
    diagnostics = Diagnostics()
    front, body = split_front_matter(text, Path("ch.md"), diagnostics)
    assert not diagnostics.has_errors
    assert body == text


def test_front_matter_is_still_read_and_still_checked():
    diagnostics = Diagnostics()
    front, body = split_front_matter("---\ntitle: A\n---\nText\n", Path("ch.md"), diagnostics)
    assert front.values == {"title": "A"}
    assert body.endswith("Text\n") and body.count("\n") == 4
    bad = Diagnostics()
    split_front_matter("---\ntitle: [unclosed\n---\n", Path("ch.md"), bad)
    assert bad.has_errors


# -- items 1, 2, 4: code ------------------------------------------------------

def render(markdown: str) -> str:
    from bookmaker.markdown.parser import parser_for
    from bookmaker.render.prose import XhtmlRenderer

    md = parser_for("en")
    return XhtmlRenderer(md).render(md.parse(markdown, {}), md.options, {})


def xhtml(fragment: str):
    """The fragment parsed as XML: what the EPUB needs."""
    from lxml import etree

    return etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{fragment}</div>')


def test_fenced_code_is_highlighted_line_by_line():
    html = render('```python\ndef f(x):\n    """Doc\n    string"""\n\n    return x < 1 & 2\n```\n')
    root = xhtml(html)
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    pre = root.find("h:pre", ns)
    assert pre.get("class") == "code" and pre.get("data-lang") == "python"
    lines = pre.findall("h:code/h:span[@class='line']", ns)
    assert len(lines) == 5
    # Every character of the code, newlines included, and nothing else: copying gives the code.
    assert "".join(pre.itertext()) == 'def f(x):\n    """Doc\n    string"""\n\n    return x < 1 & 2\n'
    assert '<span class="k">def</span>' in html and '<span class="nf">f</span>' in html
    assert '<span class="sd">    string"""</span>' in html  # a string across lines is split at each line


def test_line_numbers_and_captions_as_pandoc_writes_them():
    html = render('```{.javascript .numberLines startFrom="10" caption="fixture.js"}\nlet a = 1;\nlet b = 2;\n```\n')
    root = xhtml(html)
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    figure = root.find("h:figure", ns)
    assert figure.get("class") == "code-figure"
    assert figure.findtext("h:figcaption", namespaces=ns) == "fixture.js"
    pre = figure.find("h:pre", ns)
    assert pre.get("class") == "code numbered" and pre.get("style") == "counter-reset: line 9"
    assert '<span class="kd">let</span>' in html
    short = render('```json title="package.json"\n{"a": 1}\n```\n')
    assert "<figcaption>package.json</figcaption>" in short and '<span class="nt">"a"</span>' in short


def test_an_unknown_language_is_plain_text():
    html = render("```nosuchlanguage\nfrobnicate <all> & widgets\n```\n")
    xhtml(html)
    assert '<code class="language-nosuchlanguage"><span class="line">frobnicate &lt;all&gt; &amp; widgets\n</span>' in html
    assert 'class="k"' not in html


def test_hostile_info_strings_give_plain_valid_code():
    for info in ['{.python caption="<b>x</b>" startFrom="99999999999"}', '"><script>', "{unclosed", "python {"]:
        html = render(f"```{info}\nx = 1\n```\n")
        xhtml(html)
        assert "<script" not in html and "<b>" not in html


def test_inline_code_breaks_only_after_separators_without_hyphens():
    html = render("`--global` and `~/.ssh/authorized_keys` and `a_b`\n")
    assert "<code>--global</code>" in html  # not after the leading dashes: '--' alone on a line says nothing
    assert "<code>~/.<wbr/>ssh/<wbr/>authorized_<wbr/>keys</code>" in html
    assert "<code>a_<wbr/>b</code>" in html
    xhtml(html)
    # A long run with no separator may break every 24 characters, never losing one.
    token = "0123456789abcdefghij" * 3
    long = render(f"`{token}&`\n")
    assert f"<code>{token[:24]}<wbr/>{token[24:48]}<wbr/>{token[48:]}&amp;</code>" in long


def test_code_is_never_hyphenated_and_pre_wraps():
    import tinycss2

    from bookmaker.theme import theme_stylesheets

    for medium in ("print", "epub"):
        css = "\n".join(p.read_text(encoding="utf-8") for p in theme_stylesheets(medium))
        rules: dict[str, str] = {}
        for rule in tinycss2.parse_stylesheet(css, skip_comments=True):
            if rule.type == "qualified-rule":
                selector = tinycss2.serialize(rule.prelude).strip()
                rules[selector] = rules.get(selector, "") + tinycss2.serialize(rule.content)
        assert "hyphens: manual" in rules["code, pre, kbd, samp"]
        assert "white-space: pre-wrap" in rules["pre"]


# -- item 3: tables -------------------------------------------------------------

def test_tables_keep_alignment_and_wide_ones_are_marked():
    narrow = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n")
    xhtml(narrow)
    assert '<div class="table-wrap"><table class="table">' in narrow
    assert '<td style="text-align:center">2</td>' in narrow and '<th style="text-align:right">c</th>' in narrow
    wide = render("| a | b | c | d | e |\n|---|---|---|---|---|\n| 1 | 2 | 3 | 4 | 5 |\n")
    assert '<table class="table table-wide">' in wide


# -- item 10: math --------------------------------------------------------------

def test_math_becomes_mathml_with_its_tex():
    from bookmaker.render.mathtex import tex_to_mathml

    formula = tex_to_mathml(r"\int_0^1 x^2\,dx", False)
    assert formula.problems == ()
    root = xhtml(formula.mathml)
    math = root[0]
    assert math.tag == "{http://www.w3.org/1998/Math/MathML}math"
    assert math.get("alttext") == r"\int_0^1 x^2\,dx" and math.get("display") == "inline"
    assert math.findtext(".//{http://www.w3.org/1998/Math/MathML}annotation") == r"\int_0^1 x^2\,dx"
    assert "<mspace" in formula.mathml  # \, is a thin space, not a lost backslash


def read(tmp_path: Path, *chapters: str):
    from bookmaker.read import read_book

    folder = tmp_path / "book" / "manuscript"
    folder.mkdir(parents=True)
    for i, text in enumerate(chapters, 1):
        (folder / f"{i:02d}.md").write_text(text, encoding="utf-8")
    diagnostics = Diagnostics()
    book, _ = read_book(tmp_path / "book", diagnostics=diagnostics)
    html = "".join(b.html for c in book.chapters for b in c.blocks)
    return html, diagnostics


def test_dollar_math_inline_display_and_numbered_references(tmp_path):
    html, diagnostics = read(
        tmp_path,
        "# One\n\nInline $x^2\\,y$ and a price of $5 and $10.\n\n$$\na = b\n$$\n\n$$\ne^{i\\pi} + 1 = 0\n$$ {#eq-euler}\n",
        "# Two\n\nAs @eq-euler shows, and mail me@eq-euler.example.\n",
    )
    assert len(diagnostics) == 0, [d.format() for d in diagnostics]
    assert html.count("<math ") == 3
    assert 'alttext="x^2\\,y"' in html
    assert "price of $5 and $10." in html
    assert '<div class="math-display" id="eq-euler"><span class="eq-number">(1)</span>' in html
    assert '<a class="eqref" href="#eq-euler">Equation (1)</a> shows' in html
    assert "me@eq-euler.example" in html


def test_math_survives_raw_html_in_the_same_paragraph(tmp_path):
    # The sanitizer of the book's raw HTML removes <math>; the reader's own formulas pass.
    html, _ = read(tmp_path, "# One\n\nA <b>bold</b> $y = x$ and <math><mi>evil</mi></math>.\n")
    assert html.count("<math ") == 1 and 'alttext="y = x"' in html and "evil" not in html


def test_a_tex_error_is_a_warning_at_file_and_line(tmp_path):
    html, diagnostics = read(tmp_path, "# One\n\nText.\n\nBroken $x^$ here, and $\\nosuchcommand y$.\n")
    messages = [d.format() for d in diagnostics]
    assert any(m.endswith("01.md:5: warning: math: the TeX cannot be read (missing super script or subscript): "
                          "check the TeX `x^` [math-invalid]") for m in messages), messages
    assert any("01.md:5: warning: math: unknown TeX command \\nosuchcommand" in m for m in messages), messages
    assert '<code class="math-error">x^</code>' in html


def test_an_unknown_equation_reference_is_an_error(tmp_path):
    # Equations are cross-references like figures and tables (crossrefs.py): an unknown label is an error.
    from bookmaker.core.diagnostics import BookError

    with pytest.raises(BookError) as caught:
        read(tmp_path, "# One\n\n$$\nx = 1\n$$ {#eq-one}\n\nSee @eq-nowhere.\n")
    assert any("01.md:7: error: unknown cross-reference @eq-nowhere" in d.format() for d in caught.value.diagnostics)


def test_print_draws_math_as_svg_with_the_formula_in_words_as_alt():
    from bookmaker.render.math_svg import math_as_svg
    from bookmaker.render.mathtex import tex_to_mathml

    page = f"<p>See {tex_to_mathml('E = mc^2', False).mathml}.</p>"
    drawn = math_as_svg(page)
    assert "<math" not in drawn
    assert '<img class="math-inline-image" src="data:image/svg+xml;base64,' in drawn and 'alt="E equals m c squared"' in drawn


# -- the technical fixture book, built -------------------------------------------

TECHNICAL = Path(__file__).resolve().parent / "fixtures" / "technical"


@pytest.fixture(scope="module")
def technical(tmp_path_factory) -> dict[str, Path]:
    from conftest import build

    out = tmp_path_factory.mktemp("technical")
    return {fmt: build(TECHNICAL, fmt, "-o", str(out / f"technical.{fmt}")) for fmt in ("epub", "pdf")}


def pdf_words(pdf: Path) -> list[tuple[int, float, float, float, float, float, str]]:
    """(page, page width, xMin, yMin, xMax, yMax, word) for every word poppler finds."""
    import subprocess
    from xml.etree import ElementTree

    run = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True)
    ns = "{http://www.w3.org/1999/xhtml}"
    words = []
    for number, page in enumerate(ElementTree.fromstring(run.stdout).iter(f"{ns}page"), 1):
        for word in page.iter(f"{ns}word"):
            words.append((number, float(page.get("width")), float(word.get("xMin")), float(word.get("yMin")),
                          float(word.get("xMax")), float(word.get("yMax")), word.text or ""))
    return words


@pytest.mark.slow
def test_the_technical_epub_passes_epubcheck_and_ace(technical):
    from ace import assert_ace_clean
    from conftest import Epub, assert_epubcheck_clean

    assert_epubcheck_clean(technical["epub"])
    assert_ace_clean(technical["epub"])
    epub = Epub(technical["epub"])
    opf = epub.opf()
    ns = {"opf": "http://www.idpf.org/2007/opf"}
    props = {i.get("href"): i.get("properties") or "" for i in opf.iterfind(".//opf:item", ns)}
    math_docs = [href for href, p in props.items() if "mathml" in p.split()]
    assert len(math_docs) == 1 and "math" in math_docs[0], props


@pytest.mark.slow
def test_no_word_of_the_technical_pdf_is_past_the_text_block(technical):
    from bookmaker.writers.pdf.page_layout import geometry

    layout = geometry("A4", False)
    mm = 72 / 25.4
    words = pdf_words(technical["pdf"])
    left, right = layout.inner * mm, (layout.width - layout.outer) * mm
    past = [(p, w, round(x0), round(x1)) for p, _, x0, _, x1, _, w in words if x1 > right + 0.5 or x0 < left - 0.5]
    assert not past, f"text block {left:.0f}-{right:.0f}pt: {past[:10]}"
    text = " ".join(w for *_, w in words)
    # Every character of the 327-character line and of the unbreakable hash is there, in order.
    joined = "".join(w for *_, w in words)
    source = (TECHNICAL / "manuscript" / "01-code.md").read_text(encoding="utf-8").splitlines()
    for line in (next(s for s in source if len(s) > 300), next(s for s in source if s.startswith("sha256="))):
        assert line.replace(" ", "") in joined, line
    # Code is not hyphenated: a break in code adds no hyphen.
    assert "--global" in text and "glob-" not in text and "author-" not in text
    assert "\u200b" not in text


@pytest.mark.slow
def test_the_columns_of_the_wide_table_do_not_touch(technical):
    words = pdf_words(technical["pdf"])
    # The last row of the wide table: its first line of text, from "retries" to "How".
    page, _, _, top, _, _, _ = next(w for w in words if w[6] == "retries")
    row = sorted((x0, x1, w) for p, _, x0, y0, x1, _, w in words if p == page and abs(y0 - top) < 2)
    gaps = [b[0] - a[1] for a, b in zip(row, row[1:])]
    assert len(row) >= 6 and min(gaps) > 2, row  # at least 2pt between the texts of neighbouring cells


def test_kobo_spans_stay_out_of_mathml():
    from lxml import etree

    from bookmaker.render.mathtex import tex_to_mathml
    from bookmaker.writers.epub.kepub import koboize

    page = (f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body>'
            f"<p>Text {tex_to_mathml('x + y', False).mathml} more.</p></body></html>")
    root = etree.fromstring(page)
    koboize(root)
    math = root.find(".//{http://www.w3.org/1998/Math/MathML}math")
    assert not math.findall(".//{http://www.w3.org/1999/xhtml}span")


@pytest.mark.slow
def test_a_long_table_repeats_its_head_on_every_page(technical):
    words = pdf_words(technical["pdf"])
    rows = {p for p, *_, w in words if w.startswith("setting")}
    heads = {p for p, *_, w in words if w == "Setting"}
    assert len(rows) >= 2 and rows <= heads, (rows, heads)


@pytest.mark.slow
def test_gfm_and_pandoc_constructs_in_the_technical_epub(technical):
    """Issue 14 items 5, 8, 9: alerts, task lists, bare URLs, a raw HTML figure, links out,
    implicit header references and fenced divs, in an EPUB that EPUBCheck and Ace pass (above)."""
    from conftest import Epub

    epub = Epub(technical["epub"])
    name = next(n for n in epub.names() if n.endswith(".xhtml") and "people-write" in n)
    page = epub.zip.read(name).decode()
    assert '<aside class="box note" aria-label="Note">' in page and 'class="box warning"' in page
    assert "[!NOTE]" not in page and "<input" not in page
    assert page.count('class="task-box"') == 2 and "\u2611" in page and "\u2610" in page
    assert 'href="https://docs.example.org/en/latest/' in page and 'href="http://www.example.org"' in page
    assert "LICENSE.txt" not in page
    figure = page[page.index("<figure"): page.index("</figure>")]
    assert figure.rstrip().endswith("</figcaption>") and "<br" not in figure
    assert '<div id="summary" class="lead">' in page and 'id="careful" class="box warning"' in page
    assert 'href="#alerts"' in page and 'href="#task-lists"' in page and 'href="#summary"' in page


def test_small_screens_get_break_points_in_addresses_and_fixed_spaces_in_code():
    # Issue 23 (measured in readers by test_epub_css.py); here, the markup the EPUB writer makes for them.
    from lxml import etree

    from bookmaker.writers.epub.screens import for_small_screens

    tree = etree.ElementTree(etree.fromstring(
        '<div xmlns="http://www.w3.org/1999/xhtml"><p><a class="url" href="https://docs.example.org/a/b-c.html">'
        'https://docs.example.org/a/b-c.html</a> <code>git add --all</code></p>'
        '<h2>Head</h2><figure><img src="x.png" alt="x"/></figure>'
        '<div class="table-wrap"><table class="table table-wide"><caption>Wide</caption></table></div></div>'))
    for_small_screens(tree, "Table")
    xml = etree.tostring(tree, encoding="unicode").replace(' xmlns="http://www.w3.org/1999/xhtml"', "")
    assert "https://<wbr/>docs<wbr/>.example<wbr/>.org<wbr/>/a<wbr/>/b<wbr/>-c<wbr/>.html</a>" in xml
    assert '<code>git<span class="code-space"> </span>add<span class="code-space"> </span>--all</code>' in xml
    assert '<div class="keep-together">\n<h2>Head</h2><figure>' in xml
    assert ('<div class="table-wrap table-scroll" tabindex="0" role="region" aria-labelledby="table-1-caption">'
            '<table class="table table-wide"><caption id="table-1-caption">Wide</caption>') in xml
