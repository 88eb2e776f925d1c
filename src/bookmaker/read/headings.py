"""Headings: each gets an id unique in the book (its `{#id}` or the slug of its text) and a
Heading in the model; skipped levels and empty headings are reported."""

from __future__ import annotations

from markdown_it.token import Token

from bookmaker.core.ids import slugify
from bookmaker.core.ids import github_slug
from bookmaker.markdown.rules.headings import SHORT_TITLE
from bookmaker.model import Heading
from bookmaker.read.attributes import check_language, valid_id
from bookmaker.read.state import ChapterContext
from bookmaker.read.tokens import line_of, plain_text


def read_heading(ctx: ChapterContext, token: Token, inline: Token) -> None:
    chapter, book = ctx.chapter, ctx.book
    text = plain_text(inline.children or [])
    line = line_of(token)
    check_language(ctx, token, line)
    explicit = valid_id(ctx, token, line)
    wanted = explicit or github_slug(text)
    token.attrSet("id", book.ids.claim(wanted))
    given = str(token.attrGet("id"))
    book.target(ctx.path, wanted, given)
    if not explicit and (older := slugify(text)) != wanted:
        # The id bookmaker gave before (pandoc's, `--` collapsed): a link written to it still lands.
        book.target(ctx.path, older, given)
        book.aliases.setdefault(older, given)
    if explicit and given != wanted:
        ctx.warning(line, f"heading id '{wanted}' is already used in the book; this heading gets "
                          f"'{given}': give it another {{#id}}", code="heading-id-taken")
    level = int(token.tag[1])
    if chapter.headings and level > chapter.headings[-1].level + 1:
        previous = chapter.headings[-1].level
        ctx.book.accessibility_gaps.add("heading-level-skipped")
        ctx.warning(line, f"heading level skips from {previous} to {level}: use "
                          f"{'#' * (previous + 1)} for a heading inside a {'#' * previous} section",
                    code="heading-level-skipped")
    heading = Heading(level=level, id=given, text=text, html="", chapter=chapter.index,
                      short_title=_short_title(token))
    token.meta["heading"] = heading
    if text:
        chapter.headings.append(heading)
    else:  # nothing to show in a table of contents (an EPUB's nav may not hold an empty entry)
        ctx.warning(line, "heading without text is left out of the contents: write its title after the #",
                    code="heading-empty")
    if explicit and wanted.startswith("sec-"):
        book.crossrefs.add(wanted, given, chapter.index, text, (ctx.path, line))


def _short_title(token: Token) -> str | None:
    """The heading's `{short-title="..."}`, taken off it (no such attribute may reach the XHTML); the
    PDF's running head is given it as `data-short-title` (print.css)."""
    value = " ".join(str(token.attrGet(SHORT_TITLE) or "").split())
    if SHORT_TITLE in token.attrs:
        del token.attrs[SHORT_TITLE]
    if value:
        token.attrSet("data-short-title", value)
    return value or None
