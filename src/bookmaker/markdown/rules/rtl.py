"""Right-to-left runs isolated in `dir="rtl"` spans."""

from __future__ import annotations

from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from bookmaker.core.lang import RTL_RUN, is_rtl_lang

def rtl_isolation(state: StateCore) -> None:
    """Wrap runs of right-to-left script that have no direction set in `<span dir="rtl">`.

    The span isolates the run (CSS `unicode-bidi: isolate`), so a Persian name
    inside an English sentence neither reorders nor is reordered by its neighbours.
    """
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        token.children = _isolate_children(token.children)

def _isolate_children(children: list[Token]) -> list[Token]:
    out: list[Token] = []
    depth_with_dir = 0
    for child in children:
        if child.type == "span_open":
            lang = str(child.attrGet("lang") or "")
            if child.attrGet("dir") is None and lang and is_rtl_lang(lang):
                child.attrSet("dir", "rtl")
            if child.attrGet("dir") is not None or depth_with_dir:
                depth_with_dir += 1
            out.append(child)
            continue
        if child.type == "span_close" and depth_with_dir:
            depth_with_dir -= 1
        if child.type != "text" or depth_with_dir or not RTL_RUN.search(child.content):
            out.append(child)
            continue
        pos = 0
        for match in RTL_RUN.finditer(child.content):
            if match.start() > pos:
                out.append(_text(child.content[pos : match.start()], child.level))
            opening = Token("span_open", "span", 1, level=child.level)
            opening.attrSet("dir", "rtl")
            out.extend([opening, _text(match.group(), child.level + 1), Token("span_close", "span", -1, level=child.level)])
            pos = match.end()
        if pos < len(child.content):
            out.append(_text(child.content[pos:], child.level))
    return out

def _text(content: str, level: int) -> Token:
    return Token("text", "", 0, content=content, level=level)
