"""Bidirectional text as HTML means it (issue 20): the direction is set once on the root (the book's) and on
the blocks and spans of the other direction; the Unicode bidi algorithm of the reader (or Pango's,
in the PDF) orders the rest. An inline is isolated only where the algorithm would misplace it:

- in a left-to-right text, an unmarked run of right-to-left script (a Persian name in English) is
  a `<span dir="rtl">`, as before;
- in a right-to-left text, a Latin word that begins or ends with a character of no direction of its
  own (`C++`, `C#`, `--global`, `.NET`) is a `<span dir="ltr">`, else the algorithm moves those
  characters to its other side (`++C`). Other Latin words are left alone: wrapping each run of one
  direction in its own span had made the Latin words between them one left-to-right run, in the
  wrong order (issue 20). Code, inline and in blocks, is `dir="ltr"`: markup, since an EPUB's
  style sheets may not say `direction`.

A span or heading `{lang=xx}` of the other direction gets that direction's `dir`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator

from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs

from bookmaker.core.lang import RTL_CHARS, RTL_RUN, direction_of

# Punctuation that belongs to the sentence, not to the word it touches: it takes the sentence's direction.
_OPENING_MARKS = "([{«“‘\"'"
_CLOSING_MARKS = ".,;:!?\u060c\u061b\u061f\u06d4)]}»”’\"'\u2026"
_WORD = re.compile(r"\S+")


def bidi_rule(base: str) -> Callable[[StateCore], None]:
    """The core rule for a document whose root has direction `base` ("ltr" or "rtl")."""

    def rule(state: StateCore) -> None:
        blocks = [base]  # the direction of the enclosing blocks, innermost last
        for token in state.tokens:
            if token.nesting == 1 and token.type != "inline":
                blocks.append(_block_direction(token, blocks[-1]))
            elif token.nesting == -1 and len(blocks) > 1:
                blocks.pop()
            elif token.type == "inline" and token.children:
                token.children = _isolate(token.children, blocks[-1])
            elif token.type in ("fence", "code_block") and blocks[-1] == "rtl":
                token.attrSet("dir", "ltr")  # code reads left to right (render.py writes it on the <pre>)

    return rule


def _block_direction(token: Token, outer: str) -> str:
    """A block's direction; a heading or fenced div whose `{lang=xx}` is of the other direction gets its `dir`."""
    if token.type == "container_box_open":
        _div_language(token)
    lang, given = token.attrGet("lang"), token.attrGet("dir")
    if given in ("ltr", "rtl"):
        return str(given)
    if lang is not None and token.type in ("heading_open", "container_box_open"):
        own = direction_of(str(lang))
        if own != outer:
            token.attrSet("dir", own)
        return own
    return outer


def _div_language(token: Token) -> None:
    """`::: {lang=xx dir=yy}`: the fenced div's language and direction, as attributes of its token."""
    info = token.info.strip()
    if not info.startswith("{"):
        return
    try:
        end, attrs = parse_attrs(info)
    except ParseError:
        return
    for name in ("lang", "dir"):
        if name in attrs and not info[end + 1 :].strip():
            token.attrSet(name, str(attrs[name]))


def _isolate(children: list[Token], base: str) -> list[Token]:
    out: list[Token] = []
    spans: list[bool] = []  # for each enclosing span: whether it sets a direction
    for child in children:
        if child.type == "span_open":
            _span_direction(child, base)
            spans.append(child.attrGet("dir") is not None)
        elif child.type == "span_close" and spans:
            spans.pop()
        if child.type == "code_inline" and base == "rtl" and not any(spans):
            child.attrSet("dir", "ltr")  # code reads left to right, isolated from the sentence
        if child.type != "text" or any(spans):
            out.append(child)  # text inside a span of its own direction is the author's to mark
        elif base == "ltr":
            out.extend(_wrap(child, (m.span() for m in RTL_RUN.finditer(child.content)), "rtl"))
        else:
            out.extend(_wrap(child, _ltr_words(child.content), "ltr"))
    return out


def _span_direction(span: Token, outer: str) -> None:
    """A span `{lang=xx}` of a language of the other direction than `outer` gets that direction's `dir`."""
    lang = span.attrGet("lang")
    if span.attrGet("dir") is None and lang:
        own = direction_of(str(lang))
        if own != outer:
            span.attrSet("dir", own)


def _ltr_words(text: str) -> Iterator[tuple[int, int]]:
    """The Latin words of a right-to-left text that need isolating: those that begin or end with a
    character of no strong direction (once the sentence's punctuation is taken off)."""
    for match in _WORD.finditer(text):
        word, start = match.group(), match.start()
        stripped = word.lstrip(_OPENING_MARKS)
        start += len(word) - len(stripped)
        stripped = stripped.rstrip(_CLOSING_MARKS)
        if not stripped or not _has_ltr(stripped) or re.search(f"[{RTL_CHARS}]", stripped):
            continue
        if _is_weak(stripped[0]) or _is_weak(stripped[-1]):
            yield start, start + len(stripped)


def _has_ltr(word: str) -> bool:
    return any(unicodedata.bidirectional(c) == "L" for c in word)


def _is_weak(char: str) -> bool:
    """A character the bidi algorithm places by its neighbours (not a letter, not a digit)."""
    return unicodedata.bidirectional(char) not in ("L", "EN", "AN")


def _wrap(child: Token, runs: Iterable[tuple[int, int]], direction: str) -> list[Token]:
    """The text token `child` with each run (start, end) of its text in a `<span dir=direction>`."""
    out: list[Token] = []
    pos = 0
    for start, end in runs:
        if start > pos:
            out.append(_text(child.content[pos:start], child.level))
        opening = Token("span_open", "span", 1, level=child.level)
        opening.attrSet("dir", direction)
        out.extend([opening, _text(child.content[start:end], child.level + 1),
                    Token("span_close", "span", -1, level=child.level)])
        pos = end
    if pos == 0:
        return [child]
    if pos < len(child.content):
        out.append(_text(child.content[pos:], child.level))
    return out


def _text(content: str, level: int) -> Token:
    return Token("text", "", 0, content=content, level=level)
