"""Attributes an author writes in `{...}` on headings and spans: an `{#id}` made unique in the book
(so a link may point at it), and `lang`/`dir` kept only when HTML and the EPUB accept them."""

from __future__ import annotations

import re

from markdown_it.token import Token

from bookmaker.read.state import ChapterContext
from bookmaker.core.text import is_language_tag

_ID = re.compile(r"^\S+$")


def valid_id(ctx: ChapterContext, token: Token, line: int | None) -> str | None:
    """The token's `{#id}` if it is one; an empty one or one with spaces is None, with a warning."""
    wanted = token.attrGet("id")
    if wanted is None:
        return None
    if not _ID.match(str(wanted)):
        ctx.warning(line, f"id '{wanted}' removed: an id may not be empty or contain spaces", code="id-invalid")
        return None
    return str(wanted)


def claim_inline_id(ctx: ChapterContext, token: Token, line: int | None) -> None:
    """`[text]{#id}`: unique in the book like a heading's, so a link may point at it."""
    wanted = valid_id(ctx, token, line)
    if wanted is None:
        del token.attrs["id"]
        return
    given = ctx.book.ids.claim(wanted)
    token.attrSet("id", given)
    ctx.book.target(ctx.path, wanted, given)
    if given != wanted:
        ctx.warning(line, f"id '{wanted}' is already used in the book; this one is now '{given}': "
                          "give it another {#id}", code="id-taken")


def check_language(ctx: ChapterContext, token: Token, line: int | None) -> None:
    """`{lang=...}` and `{dir=...}` must be values HTML and the EPUB accept; others are dropped."""
    lang, direction = token.attrGet("lang"), token.attrGet("dir")
    if lang is not None and not is_language_tag(str(lang)):
        ctx.warning(line, f"lang '{lang}' removed: it is not a language tag; use one such as en, fr or pt-BR", code="lang-invalid")
        del token.attrs["lang"]
    if direction is not None and direction not in ("ltr", "rtl", "auto"):
        ctx.warning(line, f"dir '{direction}' removed: use ltr, rtl or auto", code="dir-invalid")
        del token.attrs["dir"]
