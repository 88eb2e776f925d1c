"""The paperback cover's wrap: back, spine and front on one sheet, sized from the interior's page count.

Geometry (left to right): bleed, back cover (the trim's width), spine (the service's
formula for the page count and paper), front cover, bleed; bleed above and below.
The back holds the blurb (`[cover] back`, Markdown) above the barcode area, which is
kept at the service's size in the lower corner by the spine: the ISBN's EAN-13 when
the front matter gives an ISBN, empty for the service to fill otherwise. The spine
carries the title and authors only from the page count the service allows.

The sheet is laid out by WeasyPrint from HTML that this module writes (every value
from the book is escaped, colours pass settings.py's check) with a fetcher that
serves only the images named here, then finished as a print file (pdfx.py).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from bookmaker.config.printers import Printer

SPINE_MARGIN = 0.0625  # text keeps this far from each fold (KDP's spine margin)
SPINE_TEXT_END = 0.5  # nor closer than this to the top and bottom trim
BARCODE_INSET = 0.25  # the barcode area's distance from the spine fold and the bottom trim
COVER_SAFE = 0.25  # text on the cover keeps this far inside the trim (and from the folds)


@dataclass(frozen=True)
class WrapGeometry:
    trim_width: float
    trim_height: float
    spine: float
    bleed: float

    @property
    def width(self) -> float:
        return 2 * self.bleed + 2 * self.trim_width + self.spine

    @property
    def height(self) -> float:
        return 2 * self.bleed + self.trim_height

    @property
    def spine_left(self) -> float:
        return self.bleed + self.trim_width

    @property
    def front_left(self) -> float:
        return self.spine_left + self.spine


def wrap_geometry(printer: Printer, trim: tuple[float, float], pages: int, stock: str,
                  spine: float | None = None) -> WrapGeometry:
    """The wrap for `pages` pages of `stock` paper (`spine` inches when given: a service without a formula)."""
    width = spine if spine is not None else printer.spine_width(pages, stock)
    return WrapGeometry(trim[0], trim[1], width, printer.bleed)


@dataclass
class CoverContent:
    title: str
    subtitle: str | None
    authors: list[str]
    front_image: str | None = None  # a URL the fetcher serves (bm-cover:front), None: the typographic front
    back_blocks: list[tuple[int, str]] | None = None  # (line in the back file, sanitized XHTML)
    spine_text: str | None = None  # None: no text on the spine
    isbn_text: str | None = None  # as the front matter writes it, above the bars
    has_barcode: bool = False  # bm-cover:barcode is the barcode's PNG
    background: str = "#ffffff"
    color: str = "#1a1a1a"
    spine_colour: str | None = None


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def wrap_html(g: WrapGeometry, content: CoverContent, barcode_area: tuple[float, float]) -> str:
    """The whole sheet as HTML, in inches from its top-left corner (bleed included)."""
    css = [
        f"@page {{ size: {g.width:.4f}in {g.height:.4f}in; margin: 0; }}",
        "html, body { margin: 0; padding: 0; }",
        f"body {{ position: relative; width: {g.width:.4f}in; height: {g.height:.4f}in; overflow: hidden;"
        f" background: {content.background}; color: {content.color};"
        " font-family: 'Linux Libertine O', 'Linux Libertine', serif; }",
        "div { position: absolute; box-sizing: border-box; }",
    ]
    parts = [_back(g, content, barcode_area, css), _spine(g, content, css), _front(g, content, css)]
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'/><style>{' '.join(css)}</style></head>"
            f"<body>{''.join(parts)}</body></html>")


def back_text_box(g: WrapGeometry, barcode_area: tuple[float, float]) -> tuple[float, float, float, float]:
    """Left, top, width and height (inches) that the back's text may fill: above the barcode area."""
    left, top = g.bleed + COVER_SAFE, g.bleed + COVER_SAFE
    bottom = g.bleed + g.trim_height - BARCODE_INSET - barcode_area[1] - 0.2
    return left, top, g.trim_width - 2 * COVER_SAFE, bottom - top


def barcode_box(g: WrapGeometry, barcode_area: tuple[float, float]) -> tuple[float, float, float, float]:
    """The barcode area on the back: in the lower corner by the spine, BARCODE_INSET from the fold and the trim."""
    width, height = barcode_area
    left = g.spine_left - BARCODE_INSET - width
    top = g.bleed + g.trim_height - BARCODE_INSET - height
    return left, top, width, height


def _box(left: float, top: float, width: float, height: float) -> str:
    return f"left: {left:.4f}in; top: {top:.4f}in; width: {width:.4f}in; height: {height:.4f}in;"


def _back(g: WrapGeometry, content: CoverContent, barcode_area: tuple[float, float], css: list[str]) -> str:
    left, top, width, height = back_text_box(g, barcode_area)
    css.append(f"#back-text {{ {_box(left, top, width, height)} font-size: 11pt; line-height: 1.4; }}"
               " #back-text div { position: static; } #back-text img { max-width: 40%; float: right;"
               " margin: 0 0 0.5em 0.8em; } #back-text h1, #back-text h2 { font-size: 1.3em; margin: 0 0 0.5em; }"
               " #back-text p { margin: 0 0 0.6em; }")
    blocks = "".join(f"<div class='block'>{xhtml}</div><div id='back-after-{n}'></div>"
                     for n, (_line, xhtml) in enumerate(content.back_blocks or []))
    b_left, b_top, b_width, b_height = barcode_box(g, barcode_area)
    # The area is white when it holds a barcode (it must read against paper); empty, it is the service's.
    barcode = ""
    if content.has_barcode:
        css.append(f"#barcode {{ {_box(b_left, b_top, b_width, b_height)} background: #fff; color: #000;"
                   " padding: 0.08in; text-align: center; font-size: 8pt; line-height: 1; }"
                   " #barcode img { display: block; margin: 0.03in auto 0; max-width: 100%;"
                   f" max-height: {b_height - 0.3:.3f}in; }}")
        label = f"ISBN {_e(content.isbn_text)}" if content.isbn_text else ""
        barcode = f"<div id='barcode'>{label}<img src='bm-cover:barcode' alt=''/></div>"
    return f"<div id='back-text'>{blocks}</div>{barcode}"


def _spine(g: WrapGeometry, content: CoverContent, css: list[str]) -> str:
    colour = f" background: {content.spine_colour}; color: {_readable_on(content.spine_colour, content.color)};" \
        if content.spine_colour else ""
    css.append(f"#spine {{ {_box(g.spine_left, 0, g.spine, g.height)}{colour} }}")
    if not content.spine_text:
        return "<div id='spine'></div>"
    length = g.trim_height - 2 * SPINE_TEXT_END
    size_pt = spine_font_size(g.spine)
    # Rotated a quarter turn clockwise about its centre: it reads from the top down, as on English books.
    css.append(f"#spine-text {{ left: {(g.spine - length) / 2:.4f}in; top: {(g.height - g.spine) / 2:.4f}in;"
               f" width: {length:.4f}in; height: {g.spine:.4f}in; line-height: {g.spine:.4f}in;"
               f" font-size: {size_pt:.2f}pt; text-align: center; white-space: nowrap; transform: rotate(90deg); }}")
    return f"<div id='spine'><div id='spine-text'>{_e(content.spine_text)}</div></div>"


def _readable_on(background: str, text: str) -> str:
    """The text colour on a spine of `background`: white on a dark #rrggbb, the cover's text colour otherwise."""
    hexa = background.strip().lstrip("#")
    if len(hexa) == 3:
        hexa = "".join(c * 2 for c in hexa)
    if len(hexa) != 6 or any(c not in "0123456789abcdefABCDEF" for c in hexa):
        return text
    r, g, b = (int(hexa[i:i + 2], 16) for i in (0, 2, 4))
    return "#ffffff" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 128 else text


def spine_font_size(spine: float) -> float:
    """Points: half the spine's width less its margins, at most 14 pt."""
    return max(4.0, min(14.0, (spine - 2 * SPINE_MARGIN) * 72 * 0.62))


def _front(g: WrapGeometry, content: CoverContent, css: list[str]) -> str:
    css.append(f"#front {{ {_box(g.front_left, 0, g.trim_width + g.bleed, g.height)} }}"
               " #front img { position: absolute; left: 0; top: 0; width: 100%; height: 100%; object-fit: cover; }")
    if content.front_image:
        return f"<div id='front'><img src='{_e(content.front_image)}' alt=''/></div>"
    return f"<div id='front'>{typographic_front(g.trim_width, g.trim_height, g.bleed, content, css)}</div>"


def typographic_front(width: float, height: float, bleed: float, content: CoverContent, css: list[str]) -> str:
    """Title, subtitle and authors set in the theme's faces, inside the front's safe area."""
    inset = bleed + COVER_SAFE + 0.25
    css.append(f"#front-type {{ left: {COVER_SAFE + 0.25:.4f}in; top: {inset:.4f}in;"
               f" width: {width - 2 * (COVER_SAFE + 0.25):.4f}in; height: {height - 2 * (COVER_SAFE + 0.25):.4f}in;"
               " text-align: center; border: 2pt solid currentColor; padding: 0.5in 0.3in; }"
               f" #front-type h1 {{ font-size: {min(40, width * 6.5):.0f}pt; font-weight: normal;"
               " margin: 1.2in 0 0.3in;"
               " line-height: 1.15; } #front-type .subtitle { font-style: italic; font-size: 16pt; }"
               " #front-type .authors { position: absolute; left: 0; right: 0; bottom: 0.6in;"
               " font-family: 'Linux Biolinum O', sans-serif; font-size: 15pt; }")
    subtitle = f"<p class='subtitle'>{_e(content.subtitle)}</p>" if content.subtitle else ""
    authors = " · ".join(_e(a) for a in content.authors)
    return (f"<div id='front-type'><h1>{_e(content.title)}</h1>{subtitle}"
            f"<p class='authors'>{authors}</p></div>")


def overflowing_block(document, g: WrapGeometry, barcode_area: tuple[float, float], count: int) -> int | None:
    """The first back block that ends below the back's text box (its index), from the layout's anchors.

    Each block is followed by an empty marker; a marker pushed off the sheet has no anchor at all.
    """
    _left, top, _width, height = back_text_box(g, barcode_area)
    bottom_px = (top + height) * 96
    anchors = document.pages[0].anchors if document.pages else {}
    for n in range(count):
        where = anchors.get(f"back-after-{n}")
        if where is None or where[1] > bottom_px + 0.5:
            return n
    return None


def fetcher_for(resources: dict[str, tuple[bytes, str]]):
    """A WeasyPrint URL fetcher that serves only `resources` (bm-cover:NAME -> bytes, MIME type)."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class CoverFetcher(URLFetcher):
        def fetch(self, url: str, headers=None):
            name = url[len("bm-cover:"):] if url.startswith("bm-cover:") else None
            if name not in resources:
                raise FatalURLFetchingError(f"the cover loads nothing but its own images ({url[:60]})")
            data, mime = resources[name]
            return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})

    return CoverFetcher(allowed_protocols=["bm-cover"])


def lay_out(page_html: str, resources: dict[str, tuple[bytes, str]]):
    from bookmaker.writers.pdf.weasy import import_weasyprint

    weasyprint = import_weasyprint()
    return weasyprint.HTML(string=page_html, base_url="bm-cover:", url_fetcher=fetcher_for(resources)).render()


def write_sheet(document, target: Path) -> None:
    document.write_pdf(target)
