"""Page geometry for the PDF: margins, type size and page furniture that follow the paper.

The stylesheets cannot compute margins from the page size, so they are worked
out here and emitted as CSS between the theme's print.css and the book's own
stylesheets (which may still override them).
"""

from __future__ import annotations

from dataclasses import dataclass

from bookmaker.config.paper import page_dimensions

# Libertine's average letter (spaces included) is about 0.45 em wide, so a
# text block of 31 em holds some 65-70 characters a line.
MEASURE_EM = 31
PT_TO_MM = 25.4 / 72
MIN_MARGIN_MM = 12


@dataclass(frozen=True)
class PageGeometry:
    width: float  # paper, millimetres
    height: float
    font_pt: float
    inner: float  # margins, millimetres
    outer: float
    top: float
    bottom: float

    @property
    def text_height(self) -> float:
        return self.height - self.top - self.bottom


def geometry(paper: str, duplex: bool) -> PageGeometry:
    """Margins and type size for `paper` (a CSS page size such as `A4` or `6in 9in`)."""
    width, height = page_dimensions(paper)
    font_pt = 10.0 if width < 160 else 10.5 if width < 185 else 11.5
    text_width = min(width - 2 * MIN_MARGIN_MM, MEASURE_EM * font_pt * PT_TO_MM)
    spare = width - text_width
    # Two facing pages read as one spread: the inner margins together about
    # match one outer margin. A single-sided book is centred.
    inner = spare * 0.42 if duplex else spare / 2
    return PageGeometry(
        width=width,
        height=height,
        font_pt=font_pt,
        inner=round(inner, 1),
        outer=round(spare - inner, 1),
        top=round(max(MIN_MARGIN_MM + 4, height * 0.085), 1),
        bottom=round(max(MIN_MARGIN_MM + 6, height * 0.105), 1),
    )


def page_css(g: PageGeometry, duplex: bool, bleed: str | None, marks: str | None, rtl: bool = False) -> str:
    """The @page rules: margins, bleed and marks, running heads and page numbers.

    `rtl`: a right-to-left book, bound on the right: its rectos are the left-hand pages. The margins
    follow the page's side either way (the inner margin of a left-hand page is on its right); the
    book's title goes on the versos and the section on the rectos."""
    rules = [f"html {{ font-size: {g.font_pt}pt; }}"]
    rules.append(f"figure img {{ max-height: {g.text_height * 0.62:.0f}mm; }}")
    production = ""
    if bleed:
        production += f" bleed: {bleed};"
    if marks:
        production += f" marks: {marks};"
    rules.append(f"@page {{ margin: {g.top}mm {g.outer}mm {g.bottom}mm {g.inner}mm;{production} }}")
    if rtl:
        # WeasyPrint 70 sets a right-to-left line cut with an ellipsis away from its start (a Persian
        # head showed two words in the middle of its box): a long head is cut clean at its end instead.
        rules.append("@page { @top-left { text-overflow: clip; } @top-right { text-overflow: clip; } }")
    if duplex:
        # Verso: page number outside, book title; recto: section, page number outside.
        left, right = ("section", "booktitle") if rtl else ("booktitle", "section")
        rules.append(
            f"@page :left {{ margin-left: {g.outer}mm; margin-right: {g.inner}mm;"
            f" @top-left {{ content: string({left}); }}"
            " @bottom-left { content: counter(page); } }"
        )
        rules.append(
            f"@page :right {{ margin-left: {g.inner}mm; margin-right: {g.outer}mm;"
            f" @top-right {{ content: string({right}); }}"
            " @bottom-right { content: counter(page); } }"
        )
    else:
        first, second = ("section", "booktitle") if rtl else ("booktitle", "section")
        rules.append(
            f"@page {{ @top-left {{ content: string({first}); }}"
            f" @top-right {{ content: string({second}); }}"
            " @bottom-center { content: counter(page); } }"
        )
    return "\n".join(rules)
