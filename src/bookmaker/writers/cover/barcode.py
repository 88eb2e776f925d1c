"""The EAN-13 barcode of a book's ISBN (with the EAN-5 price add-on), for the back of the paperback cover.

Drawn by treepoem, which runs Barcode Writer in Pure PostScript (BWIPP) in
Ghostscript: a well-kept encoder that knows the `isbn` symbology, its check digit
and the add-on, so none of that is written here. The data reaches PostScript
hex-encoded by treepoem, and only digits pass `isbn_of`/`price_addon` anyway.
"""

from __future__ import annotations

import io
import re

# 1 module is 1 pt at scale 1 in BWIPP; scale 10 renders at 720 dpi, finer than any press needs.
SCALE = 10
RENDER_DPI = 72 * SCALE


def isbn_of(identifier: str | None) -> str | None:
    """The 13 digits of the ISBN in a front matter `identifier` (`urn:isbn:...`, or a bare ISBN), or None.

    An ISBN-10 becomes its ISBN-13 (978 and a new check digit); a wrong check digit is no ISBN.
    """
    if not identifier:
        return None
    text = identifier.strip()
    text = re.sub(r"^(urn:isbn:|isbn:?\s*)", "", text, flags=re.IGNORECASE)
    digits = re.sub(r"[\s-]", "", text).upper()
    if re.fullmatch(r"\d{9}[\dX]", digits):
        if _isbn10_check(digits[:9]) != digits[9]:
            return None
        core = "978" + digits[:9]
        return core + _ean_check(core)
    if re.fullmatch(r"97[89]\d{10}", digits) and _ean_check(digits[:12]) == digits[12]:
        return digits
    return None


def bad_isbn(identifier: str | None) -> bool:
    """An identifier that says it is an ISBN but is not a valid one (a typo in a digit)."""
    return bool(identifier) and identifier.strip().lower().startswith("urn:isbn:") and isbn_of(identifier) is None


def price_addon(price: str | None) -> str | None:
    """The EAN-5 add-on of a `[cover] price` such as `51995` (US$19.95) or `90000` (no price), or None."""
    if price is None:
        return None
    price = price.strip()
    return price if re.fullmatch(r"\d{5}", price) else None


def _ean_check(twelve: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve))
    return str((10 - total % 10) % 10)


def _isbn10_check(nine: str) -> str:
    value = (11 - sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11) % 11
    return "X" if value == 10 else str(value)


def barcode_png(isbn: str, addon: str | None = None) -> bytes:
    """A 1-bit PNG of the ISBN's EAN-13 (and add-on), with the human-readable digits, at RENDER_DPI."""
    import treepoem

    data = f"{isbn} {addon}" if addon else isbn
    # ean13 rather than isbn: BWIPP's isbn wants the registration group's hyphens, which only the
    # ISBN agency's ranges tell; the cover prints the ISBN as the front matter writes it above the bars.
    options = {"includetext": True, "guardwhitespace": True, "height": "0.75"}  # bars 0.75 in: 2 x 1.2 in area
    image = treepoem.generate_barcode("ean13", data, options, scale=SCALE)
    out = io.BytesIO()
    image.convert("1").save(out, "PNG", dpi=(RENDER_DPI, RENDER_DPI))
    return out.getvalue()
