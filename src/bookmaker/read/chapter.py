"""One chapter, in two passes: parsed (its ids claimed, notes numbered, every token checked) before
any chapter is rendered, so a link may point at a heading in a later chapter; then rendered to blocks."""

from __future__ import annotations

from markdown_it.token import Token

from bookmaker.markdown.rules.boxes import placeholder_name
from bookmaker.read.accessibility import check_image_alt, check_link_text, check_table_header
from bookmaker.markdown.rules.citations import crossref_label
from bookmaker.read.assets import drop_sizes, read_image, refused_images_in_text, size_image
from bookmaker.read.attributes import check_language, claim_inline_id
from bookmaker.read.blocks import claim_figure_label, claim_table_label, raw_placeholder, read_blocks
from bookmaker.read.boxes import claim_div_id
from bookmaker.read.headings import read_heading
from bookmaker.read.index_marks import is_index_mark, read_index_mark, section_name
from bookmaker.read.links import note_raw_ids, read_link, unlink_nested_links
from bookmaker.read.math import MATH_BLOCKS, read_formula
from bookmaker.read.notes import check_definitions, check_undefined, collect_bodies, number_notes
from bookmaker.read.state import ChapterContext
from bookmaker.read.foreign import note_foreign_blocks
from bookmaker.read.raw_tex import drop_raw_tex
from bookmaker.read.structure import check_structure
from bookmaker.read.tokens import line_of
from bookmaker.markdown.unsupported import check_unsupported
from bookmaker.core.paths import real_path


def parse_chapter(ctx: ChapterContext) -> None:
    file = ctx.file
    file.env["terms"] = ctx.book.terms  # the alerts' titles and the task lists' words (markdown/parser.py)
    file.tokens = tokens = ctx.md.parse(file.body, file.env)
    ctx.book.targets[real_path(file.path)] = {"": ctx.chapter.id}
    if not check_structure(ctx):
        file.tokens = []
        return  # nested too deep: the parser dropped text, so the rest would mislead
    check_unsupported(tokens, file.body, file.path, ctx.diagnostics)
    drop_raw_tex(ctx, tokens)
    note_foreign_blocks(ctx, tokens)
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
        or any(raw_placeholder(t) == "refs" for t in tokens)) and kinds <= {
        "heading_open", "container_placeholder_open", "html_block"}
    collect_bodies(ctx)


def _walk(ctx: ChapterContext, tokens: list[Token]) -> None:
    """Every block token: ids claimed, headings and formulas read; then each inline token's children."""
    for i, token in enumerate(tokens):
        if token.type == "html_block":
            note_raw_ids(ctx, token.content)
        if token.type == "container_box_open":
            claim_div_id(ctx, token)
        if token.type in ("heading_open", "table_open") and token.attrGet("id"):
            token.attrSet("id", crossref_label(str(token.attrGet("id"))))
        if token.type == "heading_open":
            read_heading(ctx, token, tokens[i + 1])
        if token.type in ("footnote_open", "footnote_close"):  # the index's marks in a note (index_marks.py)
            ctx.in_note = token.meta.get("id") if token.type == "footnote_open" else None
        if token.type == "table_open" and str(token.attrGet("id") or "").startswith("tbl-"):
            claim_table_label(ctx, token)
        if token.type == "table_open":
            check_table_header(ctx, tokens, i)
        if token.type in MATH_BLOCKS:
            read_formula(ctx, token, True)
        if token.type == "inline" and token.children:
            _walk_inline(ctx, token)


def _walk_caption(ctx: ChapterContext, image: Token, token: Token) -> None:
    """A figure's caption is its image's text: its links, notes, citations and cross-references are read
    like any other (a link to nowhere in a caption was never checked)."""
    caption = Token("inline", "", 0, map=token.map, children=list(image.children or []))
    _walk_inline(ctx, caption)
    image.children = caption.children


def _walk_inline(ctx: ChapterContext, token: Token) -> None:
    """Ids, languages, index marks, formulas, images, links, notes and citations of one inline token."""
    line = line_of(token)
    children = token.children or []
    unlink_nested_links(ctx, children, line)
    for position, child in enumerate(children):
        if child.type == "image" and child.attrGet("id"):
            child.attrSet("id", crossref_label(str(child.attrGet("id"))))
        if child.attrs:
            if child.type == "image":
                size_image(ctx, child, line)
            else:
                drop_sizes(child)
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
            ctx.note_sections.setdefault(child.meta["id"], section_name(ctx))
        elif child.type in ("citation", "crossref"):
            child.meta["where"] = (ctx.path, line)
            if child.type == "crossref":
                ctx.book.crossrefs.reference(child)
        elif child.type == "image":
            check_image_alt(ctx, child, line)
            read_image(ctx, child, line)
            _walk_caption(ctx, child, token)
            if str(child.attrGet("id") or "").startswith("fig-"):
                claim_figure_label(ctx, child, line)
        elif child.type == "link_open":
            read_link(ctx, child, line)
            check_link_text(ctx, children, position, line)
        elif child.type == "html_inline":
            note_raw_ids(ctx, child.content)
