"""Small walks over markdown-it tokens that several parts of the reader share."""

from __future__ import annotations

import re
from collections.abc import Iterator

from markdown_it.token import Token


def line_of(token: Token) -> int | None:
    """The 1-based line a block token starts on, when markdown-it knows it."""
    return token.map[0] + 1 if token.map else None


def top_level_spans(tokens: list[Token]) -> list[tuple[int, int]]:
    """(start, end) index pairs of the outermost blocks of a balanced token list, end exclusive."""
    spans = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.nesting == 1:
            depth, j = 1, i + 1
            while j < len(tokens) and depth:
                depth += tokens[j].nesting
                j += 1
            spans.append((i, j))
            i = j
        else:
            spans.append((i, i + 1))
            i += 1
    return spans


def inline_children(tokens: list[Token]) -> Iterator[Token | None]:
    """The children of every inline token, with None between two tokens' children (they are not adjacent)."""
    for token in tokens:
        if token.children:
            yield from token.children
            yield None


def lone_image(inline: Token) -> bool:
    """An image alone in its paragraph: a figure, its description the caption (as in pandoc)."""
    children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
    return len(children) == 1 and children[0].type == "image" and bool(children[0].content.strip())


def plain_text(children: list[Token]) -> str:
    out = []
    for child in children:
        if child.type in ("text", "code_inline", "math_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.children:
            out.append(plain_text(child.children))
    return "".join(out).strip()


def words(text: str) -> str:
    """Text compared by its words alone: case, quotes, dashes and spacing aside."""
    return " ".join(re.findall(r"\w+", text.casefold()))
