"""The book's images: every image, from Markdown or raw HTML, passes one gate (where it is, whether
the book may load it, whether it is a usable image) and is then known to the book by one name."""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it.token import Token

from bookmaker.core import limits
from bookmaker.core.diagnostics import Diagnostic, Diagnostics
from bookmaker.model import Image
from bookmaker.read.state import BookState, ChapterContext
from bookmaker.render.prose import XhtmlRenderer
from bookmaker.safety.images import check_image
from bookmaker.safety.policy import Local, Refused, Remote, ResourcePolicy

# The formats a cover may have: those every e-reader shows.
COVER_TYPES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}

# The schemes markdown-it's validateLink refuses, leaving the image as text.
_REFUSED_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?((?:file|data|javascript|vbscript):[^\s)>]*)", re.IGNORECASE)


def read_image(ctx: ChapterContext, token: Token, line: int | None) -> None:
    """A Markdown image: its src becomes the book's name for it, or empty (with the error) when refused."""
    resolved = resource_url(ctx.book, str(token.attrGet("src") or ""), token.content, ctx.path)
    if isinstance(resolved, Diagnostic):
        ctx.diagnostics.add(resolved.at(ctx.path, line))
        token.attrSet("src", "")
    else:
        token.attrSet("src", resolved)


# pandoc's and Quarto's image sizes, `{width=50%}`, `{width=320px height=2in}`: a number alone is pixels.
_SIZE = re.compile(r"^(\d{1,5}(?:\.\d{1,4})?)(px|cm|mm|in|pt|pc|em|%)?$")
SIZE_ATTRIBUTES = ("width", "height")


def size_image(ctx: ChapterContext, token: Token, line: int | None) -> None:
    """An image's width and height as a style (WeasyPrint reads no presentational attributes, and an
    EPUB's `width` holds pixels only); a size no length, dropped with a warning, never printed as text."""
    sizes = []
    for name in SIZE_ATTRIBUTES:
        value = token.attrGet(name)
        if value is None:
            continue
        token.attrs.pop(name, None)
        found = _SIZE.match(str(value).strip())
        if found:
            sizes.append(f"{name}: {found.group(1)}{found.group(2) or 'px'}")
        else:
            ctx.diagnostics.warning(ctx.path, line, f"image {name} '{str(value)[:40]}' is no size and is left out: "
                                    "write a number with px, cm, mm, in, pt, em or %, as {width=50%}",
                                    code="image-size-invalid")
    if sizes:
        token.attrSet("style", "; ".join(sizes))


def drop_sizes(token: Token) -> None:
    """width and height on anything but an image (a span, a link) are not HTML there: left out, as pandoc
    leaves them out of formats without such attributes."""
    for name in SIZE_ATTRIBUTES:
        token.attrs.pop(name, None)


def refused_images_in_text(ctx: ChapterContext, text: Token, line: int | None) -> None:
    """markdown-it leaves an image whose URL it distrusts (file:, data:...) as text: say why it is not shown."""
    for match in _REFUSED_IMAGE.finditer(text.content):
        refused = resource_url(ctx.book, match.group(1), "", ctx.path)
        if isinstance(refused, Diagnostic):
            ctx.diagnostics.add(refused.at(ctx.path, line))


def _resolved(book: BookState, src: str, path: Path) -> Local | Remote:
    """Where `src`, written in `path`, points: relative to that file; in a pandoc project, which pandoc
    runs from the project's folder, relative to that folder when the file has no such neighbour."""
    try:
        return book.policy.resolve(src, path)
    except Refused as refused:
        project = book.sources.config.project
        if project is None or project.kind != "pandoc" or not str(refused).startswith("does not exist"):
            raise
        try:
            return book.policy.resolve(src, book.root / project.path.name)
        except Refused:
            raise refused from None


def resource_url(book: BookState, src: str, alt: str, path: Path) -> str | Diagnostic:
    """The one gate every image passes, from Markdown or raw HTML: where it is, whether the book
    may load it (policy.py) and whether it is a usable image (images.py)."""
    if src.startswith(XhtmlRenderer.resource_url("")):
        return src  # already checked: a box's image is rendered twice
    try:
        where = _resolved(book, src, path)
        key = where.book_relative(book.root) if isinstance(where, Local) else where.local_name()
        if key in book.images:
            return XhtmlRenderer.resource_url(key)
        if isinstance(where, Local) and not where.path.is_relative_to(book.root):
            raise Refused("is outside the book folder: move it inside the book", code="image-outside-book")
        data = book.policy.read(where, limits.MAX_IMAGE_BYTES)
        problem = check_image(key, data)
        if problem:
            raise Refused(problem, code="image-invalid")
    except Refused as refused:
        hint = f" (relative to {path.name})" if str(refused).startswith("does not exist") else ""
        return Diagnostic.error(f"image '{src}' {refused}{hint}", code=refused.diagnostic.code or "image-invalid")
    book.images[key] = Image(src=key, alt=alt, data=None if isinstance(where, Local) else data)
    return XhtmlRenderer.resource_url(key)


def resolve_cover(src: str, path: Path, line: int | None, root: Path, policy: ResourcePolicy,
                  diagnostics: Diagnostics) -> str | None:
    """The `cover` named at `line` of `path`, as a path relative to the book folder `root`; None when refused.

    The rules of every resource first (policy.py: no link out, no file: URL...), then a
    cover's own: a file of the book (not the theme's) in a format every e-reader shows,
    and the image its name says, within the limits of every image.
    """
    try:
        where = policy.resolve(src, path)
        if not isinstance(where, Local) or not where.path.is_relative_to(root):
            raise Refused("is not a file inside the book: copy it into the book", code="cover-outside-book")
        if where.path.suffix.lower() not in COVER_TYPES:
            raise Refused("has an unsupported format: use a PNG or JPEG image, which every e-reader shows", code="cover-format")
        cover = where.book_relative(root)
        problem = check_image(cover, policy.read_local(where.path, limits.MAX_IMAGE_BYTES))
        if problem:
            raise Refused(problem, code="cover-invalid")
    except Refused as refused:
        diagnostics.add(refused.about(f"cover '{src}'").at(path, line))
        return None
    return cover
