"""A chapter's blocks: prose rendered to XHTML, figures (an image alone in its paragraph) and
tables with their captions and cross-reference labels, boxes, and the placeholders `::: {#refs}`,
`::: {#lof}` and `::: {#lot}`."""

from __future__ import annotations

import html
import re

from markdown_it.token import Token

from bookmaker.resolve.crossrefs import Target
from bookmaker.markdown.rules.boxes import box_kind, placeholder_name
from bookmaker.model import Block, HtmlBlock
from bookmaker.read.bibliography import placed_bibliography
from bookmaker.read.boxes import read_box
from bookmaker.read.raw_blocks import raw_element_spans
from bookmaker.read.rendering import render
from bookmaker.read.state import ChapterContext
from bookmaker.read.tokens import line_of, lone_image, plain_text, top_level_spans


# `<div id="refs"></div>`: pandoc's documented place for the bibliography, like `::: {#refs}`.
_REFS_DIV = re.compile(r"""^\s*<div\s+id=["'](refs|lof|lot)["']\s*>\s*</div>\s*$""")


def raw_placeholder(token: Token) -> str | None:
    """`refs` for a raw `<div id="refs"></div>` (and `lof`, `lot` alike), else None."""
    match = _REFS_DIV.match(token.content) if token.type == "html_block" else None
    return match.group(1) if match else None


def claim_table_label(ctx: ChapterContext, token: Token) -> None:
    """A table with `{#tbl-...}` is a cross-reference target."""
    label = str(token.attrGet("id"))
    token.attrSet("id", ctx.book.ids.claim(label))
    caption = plain_text(token.meta["caption"].children or []) if "caption" in token.meta else ""
    token.meta["crossref"] = ctx.book.crossrefs.add(
        label, str(token.attrGet("id")), ctx.chapter.index, caption, (ctx.path, line_of(token)))


def claim_figure_label(ctx: ChapterContext, image: Token, line: int | None) -> None:
    """An image with `{#fig-...}` is a cross-reference target."""
    label = str(image.attrGet("id"))
    image.attrSet("id", ctx.book.ids.claim(label))
    image.meta["crossref"] = ctx.book.crossrefs.add(
        label, str(image.attrGet("id")), ctx.chapter.index, plain_text(image.children or []), (ctx.path, line))


def read_blocks(ctx: ChapterContext) -> list[Block]:
    tokens = ctx.file.tokens
    blocks: list[Block] = []
    spans = raw_element_spans(tokens, top_level_spans(tokens))
    for index, (start, end) in enumerate(spans):
        first = tokens[start]
        following = tokens[spans[index + 1][0]] if index + 1 < len(spans) else None
        if (first.type == "paragraph_open" and following is not None and following.type == "blockquote_open"
                and plain_text(tokens[start + 1].children or []).endswith(":")):
            # CSS cannot see the colon: the class keeps the lead-in on the page of its quotation.
            first.attrJoin("class", "lead-in")
        if first.type == "footnote_block_open" or first.meta.get("table_caption"):
            continue  # notes are collected separately; a table's caption goes inside the table
        if first.type == "container_placeholder_open":
            blocks.append(HtmlBlock(html=_placeholder(ctx, placeholder_name(first.info))))
            continue
        if placeholder := raw_placeholder(first):
            blocks.append(HtmlBlock(html=_placeholder(ctx, placeholder)))  # pandoc's own place for it
            continue
        kind = box_kind(first)
        if kind:
            blocks.append(read_box(ctx, kind, tokens[start + 1 : end - 1], first))
            continue
        line = line_of(first)
        if first.type == "paragraph_open" and lone_image(tokens[start + 1]):
            blocks.append(HtmlBlock(html=_figure(ctx, tokens[start + 1], line), kind="html"))
            continue
        if first.type == "heading_open" and first.meta.get("heading") is ctx.book.title_heading:
            continue  # the title block shows it
        if first.type == "heading_open":
            first.meta["heading"].html = render(ctx, tokens[start + 1].children or [], None, env={})
        html = render(ctx, tokens[start:end], line)
        if first.type == "table_open" and "caption" in first.meta:
            html = _table_caption(ctx, html, first, line)
        blocks.append(HtmlBlock(html=html, is_paragraph=first.type == "paragraph_open"))
    return blocks


def _table_caption(ctx: ChapterContext, table_html: str, opening: Token, line: int | None) -> str:
    caption = _labelled(opening.meta.get("crossref"), render(ctx, opening.meta["caption"].children or [], line))
    end = table_html.index(">", table_html.index("<table")) + 1  # render.py may wrap the table
    return f"{table_html[:end]}\n<caption>{caption}</caption>{table_html[end:]}"


def _placeholder(ctx: ChapterContext, name: str) -> str:
    """`::: {#refs}`: the bibliography; `::: {#lof}` / `::: {#lot}`: the list of figures / tables."""
    if name == "refs":
        return placed_bibliography(ctx.book)
    return ctx.book.crossrefs.list_html("fig" if name == "lof" else "tbl", name)


def _figure(ctx: ChapterContext, inline: Token, line: int | None) -> str:
    """An image alone in its paragraph is a figure, its alt text the caption (as in pandoc)."""
    image = next(c for c in inline.children or [] if c.type == "image")
    figure_id = ""
    if image.attrGet("id"):  # the figure carries the id a cross-reference links to
        figure_id = f' id="{image.attrGet("id")}"'
        image.attrs.pop("id")
    img = ctx.renderer.render([image], ctx.md.options, ctx.env)
    caption = _labelled(image.meta.get("crossref"), render(ctx, image.children or [], line))
    return f"<figure{figure_id}>{img}<figcaption>{caption}</figcaption></figure>\n"


def _labelled(target: Target | None, caption: str) -> str:
    """A caption led by its cross-reference label ("Figure 2."), when it has one."""
    return caption if target is None else f'<span class="crossref-label">{html.escape(target.label)}.</span> {caption}'


