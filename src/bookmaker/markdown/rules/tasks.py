"""GitHub's task lists (`- [x] done`) and the class of links whose text is their URL."""

from __future__ import annotations

import re

from markdown_it.rules_core import StateCore
from markdown_it.token import Token

_TASK = re.compile(r"\[([ xX])\] ")

# The glyph is for the eye; the words are for screen readers. No <input>: reading systems disable forms.
_TASK_HTML = {
    True: '<span class="task-box" aria-hidden="true">\u2611</span><span class="visually-hidden">done: </span>',
    False: '<span class="task-box" aria-hidden="true">\u2610</span><span class="visually-hidden">not done: </span>',
}

def task_lists(state: StateCore) -> None:
    """`- [x] done` and `- [ ] to do`, as in GitHub's Markdown: the box drawn as a glyph; and the class
    of links whose text is their URL."""
    tokens = state.tokens
    for inline in (t for t in tokens if t.type == "inline"):
        for child in inline.children or []:
            if child.type == "link_open" and child.markup in ("linkify", "autolink"):
                child.attrJoin("class", "url")  # a URL as text: print breaks it at '/' with no hyphen
    for i, token in enumerate(tokens):
        if token.type != "list_item_open" or i + 2 >= len(tokens) or tokens[i + 2].type != "inline":
            continue
        children = tokens[i + 2].children or []
        if not children or children[0].type != "text":
            continue
        match = _TASK.match(children[0].content)
        if not match:
            continue
        children[0].content = children[0].content[match.end():]
        mark = Token("html_inline", "", 0, content=_TASK_HTML[match.group(1) != " "])
        children.insert(0, mark)
        token.attrJoin("class", "task")
