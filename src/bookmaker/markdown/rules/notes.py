"""The line of each note definition, remembered before the footnote plugin gathers them."""

from __future__ import annotations

from markdown_it.rules_core import StateCore

def note_definition_lines(state: StateCore) -> None:
    defs = state.env.setdefault("note_definitions", [])
    for token in state.tokens:
        if token.type == "footnote_reference_open" and token.map:
            defs.append((token.meta["label"], token.map[0]))
