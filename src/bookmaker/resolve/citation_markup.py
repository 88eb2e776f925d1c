"""What in a citation's brackets pandoc's citeproc would get wrong or leave out, reported before it runs
(issue 27), and the one-paragraph form each citation is handed to pandoc in.

`[@a [@nosuch]]`, `[@a, p. 6 [@b]]` and `[@a, @{b}]` hold a citation inside another's prefix or locator:
pandoc nests it and prints it in place of the first ("Nosuch?", or book b for @a). A note, an image or
math there is dropped from the citation. markdown/cite_syntax.py finds them as it reads the brackets.
"""

from __future__ import annotations

import re

from markdown_it.token import Token

from bookmaker.core.diagnostics import Diagnostics


class CiteprocError(Exception):
    """pandoc's citeproc failed, or its answer cannot be mapped back to the citations."""


def report_markup(token: Token, path, line: int | None, diagnostics: Diagnostics) -> bool:
    """Report what the citation's prefixes and locators hold that it cannot show; True when the citation
    must not be resolved at all (one inside another)."""
    if token.meta.get("nested"):
        diagnostics.error(path, line, f"'{token.content}' has a citation inside another citation's prefix or "
                                      "locator, which would print in its place: write them side by side, "
                                      "separated by ';' ([@a, p. 6; @b])", code="citation-nested")
        return True
    for what in token.meta.get("dropped", ()):
        diagnostics.warning(path, line, f"'{token.content}' has {what} inside a citation's prefix or locator, "
                                        "which the citation leaves out: move it outside the brackets",
                            code="citation-markup-dropped")
    return False


def one_paragraph(text: str) -> str:
    """A citation's source on one line, a paragraph of its own in the document pandoc reads: an HTML
    comment opened in one (`<!--` in a locator) must not run on into the next, so its opening is
    written as text (pandoc reads `&lt;` as `<`)."""
    return re.sub(r"\s+", " ", text).replace("<!--", "&lt;!--")


def check_paragraphs(paragraphs: list, slots: list) -> None:
    """Each citation came back as its own paragraph, or mapping them back would give each the wrong text."""
    if len(paragraphs) < len(slots):
        raise CiteprocError("pandoc read the citations differently from bookmaker (markup in a locator that runs "
                            "from one citation into the next?)")
