"""Preflight: a laid-out print PDF checked against a printing service's rules (config/printers.py).

Each check reads the file itself (pikepdf for its objects and content streams,
poppler's `pdftotext -bbox` for where the words are), the way the service's own
upload check would, and says what it found as a `Finding` with a stable code.
The build turns findings into diagnostics (an image's at the Markdown line that
placed it); the tests call these functions on the files bookmaker writes.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bookmaker.config.printers import GOOD_PPI, LEAST_PPI, Printer, trim_name
from bookmaker.config.settings import PrintOptions
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.model import Book

PT_PER_IN = 72.0


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    code: str
    message: str
    image: tuple[int, int] | None = None  # the pixel size of the image it is about, to find its Markdown line


@dataclass(frozen=True)
class PlacedImage:
    page: int
    width_px: int
    height_px: int
    ppi: float  # the lower of its horizontal and vertical resolution where it is placed


def preflight(path: Path, printer: Printer, bleed: float) -> list[Finding]:
    """What in the print file at `path` the service would refuse (errors) or print poorly (warnings)."""
    import pikepdf

    findings: list[Finding] = []
    with pikepdf.open(path) as pdf:
        findings += _page_count(len(pdf.pages), printer)
        findings += _page_sizes(pdf, printer, bleed)
        if any("/Annots" in page.obj for page in pdf.pages) or "/Outlines" in pdf.Root:
            findings.append(Finding("error", "print-interactive", f"the print file has links or an outline; "
                                    f"{printer.label} wants none (nothing is clickable on paper)"))
        for font in unembedded_fonts(pdf):
            findings.append(Finding("error", "print-font-not-embedded",
                                    f"the font {font} is not embedded; {printer.label} prints only embedded fonts"))
        findings += _image_resolution(placed_images(pdf))
    findings += _margins(path, printer, bleed)
    return findings


def _page_count(pages: int, printer: Printer) -> list[Finding]:
    if pages < printer.min_pages:
        return [Finding("error", "print-page-count", f"the book has {pages} pages; {printer.label} prints at "
                        f"least {printer.min_pages}: add pages, or choose another service")]
    if printer.max_pages is not None and pages > printer.max_pages:
        return [Finding("error", "print-page-count", f"the book has {pages} pages; {printer.label} prints at "
                        f"most {printer.max_pages}: use a larger trim size or split the book")]
    return []


def _page_sizes(pdf, printer: Printer, bleed: float) -> list[Finding]:
    """Every page's trim at one of the service's sizes, with bleed on the edges the service wants."""
    for number, page in enumerate(pdf.pages, start=1):
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        sides = 2 if printer.bleed_inside else 1
        width, height = (x1 - x0) / PT_PER_IN - sides * bleed, (y1 - y0) / PT_PER_IN - 2 * bleed
        if not printer.prints_trim(width, height):
            nearest = trim_name(printer.nearest_trim(width, height))
            return [Finding("error", "print-trim-size", f"page {number} is {width:.3g}x{height:.3g}in without "
                            f"bleed; {printer.label} does not print that size: the nearest it prints is {nearest}")]
    return []


def unembedded_fonts(pdf) -> list[str]:
    """Names of the fonts the pages use without a font file (Type 3 fonts are drawn, so they count as embedded)."""
    missing: set[str] = set()
    for page in pdf.pages:
        for font in _fonts(page.obj.get("/Resources")):
            if font.get("/Subtype") == "/Type3":
                continue
            descendant = font.get("/DescendantFonts")
            face = descendant[0] if descendant is not None else font
            descriptor = face.get("/FontDescriptor")
            if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.add(str(font.get("/BaseFont", "(unnamed)")).lstrip("/"))
    return sorted(missing)


def _fonts(resources, seen: set | None = None):
    """Every font dictionary reachable from `resources`, in forms too."""
    seen = set() if seen is None else seen
    if resources is None:
        return
    fonts = resources.get("/Font")
    if fonts is not None:
        for _, font in fonts.items():
            yield font
    xobjects = resources.get("/XObject")
    if xobjects is not None:
        for _, xobject in xobjects.items():
            key = xobject.objgen
            if xobject.get("/Subtype") == "/Form" and key not in seen:
                seen.add(key)
                yield from _fonts(xobject.get("/Resources"), seen)


def placed_images(pdf) -> list[PlacedImage]:
    """Each image drawn on a page, with its resolution at the size it is drawn (the CTM at its `Do`)."""
    found: list[PlacedImage] = []
    for number, page in enumerate(pdf.pages, start=1):
        _images_in(page.obj, page.obj.get("/Resources"), (1, 0, 0, 1, 0, 0), number, found, 0)
    return found


def _images_in(holder, resources, base, number: int, found: list[PlacedImage], depth: int) -> None:
    import pikepdf

    if resources is None or depth > 8:
        return
    xobjects = resources.get("/XObject")
    stack, ctm = [], base
    for operands, operator in pikepdf.parse_content_stream(holder):
        op = str(operator)
        if op == "q":
            stack.append(ctm)
        elif op == "Q" and stack:
            ctm = stack.pop()
        elif op == "cm":
            ctm = _multiply(tuple(float(v) for v in operands), ctm)
        elif op == "Do" and xobjects is not None:
            xobject = xobjects.get(str(operands[0]))
            if xobject is None:
                continue
            if xobject.get("/Subtype") == "/Image":
                width, height = int(xobject.get("/Width", 0)), int(xobject.get("/Height", 0))
                placed_w = math.hypot(ctm[0], ctm[1]) / PT_PER_IN
                placed_h = math.hypot(ctm[2], ctm[3]) / PT_PER_IN
                if placed_w > 0 and placed_h > 0 and width and height:
                    found.append(PlacedImage(number, width, height, min(width / placed_w, height / placed_h)))
            elif xobject.get("/Subtype") == "/Form":
                matrix = tuple(float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0]))
                _images_in(xobject, xobject.get("/Resources"), _multiply(matrix, ctm), number, found, depth + 1)


def _multiply(m, n):
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _image_resolution(images: list[PlacedImage]) -> list[Finding]:
    findings, said = [], set()
    for image in images:
        ppi = round(image.ppi)
        if ppi >= GOOD_PPI or (image.width_px, image.height_px, ppi) in said:
            continue
        said.add((image.width_px, image.height_px, ppi))
        size = f"{image.width_px}x{image.height_px} px"
        if ppi < LEAST_PPI:
            findings.append(Finding("error", "print-image-resolution-low", f"the image ({size}) on page {image.page} "
                                    f"prints at {ppi} ppi, under {LEAST_PPI}: it will print blurred; use a larger "
                                    f"image or place it smaller", (image.width_px, image.height_px)))
        else:
            findings.append(Finding("warning", "print-image-resolution", f"the image ({size}) on page {image.page} "
                                    f"prints at {ppi} ppi; printers ask for {GOOD_PPI}: use a larger image or "
                                    f"place it smaller", (image.width_px, image.height_px)))
    return findings


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')


def word_boxes(path: Path) -> list[tuple[float, float, list[tuple[float, float, float, float, str]]]]:
    """Each page's size and its words' boxes (points, from the top left), read by poppler's pdftotext."""
    tool = shutil.which("pdftotext")
    if tool is None:
        return []
    done = subprocess.run([tool, "-bbox", str(path), "-"], capture_output=True, timeout=300, check=False)
    pages: list = []
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        page = _PAGE.search(line)
        if page:
            pages.append((float(page.group(1)), float(page.group(2)), []))
            continue
        word = _WORD.search(line)
        if word and pages:
            pages[-1][2].append((*(float(word.group(i)) for i in range(1, 5)), word.group(5)))
    return pages


def _margins(path: Path, printer: Printer, bleed: float) -> list[Finding]:
    """Words inside the safe area, and an inside margin as wide as the page count asks."""
    pages = word_boxes(path)
    if not pages:
        return []
    findings: list[Finding] = []
    closest: tuple[float, int, str] | None = None
    narrowest_inside: tuple[float, int] | None = None
    b = bleed * PT_PER_IN
    for number, (width, height, words) in enumerate(pages, start=1):
        recto = number % 2 == 1
        # The trim, in pdftotext's coordinates: the bleed is on the top, bottom and the edges that have it.
        left = b if (printer.bleed_inside or not recto) else 0.0
        right = b if (printer.bleed_inside or recto) else 0.0
        trim = (left, b, width - right, height - b)
        for x0, y0, x1, y1, text in words:
            edge = min(x0 - trim[0], y0 - trim[1], trim[2] - x1, trim[3] - y1)
            if closest is None or edge < closest[0]:
                closest = (edge, number, text)
            inside = (x0 - trim[0]) if recto else (trim[2] - x1)
            if narrowest_inside is None or inside < narrowest_inside[0]:
                narrowest_inside = (inside, number)
    if closest is not None and closest[0] / PT_PER_IN < printer.safe - 0.005:
        findings.append(Finding("error", "print-safe-area", f"'{closest[2]}' on page {closest[1]} is "
                                f"{closest[0] / PT_PER_IN:.3f} in from the trim; {printer.label} wants text at least "
                                f"{printer.safe:g} in inside it: widen the page margins"))
    wanted = printer.inner_margin(len(pages))
    if narrowest_inside is not None and wanted and narrowest_inside[0] / PT_PER_IN < wanted - 0.005:
        findings.append(Finding("error", "print-inner-margin", f"the inside margin on page {narrowest_inside[1]} is "
                                f"{narrowest_inside[0] / PT_PER_IN:.3f} in; {printer.label} wants {wanted:g} in for "
                                f"{len(pages)} pages: widen the inner margin"))
    return findings


def preflight_diagnostics(target: Path, options: PrintOptions, book: Book, diagnostics: Diagnostics,
                  shown_as: Path | None = None) -> None:
    """The service's checks of the finished file, as diagnostics: an image's at the Markdown line that placed it."""
    from bookmaker.writers.pdf.print_file import finish_of, printer_of

    printer = printer_of(options)
    if printer is None:
        return
    for finding in preflight(target, printer, finish_of(options, "").bleed):
        path, line = _source_of(book, finding.image) if finding.image else (shown_as or target, None)
        source = printer.sources.get(_rule(finding.code))
        add = diagnostics.error if finding.severity == "error" else diagnostics.warning
        add(path, line, finding.message + (f" ({source})" if source else ""), code=finding.code)


def _rule(code: str) -> str:
    return {"print-page-count": "pages", "print-trim-size": "trims", "print-interactive": "annotations",
            "print-image-resolution": "images", "print-image-resolution-low": "images",
            "print-safe-area": "safe", "print-inner-margin": "inner_margins"}.get(code, "")


def _source_of(book: Book, size: tuple[int, int]) -> tuple[Path, int | None]:
    """The Markdown file and line that placed an image of this pixel size (the first such image)."""
    from PIL import Image

    for image in book.images:
        try:
            with Image.open(book.root / image.src) as opened:
                if opened.size != size:
                    continue
        except (OSError, ValueError, Image.DecompressionBombError):
            continue
        name = Path(image.src).name
        for chapter in book.chapters:
            try:
                lines = chapter.source.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            for number, text in enumerate(lines, start=1):
                if name in text:
                    return chapter.source, number
    return book.root, None
