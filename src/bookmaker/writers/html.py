"""The single-file HTML book: what the PDF is rendered from, and a preview in a browser."""

from __future__ import annotations

import base64
import mimetypes
import os
from pathlib import Path
from urllib.parse import quote

from bookmaker import __version__
from bookmaker.safety.css_urls import stylesheet_text
from bookmaker.resolve.index import build_index, page_locators
from bookmaker.render.math_svg import math_as_svg
from bookmaker.model import Book, Heading
from bookmaker.core.output import atomic_output
from bookmaker.safety.policy import Refused, policy_for
from bookmaker.render.prose import RESOURCE_PREFIX
from bookmaker.core.reproducible import source_date
from bookmaker.config.settings import PrintOptions  # [pdf] of bookmaker.toml
from bookmaker.safety.templating import render_template
from bookmaker.theme import THEME_DIR, book_stylesheets, environment, theme_stylesheets
from bookmaker.writers.font_stacks import languages_in, scripts_css
from bookmaker.writers.pdf.footnotes import place_footnotes
from bookmaker.writers.pdf.print_file import effective, printer_geometry, safe_area_css
from bookmaker.writers.pdf.page_layout import geometry, page_css
from bookmaker.writers.pdf.terms_css import language_css


def is_article(book: Book, options: PrintOptions) -> bool:
    if options.layout != "auto":
        return options.layout == "article"
    return len(book.chapters) == 1 and not any(h.level == 1 for h in book.headings)


def render_html(
    book: Book, output_dir: Path, options: PrintOptions | None = None, same_page: frozenset[str] = frozenset(),
    index_pages: dict[str, int] | None = None, long_notes: frozenset[str] = frozenset(),
) -> str:
    """The whole book as one HTML document, its resources addressed relative to `output_dir`.

    `same_page`: ids of note references that stand on the page of an earlier reference to the
    same note, found by a first layout; the notes do not print that page again.
    `index_pages` holds the printed page of each index mark's anchor, from a layout of this
    document (writers/pdf.py); without it the index's page numbers are left to `target-counter()`.
    `long_notes` are notes too long to be footnotes (notes = "page"): they are endnotes instead.
    """
    options = effective(options or PrintOptions())
    try:
        theme_css, book_css = _read_stylesheets(book, output_dir)
    except Refused as refused:
        raise refused.as_book_error("stylesheet") from None
    article = is_article(book, options)
    css = _print_css(book, options, theme_css, book_css, article)
    created, modified = _dates(book)
    html = render_template(
        environment(book.templates, policy_for(book)), "document.html",
        book=book,
        meta=book.metadata,
        terms=book.terms, digits=book.digits,
        css=_inline_css("\n".join(css)),
        rtl=book.metadata.rtl,
        version=__version__,
        toc=[] if article else _toc_entries(book),
        article=article,
        notes_by_chapter=options.notes == "chapter",
        notes_at_end=options.notes == "book" or bool(long_notes),
        end_notes=[n for n in book.notes if n.id in long_notes] if options.notes == "page" else book.notes,
        book_note_groups=_note_groups(book) if options.notes != "page" else None,
        same_page=same_page,
        index_groups=build_index(book.index_marks, book.index_ids),
        locators=lambda entry: page_locators(entry, index_pages),
        epub=False,
        created=created,
        modified=modified,
        pagerefs=True,
    )
    if options.notes == "page":
        html = place_footnotes(html, book, skip=long_notes)
    if "<math" in html:  # WeasyPrint cannot lay out MathML: each formula is drawn as SVG (footnotes' too)
        html = math_as_svg(html)
    return _finished(html, book, output_dir)


def _finished(html: str, book: Book, output_dir: Path) -> str:
    """The rendered document with its script rules for the languages it uses, its fetched images inside it
    and its resources addressed from `output_dir`."""
    # The languages are known once the whole document is written (a span's, raw HTML's, a template's).
    html = html.replace(_SCRIPTS_MARK, scripts_css(languages_in(html)))
    for image in book.images:
        if image.data is not None:  # a fetched remote image (--allow-remote) travels inside the document
            mime = mimetypes.guess_type(image.src)[0] or "application/octet-stream"
            data_url = f"data:{mime};base64,{base64.b64encode(image.data).decode()}"
            html = html.replace(f'"{RESOURCE_PREFIX}{image.src}"', f'"{data_url}"')
    root = Path(os.path.relpath(book.root, output_dir)).as_posix()
    return html.replace(RESOURCE_PREFIX, "" if root == "." else root + "/")


def _print_css(book: Book, options: PrintOptions, theme_css: list[str], book_css: list[str], article: bool) -> list[str]:
    """The cascade of the printed book: the theme, the page's geometry and language, then the book's own."""
    layout = printer_geometry(geometry(options.paper or "A4", options.duplex), options, options.pages)
    page_rules = page_css(layout, options.duplex, options.bleed, options.marks, book.metadata.rtl) + safe_area_css(options)
    css = [*theme_css, *language_css(book, page_rules)]
    css.append(f".titlepage {{ padding-top: {layout.text_height * 0.2:.0f}mm; }}")
    css.append(f".imprint {{ padding-top: {layout.text_height * 0.6:.0f}mm; }}")
    if options.duplex:
        css.append(".chapter, .toc, .notes, section.index { break-before: recto; } .chapter .notes { break-before: auto; }")
    if article:
        # The text follows the title on page 1, and that page has no running head.
        css.append(".chapter { break-before: auto; page: auto; } .article-title .title { string-set: booktitle content(); }"
                   " @page :first { @top-left { content: none; } @top-right { content: none; } }")
    if options.pdf_variant and options.pdf_variant.startswith(("pdf/a", "pdf/x")):
        # PDF/A and PDF/X forbid image interpolation, which WeasyPrint asks for unless told otherwise.
        css.append("img { image-rendering: crisp-edges; }")
    if any(h.level == 1 for h in book.headings):
        # Chapters have level-1 titles, so the book's Notes stand beside them in the outline.
        css.append("body > .notes .notes-title { bookmark-level: 1; }")
    css += book_css
    if options.paper:
        css.append(f"@page {{ size: {options.paper}; }}")
    return css


def write_html(book: Book, target: Path, options: PrintOptions | None = None) -> str:
    html = render_html(book, target.parent, options)
    with atomic_output(target) as out:
        out.write(html.encode("utf-8"))
    return html


def _read_stylesheets(book: Book, output_dir: Path) -> tuple[list[str], list[str]]:
    """The theme's print stylesheets and the book's, read under the book's resource rules (policy.py),
    the files they name addressed from `output_dir`, where the document with the cascade stands."""
    policy = policy_for(book)

    def from_output(resource: Path) -> str:
        return quote(Path(os.path.relpath(resource, output_dir.absolute())).as_posix())

    def text(path: Path) -> str:
        return stylesheet_text(path, policy.book_root, policy, from_output)

    # The theme's own scripts.css is written in by _finished with only the rules of the document's languages.
    theme = [_SCRIPTS_MARK if p == _THEME_SCRIPTS else text(p) for p in theme_stylesheets("print", book)]
    return theme, [text(p) for p in book_stylesheets(book, "print")]


_THEME_SCRIPTS = THEME_DIR / "styles" / "scripts.css"  # font_stacks.scripts_css(), as a test keeps it
_SCRIPTS_MARK = "/* bookmaker: scripts.css, for the languages this document uses */"


def _inline_css(css: str) -> str:
    """CSS safe inside <style>: nothing in it can close the element (a book's `/* </style><script>` would).

    `</` becomes `<\\/`, the same CSS (an escaped `/` is a `/`, in strings, comments
    and everywhere else), and no HTML parser sees an end tag in it."""
    return css.replace("</", "<\\/")


def _toc_entries(book: Book) -> list[Heading]:
    """The top two heading levels the book uses (chapters and their sections), then Notes."""
    levels = sorted({h.level for h in book.headings})[:2]
    entries = [h for h in book.headings if h.level in levels]
    if not entries:
        return []
    top = levels[0]
    shown = [Heading(level=h.level - top + 1, id=h.id, text=h.text, html=h.html, chapter=h.chapter) for h in entries]
    return shown


def _note_groups(book: Book) -> list[tuple[str, list]] | None:
    """Endnotes under each chapter's title, when more than one chapter has notes."""
    groups = [(c.title or f"Chapter {c.index + 1}", book.notes_of(c)) for c in book.chapters]
    groups = [(title, notes) for title, notes in groups if notes]
    return groups if len(groups) > 1 else None


def _dates(book: Book) -> tuple[str | None, str | None]:
    """Creation and modification dates: SOURCE_DATE_EPOCH when set (reproducible builds), else the book's date."""
    stamp = source_date()
    if stamp is not None:
        text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        return text, text
    return book.metadata.date, None
