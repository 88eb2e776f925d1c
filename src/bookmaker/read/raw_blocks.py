"""Raw HTML that wraps Markdown across blank lines, as mdBook authors write a figure:

    <figure>

    ![A crab](crab.png)

    <figcaption>The crab</figcaption>
    </figure>

CommonMark ends an HTML block at a blank line, so the `<figure>` and its `</figure>` are separate
blocks with Markdown between them. Rendered one by one, each would be repaired on its own (a
`figcaption` outside its `figure`, invalid in an EPUB); the blocks from an opening tag to the block
that closes it are rendered as one piece instead, so the element holds what it was written to hold.
"""

from __future__ import annotations

import re

from markdown_it.token import Token

# Elements that never close: `<br>` in a block opens nothing.
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^>]*?(/?)>")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
MAX_SPANS = 200  # how far an opening tag looks for its closing one


def _balance(html: str) -> dict[str, int]:
    """Each element's opening tags minus its closing tags in a piece of raw HTML."""
    counts: dict[str, int] = {}
    for closing, name, self_closing in _TAG.findall(_COMMENT.sub("", html)):
        name = name.lower()
        if name in _VOID or self_closing:
            continue
        counts[name] = counts.get(name, 0) + (-1 if closing else 1)
    return counts


def raw_element_spans(tokens: list[Token], spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The top-level spans, with an HTML block that leaves an element open joined to the spans up to
    the HTML block that closes it (never across a heading, which the contents must see on its own)."""
    merged: list[tuple[int, int]] = []
    index = 0
    while index < len(spans):
        start, end = spans[index]
        if tokens[start].type == "html_block":
            open_count = {k: v for k, v in _balance(tokens[start].content).items() if v > 0}
            last = _closing_span(tokens, spans, index, open_count) if open_count else None
            if last is not None:
                merged.append((start, spans[last][1]))
                index = last + 1
                continue
        merged.append((start, end))
        index += 1
    return merged


def _closing_span(tokens: list[Token], spans: list[tuple[int, int]], index: int, open_count: dict[str, int]) -> int | None:
    counts = dict(open_count)
    for later in range(index + 1, min(len(spans), index + MAX_SPANS)):
        first = tokens[spans[later][0]]
        if first.type == "heading_open" or first.type.startswith(("container_", "footnote_block")):
            return None
        if first.type != "html_block":
            continue
        for name, change in _balance(first.content).items():
            if name in counts:
                counts[name] += change
        if all(v <= 0 for v in counts.values()):
            return later
    return None
