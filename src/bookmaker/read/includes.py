"""mdBook's includes (and Quarto's `{{< include file.qmd >}}`): `{{#include path}}`, `{{#include path:anchor}}`, `{{#include path:2:10}}` (and `:2`,
`:2:`, `::10`), `{{#rustdoc_include ...}}` and `{{#playground ...}}`, replaced by the file's text before
the chapter is parsed, as mdBook's `links` preprocessor does. `\\{{#include}}` is the text itself.

An included file is read through the book's resource policy like every other file (inside the book
folder, no link out), under the size limits of the manuscript, and an include inside an included file
is followed only MAX_DEPTH deep. A `rustdoc_include` shows the lines it names: the rest of the file,
which mdBook hides until the reader expands it, is left out of a printed book.
"""

from __future__ import annotations

import re
from pathlib import Path

from bookmaker.core import limits
from bookmaker.safety.policy import Refused
from bookmaker.read.state import BookState

MAX_DEPTH = 10  # mdBook's own limit on includes inside includes
MAX_INCLUDE_CHARS = 600  # an include's `{{...}}` is a path and a selector
_INCLUDE = re.compile(
    r"(?P<escape>\\)?\{\{(?:\s*#(?P<kind>include|rustdoc_include|playground|title)\s+(?P<arg>[^}\s][^}\n]*?)\s*"
    r"|<\s*(?P<quarto>include)\s+(?P<quarto_arg>[^>}\s][^>}\n]*?)\s*>)\}\}")
_ANCHOR = re.compile(r"ANCHOR:\s*([\w_-]+)")
_ANCHOR_END = re.compile(r"ANCHOR_END:\s*([\w_-]+)")


def expand_includes(book: BookState, text: str, path: Path, stack: tuple[Path, ...] = (),
                    added: list[tuple[int, int]] | None = None) -> str:
    """The chapter's text with each include replaced by what it names; problems are diagnostics at the line.
    `added` receives (line, lines added) for each include of this text, to place later diagnostics."""
    if "{{" not in text:
        return text

    def replace(match: re.Match) -> str:
        replacement = _replacement(match)
        if added is not None and (extra := replacement.count("\n") - match.group().count("\n")):
            added.append((text.count("\n", 0, match.start()) + 1, extra))
        return replacement

    def _replacement(match: re.Match) -> str:
        if match.group("escape"):
            return match.group()[1:]
        line = text.count("\n", 0, match.start()) + 1
        kind, arg = match.group("kind") or "include", match.group("arg") or match.group("quarto_arg")
        if match.group("quarto"):  # Quarto's `{{< include file.qmd >}}`: the whole file, no selector
            arg = arg.replace(":", "\0")
        if kind == "title":
            book.diagnostics.warning(path, line, "mdBook's {{#title}} sets the browser's page title, which a book "
                                                 "does not have: it is left out", code="mdbook-title")
            return ""
        if len(stack) >= MAX_DEPTH:
            book.diagnostics.error(path, line, f"includes are nested more than {MAX_DEPTH} deep: include the "
                                               "file's text directly", code="include-too-deep")
            return ""
        included = _included(book, path, line, arg)
        if included is None:
            return match.group()
        if included[1] in stack or included[1] == path.resolve():
            book.diagnostics.error(path, line, f"'{arg}' includes itself, directly or through another file: "
                                               "remove the include", code="include-cycle")
            return ""
        return expand_includes(book, included[0], included[1], (*stack, path.resolve()))

    return _substituted(text, replace)


def _substituted(text: str, replace) -> str:
    """`_INCLUDE.sub(replace, text)`, looking at most MAX_INCLUDE_CHARS past each `{{`: a regular
    expression left to search a long line of `{{#include a` for its `}}` took time quadratic in it."""
    pieces, done = [], 0
    for opening in re.finditer(r"\{\{", text):
        start = opening.start() - 1 if opening.start() and text[opening.start() - 1] == "\\" else opening.start()
        if start < done:
            continue
        close = text.find("}}", opening.end(), opening.end() + MAX_INCLUDE_CHARS)
        match = _INCLUDE.fullmatch(text, start, close + 2) if close >= 0 else None
        if match is None:
            continue
        pieces += [text[done:start], replace(match)]
        done = match.end()
    return "".join(pieces) + text[done:]


def original_line(added: list[tuple[int, int]], line: int) -> int:
    """The line of the file as written that line `line` of its expanded text comes from (an
    included line is the include's own line)."""
    offset = 0
    for at, extra in added:
        start = at + offset
        if line < start:
            break
        if line <= start + extra:
            return at
        offset += extra
    return line - offset


def _included(book: BookState, path: Path, line: int, arg: str) -> tuple[str, Path] | None:
    """The part of the file `arg` names, read through the policy; None (with the error) when it cannot be."""
    name, _, selector = arg.partition(":")
    name = name.replace("\0", ":")
    diagnostics = book.diagnostics
    try:
        target = book.policy.check_local(path.parent / name.strip())
        size = target.stat().st_size
        if size > limits.MAX_FILE_BYTES or book.book_bytes + size > limits.MAX_BOOK_BYTES:
            diagnostics.error(path, line, f"the included file '{name}' is too large ({size:,} bytes): include "
                                          "a part of it with an anchor or line numbers", code="include-too-large")
            return None
        book.book_bytes += size
        raw = book.policy.read_local(target)
    except Refused as refused:
        diagnostics.add(refused.about(f"the included file '{name}'").at(path, line))
        return None
    except OSError as exc:
        diagnostics.error(path, line, f"cannot include '{name}': {exc.strerror}: check the path, relative to "
                                      "this file", code="include-missing")
        return None
    try:
        content = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        diagnostics.error(path, line, f"the included file '{name}' is not UTF-8 text", code="include-not-text")
        return None
    part = _select(content, selector.strip())
    if part is None:
        diagnostics.error(path, line, f"no anchor '{selector}' in '{name}': mark its lines with "
                                      f"'ANCHOR: {selector}' and 'ANCHOR_END: {selector}'", code="include-anchor")
        return None
    return part, target


def _select(content: str, selector: str) -> str | None:
    """The lines a selector names: all, `N`, `N:`, `:M`, `N:M` (1-based, inclusive) or an anchor's."""
    lines = content.split("\n")
    if content.endswith("\n"):
        lines.pop()
    if not selector:
        chosen = lines
    elif re.fullmatch(r"\d*(:\d*)?", selector):
        start_text, colon, end_text = selector.partition(":")
        start = max(int(start_text) - 1, 0) if start_text else 0
        end = int(end_text) if end_text else (len(lines) if colon else start + 1)
        chosen = lines[start:end]
    else:
        chosen = _anchored(lines, selector)
        if chosen is None:
            return None
    # Anchor lines of any anchor are mdBook's markers, never the code.
    return "\n".join(l for l in chosen if not (_ANCHOR.search(l) or _ANCHOR_END.search(l)))


def _anchored(lines: list[str], anchor: str) -> list[str] | None:
    start = next((i for i, l in enumerate(lines) if (m := _ANCHOR.search(l)) and m.group(1) == anchor), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines))
                if (m := _ANCHOR_END.search(lines[i])) and m.group(1) == anchor), len(lines))
    return lines[start + 1 : end]
