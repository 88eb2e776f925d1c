"""Pandoc's citation syntax as a markdown-it inline rule: `[@key]`, `[see @a, 110; @b]`, `[-@key]`, `@key`.

Quarto's cross-references share the syntax: a key with one of CROSSREF_PREFIXES
(`@fig-tower`, `[-@tbl-bridges]`, `[Fig. @fig-tower]`) is a cross-reference,
any other key a citation. The rule only recognises; citations.py and
crossrefs.py resolve the tokens once every chapter is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

CROSSREF_PREFIXES = ("fig-", "tbl-", "eq-", "sec-")
# Quarto's `@fig-x` and sentence-initial `@Fig-x`, pandoc-crossref's `@fig:x` and `{#fig:x}`: one label.
# `lst` (pandoc-crossref's code listings) is read as a cross-reference so that it is not taken for a
# citation; crossrefs.py says it is not numbered.
_CROSSREF_LABEL = re.compile(r"^(fig|tbl|eq|sec|lst)[-:]", re.IGNORECASE)


def crossref_label(label: str) -> str:
    """A cross-reference label as bookmaker keeps it: `Fig-x` and `fig:x` are `fig-x`; others unchanged."""
    match = _CROSSREF_LABEL.match(label)
    return f"{match.group(1).lower()}-{label[match.end():]}" if match else label

# Pandoc: a key begins with a letter, digit or `_` and may hold internal punctuation.
KEY = r"[\w](?:[\w]|[:.#$%&\-+?<>~/](?=[\w]))*"
_ITEM = re.compile(rf"^(?P<prefix>.*?)(?:(?<=\s)|^)(?P<minus>-?)@(?P<key>{KEY})(?P<suffix>.*)$", re.DOTALL)
_KEY_AT = re.compile(KEY)
# A citation written inside another's prefix or locator (`[@a [@b]]`, `[@a, p. 6 [@b]]`, `[@a, @{b}]`):
# pandoc nests it and prints it in place of the first. `a@b.com` is an address, not a citation.
_NESTED = re.compile(r"(?<![\w@\\])-?@(?:\{|\w)")
# What citeproc leaves out of a prefix or suffix: a note, an image, math (pandoc's `$...$` rule).
_DROPPED = {"a note": re.compile(r"\^\[|\[\^[^\]\s]+\]"), "an image": re.compile(r"!\["),
            "math": re.compile(r"(?<![\\$])\$(?=\S)[^$]*?(?<=[^\s\\])\$(?!\d)")}


@dataclass
class CiteItem:
    key: str
    prefix: str = ""
    suffix: str = ""
    suppress_author: bool = False

    @property
    def is_crossref(self) -> bool:
        return bool(_CROSSREF_LABEL.match(self.key))


def citation_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("link", "citation", _citation_rule)


def _citation_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if src[pos] == "@":
        return _in_text(state, silent)
    if src[pos] != "[" or "@" not in src[pos : pos + 2000]:
        return False
    end = _closing_bracket(src, pos)
    if end < 0 or src[end + 1 : end + 2] in ("(", "[", "{") or (pos == 0 and src[end + 1 : end + 2] == ":"):
        return False  # a link, a reference, a span with attributes or (at a line's start) a link definition
    items = _bracketed_items(src[pos + 1 : end])
    if items is None:
        return False
    if not silent:
        _push(state, items, "normal", src[pos : end + 1])
    state.pos = end + 1
    return True


def _in_text(state: StateInline, silent: bool) -> bool:
    """`@key` not inside a word, so `a@b.com` stays an address; `@key [p. 33]` takes a locator."""
    src, pos = state.src, state.pos
    if pos > 0 and (src[pos - 1].isalnum() or src[pos - 1] in "_@"):
        return False
    match = _KEY_AT.match(src, pos + 1)
    if not match:
        return False
    key, end, suffix = match.group(), match.end(), ""
    locator = re.match(r" \[([^\[\]@]*)\]", src[end:])
    if locator and not src[end + locator.end() : end + locator.end() + 1] in ("(", "[", "{"):
        suffix, end = locator.group(1), end + locator.end()
    if not silent:
        _push(state, [CiteItem(key=key, suffix=suffix)], "in-text", src[pos:end])
    state.pos = end
    return True


def _closing_bracket(src: str, start: int) -> int:
    depth = 0
    i = start
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _bracketed_items(inner: str) -> list[CiteItem] | None:
    """Each `;`-separated part holds exactly one `@key` (pandoc's rule), else this is no citation."""
    items = []
    for part in inner.split(";"):
        match = _ITEM.match(part.strip())
        if not match or "@" in match.group("suffix") and re.search(rf"(?:^|\s)-?@{KEY}", match.group("suffix")):
            return None
        if re.search(rf"(?:^|\s)-?@{KEY}", match.group("prefix")):
            return None
        items.append(CiteItem(
            key=match.group("key"), prefix=match.group("prefix").strip(),
            suffix=match.group("suffix").strip(), suppress_author=bool(match.group("minus")),
        ))
    return items or None


def _push(state: StateInline, items: list[CiteItem], mode: str, source: str) -> None:
    crossref = all(item.is_crossref for item in items)
    for item in items:
        if item.is_crossref:
            item.key = crossref_label(item.key)
    token = state.push("crossref" if crossref else "citation", "", 0)
    token.content = source
    token.meta = {"items": items, "mode": mode, "mixed": not crossref and any(i.is_crossref for i in items)}
    around = " ".join(f"{item.prefix} {item.suffix}" for item in items)
    token.meta["nested"] = bool(_NESTED.search(around))
    token.meta["dropped"] = [what for what, pattern in _DROPPED.items() if pattern.search(around)]
