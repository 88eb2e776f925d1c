"""Quarto's callouts, `::: {.callout-note}` ... `:::` (and `-tip`, `-warning`, `-important`,
`-caution`), as the boxes of those kinds GitHub's alerts become too. The title is the callout's
`title="..."`, or the heading it opens with (Quarto's `## Title` inside), or the kind's own word."""

from __future__ import annotations

import re

from markdown_it.rules_core import StateCore
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs

CALLOUT_TITLES = {"note": "Note", "tip": "Tip", "warning": "Warning", "important": "Important",
                  "caution": "Caution"}
_CALLOUT = re.compile(r"^callout-(%s)$" % "|".join(CALLOUT_TITLES))


def quarto_callouts(state: StateCore) -> None:
    """A fenced div whose first class is `callout-<kind>` becomes the box `<kind> <title>` (before inline)."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "container_box_open":
            continue
        attrs = _attributes(token.info) or {}
        # `::: callout-note` (no braces) is Quarto's too.
        classes = str(attrs.get("class", "")).split() or token.info.split()[:1]
        match = _CALLOUT.match(classes[0]) if classes else None
        if match is None:
            continue
        kind = match.group(1)
        title = str(attrs.get("title") or "").strip() or _opening_heading(tokens, index) or CALLOUT_TITLES[kind]
        token.info = f"{kind} {' '.join(title.split())}"


def _attributes(info: str) -> dict | None:
    info = info.strip()
    if not info.startswith("{callout-") and not info.startswith("{."):
        return None
    try:
        end, attrs = parse_attrs(info)
    except ParseError:
        return None
    return attrs if not info[end + 1 :].strip() else None


def _opening_heading(tokens: list, index: int) -> str:
    """The text of a heading that opens the callout, taken out of its body (it is the title)."""
    if index + 3 < len(tokens) and tokens[index + 1].type == "heading_open" and tokens[index + 2].type == "inline":
        title = tokens[index + 2].content
        del tokens[index + 1 : index + 4]
        return title.strip()
    return ""
