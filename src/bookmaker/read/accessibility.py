"""What a reader who cannot see the page would miss, said at its line: an image without alternative
text, a table without a header row, a link whose text does not say where it goes.

Each finding is a warning with its fix (a heading level skipped is said in headings.py). The book
also remembers that it has one, so that the EPUB claims no WCAG conformance it does not have
(writers/accessibility.py).

An image is decorative when the author says so: `![](rule.png){.decorative}` in Markdown, or
`alt=""` written out in raw HTML (`<img src="rule.png" alt="">`). Markdown's `![](x.png)` cannot
tell an empty text from a forgotten one, so it asks.
"""

from __future__ import annotations

import re

from markdown_it.token import Token

from bookmaker.read.state import ChapterContext

DECORATIVE_CLASS = "decorative"
# The codes of these warnings (core/codes.py): a book with one claims no WCAG conformance.
ACCESSIBILITY_CODES = frozenset({"image-without-alt", "table-without-header", "link-text-unclear",
                                 "heading-level-skipped"})
# Link texts that say nothing of where the link goes (WCAG 2.4.4), compared in lower case without
# punctuation. Only English: a book in another language gets the URL check alone.
_VAGUE = {"here", "click here", "this", "this link", "link", "more", "read more", "click", "this page",
          "go", "see here", "this one"}
_URL_TEXT = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)


def check_image_alt(ctx: ChapterContext, token: Token, line: int | None) -> None:
    """`![](x.png)`: no text for a reader who cannot see it, and not marked decorative."""
    classes = str(token.attrGet("class") or "").split()
    if token.content.strip() or DECORATIVE_CLASS in classes:
        return
    src = str(token.attrGet("src") or "")
    ctx.book.accessibility_gaps.add("image-without-alt")
    ctx.book.diagnostics.warning(
        ctx.path, line, f"image '{src[:60]}' has no alternative text, so a screen reader says nothing of it: "
                        f"write what it shows as ![what it shows]({src[:40]}), or mark an ornament "
                        f"![]({src[:40]}){{.{DECORATIVE_CLASS}}}", code="image-without-alt")


def check_link_text(ctx: ChapterContext, children: list[Token], position: int, line: int | None) -> None:
    """A link whose text is its own address or a word such as "here": it says nothing out of context."""
    opening = children[position]
    if opening.hidden:
        return  # a link inside a link, unlinked (links.py says so)
    href = str(opening.attrGet("href") or "")
    text = _link_text(children, position)
    if not href or not text:
        return
    example = "the heading it leads to" if href.startswith("#") or ".md" in href else "the page's title"
    if _is_url(text, href):
        what = "is its web address, which a screen reader spells out letter by letter"
    elif re.sub(r"[^\w\s]", "", text).strip().casefold() in _VAGUE:
        what = f"'{text}' does not say where it goes"
    else:
        return
    fix = f"write what it leads to as its text, such as [{example}]({href[:60]})"
    ctx.book.accessibility_gaps.add("link-text-unclear")
    ctx.book.diagnostics.warning(ctx.path, line, f"link text {what}: {fix}", code="link-text-unclear")


def check_table_header(ctx: ChapterContext, tokens: list[Token], start: int) -> None:
    """A Markdown table whose header row is empty: its cells have no headers to be read with."""
    i = start + 1
    while i < len(tokens) and tokens[i].type != "thead_close":
        if tokens[i].type == "inline" and tokens[i].content.strip():
            return
        if tokens[i].type == "table_close":
            break
        i += 1
    line = tokens[start].map[0] + 1 if tokens[start].map else None
    warn_table_without_header(ctx, line)


def warn_table_without_header(ctx: ChapterContext, line: int | None) -> None:
    ctx.book.accessibility_gaps.add("table-without-header")
    ctx.book.diagnostics.warning(
        ctx.path, line, "table has no header row, so a screen reader cannot say which column a cell is in: "
                        "write the column names in its first row (| Year | Event |), or <th> in raw HTML",
        code="table-without-header")


def _link_text(children: list[Token], position: int) -> str:
    depth, out = 0, []
    for child in children[position:]:
        if child.type == "link_open":
            depth += 1
        elif child.type == "link_close":
            depth -= 1
            if depth == 0:
                break
        elif child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "image":
            out.append(child.content or "\0")  # an image link is as clear as its alt text
        elif child.type == "softbreak":
            out.append(" ")
    return "".join(out).strip()


def _is_url(text: str, href: str) -> bool:
    """The text is an address (the link's own, or written as one): `https://x.example/report`."""
    def bare(value: str) -> str:
        return re.sub(r"^(?:https?://)?(?:www\.)?", "", value.strip().casefold()).rstrip("/")

    return bool(_URL_TEXT.match(text)) or (bare(text) == bare(href) and "." in text and not href.startswith("mailto:"))
