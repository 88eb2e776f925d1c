"""GitHub's alerts (`> [!NOTE]`) read as boxes."""

from __future__ import annotations

import re

from markdown_it.rules_core import StateCore
from markdown_it.token import Token

# GitHub's alerts (`> [!NOTE]` on the quotation's first line) are boxes of these kinds, titled
# as GitHub titles them; the theme has a template for each (templates/boxes/<kind>.html).
ALERT_KINDS = {"NOTE": "Note", "TIP": "Tip", "IMPORTANT": "Important", "WARNING": "Warning", "CAUTION": "Caution"}

_ALERT = re.compile(r"\[!([A-Za-z]+)\][ \t]*(?:\n|$)")

def github_alerts(state: StateCore) -> None:
    """A quotation whose first line is `[!NOTE]` (or another kind) becomes a box (before inline parsing)."""
    tokens = state.tokens
    i = 0
    while i < len(tokens):
        token = tokens[i]
        # Only at the top level, as on GitHub (and boxes stand nowhere else).
        if (token.type == "blockquote_open" and token.level == 0 and i + 2 < len(tokens) and tokens[i + 1].type == "paragraph_open"
                and tokens[i + 2].type == "inline"):
            match = _ALERT.match(tokens[i + 2].content)
            kind = match and match.group(1).upper()
            if kind in ALERT_KINDS:
                closing = _matching_close(tokens, i)
                for t, kind_of in ((token, "container_box_open"), (tokens[closing], "container_box_close")):
                    t.type, t.tag = kind_of, "div"
                token.meta["alert"] = True  # closed by the quotation's end, not by a ':::' line (structure.py)
                token.info = f"{kind.lower()} {ALERT_KINDS[kind]}"
                rest = tokens[i + 2].content[match.end():]
                if rest.strip():
                    tokens[i + 2].content = rest
                else:  # the marker alone in its paragraph
                    del tokens[i + 1 : i + 4]
        i += 1

def _matching_close(tokens: list[Token], start: int) -> int:
    depth = 0
    for j in range(start, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1
