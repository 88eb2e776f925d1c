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
