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
    """`data` as an 8-bit RGB (or grey) image in its own format; unchanged when it already is one."""
    from PIL import Image, UnidentifiedImageError

    if not name.lower().endswith((".jpg", ".jpeg", ".png")):
        return data  # SVG, GIF, WebP, fonts: nothing to convert
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.mode in SCREEN_MODES and not _sixteen_bit(data) and image.width * image.height <= MAX_PIXELS:
                return data
            return _converted(image, name)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return data  # the reader has judged the image (safety/images.py); it is not ours to refuse here


def _sixteen_bit(data: bytes) -> bool:
    """A PNG of 16 bits a sample (Pillow reads 16-bit RGB as 8-bit RGB, so its header is read)."""
    return data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 24 and data[24] == 16


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


def cover_problem(data: bytes) -> str | None:
    """Why a cover image is too small for the stores, or None (too large a cover is scaled down)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width = image.width
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    if width < MIN_COVER_WIDTH:
        return (f"the cover is {width} px wide; Apple Books asks for at least {MIN_COVER_WIDTH}: "
                "use a larger image (1575 x 2520 px fits every store)")
    return None
