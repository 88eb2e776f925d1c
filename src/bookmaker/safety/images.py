"""What an image file must be before a book may use it: a supported format, its
content matching its name, and not so many pixels that laying it out exhausts memory."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import PurePosixPath

from bookmaker.core import limits
IMAGE_TYPES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP", ".svg": "SVG"}
SUPPORTED = "use PNG, JPEG, GIF, SVG or WebP"


def check_image(name: str, data: bytes) -> str | None:
    """Why the image `name` with content `data` cannot be used, or None when it can."""
    suffix = PurePosixPath(name).suffix.lower()
    expected = IMAGE_TYPES.get(suffix)
    if expected is None:
        return f"has an unsupported format: {SUPPORTED}"
    if len(data) > limits.MAX_IMAGE_BYTES:
        return f"is larger than {limits.MAX_IMAGE_BYTES // 1_000_000} MB: make it smaller"
    if expected == "SVG":
        return _check_svg(data)
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # open() reads the header only: the pixel count is known before anything is decoded.
            with Image.open(io.BytesIO(data)) as image:
                found, (width, height) = image.format, image.size
                if found == "PNG":
                    image.verify()  # every chunk there with its checksum, no pixel decoded: a cut file is refused
    except Image.DecompressionBombError:
        return f"has more than {limits.MAX_IMAGE_PIXELS // 1_000_000} megapixels: scale it down"
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return f"is not a readable {expected} image (cut short or damaged): open and save it again in an image editor"
    if found == "JPEG" and b"\xff\xd9" not in data[-4096:]:  # no end-of-image marker: the file was cut short
        return "is not a whole JPEG image (cut short): copy it again, or open and save it again in an image editor"
    if found != expected:
        return f"is named {suffix} but holds a {found} image: rename it or convert it"
    if width * height > limits.MAX_IMAGE_PIXELS:
        return (f"has {width} x {height} pixels, more than the limit of "
                f"{limits.MAX_IMAGE_PIXELS // 1_000_000} megapixels: scale it down")
    return None


def _check_svg(data: bytes) -> str | None:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return f"is not a well-formed SVG file ({exc.msg}): open and save it again"
    dtd = root.getroottree().docinfo.internalDTD
    # An ordinary DOCTYPE (Graphviz's, Illustrator's: a public identifier, no internal subset) declares
    # nothing and is accepted; one that declares entities is refused, as they are never expanded.
    if dtd is not None and (any(True for _ in dtd.iterentities()) or any(True for _ in dtd.iterelements())):
        return "declares XML entities in a DOCTYPE, which bookmaker never expands: remove the DOCTYPE"
    if not isinstance(root.tag, str) or etree.QName(root).localname != "svg":
        return "is not an SVG image"
    from bookmaker.safety.svg import svg_problem

    return svg_problem(root)


_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*>", re.IGNORECASE)


def without_doctype(data: bytes) -> bytes:
    """An SVG without its DOCTYPE, which declares nothing (images.py refuses one that does): an
    EPUB may not name an external DTD (EPUBCheck's OPF-073), and no reader needs it."""
    return _DOCTYPE.sub(b"", data, count=1)
