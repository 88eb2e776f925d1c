"""The print file: a laid-out PDF made ready for a printer (PDF/X, page boxes, a service's geometry).

WeasyPrint's `pdf/x-4` variant writes the PDF/X XMP but neither an output intent nor
CMYK colour, and it has no `pdf/x-1a`. So the book is laid out as for any PDF (in
parts, in parallel) and this module finishes the file:

1. colour: Ghostscript's pdfwrite converts every colour and image to DeviceCMYK (or
   DeviceGray for `--ink grey`) through littleCMS; for PDF/X-1a it writes PDF 1.3,
   which flattens any transparency;
2. pikepdf then writes what PDF/X asks of the file: the `GTS_PDFX` output intent with
   the CMYK characterization profile embedded, the `GTS_PDFXVersion` keys in the
   document information and the XMP, TrimBox and BleedBox on every page; and what a
   printer asks of a print file: no annotations or outline (nothing clickable on paper),
   an even page count, and (KDP) no bleed on the inside edge.

The profile is Ghostscript's `default_cmyk.icc` ("Artifex CMYK SWOP Profile", the
Debian package libgs-common, which ghostscript depends on; AGPL-3+ like the rest of
Ghostscript). Debian's icc-profiles-free ships only RGB, grey and Lab profiles and
FOGRA's measurement data (no CMYK output profile), and colord-data none: this is the
one CMYK printer profile with a free licence in Debian, and Ghostscript's conversion
uses it too, so the colours the file declares are the ones it was converted for.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
# The characterization the profile was made for: SWOP, CGATS TR 001 in the ICC's registry.
OUTPUT_CONDITION = "CGATS TR 001"
PDFX_VARIANTS = ("pdf/x-1a", "pdf/x-4")
INKS = ("color", "grey")
PT_PER_IN = 72.0
GS_TIMEOUT = 600  # seconds; a long book converts in well under a minute


class PrintFileError(Exception):
    """The print file could not be made (a missing tool or profile): the message says what to install."""


@dataclass(frozen=True)
class PrintFinish:
    variant: str | None = None  # "pdf/x-1a", "pdf/x-4" or None (a plain PDF)
    ink: str = "color"  # "grey": every colour and image in DeviceGray
    bleed: float = 0.0  # inches laid out beyond the trim on every edge
    bleed_inside: bool = True  # False: cut the bleed off the inside (binding) edge, as KDP wants
    even_pages: bool = False  # pad with a blank page to an even count
    for_print: bool = False  # drop annotations and the outline
    title: str = ""


def finish(source: Path, target: Path, how: PrintFinish) -> None:
    """Write `source` (a laid-out PDF) to `target` finished as `how` says."""
    import pikepdf

    with tempfile.TemporaryDirectory(prefix="bookmaker-print-") as work:
        converted = source
        flat = how.variant == "pdf/x-1a"
        if flat:
            converted = Path(work) / "opaque.pdf"
            with pikepdf.open(source) as pdf:
                flatten_soft_masks(pdf)
                pdf.save(converted)
        if how.variant in PDFX_VARIANTS or how.ink == "grey":
            coloured = Path(work) / "converted.pdf"
            convert_colour(converted, coloured, grey=how.ink == "grey", level="1.3" if flat else "1.6")
            converted = coloured
        with pikepdf.open(source) as laid:  # its dates (SOURCE_DATE_EPOCH): Ghostscript writes the time of day
            dates = {k: laid.docinfo[k] for k in ("/CreationDate", "/ModDate") if k in laid.docinfo}
        with pikepdf.open(converted) as pdf:
            for key, value in dates.items():
                pdf.docinfo[key] = value
            if how.for_print:
                _drop_interaction(pdf)
            if how.even_pages and len(pdf.pages) % 2:
                last = pdf.pages[-1]
                pdf.add_blank_page(page_size=(float(last.mediabox[2] - last.mediabox[0]),
                                              float(last.mediabox[3] - last.mediabox[1])))
            _set_boxes(pdf, how.bleed * PT_PER_IN, how.bleed_inside)
            version = "1.3" if how.variant == "pdf/x-1a" else None
            if how.variant in PDFX_VARIANTS:
                _declare_pdfx(pdf, how.variant, how.title)
                version = "1.3" if how.variant == "pdf/x-1a" else "1.6"
            if "/ID" in pdf.trailer:  # Ghostscript's is random; a new one from the content (deterministic_id)
                del pdf.trailer["/ID"]
            kept = Path(work) / "finished.pdf"
            pdf.save(kept, min_version=version or "", force_version=version or "",
                     deterministic_id=True, object_stream_mode=_object_streams(pikepdf, version))
        shutil.move(str(kept), target)


def _object_streams(pikepdf, version: str | None):
    # PDF 1.3 has no object streams; PDF/X-1a:2001 is PDF 1.3.
    return pikepdf.ObjectStreamMode.disable if version == "1.3" else pikepdf.ObjectStreamMode.preserve


def ghostscript() -> str:
    found = shutil.which("gs")
    if found is None:
        raise PrintFileError("Ghostscript (gs) is needed for PDF/X and --ink grey: install the Debian package "
                             "ghostscript (scripts/system-packages.sh book)")
    return found


def cmyk_profile() -> Path:
    if not CMYK_PROFILE.is_file():
        raise PrintFileError(f"the CMYK profile {CMYK_PROFILE} is missing: install the Debian package "
                             "libgs-common (it comes with ghostscript)")
    return CMYK_PROFILE


def flatten_soft_masks(pdf) -> None:
    """Each image with an alpha channel (a soft mask) put on white paper, for PDF/X-1a (no transparency).

    A book's images stand on the white page, so this is how they print; Ghostscript
    would otherwise flatten the whole page into one picture, text included.
    """
    import zlib

    import pikepdf
    from PIL import Image

    for obj in list(pdf.objects):
        if not isinstance(obj, pikepdf.Stream) or obj.get("/Subtype") != "/Image" or "/SMask" not in obj:
            continue
        try:
            picture = pikepdf.PdfImage(obj).as_pil_image()
            alpha = pikepdf.PdfImage(obj.SMask).as_pil_image().convert("L")
        except Exception:  # noqa: BLE001 - an image pikepdf cannot decode keeps its mask; Ghostscript flattens it
            continue
        mode = "CMYK" if picture.mode == "CMYK" else "RGB"
        picture = picture.convert(mode)
        if alpha.size != picture.size:
            alpha = alpha.resize(picture.size)
        paper = Image.new(mode, picture.size, (0, 0, 0, 0) if mode == "CMYK" else (255, 255, 255))
        paper.paste(picture, mask=alpha)
        obj.write(zlib.compress(paper.tobytes()), filter=pikepdf.Name.FlateDecode)
        obj.ColorSpace = pikepdf.Name("/DeviceCMYK" if mode == "CMYK" else "/DeviceRGB")
        obj.BitsPerComponent = 8
        for key in ("/SMask", "/DecodeParms", "/Decode", "/SMaskInData"):
            if key in obj:
                del obj[key]


def convert_colour(source: Path, target: Path, grey: bool, level: str) -> None:
    """Every colour and image of `source` in DeviceCMYK (or DeviceGray), by Ghostscript's pdfwrite.

    At PDF 1.3 (PDF/X-1a) transparency is ignored, not flattened: `flatten_soft_masks`
    has put the images on white, and WeasyPrint's other transparency (opacity) draws opaque.
    """
    strategy = "Gray" if grey else "CMYK"
    opaque = ["-dNOTRANSPARENCY"] if level == "1.3" else []
    # The conversion to CMYK is made for the profile the file declares; grey needs no profile.
    profile = [] if grey else [f"-sOutputICCProfile={cmyk_profile()}"]
    command = [
        ghostscript(), "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dQUIET", "-sDEVICE=pdfwrite",
        f"-dCompatibilityLevel={level}", f"-sColorConversionStrategy={strategy}",
        f"-sProcessColorModel=Device{strategy}", *profile,
        "-dEmbedAllFonts=true", "-dSubsetFonts=true", "-dAutoRotatePages=/None",
        # Images as they were, only their colour converted: no downsampling of a 300 ppi photograph.
        "-dDownsampleColorImages=false", "-dDownsampleGrayImages=false", "-dDownsampleMonoImages=false",
        "-dPreserveAnnots=false", "-dPrinted=true", *opaque,
        f"-sOutputFile={target}", str(source),
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=GS_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise PrintFileError(f"Ghostscript took more than {GS_TIMEOUT} s to convert the colours") from None
    if done.returncode != 0 or not target.is_file():
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise PrintFileError(f"Ghostscript could not convert the colours: {' '.join(said) or done.returncode}")


def _drop_interaction(pdf) -> None:
    """Nothing clickable on paper: no annotations (links), no outline, no open action."""
    from pikepdf import Name

    for page in pdf.pages:
        if Name.Annots in page.obj:
            del page.obj[Name.Annots]
    for key in (Name.Outlines, Name.OpenAction, Name.PageMode, Name.AcroForm):
        if key in pdf.Root:
            del pdf.Root[key]


def _set_boxes(pdf, bleed: float, bleed_inside: bool) -> None:
    """TrimBox and BleedBox on every page; without inside bleed, the inside edge's bleed cut off.

    Page 1 is a right-hand page: its inside edge is on the left.
    """
    from pikepdf import Array

    for number, page in enumerate(pdf.pages, start=1):
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        if bleed and not bleed_inside:
            if number % 2:
                x0 += bleed
            else:
                x1 -= bleed
            page.obj.MediaBox = Array([x0, y0, x1, y1])
            if "/CropBox" in page.obj:
                page.obj.CropBox = Array([x0, y0, x1, y1])
        inside_left = number % 2 == 1
        left = bleed if (bleed_inside or not inside_left) else 0.0
        right = bleed if (bleed_inside or inside_left) else 0.0
        if "/ArtBox" in page.obj:  # WeasyPrint's ArtBox is the whole sheet; PDF/X keeps it inside the trim
            del page.obj["/ArtBox"]
        page.obj.BleedBox = Array([x0, y0, x1, y1])
        page.obj.TrimBox = Array([x0 + left, y0 + bleed, x1 - right, y1 - bleed])


def _declare_pdfx(pdf, variant: str, title: str) -> None:
    """The output intent with its profile, and the PDF/X version in the document information and XMP."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    profile = pikepdf.Stream(pdf, cmyk_profile().read_bytes())
    profile.N = 4
    intent = Dictionary(
        Type=Name.OutputIntent, S=Name.GTS_PDFX, OutputConditionIdentifier=String(OUTPUT_CONDITION),
        OutputCondition=String("Commercial and specialty offset, SWOP"), RegistryName=String("http://www.color.org"),
        Info=String("Artifex CMYK SWOP Profile"), DestOutputProfile=profile,
    )
    pdf.Root.OutputIntents = Array([pdf.make_indirect(intent)])
    version = "PDF/X-1a:2001" if variant == "pdf/x-1a" else "PDF/X-4"
    info = pdf.docinfo
    info[Name.GTS_PDFXVersion] = String(version)
    if variant == "pdf/x-1a":
        info[Name.GTS_PDFXConformance] = String("PDF/X-1a:2001")
    info[Name.Trapped] = Name("/False")
    if title and Name.Title not in info:
        info[Name.Title] = String(title)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        with warnings.catch_warnings():  # GTS_PDFXVersion and Trapped have no XMP twin there: set below
            warnings.simplefilter("ignore")
            meta.load_from_docinfo(pdf.docinfo, raise_failure=False)  # the laid-out file's dates, not gs's
        meta["pdfxid:GTS_PDFXVersion"] = version
        meta["pdfx:GTS_PDFXVersion"] = version
        if variant == "pdf/x-1a":
            meta["pdfx:GTS_PDFXConformance"] = "PDF/X-1a:2001"
        meta["pdf:Trapped"] = "False"
        if title:
            meta["dc:title"] = title
