"""Markdown tokens -> XHTML fragments: the one place prose markup is written.

The fragments are valid in HTML5 and in EPUB's XHTML alike, and use DPUB-ARIA
roles for semantics; the EPUB writer derives `epub:type` from those roles.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from html import escape
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.common.utils import escapeHtml
from markdown_it.utils import EnvType, OptionsDict

from bookmaker.core.digits import in_digits
from bookmaker.render.highlight import render_code
from bookmaker.markdown.parser import INDEX_ATTRIBUTES

# Writers replace this prefix with where the book's files are from their output.
RESOURCE_PREFIX = "bookmaker-resource:"
WORD_JOINER = "\u2060"  # no line break on either side
# Where a long code span may break: after a run of these, before the next character.
_BREAK_AFTER = "/._-"
LONG_CODE_RUN = 24


class XhtmlRenderer(RendererHTML):
    def __init__(self, md: MarkdownIt) -> None:
        super().__init__(md)
        self.md = md
        # Formulas (MathML the reader made, mathtex.py) stand in the rendered text
        # as placeholders no manuscript can guess, so the sanitizer of the book's
        # raw HTML, which removes <math>, never sees them; restore() puts them back.
        self._nonce = secrets.token_hex(8)
        self._kept: dict[str, str] = {}
        self.equation_numbers: dict[str, int] = {}  # equation id -> its number in the book
        # (line, message): what rendering found (a code block Pygments was too slow on), for the reader to report
        self.findings: list[tuple[int | None, str]] = []
        self.digits: str | None = None  # note marks in the book's digits (core/digits.py): ۱۲ in Persian

    def _keep(self, html: str) -> str:
        key = f"bmmath{self._nonce}n{len(self._kept)}x"
        self._kept[key] = html
        return key

    def restore(self, html: str) -> str:
        """The rendered text with the formulas in place of their placeholders."""
        if "bmmath" not in html:
            return html
        return re.sub(rf"bmmath{self._nonce}n\d+x", lambda m: self._kept.get(m.group(), ""), html)

    def math_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._keep(tokens[idx].meta.get("html") or escape(tokens[idx].content, quote=False))

    math_inline_double = math_inline

    def math_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        formula = token.meta.get("html") or f"<pre>{escape(token.content, quote=False)}</pre>"
        number = self.equation_numbers.get(token.info) if token.type == "math_block_label" else None
        if number is None:
            return f'<div class="math-display">{self._keep(formula)}</div>\n'
        return (f'<div class="math-display" id="{escape(token.info)}"><span class="eq-number">({number})</span>'
                f"{self._keep(formula)}</div>\n")

    math_block_label = math_block
    amsmath = math_block

    def equation_ref(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        number = self.equation_numbers.get(token.meta["id"])
        if number is None:
            return escape(token.content, quote=False)
        return f'<a class="eqref" href="#{escape(token.meta["id"])}">Equation ({number})</a>'

    @staticmethod
    def resource_url(book_relative: str) -> str:
        # Percent-encoded: a file named `a#b.png` or `a b.png` must stay one path in every output.
        return RESOURCE_PREFIX + quote(book_relative, safe="/")

    @staticmethod
    def renderAttrs(token: Token) -> str:
        # Index marks are read by the reader (index.py); one it did not take as a mark
        # (in a box's title) must not reach the XHTML, where the attribute is invalid.
        return "".join(f' {escapeHtml(key)}="{escapeHtml(str(value))}"'
                       for key, value in token.attrItems() if key not in INDEX_ATTRIBUTES)

    def footnote_ref(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        # No tags inside the link: Apple Books drops the pop-up when there are.
        # The superscript comes from CSS.
        # A WORD JOINER before each mark keeps it on the line of the word it belongs to;
        # adjacent marks get a comma between them, outside both links, so "2,3" never reads "23".
        meta = tokens[idx].meta
        separator = f'{WORD_JOINER}<span class="noteref-separator">,</span>' if meta.get("follows_mark") else ""
        return (
            f'{separator}{WORD_JOINER}<a class="noteref" href="#{meta["note_id"]}" id="{meta["ref_id"]}" '
            f'role="doc-noteref">{in_digits(meta["number"], self.digits)}</a>'
        )

    def citation(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        """A citation as the CSL processor set it (citations.py): text in the line, a note reference, or both."""
        meta = tokens[idx].meta
        if "html" not in meta and "note_id" not in meta:
            return escapeHtml(tokens[idx].content)  # unresolved (reported), or no bibliography: the text as written
        text = meta.get("html", "")
        if "note_id" not in meta:
            return f'<span class="citation">{text}</span>'
        return text + self.footnote_ref(tokens, idx, options, env)

    def crossref(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return tokens[idx].meta.get("html") or escapeHtml(tokens[idx].content)

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        problems: list[str] = []
        html = render_code(tokens[idx].content, tokens[idx].info, tokens[idx].attrGet("dir"), problems)
        line = tokens[idx].map[0] + 1 if tokens[idx].map else None
        self.findings.extend((line, problem) for problem in problems)
        return html

    def code_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return render_code(tokens[idx].content, "", tokens[idx].attrGet("dir"))

    def code_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        # Code is never hyphenated (CSS); a long span may break after / . - _,
        # with no hyphen added: <wbr/> marks those places. A run of more than
        # LONG_CODE_RUN characters without one may break every LONG_CODE_RUN,
        # so that no table column or line has to hold it whole.
        pieces = []
        for piece in _code_pieces(tokens[idx].content):
            pieces.extend(piece[i : i + LONG_CODE_RUN] for i in range(0, len(piece), LONG_CODE_RUN))
        text = "<wbr/>".join(escape(piece, quote=False) for piece in pieces if piece)
        return f"<code{self.renderAttrs(tokens[idx])}>{text}</code>"

    def table_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        # The wrapper scrolls a wide table sideways on a screen (epub.css); a
        # table of many columns is set smaller and to the measure in print (print.css).
        columns = _columns(tokens, idx)
        wide = " table-wide" if columns >= WIDE_TABLE_COLUMNS else ""
        return f'<div class="table-wrap"><table class="table{wide}"{self.renderAttrs(tokens[idx])}>\n'

    def table_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return "</table></div>\n"

    # An empty cell of the header row (the corner above a column of row names) is no header: a header
    # names its column to a screen reader, and DAISY Ace (axe's empty-table-header) fails an empty one.
    # It is an ordinary cell; a header row with no text at all is warned of by the reader.
    def th_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        if _empty_cell(tokens, idx + 1):
            return f"<td{self.renderAttrs(tokens[idx])}>"
        return self.renderToken(tokens, idx, options, env)

    def th_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        if _empty_cell(tokens, idx - 1):
            return "</td>\n"
        return self.renderToken(tokens, idx, options, env)


def _code_pieces(code: str) -> list[str]:
    """`code` cut after each run of / . - _ that has something before and after it."""
    pieces, start = [], 0
    for i in range(1, len(code)):
        if code[i - 1] in _BREAK_AFTER and code[i] not in _BREAK_AFTER and code[start:i].strip(_BREAK_AFTER):
            pieces.append(code[start:i])
            start = i
    pieces.append(code[start:])
    return pieces


# From this many columns a table is "wide": smaller type, the full measure in print.
WIDE_TABLE_COLUMNS = 5


def _empty_cell(tokens: Sequence[Token], idx: int) -> bool:
    return 0 <= idx < len(tokens) and tokens[idx].type == "inline" and not tokens[idx].content.strip()


def _columns(tokens: Sequence[Token], idx: int) -> int:
    count = 0
    for token in tokens[idx + 1 :]:
        if token.type in ("th_open", "td_open"):
            count += 1
        elif token.type in ("tr_close", "table_close"):
            break
    return count
