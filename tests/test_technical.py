"""Issue 14: code, tables, math and the Markdown technical books are written in.

Fast tests read a manuscript or render a fragment; the slow ones build the
technical fixture book (tests/fixtures/technical) and check the EPUB with
EPUBCheck and Ace, and the PDF's words with poppler's `pdftotext -bbox`.
"""

from __future__ import annotations

from pathlib import Path

from bookmaker.diagnostics import Diagnostics
from bookmaker.frontmatter import split_front_matter


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
    from bookmaker.markdown import parser_for
    from bookmaker.render import XhtmlRenderer

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
