"""`check --store`: which of the ebook stores' rules the book's EPUB meets, read from the EPUB itself.

The EPUB is built into a temporary folder (`check` writes nothing in the book) and
each rule is read back from the file: the cover's size and shape, every image's
colour and size, the EPUB version, a page list. Rules and their pages:

- Apple Books: cover at least 1,400 px wide; no image over 4,000,000 pixels
  (https://itunespartner.apple.com/books/support/9-prepare-book); EPUB 3 that passes EPUBCheck.
- Kobo: "All images should use the RGB color model, and not CMYK"
  (https://github.com/kobolabs/epub-spec#image-formatting).
- KDP: an ebook cover of 1.6:1 (its cover guideline); Kobo suggests 3:4 but shows any shape.
- European Accessibility Act: a page list when print and EPUB come from one source (EPUB Accessibility 1.1).
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bookmaker.writers.epub.store import MAX_PIXELS, MIN_COVER_WIDTH, image_header


@dataclass(frozen=True)
class StoreRule:
    stores: str
    rule: str
    met: bool
    found: str
    required: bool = True  # False: a SHOULD (the page list), reported but not failing the check


def store_rules(epub: Path) -> list[StoreRule]:
    """Each store rule, met or not, with what the EPUB holds."""
    with zipfile.ZipFile(epub) as archive:
        names = archive.namelist()
        opf_name = next(n for n in names if n.endswith(".opf"))
        opf = archive.read(opf_name).decode("utf-8", "replace")
        base = opf_name.rsplit("/", 1)[0] + "/" if "/" in opf_name else ""
        cover = re.search(r'<item\b[^>]*properties="[^"]*cover-image[^"]*"[^>]*>', opf)
        cover_href = re.search(r'href="([^"]+)"', cover.group(0)).group(1) if cover else None
        images = {n: image_header(archive.read(n)) for n in names if n.lower().endswith((".png", ".jpg", ".jpeg"))}
        navs = [archive.read(n).decode("utf-8", "replace") for n in names if n.endswith((".xhtml", ".html"))
                and b"epub:type=\"page-list\"" in archive.read(n)]
    rules: list[StoreRule] = []
    header = images.get(base + cover_href) if cover_href else None
    if header is None:
        rules.append(StoreRule("every store", "a cover image", False, "none found"))
    else:
        width, height = header[0], header[1]
        size = f"{width} x {height} px"
        rules += [
            StoreRule("Apple Books", f"cover at least {MIN_COVER_WIDTH} px wide", width >= MIN_COVER_WIDTH, size),
            StoreRule("Apple Books", "cover at most 4,000,000 pixels", width * height <= MAX_PIXELS,
                      f"{width * height:,} pixels"),
            StoreRule("KDP", "cover 1.6:1", abs(height / width - 1.6) < 0.02, f"{height / width:.2f}:1"),
        ]
    not_rgb = sorted(n for n, h in images.items() if h is not None and (h[2] == 4 or h[3] > 8))
    too_big = sorted(n for n, h in images.items() if h is not None and h[0] * h[1] > MAX_PIXELS)
    rules += [
        StoreRule("Kobo, Apple Books", "images in 8-bit RGB or grey", not not_rgb,
                  ", ".join(not_rgb) or f"{len(images)} images"),
        StoreRule("Apple Books", "no image over 4,000,000 pixels", not too_big, ", ".join(too_big) or "none"),
        StoreRule("every store", "EPUB 3", 'version="3.0"' in opf, "EPUB 3" if 'version="3.0"' in opf else "not 3"),
        StoreRule("European Accessibility Act", "a page list (should)", bool(navs), "present" if navs else "none",
                  required=False),
    ]
    return rules


def build_elsewhere(path: Path, request, fmt: str, overrides: dict | None = None):
    """Build `fmt` into a temporary folder (nothing is written in the book); yield the file and the diagnostics."""
    from contextlib import contextmanager
    from dataclasses import replace

    from bookmaker.build.pipeline import Builder
    from bookmaker.core.diagnostics import BookError

    @contextmanager
    def built():
        with tempfile.TemporaryDirectory(prefix="bookmaker-check-") as folder:
            builder = Builder(path)
            try:
                result = builder.build(replace(request, formats=(fmt,), output_dir=Path(folder), force=True,
                                               overrides=overrides or request.overrides))
            except BookError as exc:
                raise BookError(_placed_in_book(exc.diagnostics, folder, builder.root)) from None
            yield next(Path(folder).glob(f"*.{fmt}")), _placed_in_book(result.diagnostics, folder, builder.root)

    return built()


def _placed_in_book(diagnostics, folder: str, root: Path):
    """What was said of the file in the temporary folder, said of the book (its bookmaker.toml)."""
    from dataclasses import replace

    from bookmaker.core.diagnostics import Diagnostics

    placed = Diagnostics()
    for d in diagnostics:
        placed.add(replace(d, path=str(root / "bookmaker.toml")) if d.path.startswith(folder) else d)
    return placed


def check_store(path: Path, request):
    """The store rules read from the book's EPUB (built elsewhere), and the build's diagnostics."""
    with build_elsewhere(path, request, "epub") as (epub, diagnostics):
        return store_rules(epub), diagnostics
