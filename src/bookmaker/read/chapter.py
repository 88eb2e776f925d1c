"""One chapter, in two passes: parsed (its ids claimed, notes numbered, every token checked) before
any chapter is rendered, so a link may point at a heading in a later chapter; then rendered to blocks."""

from __future__ import annotations

from markdown_it.token import Token

from bookmaker.markdown.rules.boxes import placeholder_name
from bookmaker.read.assets import read_image, refused_images_in_text
from bookmaker.read.attributes import check_language, claim_inline_id
from bookmaker.read.blocks import claim_figure_label, claim_table_label, read_blocks
from bookmaker.read.boxes import claim_div_id
from bookmaker.read.headings import read_heading
from bookmaker.read.index_marks import is_index_mark, read_index_mark
from bookmaker.read.links import read_link, unlink_nested_links
from bookmaker.read.math import MATH_BLOCKS, read_formula
from bookmaker.read.notes import check_definitions, check_undefined, collect_bodies, number_notes
from bookmaker.read.state import ChapterContext
from bookmaker.read.structure import check_structure
from bookmaker.read.tokens import line_of
from bookmaker.markdown.unsupported import check_unsupported


def parse_chapter(ctx: ChapterContext) -> None:
    file = ctx.file
    file.tokens = tokens = ctx.md.parse(file.body, file.env)
    ctx.book.targets[file.path.resolve()] = {"": ctx.chapter.id}
    if not check_structure(ctx):
        file.tokens = []
        return  # nested too deep: the parser dropped text, so the rest would mislead
    check_unsupported(tokens, file.body, file.path, ctx.diagnostics)
    ctx.notes = number_notes(ctx)
    check_definitions(ctx)
    _walk(ctx, tokens)


def render_chapter(ctx: ChapterContext) -> None:
    chapter, tokens, cites = ctx.chapter, ctx.file.tokens, ctx.book.cites
    placed_before = cites.placed
    chapter.blocks = read_blocks(ctx)
    chapter.holds_bibliography = cites.placed and not placed_before and bool(cites.entries)
    # A chapter of a heading and `::: {#refs}` alone is the bibliography: in print it follows the notes.
    kinds = {t.type for t in tokens if t.level == 0 and t.nesting != -1}
    chapter.back_matter = (
        any(placeholder_name(t.info) == "refs" for t in tokens if t.type == "container_placeholder_open")
        and kinds <= {"heading_open", "container_placeholder_open"})
    collect_bodies(ctx)


def _walk(ctx: ChapterContext, tokens: list[Token]) -> None:
    """Every block token: ids claimed, headings and formulas read; then each inline token's children."""
    for i, token in enumerate(tokens):
        if token.type == "container_box_open":
            claim_div_id(ctx, token)
        if token.type == "heading_open":
            read_heading(ctx, token, tokens[i + 1])
        if token.type == "table_open" and str(token.attrGet("id") or "").startswith("tbl-"):
            claim_table_label(ctx, token)
        if token.type in MATH_BLOCKS:
            read_formula(ctx, token, True)
        if token.type == "inline" and token.children:
            _walk_inline(ctx, token)


def _walk_inline(ctx: ChapterContext, token: Token) -> None:
    """Ids, languages, index marks, formulas, images, links, notes and citations of one inline token."""
    line = line_of(token)
    children = token.children or []
    unlink_nested_links(ctx, children, line)
    for position, child in enumerate(children):
        if child.attrs:
            check_language(ctx, child, line)
            # A figure's `{#fig-...}` is claimed with its cross-reference, below.
            if child.attrGet("id") is not None and not (
                    child.type == "image" and str(child.attrGet("id")).startswith("fig-")):
                claim_inline_id(ctx, child, line)
        if child.type in ("span_open", "link_open", "code_inline") and is_index_mark(child):
            read_index_mark(ctx, children, position, line)
        if child.type in ("softbreak", "hardbreak") and line is not None:
            line += 1
        elif child.type in ("math_inline", "math_inline_double"):
            read_formula(ctx, child, child.type == "math_inline_double", line)
        elif child.type == "equation_ref":
            ctx.book.equation_refs.append((child, ctx.path, line))
        elif child.type == "text":
            refused_images_in_text(ctx, child, line)
            check_undefined(ctx, child, line)
        elif child.type == "footnote_ref":
            child.meta["line"] = line  # an inline note's body has no line of its own
        elif child.type in ("citation", "crossref"):
            child.meta["where"] = (ctx.path, line)
            if child.type == "crossref":
                ctx.book.crossrefs.reference(child)
        elif child.type == "image":
            read_image(ctx, child, line)
            if str(child.attrGet("id") or "").startswith("fig-"):
                claim_figure_label(ctx, child, line)
        elif child.type == "link_open":
            read_link(ctx, child, line)
