"""Boxes (`::: sidebar Title`) and pandoc's fenced divs (`::: {#id .class}`). A box kind is data: its
template, `boxes/<kind>.html` (the theme's or the book's); a kind with a reader of its own (the
infobox's image, lines and fields) names it in READERS."""

from __future__ import annotations

from collections.abc import Callable
from html import escape as html_escape

from markdown_it.token import Token

from bookmaker.markdown.rules.boxes import DIVISION, fenced_div_attributes
from bookmaker.model import Block, Box, Field, HtmlBlock, Image
from bookmaker.read.attributes import check_language
from bookmaker.read.rendering import render
from bookmaker.read.state import ChapterContext
from bookmaker.read.tokens import line_of, plain_text, top_level_spans
from bookmaker.theme import has_box_template


def claim_div_id(ctx: ChapterContext, token: Token) -> None:
    """A box's or division's `{#id}` is a link target like a heading's, claimed before links are resolved;
    its classes are kept for markdown-it, which renders a division inside a list."""
    attrs = fenced_div_attributes(token.info) or {}
    wanted = attrs.get("id")
    if wanted:
        token.meta["div_id"] = ctx.book.ids.claim(str(wanted))
        ctx.book.target(ctx.path, str(wanted), token.meta["div_id"])
        token.attrSet("id", token.meta["div_id"])
    classes = str(attrs.get("class", ""))
    if classes.strip():
        token.attrSet("class", " ".join(classes.split()))


def read_box(ctx: ChapterContext, kind: str, inner: list[Token], opening: Token) -> Block:
    line = line_of(opening)
    attrs = fenced_div_attributes(opening.info)
    if attrs is not None:
        return _fenced_div(ctx, kind, attrs, inner, opening)
    # The title was parsed with the chapter (markdown._box_titles): its note marks are the chapter's.
    title_tokens: list[Token] = []
    if inner and inner[0].meta.get("box_title"):
        title_tokens, inner = inner[0].children or [], inner[1:]
    box = Box(kind=kind, title_html=render(ctx, title_tokens, line), title_text=plain_text(title_tokens))
    if not has_box_template(kind, ctx.book.sources.templates):
        folder = ctx.book.sources.config.theme.templates
        ctx.warning(line, f"box kind '{kind}' has no template, so it is set as a plain box with class '{kind}': "
                          f"add {folder}/boxes/{kind}.html to the book to give it one", code="box-kind-without-template")
    read = READERS.get(kind)
    if read is None:
        box.body_html = render(ctx, inner, line)
    else:
        read(ctx, box, inner, line)
    return box


def _fenced_div(ctx: ChapterContext, kind: str, attrs: dict, inner: list[Token], opening: Token) -> Block:
    """Pandoc's `::: {#id .class}`: a box when its first class is a kind with a template (the
    theme's or the book's), else a plain division with its id and classes."""
    classes = str(attrs.get("class", "")).split()
    given = opening.meta.get("div_id")
    body = render(ctx, inner, line_of(opening))
    if kind != DIVISION and kind != "infobox" and has_box_template(kind, ctx.book.sources.templates):
        return Box(kind=kind, title_html="", body_html=body, id=given, classes=classes[1:])
    id_attr = f' id="{html_escape(given)}"' if given else ""
    class_attr = f' class="{html_escape(" ".join(classes))}"' if classes else ""
    check_language(ctx, opening, line_of(opening))  # `{lang=xx}`, and the `dir` bidi.py gave it
    language = "".join(f' {name}="{html_escape(str(opening.attrGet(name)))}"' for name in ("lang", "dir")
                       if opening.attrGet(name) is not None)
    return HtmlBlock(html=f"<div{id_attr}{class_attr}{language}>\n{body}</div>\n", kind="html")


def _infobox(ctx: ChapterContext, box: Box, inner: list[Token], line: int | None) -> None:
    """An infobox: an image, lines of text, then fields written as a definition list."""
    rest: list[Token] = []
    for start, end in top_level_spans(inner):
        first = inner[start]
        if first.type == "paragraph_open":
            children = inner[start + 1].children or []
            if len(children) == 1 and children[0].type == "image" and box.image is None and not box.fields:
                src = str(children[0].attrGet("src") or "")
                if src:  # empty when the image was refused; the error is reported
                    box.image = Image(src=src, alt=children[0].content)
                continue
            if not box.fields:
                box.lines_html.append(render(ctx, children, line))
                continue
        if first.type == "dl_open":
            box.fields.extend(_fields(ctx, inner[start + 1 : end - 1], line))
            continue
        rest.extend(inner[start:end])
    if not box.fields:
        ctx.warning(line, "infobox has no fields: add lines such as 'Born' followed by ': 11 March 1957'", code="infobox-empty")
    box.body_html = render(ctx, rest, line)


def _fields(ctx: ChapterContext, tokens: list[Token], line: int | None) -> list[Field]:
    fields: list[Field] = []
    for start, end in top_level_spans(tokens):
        first = tokens[start]
        if first.type == "dt_open":
            fields.append(Field(label_html=render(ctx, tokens[start + 1].children or [], line), values_html=[]))
        elif first.type == "dd_open" and fields:
            inner = tokens[start + 1 : end - 1]
            # A one-paragraph value is inline text; anything larger keeps its blocks.
            if len(inner) == 3 and inner[0].type == "paragraph_open":
                fields[-1].values_html.append(render(ctx, inner[1].children or [], line))
            else:
                fields[-1].values_html.append(render(ctx, inner, line))
    return fields


# A kind is its template; only these kinds also have a reader of their own.
READERS: dict[str, Callable[[ChapterContext, Box, list[Token], int | None], None]] = {"infobox": _infobox}
