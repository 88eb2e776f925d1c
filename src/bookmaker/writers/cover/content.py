"""What goes on the cover, from the book: the front's image or type, the back's Markdown, the barcode, the spine.

Every piece is the book's, so each is read under the rules of every book file: the
back's Markdown is sanitized as raw HTML in a chapter is, its images and the front
image must be files inside the book, and what would not fit is said at its line.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from bookmaker.config.printers import Printer
from bookmaker.config.settings import CoverConfig
from bookmaker.core import limits
from bookmaker.core.diagnostics import Diagnostic, Diagnostics
from bookmaker.model import Book
from bookmaker.safety.images import check_image
from bookmaker.safety.policy import Local, Refused, policy_for
from bookmaker.writers.cover.barcode import bad_isbn, barcode_png, isbn_of, price_addon
from bookmaker.writers.cover.wrap import (
    SPINE_TEXT_END,
    CoverContent,
    WrapGeometry,
    spine_font_size,
)

MAX_BACK_BYTES = 200_000  # a blurb and a biography; more is not a back cover
Resources = dict[str, tuple[bytes, str]]


def cover_content(book: Book, config: CoverConfig, g: WrapGeometry | None, printer: Printer | None, pages: int,
                  diagnostics: Diagnostics, lines: dict[str, int | None] | None = None,
                  ) -> tuple[CoverContent, Resources]:
    """The cover's content and the images it loads; `g` None: the front alone (the ebook cover).

    `lines`: where bookmaker.toml sets `back` and `identifier`, for the diagnostics.
    """
    lines = lines or {}
    meta = book.metadata
    resources: Resources = {}
    content = CoverContent(title=meta.title, subtitle=meta.subtitle, authors=list(meta.authors),
                           background=config.background, color=config.color, spine_colour=config.spine)
    if meta.cover:
        front = _book_file(book, meta.cover)
        if front is not None:
            resources["front"] = (front.read_bytes(), mimetypes.guess_type(front.name)[0] or "image/png")
            content.front_image = "bm-cover:front"
    if g is None or printer is None:
        return content, resources
    if "front" in resources:
        _front_resolution(book, resources["front"][0], g, diagnostics)
    if config.back:
        content.back_blocks = back_blocks(book, book.root / config.back, resources, diagnostics, lines.get("back"))
    isbn = isbn_of(meta.identifier)
    if bad_isbn(meta.identifier):
        diagnostics.error(book.root / "bookmaker.toml", lines.get("identifier"),
                          f"the identifier '{meta.identifier}' is no valid ISBN (its check digit is wrong): correct "
                          "it, or the barcode would scan as another book", code="cover-bad-isbn")
    elif isbn:
        resources["barcode"] = (barcode_png(isbn, price_addon(config.price)), "image/png")
        content.has_barcode = True
        content.isbn_text = re.sub(r"^(urn:isbn:|isbn:?\s*)", "", meta.identifier.strip(), flags=re.IGNORECASE)
    content.spine_text = spine_text(book, config, g, printer, pages, diagnostics)
    return content, resources


def _front_resolution(book: Book, data: bytes, g: WrapGeometry, diagnostics: Diagnostics) -> None:
    """A warning when the cover image, filling the front and its bleed, prints under 300 ppi."""
    from bookmaker.config.printers import GOOD_PPI
    from bookmaker.writers.epub.store import image_header

    header = image_header(data)
    if header is None:
        return
    ppi = min(header[0] / (g.trim_width + g.bleed), header[1] / (g.trim_height + 2 * g.bleed))
    if ppi < GOOD_PPI - 0.5:
        diagnostics.warning(book.root / book.metadata.cover, None,
                            f"the cover image ({header[0]}x{header[1]} px) prints at {ppi:.0f} ppi on the front; "
                            f"printers ask for {GOOD_PPI}: use an image of at least "
                            f"{(g.trim_width + g.bleed) * GOOD_PPI:.0f}x{(g.trim_height + 2 * g.bleed) * GOOD_PPI:.0f} px",
                            code="cover-image-resolution")


def spine_text(book: Book, config: CoverConfig, g: WrapGeometry, printer: Printer, pages: int,
               diagnostics: Diagnostics) -> str | None:
    """The spine's words, when the service allows text on a spine of this many pages and they fit."""
    text = config.spine_text or " · ".join([book.metadata.title, *book.metadata.authors[:2]])
    if pages < printer.spine_text_pages:
        if config.spine_text:
            diagnostics.warning(book.root / "bookmaker.toml", None,
                f"[cover] spine-text is left off: {printer.label} prints text on a spine from "
                f"{printer.spine_text_pages} pages, and the book has {pages}", code="cover-spine-too-thin")
        return None
    length = _text_length_in(text, spine_font_size(g.spine))
    room = g.trim_height - 2 * SPINE_TEXT_END
    if length > room:
        diagnostics.warning(book.root / "bookmaker.toml", None,
            f"the spine text ({length:.2f} in) is longer than the spine ({room:.2f} in between its margins): "
            "set a shorter [cover] spine-text", code="cover-spine-text-too-long")
        return None
    return text


def _text_length_in(text: str, size_pt: float) -> float:
    """How long `text` is set in the theme's face at `size_pt` (inches), measured with the face itself."""
    from PIL import ImageFont

    from bookmaker.writers.fonts import find_font

    path = find_font("Linux Libertine O")
    font = ImageFont.truetype(str(path), 100) if path else ImageFont.load_default(100)
    return font.getlength(text) / 100 * size_pt / 72


def back_blocks(book: Book, path: Path, resources: Resources, diagnostics: Diagnostics,
                config_line: int | None) -> list[tuple[int, str]]:
    """The back's Markdown, block by block (paragraphs split at blank lines), each with its first line."""
    from markdown_it import MarkdownIt

    from bookmaker.safety.sanitize import sanitize

    policy = policy_for(book)
    try:
        where = policy.check_local(path)
        source = policy.read_local(where, MAX_BACK_BYTES).decode("utf-8", "replace")
    except Refused as refused:
        diagnostics.add(refused.about(f"[cover] back '{path.name}'").at(book.root / "bookmaker.toml", config_line))
        return []
    md = MarkdownIt("commonmark", {"typographer": True}).enable(["replacements", "smartquotes"])
    blocks: list[tuple[int, str]] = []
    for line, chunk in _chunks(source):

        def resolve(src: str, alt: str, line: int = line) -> str | Diagnostic:
            return _back_image(book, path, src, resources)

        cleaned = sanitize(md.render(chunk), resolve)
        for finding in cleaned.findings:
            diagnostics.add(finding.at(path, line))
        blocks.append((line, cleaned.html))
    return blocks


def _chunks(source: str) -> list[tuple[int, str]]:
    chunks: list[tuple[int, str]] = []
    start, lines = None, []
    for number, text in enumerate(source.splitlines() + [""], start=1):
        if text.strip():
            start = number if start is None else start
            lines.append(text)
        elif lines:
            chunks.append((start, "\n".join(lines)))
            start, lines = None, []
    return chunks


def _back_image(book: Book, back: Path, src: str, resources: Resources) -> str | Diagnostic:
    try:
        where = policy_for(book).resolve(src, back)
        if not isinstance(where, Local):
            raise Refused("is not a file inside the book: copy it into the book")
        data = policy_for(book).read_local(where.path, limits.MAX_IMAGE_BYTES)
        problem = check_image(where.path.name, data)
        if problem:
            raise Refused(problem)
    except Refused as refused:
        return Diagnostic.error(f"image '{src}' {refused}")
    name = f"back-{len(resources)}"
    resources[name] = (data, mimetypes.guess_type(where.path.name)[0] or "application/octet-stream")
    return f"bm-cover:{name}"


def _book_file(book: Book, relative: str) -> Path | None:
    try:
        return policy_for(book).check_local(book.root / relative)
    except Refused:
        return None  # the reader has said why (read/assets.py resolve_cover)
