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
    turns it into the id the heading gets. The other chapters' headings (env["book_headings"]) come
    last: pandoc reads a project's chapters as one text, so `[Introduction]` reaches another file's."""
    references = state.env.setdefault("references", {})
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i + 1 >= len(tokens) or tokens[i + 1].type != "inline":
            continue
        label, href = _reference(tokens[i + 1].content)
        if label and label not in references:
            references[label] = {"title": "", "href": href, "map": token.map}
    for label, reference in state.env.get("book_headings", {}).items():
        references.setdefault(label, reference)


def _reference(text: str) -> tuple[str, str]:
    """A heading's text as a reference label, and the href it asks for."""
    wanted = None
    match = TRAILING_ATTRS.search(text)
    if match:
        try:
            _, attrs = parse_attrs(match.group(1))
            wanted, text = attrs.get("id"), text[: match.start()]
        except ParseError:
            pass
    return normalizeReference(text.strip()), "#" + str(wanted or slugify(text))


_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def book_heading_references(bodies: list[str]) -> dict[str, dict]:
    """The ATX headings of every chapter (outside code fences) as implicit header references, read
    from the text before any chapter is parsed; a chapter's own headings and definitions win."""
    found: dict[str, dict] = {}
    for body in bodies:
        fence = ""
        for line in body.split("\n"):
            if opening := _FENCE.match(line):
                mark = opening.group(1)
                if not fence:
                    fence = mark
                elif mark[0] == fence[0] and len(mark) >= len(fence) and not line.strip()[len(mark):].strip():
                    fence = ""
                continue
            if not fence and (heading := _ATX.match(line)):
                label, href = _reference(heading.group(1))
                if label:
                    found.setdefault(label, {"title": "", "href": href, "map": None})
    return found
