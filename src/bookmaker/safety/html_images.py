"""An <img> of raw HTML: through the book's resource gate, its alt text checked, its size attributes as CSS."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from bookmaker.core.diagnostics import Diagnostic

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

# Given an <img src>, return the src to write (a resource URL) or the (unplaced) error when it is refused.
ImageResolver = Callable[[str, str], "str | Diagnostic"]

_SIZE = re.compile(r"^\s*(\d{1,5}(?:\.\d+)?)\s*(%|px)?\s*$")


def keep_image(element: ET.Element, findings: list[Diagnostic], resolve_image: ImageResolver) -> bool:
    """An image of raw HTML through the book's gate; False when it must go."""
    src = element.get("src")
    if not src:
        findings.append(Diagnostic.error("<img> without src in raw HTML: give it the path of an image file",
                                                code="html-img-without-src"))
        return False
    resolved = resolve_image(src, element.get("alt", ""))
    if isinstance(resolved, Diagnostic):
        findings.append(resolved)
        return False
    element.set("src", resolved)
    _check_alt(element, src, findings)
    _size_as_style(element)
    return True


def _size_as_style(image: ET.Element) -> None:
    """`<img width="120">` is sized as a browser sizes it: WeasyPrint reads no presentational
    attributes, so the PDF printed the image at its pixel size. A style the author wrote comes after."""
    sizes = [f"{name}: {m.group(1)}{m.group(2) or 'px'}" for name in ("width", "height")
             if (m := _SIZE.match(image.get(name, "")))]
    if sizes:
        image.set("style", "; ".join(sizes) + (f"; {image.get('style')}" if image.get("style") else ""))


def _check_alt(image: ET.Element, src: str, findings: list[Diagnostic]) -> None:
    """An <img> without alt is warned of; alt="" written out is an ornament, said on purpose."""
    if image.get("alt") is None:
        findings.append(Diagnostic.warning(
            f"<img src=\"{src[:60]}\"> has no alt text, so a screen reader says nothing of it: write what it "
            f"shows in alt=\"...\", or alt=\"\" for an ornament", code="image-without-alt"))
        image.set("alt", "")
