"""The single-file HTML book: what the PDF is rendered from, and a preview in a browser."""

from __future__ import annotations

import base64
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path

from bookmaker import __version__
from bookmaker.markdown import is_rtl_lang
from bookmaker.model import Book
from bookmaker.output import atomic_output
from bookmaker.policy import Refused
from bookmaker.render import RESOURCE_PREFIX
from bookmaker.theme import environment, stylesheet_texts


@dataclass
class PrintOptions:
    paper: str | None = None  # a CSS page size; None keeps the stylesheets' own


def render_html(book: Book, output_dir: Path, options: PrintOptions | None = None) -> str:
    """The whole book as one HTML document, its resources addressed relative to `output_dir`."""
    options = options or PrintOptions()
    try:
        css = stylesheet_texts(book, "print")
    except Refused as refused:
        raise refused.as_book_error("stylesheet") from None
    if options.paper:
        css.append(f"@page {{ size: {options.paper}; }}")
    html = environment().get_template("document.html").render(
        book=book,
        meta=book.metadata,
        css="\n".join(css),
        rtl=is_rtl_lang(book.metadata.lang),
        version=__version__,
    )
    for image in book.images:
        if image.data is not None:  # a fetched remote image (--allow-remote) travels inside the document
            mime = mimetypes.guess_type(image.src)[0] or "application/octet-stream"
            data_url = f"data:{mime};base64,{base64.b64encode(image.data).decode()}"
            html = html.replace(f'"{RESOURCE_PREFIX}{image.src}"', f'"{data_url}"')
    root = Path(os.path.relpath(book.root, output_dir)).as_posix()
    return html.replace(RESOURCE_PREFIX, "" if root == "." else root + "/")


def write_html(book: Book, target: Path, options: PrintOptions | None = None) -> str:
    html = render_html(book, target.parent, options)
    with atomic_output(target) as out:
        out.write(html.encode("utf-8"))
    return html
