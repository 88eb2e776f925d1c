"""Table captions: `: Caption {#tbl-id}` (or `Table: Caption`) after a table, as in pandoc and Quarto."""

from __future__ import annotations

import re

from markdown_it.rules_core import StateCore
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs

from bookmaker.markdown.rules.headings import TRAILING_ATTRS

_TABLE_CAPTION = re.compile(r"^(?:[Tt]able)?:\s+")  # pandoc: `:`, `Table:` or `table:`

def table_captions(state: StateCore) -> None:
    """`: Caption {#tbl-id}` right after a table is its caption (pandoc's and Quarto's syntax).

    The caption's inline token goes to the table_open's meta["caption"]; its paragraph is marked
    meta["table_caption"] so the reader places it inside the table and not after it.
    """
    tokens = state.tokens
    for i, token in enumerate(tokens[:-3]):
        if token.type != "table_close" or tokens[i + 1].type != "paragraph_open":
            continue
        inline = tokens[i + 2]
        children = inline.children or []
        if not children or children[0].type != "text" or not _TABLE_CAPTION.match(children[0].content):
            continue
        children[0].content = _TABLE_CAPTION.sub("", children[0].content)
        opening = next(t for t in reversed(tokens[:i]) if t.type == "table_open" and t.level == token.level)
        last = children[-1]
        match = TRAILING_ATTRS.search(last.content) if last.type == "text" else None
        if match:
            try:
                end, attrs = parse_attrs(match.group(1))
            except ParseError:
                attrs = {}
            if attrs.get("id"):
                opening.attrSet("id", attrs["id"])
                last.content = last.content[: match.start()]
        opening.meta["caption"] = inline
        tokens[i + 1].meta["table_caption"] = True
