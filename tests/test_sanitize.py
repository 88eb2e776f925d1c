"""The raw HTML sanitizer on its own: what it keeps, removes and writes back."""

from __future__ import annotations

from lxml import etree

from bookmaker.core.diagnostics import Diagnostic
from bookmaker.safety.sanitize import sanitize


def _clean(fragment: str, claim=None):
    return sanitize(fragment, lambda src, alt: f"R:{src}" if src != "bad.png" else Diagnostic.error("refused"), claim)


def test_output_is_well_formed_xhtml_that_html_parsers_read_the_same_way():
    result = _clean('<p>a<br>b<span></span><img src="ok.png"> <i>open</p><table><col span=2><tr><td>x</table>')
    etree.fromstring(f"<div>{result.html}</div>")
    assert "<br />" in result.html and "<span></span>" in result.html and '<img src="R:ok.png" alt="" />' in result.html
    assert "<col span=\"2\" />" in result.html and "</br>" not in result.html


def test_scripts_events_and_script_urls_are_removed_with_a_warning_each():
    result = _clean('<script>x()</script><a href=" java\tscript:alert(1)" onclick="y()">t</a><svg onload="z()"></svg>'
                    '<img src="ok.png" alt="" onerror="w()"><iframe src="//e"></iframe>')
    assert "script" not in result.html.lower()
    for gone in ("x()", "alert", "y()", "z()", "w()", "iframe", "svg"):
        assert gone not in result.html
    assert len([f for f in result.findings if f.severity == "warning"]) == 6  # script, javascript: URL, onclick, svg, onerror, iframe
    assert result.html == '<a>t</a><img src="R:ok.png" alt="" />'


def test_entities_declared_in_the_input_are_never_expanded():
    result = _clean('<!DOCTYPE x [<!ENTITY e "EXPANDED">]><p>&e;</p>')
    assert "EXPANDED" not in result.html
    assert any("DOCTYPE" in f.message for f in result.findings)


def test_unknown_elements_are_unwrapped_and_refused_images_dropped():
    result = _clean('<blink>keep <b>me</b></blink><x:y>too</x:y><img src="bad.png">')
    assert result.html == "keep <b>me</b>"
    assert [f.severity for f in result.findings].count("error") == 1


def test_ids_go_through_the_book_registry():
    taken = {"intro"}

    def claim(wanted: str) -> str:
        unique = wanted + "-1" if wanted in taken else wanted
        taken.add(unique)
        return unique

    result = _clean('<span id="intro">a</span><span id="fresh">b</span><span id="two words">c</span>', claim)
    assert result.html == '<span id="intro-1">a</span><span id="fresh">b</span><span>c</span>'


def test_style_attributes_stay_unless_they_could_load_something():
    result = _clean('<span style="color: red">a</span><span style="background: URL(file:///etc/passwd)">b</span>'
                    '<span style="background: u\\72l(x)">c</span>')
    assert result.html == '<span style="color: red">a</span><span>b</span><span>c</span>'
    assert len(result.findings) == 2
