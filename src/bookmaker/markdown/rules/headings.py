"""Heading attributes (`## Title {#id .class lang=xx}`) and pandoc's implicit header references."""

from __future__ import annotations

import re

from markdown_it.common.utils import normalizeReference
from markdown_it.rules_core import StateCore
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs

from bookmaker.core.ids import slugify

TRAILING_ATTRS = re.compile(r"\s*(\{[^{}]*\})\s*$")
# `# A long title {short-title="Short"}`: the reader takes it off the heading (read/headings.py).
SHORT_TITLE = "short-title"

def heading_attributes(state: StateCore) -> None:
    """`## Title {#id .class lang=xx}`, as in pandoc."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[i + 1]
        children = inline.children or []
        if not children or children[-1].type != "text":
            continue
        last = children[-1]
        match = TRAILING_ATTRS.search(last.content)
        if not match:
            continue
        # pandoc's `{-}` is short for `{.unnumbered}`.
        written = re.sub(r"(?<=[{\s])-(?=[\s}])", ".unnumbered", match.group(1))
        try:
            end, attrs = parse_attrs(written)
        except ParseError:
            continue
        if end != len(written) - 1:  # parse() returns the index of the closing brace
            continue
        last.content = last.content[: match.start()]
        if not last.content:
            children.pop()
        inline.content = TRAILING_ATTRS.sub("", inline.content)
        for key, value in attrs.items():
            if key not in ("id", "class", "lang", "dir", SHORT_TITLE):
                continue
            token.attrSet(key, value)

def implicit_header_references(state: StateCore) -> None:
    """`[Heading text]` and `[text][Heading text]` link to the chapter's heading of that text, as
    pandoc's implicit_header_references: a link reference definition of the name wins. The href is
    the id the heading asks for (its `{#id}`, or the slug of its text); the reader's link resolver
    turns it into the id the heading gets."""
    references = state.env.setdefault("references", {})
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i + 1 >= len(tokens) or tokens[i + 1].type != "inline":
            continue
        text = tokens[i + 1].content
        wanted = None
        match = TRAILING_ATTRS.search(text)
        if match:
            try:
                _, attrs = parse_attrs(match.group(1))
                wanted, text = attrs.get("id"), text[: match.start()]
            except ParseError:
                pass
        label = normalizeReference(text.strip())
        if label and label not in references:
            references[label] = {"title": "", "href": "#" + str(wanted or slugify(text)), "map": token.map}
