"""Print-on-demand services' rules, as data: one `Printer` per service, each rule with the page it comes from.

These rules change; each value below was read from the page named beside it
(checked 2026-12). `--printer` (and `[pdf] printer`) applies them to the
interior PDF (writers/pdf/print_file.py), `build/preflight.py` checks a laid-out
file against them, and `bookmaker cover` sizes the wrap from them
(writers/cover/wrap.py). Lengths are inches, as the services publish them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

KDP_GUIDELINES = "https://kdp.amazon.com/help?topicId=G201857950"  # Paperback Submission Guidelines
KDP_MARGINS = "https://kdp.amazon.com/help?topicId=GVBQ3CMEQW3W2VL6"  # Set Trim Size, Bleed, and Margins
KDP_PRINT_OPTIONS = "https://kdp.amazon.com/en_US/help/topic/G201834180"  # Print Options
INGRAM_TIPS = "https://help.ingramspark.com/hc/en-us/articles/5338636202637-Manufacturing-and-File-Setup-Tips"
LULU_BLEED = ("https://help.lulu.com/en/support/solutions/articles/"
              "64000255584-how-do-i-make-my-content-cover-the-whole-page-what-is-bleed")
LULU_FORMATTING = "https://help.lulu.com/en/support/solutions/articles/64000255583-tips-for-formatting-documents"
LULU_INTERIOR_FAQ = "https://help.lulu.com/en/support/solutions/articles/64000255590-interior-formatting-faq"
LULU_SPINE = "https://help.api.lulu.com/en/support/solutions/articles/64000254616-how-is-spine-width-calculated-"
# A third party's record of IngramSpark's answer; IngramSpark's own guide is behind its log-in.
INGRAM_PAGES = "https://selfpublish.org/html/ingramSparkFAQ"

STOCKS = ("white", "cream", "color")
# What a `--printer` file should be: PDF/X-1a for IngramSpark (its File Creation Guide), plain PDF elsewhere.
PRINTER_NAMES = ("kdp", "ingramspark", "lulu")


@dataclass(frozen=True)
class Printer:
    name: str
    label: str
    trims: tuple[tuple[float, float], ...]  # width, height
    bleed: float  # beyond the trim, where a page prints to the edge
    bleed_inside: bool  # False: bleed on the top, bottom and outside edges only (KDP)
    safe: float  # text and page furniture stay this far inside the trim
    min_pages: int
    max_pages: int | None  # None: no maximum published that we could cite; not checked
    # Minimum inside (gutter) margin by page count: (up to this many pages, margin); empty: none published.
    inner_margins: tuple[tuple[int, float], ...]
    spine_per_page: dict[str, float]  # stock -> thickness of one page; empty: no published formula
    spine_extra: float  # added to pages x thickness (Lulu's cover allowance)
    spine_text_pages: int  # fewest pages whose spine may carry text
    barcode_area: tuple[float, float]  # width, height at the lower outside corner of the back cover
    pdf_variant: str | None  # the PDF/X the service prefers; None: a plain PDF is its default
    sources: dict[str, str] = field(default_factory=dict)  # rule -> the page it comes from

    def inner_margin(self, pages: int) -> float:
        """The smallest inside margin the service accepts for a book of `pages` pages (0: no rule)."""
        for up_to, margin in self.inner_margins:
            if pages <= up_to:
                return margin
        return self.inner_margins[-1][1] if self.inner_margins else 0.0

    def spine_width(self, pages: int, stock: str) -> float:
        """The spine's width in inches: the page count (made even) times the stock's page thickness."""
        if stock not in self.spine_per_page:
            raise ValueError(f"{self.label} publishes no spine width for {stock!r} paper here; "
                             f"use {' or '.join(self.spine_per_page) or 'the service cover template'}")
        return even(pages) * self.spine_per_page[stock] + self.spine_extra

    def prints_trim(self, width: float, height: float) -> bool:
        return any(abs(width - w) <= 0.01 and abs(height - h) <= 0.01 for w, h in self.trims)

    def nearest_trim(self, width: float, height: float) -> tuple[float, float]:
        return min(self.trims, key=lambda t: math.hypot(t[0] - width, t[1] - height))


def even(pages: int) -> int:
    """Pages are printed on both sides of a leaf: a book's page count is even."""
    return pages + pages % 2


def trim_name(trim: tuple[float, float]) -> str:
    return f"{trim[0]:g}x{trim[1]:g}in"


# KDP Print Options: the common paperback trim sizes (inches).
_KDP_TRIMS = ((5, 8), (5.06, 7.81), (5.25, 8), (5.5, 8.5), (6, 9), (6.14, 9.21), (6.69, 9.61), (7, 10),
              (7.44, 9.69), (7.5, 9.25), (8, 10), (8.25, 6), (8.25, 8.25), (8.5, 8.5), (8.5, 11), (8.27, 11.69))

KDP = Printer(
    name="kdp", label="KDP",
    trims=_KDP_TRIMS,
    bleed=0.125, bleed_inside=False,
    # Outside margins at least 0.25 in (0.375 in with bleed); running heads and page numbers count.
    safe=0.25,
    min_pages=24, max_pages=828,
    inner_margins=((150, 0.375), (300, 0.5), (500, 0.625), (700, 0.75), (828, 0.875)),
    spine_per_page={"white": 0.002252, "cream": 0.0025, "color": 0.002347}, spine_extra=0.0,
    spine_text_pages=79,
    barcode_area=(2.0, 1.2),
    pdf_variant=None,
    sources={
        "trims": KDP_PRINT_OPTIONS, "bleed": KDP_MARGINS, "safe": KDP_MARGINS, "inner_margins": KDP_MARGINS,
        "pages": KDP_GUIDELINES, "spine": KDP_GUIDELINES, "spine_text": KDP_GUIDELINES,
        "barcode": KDP_GUIDELINES, "annotations": KDP_GUIDELINES, "images": KDP_GUIDELINES,
    },
)

INGRAMSPARK = Printer(
    name="ingramspark", label="IngramSpark",
    trims=((4, 6), (4.25, 7), (4.37, 7), (5, 7), (5, 8), (5.06, 7.81), (5.25, 8), (5.5, 8.5), (5.83, 8.27),
           (6, 9), (6.14, 9.21), (6.69, 9.61), (7, 10), (7.44, 9.69), (7.5, 9.25), (8, 8), (8, 10), (8.25, 11),
           (8.5, 8.5), (8.5, 11), (8.27, 11.69)),
    bleed=0.125, bleed_inside=True,
    safe=0.5,  # "For interior pages, we recommend at least .50 in from trim marks."
    min_pages=18, max_pages=None,
    inner_margins=(),
    # Its cover template generator gives the spine for each paper; no formula is published: `cover --spine`.
    spine_per_page={}, spine_extra=0.0,
    spine_text_pages=18,
    barcode_area=(2.0, 1.2),
    pdf_variant="pdf/x-1a",
    sources={"safe": INGRAM_TIPS, "bleed": INGRAM_TIPS, "barcode": INGRAM_TIPS, "colour": INGRAM_TIPS,
             "pages": INGRAM_PAGES},
)

LULU = Printer(
    name="lulu", label="Lulu",
    trims=((6, 9), (5.5, 8.5), (8.5, 11), (5.83, 8.27), (8.27, 11.69), (4.25, 6.87), (6.14, 9.21), (7.5, 7.5),
           (8.5, 8.5), (7, 10), (6.625, 10.25), (9, 7), (11, 8.5)),
    bleed=0.125, bleed_inside=True,  # "0.125 in past the trim edge on every side"
    safe=0.5,  # "Safety Margin which is 0.5 in inside the Trim Edge"
    min_pages=32, max_pages=None,
    inner_margins=(),
    spine_per_page={stock: 1 / 444 for stock in STOCKS}, spine_extra=0.06,  # (pages / 444) + 0.06 in
    spine_text_pages=32,
    barcode_area=(2.0, 1.2),
    pdf_variant=None,
    sources={"bleed": LULU_BLEED, "safe": LULU_BLEED, "margins": LULU_FORMATTING, "images": LULU_INTERIOR_FAQ,
             "spine": LULU_SPINE, "pages": LULU_SPINE},
)

PRINTERS: dict[str, Printer] = {p.name: p for p in (KDP, INGRAMSPARK, LULU)}
# Images: 300 ppi at their placed size is what every service asks for (KDP's guidelines, Lulu's
# interior FAQ); under 150 ppi they print visibly soft, so that is an error.
GOOD_PPI = 300
LEAST_PPI = 150
