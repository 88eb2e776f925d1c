"""Boxes and fenced divs (`::: kind Title`, `::: {#id .kind}`), the `{#refs}`/`{#lof}`/`{#lot}` placeholders and box titles."""

from __future__ import annotations

import re

from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs

# A box is `::: kind Title` ... `:::`. Any word is a kind: the template boxes/<kind>.html, the
# theme's or the book's, decides how it looks, and a kind without one is a plain box (read/boxes.py).
BOX_KIND = re.compile(r"[A-Za-z][A-Za-z0-9-]*")

RESERVED_BOX_KINDS = ("html",)  # the model's kind of prose blocks (model.HtmlBlock)

PLACEHOLDERS = ("refs", "lof", "lot")

_PLACEHOLDER = re.compile(r"^\{\s*#(%s)\s*\}$" % "|".join(PLACEHOLDERS))

def is_placeholder(params: str, *args) -> bool:
    return bool(_PLACEHOLDER.match(params.strip()))

def placeholder_name(info: str) -> str:
    match = _PLACEHOLDER.match(info.strip())
    return match.group(1) if match else ""

def is_box(params: str, markup: str) -> bool:
    if _PLACEHOLDER.match(params.strip()):
        return False  # `::: {#refs}` and the like mark where generated lists go
    if fenced_div_attributes(params) is not None:
        return True
    words = params.split(maxsplit=1)
    return bool(words) and BOX_KIND.fullmatch(words[0]) is not None and words[0] not in RESERVED_BOX_KINDS

# A fenced div of pandoc's with no class that names a kind: a plain division (read/boxes.py).
DIVISION = "div"

def fenced_div_attributes(params: str) -> dict | None:
    """The attributes of pandoc's fenced div `::: {#id .class}`; None when `params` is not one."""
    params = params.strip()
    if not params.startswith("{"):
        return None
    try:
        end, attrs = parse_attrs(params)
    except ParseError:
        return None
    return attrs if not params[end + 1 :].strip() else None  # `end` is the index of the closing brace

def box_kind(token: Token) -> str | None:
    """The kind of a box from its opening token (`::: kind Title`, or the first class of
    `::: {#id .kind}`); None for any other token."""
    if token.type != "container_box_open":
        return None
    attrs = fenced_div_attributes(token.info)
    if attrs is not None:
        classes = str(attrs.get("class", "")).split()
        first = classes[0] if classes else ""
        return first if BOX_KIND.fullmatch(first) and first not in RESERVED_BOX_KINDS else DIVISION
    return token.info.split(maxsplit=1)[0]

def box_titles(state: StateCore) -> None:
    """Put each box's title (`::: kind Title`) after its opening as an inline token of its own,
    marked `box_title`: the core rules then treat it as any text of the chapter."""
    tokens: list[Token] = []
    for token in state.tokens:
        tokens.append(token)
        kind = box_kind(token)
        # A fenced div (`::: {#id .kind}`) has attributes where a box has its title.
        fenced = kind is not None and fenced_div_attributes(token.info) is not None
        title = token.info.strip()[len(kind) :].strip() if kind and not fenced else ""
        if title:
            inline = Token("inline", "", 0, content=title, map=token.map, level=token.level + 1, block=True)
            inline.meta["box_title"] = True
            inline.children = []
            tokens.append(inline)
    state.tokens = tokens
