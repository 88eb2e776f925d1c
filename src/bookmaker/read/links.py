"""Links: inside the book (`#id`, `chapter.md#id`) resolved once every id is known, out of the book
kept only to the web or e-mail, raw HTML's `#id` links checked, and links nested in links unlinked."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from markdown_it.token import Token

from bookmaker.model import Chapter
from bookmaker.read.state import BookState, ChapterContext
from bookmaker.safety.sanitize import LINK_SCHEMES
from bookmaker.core.paths import real_path

_NOTE_IDS = re.compile(r"^(note|ref)-\d+(-\d+)?$")


def read_link(ctx: ChapterContext, token: Token, line: int | None) -> None:
    """A link inside the book waits until every id is known; one out of the book is checked now."""
    _as_chapter_link(ctx, token)
    if _internal_link(str(token.attrGet("href") or "")):
        ctx.book.links.append((token, ctx.path, line))
    else:
        _outward_link(ctx, token, line)


_RAW_ID = re.compile(r"""\bid\s*=\s*["']([^"'\s>]+)["']""", re.IGNORECASE)


def note_raw_ids(ctx: ChapterContext, html: str) -> None:
    """The ids raw HTML sets (`<a id="x"></a>`), so `chapter.md#x` links to them before they are claimed."""
    if "id" in html:
        ctx.book.raw_ids.setdefault(ctx.path.resolve(), set()).update(_RAW_ID.findall(html))


def unlink_nested_links(ctx: ChapterContext, children: list[Token], line: int | None) -> None:
    """`[a <https://x.example> b](#t)`: markdown-it makes the autolink a link inside the link."""
    open_links: list[bool] = []  # for each open link: whether it is hidden
    for child in children:
        if child.type == "link_open":
            child.hidden = bool(open_links)
            if child.hidden:
                ctx.warning(line, "a link inside a link is not linked (HTML and the EPUB forbid it): take one out", code="link-nested")
            open_links.append(child.hidden)
        elif child.type == "link_close" and open_links:
            child.hidden = open_links.pop()


def resolve_links(book: BookState, chapters: list[Chapter]) -> None:
    """`02-chapter.md#id` and `#id` become `#id` of the book: one HTML file for the PDF, and the
    EPUB writer sends each `#id` to the chapter file that holds it."""
    for token, path, line in book.links:
        href = str(token.attrGet("href"))
        file_part, _, fragment = href.partition("#")
        wanted = unquote(fragment)
        if file_part:
            ids = book.targets.get(real_path(path.parent / unquote(file_part)))
            if ids is None:
                book.diagnostics.error(
                    path, line, f"link to '{file_part}', which is not a chapter of this book: "
                                f"link to a chapter file such as '{chapters[0].source.name}#heading-id'", code="link-not-a-chapter")
                continue
            # The author's id may be one the reader kept as is (e.g. `{#id}` on a span).
            written = ids.get(wanted)
            if written is None:
                written = wanted if wanted in book.ids else None
            if written is None and wanted in book.raw_ids.get((path.parent / unquote(file_part)).resolve(), ()):
                written = wanted  # a raw `<a id>` of that chapter, claimed as it is rendered
        else:
            written = book.targets.get(real_path(path), {}).get(wanted) or (wanted if wanted in book.ids else None)
            if written is None and any(wanted in ids for ids in book.raw_ids.values()):
                written = wanted
            written = written or book.aliases.get(wanted)
        if written is None:
            book.diagnostics.warning(
                path, line, f"link target '{href}' is not a heading or id in the book, so the text is not "
                            f"linked: check the id (a heading's id is its text in lower case, words joined by '-')", code="link-target-unknown")
            del token.attrs["href"]  # a dangling link is an error in an EPUB
            continue
        token.attrSet("href", "#" + written)


def check_raw_links(book: BookState) -> None:
    """Raw HTML's `href="#id"`, once every id of the book is known (raw HTML's own ids are claimed
    as it is rendered); the EPUB writer leaves out such a link, which would be an error there."""
    for target, path, line in book.raw_links:
        if target not in book.ids and not _NOTE_IDS.match(target):
            book.diagnostics.warning(path, line, f"link target '#{target}' in raw HTML is not a heading or id "
                                                 "in the book: check the id", code="link-target-unknown")


def _outward_link(ctx: ChapterContext, token: Token, line: int | None) -> None:
    """A link out of the book goes to the web or an e-mail address; any other is left out with a word."""
    href = str(token.attrGet("href") or "")
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:  # `http://[x`
        scheme = "not a valid address"
    if scheme in LINK_SCHEMES:
        return
    if scheme:
        why = f"books link only to {', '.join(LINK_SCHEMES)} addresses and to chapters"
    else:
        why = "it is not a chapter of the book (.md) nor a web address: write https://... for a web page"
    ctx.warning(line, f"link to '{href[:60]}' is left out: {why}", code="link-refused")
    del token.attrs["href"]


_PAGE = re.compile(r"^(?P<path>[^:?#]+)\.html?(?P<fragment>#.*)?$", re.IGNORECASE)
_INDEX_PAGES = ("README.md", "index.md", "index.qmd")  # mdBook publishes README.md as index.html


def _as_chapter_link(ctx: ChapterContext, token: Token) -> None:
    """`ch04-01-ownership.html#id`, the page mdBook or Quarto builds from `ch04-01-ownership.md`, is that
    chapter when the book has it: a link written against the published site lands in the book."""
    href = str(token.attrGet("href") or "")
    page = _PAGE.match(href)
    if page is None:
        return
    base = ctx.path.parent / unquote(page.group("path"))
    names = [base.name + ext for ext in (".md", ".qmd")]
    if base.name == "index":
        names += list(_INDEX_PAGES)
    chapters = {p.resolve() for p in ctx.book.sources.chapters}
    for name in names:
        if (base.parent / name).resolve() in chapters:
            relative = (base.parent / name).relative_to(ctx.path.parent).as_posix()
            token.attrSet("href", relative + (page.group("fragment") or ""))
            return


def _internal_link(href: str) -> bool:
    """`#id`, `chapter.md` or `chapter.md#id`: a link inside the book."""
    try:
        parts = urlsplit(href)
    except ValueError:  # `http://[x`: not one of the book's links; _outward_link says what is wrong
        return False
    if parts.scheme or parts.netloc:
        return False
    return href.startswith("#") or parts.path.lower().endswith((".md", ".markdown", ".qmd"))
