"""Tokens rendered to the XHTML fragments of the model: the renderer's output, with any raw HTML
among the tokens sanitized (sanitize.py), its images passed through the book's gate and its ids
kept unique in the book."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from urllib.parse import unquote

from markdown_it.token import Token

from bookmaker.read.accessibility import ACCESSIBILITY_CODES
from bookmaker.core.diagnostics import Severity
from bookmaker.core.tally import tally
from bookmaker.read.assets import resource_url
from bookmaker.read.state import ChapterContext
from bookmaker.safety.sanitize import sanitize

_ELEMENT_NOT_KEPT = re.compile(r"^<[^>]+> is not an HTML element bookmaker keeps")
_RAW_FRAGMENT = re.compile(r"""href\s*=\s*["']?\s*#([^"'\s>]*)""", re.IGNORECASE)


def render(ctx: ChapterContext, tokens: list[Token], line: int | None, env: dict | None = None) -> str:
    """Render tokens to XHTML; any raw HTML among them is sanitized (sanitize.py) first."""
    renderer, book = ctx.renderer, ctx.book
    html = renderer.render(tokens, renderer.md.options, ctx.env if env is None else env)
    for found_at, problem in renderer.findings:
        ctx.warning(found_at or line, problem, code="code-not-highlighted")
    renderer.findings.clear()
    if not _has_raw_html(tokens):
        return renderer.restore(html)
    # The ids bookmaker itself gave these tokens pass once each; any other id, or
    # one of those repeated by raw HTML, must be made unique in the book.
    budget = Counter(_generated_ids(tokens, renderer.equation_numbers))

    def claim(wanted: str) -> str:
        if budget[wanted] > 0:
            budget[wanted] -= 1
            return wanted
        return book.ids.claim(wanted)

    for token in _raw_html(tokens):
        book.raw_links.extend((unquote(target), ctx.path, line) for target in _RAW_FRAGMENT.findall(token.content))
    # Inline tokens alone (a note's first paragraph, a caption, a title) stand where only text may.
    phrasing = not any(token.block for token in tokens)
    result = sanitize(html, lambda src, alt: resource_url(book, src, alt, ctx.path), claim, phrasing)
    for finding in result.findings:
        if finding.code in ACCESSIBILITY_CODES:  # the EPUB then claims no conformance
            book.accessibility_gaps.add(finding.code)
        if finding.severity is Severity.WARNING and _ELEMENT_NOT_KEPT.match(finding.message):
            # An element a tool of its own would turn into something (mdBook's <Listing>): said once a book.
            tally(book.seen, finding.message, ctx.path, line, finding.message, finding.code)
        else:
            ctx.diagnostics.add(finding.at(ctx.path, line))
    return renderer.restore(result.html)


def _raw_html(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.type in ("html_block", "html_inline"):
            yield token
        yield from _raw_html(token.children or [])


def _has_raw_html(tokens: list[Token]) -> bool:
    return any(t.type in ("html_block", "html_inline") or _has_raw_html(t.children or []) for t in tokens)


def _generated_ids(tokens: list[Token], equations: dict[str, int]) -> Iterator[str]:
    for token in tokens:
        if token.type in ("footnote_ref", "citation") and "ref_id" in token.meta:
            yield token.meta["ref_id"]  # a note reference, or a note-style citation's
        elif token.type == "math_block_label" and token.info in equations:
            yield token.info  # a numbered equation's, claimed when it was read (read/math.py)
        elif token.attrGet("id"):  # a heading's, or one written `{#id}`: claimed when the chapter was parsed
            yield str(token.attrGet("id"))
        elif token.meta.get("index_anchor"):
            yield token.meta["index_anchor"]
        if token.children:
            yield from _generated_ids(token.children, equations)
