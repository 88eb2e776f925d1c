"""Checks on the shape of a chapter's Markdown that the parser itself accepts silently:
boxes left open, boxes inside other blocks, `:::` lines that are no box, and
nesting so deep that markdown-it stops parsing (it drops the rest without a word)."""

from __future__ import annotations

import re
from markdown_it.token import Token

from bookmaker.core import limits
from bookmaker.markdown.rules.boxes import BOX_KIND, RESERVED_BOX_KINDS, box_kind, fenced_div_attributes
from bookmaker.read.state import ChapterContext
from bookmaker.read.tokens import line_of

_FENCE = re.compile(r"^[\s>]*:{3,}\s*(\S*)")  # also inside a quotation's '> ' prefix
_ENCLOSING = {
    "blockquote_open": "a quotation",
    "bullet_list_open": "a list",
    "ordered_list_open": "a list",
    "footnote_open": "a note",
    "footnote_block_open": "a note",
    "dl_open": "a definition list",
    "table_open": "a table",
}

# What nests as a reader sees it; markdown-it's token level counts a list and its item as two.
_NESTING = {
    "blockquote_open", "blockquote_close", "bullet_list_open", "bullet_list_close", "ordered_list_open",
    "ordered_list_close", "container_box_open", "container_box_close", "dl_open", "dl_close",
}


def check_structure(ctx: ChapterContext) -> bool:
    """Report structural problems; False when the chapter is nested too deep to be read reliably."""
    lines = ctx.file.body.split("\n")
    stack: list[Token] = []
    depth = 0  # lists, quotations and boxes open around this token
    for token in ctx.file.tokens:
        line = line_of(token)
        if token.type in _NESTING:
            depth += token.nesting
        # The second test is a guard: whatever nests, the parser stops at its own limit.
        if depth > limits.MAX_NESTING or (token.block and token.level >= limits.PARSER_NESTING - 2):
            ctx.error(line, f"lists, quotations and boxes are nested more than {limits.MAX_NESTING} levels deep "
                            "here: flatten the structure", code="nesting-too-deep")
            return False
        if token.type == "inline" and _inline_depth(token) > limits.MAX_INLINE_NESTING:
            ctx.error(line, f"emphasis, links and spans are nested more than {limits.MAX_INLINE_NESTING} levels "
                            "deep here: simplify the markup", code="inline-nesting-too-deep")
            return False
        kind = box_kind(token)
        if kind:
            _check_box(ctx, token, kind, stack, lines)
        elif token.type == "inline" and stack and stack[-1].type == "paragraph_open":
            _check_stray_fence(ctx, token, line)
        if token.nesting == 1:
            stack.append(token)
        elif token.nesting == -1 and stack:
            stack.pop()
    return True


def _inline_depth(token: Token) -> int:
    depth = deepest = 0
    for child in token.children or []:
        depth += child.nesting
        deepest = max(deepest, depth)
    return deepest


def _check_box(ctx: ChapterContext, token: Token, kind: str, stack: list[Token], lines: list[str]) -> None:
    line = line_of(token)
    closed = token.map is None or (token.map[1] < len(lines) and _FENCE.match(lines[token.map[1]]))
    if not closed and not token.meta.get("alert"):
        ctx.error(line, f"the {kind} opened here is never closed: add a line ':::' after its last line", code="box-unclosed")
    enclosing = next((t for t in reversed(stack) if box_kind(t) or t.type in _ENCLOSING), None)
    # Pandoc's fenced divs may stand anywhere: inside another block, one is a plain division.
    if enclosing is not None and fenced_div_attributes(token.info) is None:
        if box_kind(enclosing):
            where = f"another box ({box_kind(enclosing)})"
        else:
            where = _ENCLOSING[enclosing.type]
        ctx.error(line, f"{_article(kind)} {kind} cannot stand inside {where}: boxes go at the top level of "
                        "a chapter; close the outer block first", code="box-misplaced")


def _check_stray_fence(ctx: ChapterContext, token: Token, line: int | None) -> None:
    for offset, text in enumerate(token.content.split("\n")):
        match = _FENCE.match(text)
        if not match:
            continue
        where = line + offset if line is not None else None
        name = match.group(1)
        if not name:
            ctx.warning(where, "this ':::' closes no box and is printed as text: remove it", code="box-close-stray")
        elif name in RESERVED_BOX_KINDS:
            ctx.warning(where, f"'::: {name}' is not a box: '{name}' is reserved, choose another kind; "
                               "it is printed as text", code="box-kind-reserved")
        elif not BOX_KIND.fullmatch(name):
            ctx.warning(
                where, f"'::: {name}' is not a box: a box kind is a word of letters, digits and '-' that starts "
                "with a letter, such as 'sidebar'; it is printed as text", code="box-kind-invalid"
            )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
