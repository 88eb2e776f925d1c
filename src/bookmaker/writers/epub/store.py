"""The EPUB's images as ebook stores take them: 8-bit RGB (or grey), the cover within every store's size limits.

A print workflow leaves CMYK JPEGs and 16-bit PNGs in a book folder; e-readers show
CMYK badly or not at all (Kobo wants RGB; Apple refuses CMYK), and 16-bit PNGs are
twice the bytes for nothing a screen shows. Each is converted here with Pillow's
ImageCms (littleCMS): through the image's own ICC profile when it has one, to sRGB.
An image already fit for a screen is kept byte for byte.
"""

from __future__ import annotations

import io

# Apple Books: a cover at least 1,400 px wide, images of at most 4,000,000 pixels
# (https://itunespartner.apple.com/books/support/9-prepare-book); 1.6:1 is what KDP and Kobo show best.
MAX_PIXELS = 4_000_000
MIN_COVER_WIDTH = 1400
SCREEN_MODES = {"RGB", "RGBA", "L", "LA", "P", "1"}


def screen_image(name: str, data: bytes) -> bytes:
    """`data` as an 8-bit RGB (or grey) image in its own format; unchanged when it already is one.

    Its header says so without decoding it (a plain book's EPUB does not load Pillow).
    """
    header = image_header(data)
    if header is None:
        return data  # SVG, GIF, WebP, fonts, or not an image: nothing to convert
    width, height, channels, bits = header
    if channels != 4 and bits <= 8 and width * height <= MAX_PIXELS:
        return data
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return _converted(image, name)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return data  # the reader has judged the image (safety/images.py); it is not ours to refuse here


def image_header(data: bytes) -> tuple[int, int, int, int] | None:
    """Width, height, channels (4: CMYK for a JPEG, RGBA for a PNG) and bits a sample of a PNG or JPEG."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 26:
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 3}.get(data[25], 3)  # alpha is no ink: RGBA counts as 3
        return width, height, channels, data[24]
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker, length = data[at + 1], int.from_bytes(data[at + 2:at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            bits, height = data[at + 4], int.from_bytes(data[at + 5:at + 7], "big")
            return int.from_bytes(data[at + 7:at + 9], "big"), height, data[at + 9], bits
        at += 2 + length
    return None


def _converted(image, name: str) -> bytes:
    from PIL import Image, ImageCms

    profile = image.info.get("icc_profile")
    if image.mode == "CMYK" and profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            image = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            image = image.convert("RGB")
    elif image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 257).convert("L")  # 16-bit grey: 0-65535 to 0-255
    elif image.mode not in SCREEN_MODES:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    else:
        image = image.copy()
    if image.width * image.height > MAX_PIXELS:
        scale = (MAX_PIXELS / (image.width * image.height)) ** 0.5
        image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if name.lower().endswith(".png"):
        image.save(out, "PNG", optimize=False)
    else:
        image.convert("RGB").save(out, "JPEG", quality=92)
    return out.getvalue()


def store_cover(book, name: str, data: bytes, diagnostics) -> bytes:
    """The cover as the stores take it; a book's own cover under 1,400 px wide is warned of."""

    header = image_header(data)
    if book.metadata.cover and header is not None and header[0] < MIN_COVER_WIDTH:
        diagnostics.warning(book.root / book.metadata.cover, None,
            f"the cover is {header[0]} px wide; Apple Books asks for at least {MIN_COVER_WIDTH}: use a larger "
            "image (1575 x 2520 px fits every store)", code="epub-cover-too-small")
    return screen_image(name, data)
