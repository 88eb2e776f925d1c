"""Markdown tokens -> XHTML fragments: the one place prose markup is written.

The fragments are valid in HTML5 and in EPUB's XHTML alike, and use DPUB-ARIA
roles for semantics; the EPUB writer derives `epub:type` from those roles.
"""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

# Writers replace this prefix with where the book's files are from their output.
RESOURCE_PREFIX = "bookmaker-resource:"
WORD_JOINER = "\u2060"  # no line break on either side


class XhtmlRenderer(RendererHTML):
    def __init__(self, md: MarkdownIt) -> None:
        super().__init__(md)
        self.md = md

    @staticmethod
    def resource_url(book_relative: str) -> str:
        return RESOURCE_PREFIX + book_relative

    def footnote_ref(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        # No tags inside the link: Apple Books drops the pop-up when there are.
        # The superscript comes from CSS.
        # A WORD JOINER before each mark keeps it on the line of the word it belongs to;
        # adjacent marks get a comma between them, outside both links, so "2,3" never reads "23".
        meta = tokens[idx].meta
        separator = f'{WORD_JOINER}<span class="noteref-separator">,</span>' if meta.get("follows_mark") else ""
        return (
            f'{separator}{WORD_JOINER}<a class="noteref" href="#{meta["note_id"]}" id="{meta["ref_id"]}" '
            f'role="doc-noteref">{meta["number"]}</a>'
        )
