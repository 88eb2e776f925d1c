"""What a book's EPUB and PDF say of their accessibility, from one place: the EPUB's package metadata
(schema.org's accessibility properties, EPUB Accessibility 1.1) is written from it, and
`bookmaker check --accessibility` prints it as a publisher enters it in a store's metadata.

Every claim follows from what the book holds: an image without alternative text, a table without
a header row or an unclear link (read/accessibility.py) withdraws the WCAG conformance claim and
says why, and the page-break features come only with a current page list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bookmaker.model import Book

EPUB_CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
_GAPS = {
    "image-without-alt": "an image has no alternative text",
    "table-without-header": "a table has no header row",
    "link-text-unclear": "a link's text does not say where it goes",
    "heading-level-skipped": "a heading level is skipped",
}


@dataclass
class Accessibility:
    conforms_to: str | None
    access_modes: list[str]
    sufficient: list[str]
    features: list[str]
    hazards: list[str]
    summary: str
    page_source: str | None = None  # the print edition the page numbers come from
    gaps: list[str] = field(default_factory=list)  # why there is no conformance claim


# What PDF/UA-1 itself asks (ISO 14289-1 7.3, 7.4.2, 7.5); a link's words are WCAG's concern, not its.
_PDF_UA_GAPS = ("image-without-alt", "heading-level-skipped", "table-without-header")


def pdf_ua_gaps(book: Book) -> list[str]:
    """The book's accessibility problems that PDF/UA-1 forbids: with one, the PDF is tagged but claims nothing."""
    return [code for code in book.accessibility_gaps if code in _PDF_UA_GAPS]


def has_math(book: Book) -> bool:
    return any("<math" in getattr(block, "html", "") for chapter in book.chapters for block in chapter.blocks)


def epub_accessibility(book: Book, page_source: str | None = None, has_index: bool = False) -> Accessibility:
    """The EPUB's accessibility metadata; `page_source` names the print edition when it has a page list."""
    images = [image for image in book.images if image.src != book.metadata.cover]
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    if "image-without-alt" not in book.accessibility_gaps:
        features.append("alternativeText")  # the cover's, at least (covers.cover_alt)
    if has_math(book):
        features.append("MathML")
    if has_index:
        features.append("index")
    if page_source:
        features += ["pageBreakMarkers", "pageNavigation"]
    gaps = [_GAPS.get(code, code) for code in book.accessibility_gaps]
    said = ["Text with headings for navigation, a table of contents and notes linked both ways"]
    if images:
        said.append("images described in text")
    if page_source:
        said.append("page numbers of the print edition")
    summary = ", ".join(said) + "."
    if gaps:
        summary += " Not checked conformant: " + "; ".join(gaps) + "."
    else:
        summary += f" Meets {EPUB_CONFORMANCE.split(' - ')[1]}."
    return Accessibility(
        conforms_to=None if gaps else EPUB_CONFORMANCE,
        access_modes=["textual", "visual"],  # the cover, at least, is an image
        sufficient=["textual"] if not gaps else ["textual", "visual"],
        features=features,
        hazards=["none"],
        summary=summary,
        page_source=page_source,
        gaps=gaps,
    )


def page_source_of(book: Book, paper: str = "") -> str:
    """The print edition, as `a11y:pageBreakSource` names it: its ISBN when the book gives one."""
    identifier = book.metadata.identifier or ""
    if identifier.lower().startswith("urn:isbn:"):
        return identifier
    return f"{book.metadata.title}, PDF edition{f' ({paper})' if paper else ''}"


def pdf_accessibility(book: Book, variant: str | None, tagged: bool) -> Accessibility:
    """The PDF's: tagged (a structure tree in reading order, alternative text, the language) or not."""
    gaps = [_GAPS.get(code, code) for code in pdf_ua_gaps(book)]
    if not tagged:
        return Accessibility(None, ["textual", "visual"], ["visual"], ["bookmarks"], ["none"],
                             "An untagged PDF for print: no structure for assistive technology; "
                             "the EPUB is the accessible edition.", gaps=gaps + ["the PDF is not tagged"])
    features = ["taggedPDF", "structuralNavigation", "tableOfContents", "readingOrder", "bookmarks"]
    if book.images:
        features.append("alternativeText")
    claim = "PDF/UA-1" if variant == "pdf/ua-1" else "PDF/UA-2" if variant == "pdf/ua-2" else None
    summary = "A tagged PDF: headings, lists, tables, figures with their alternative text, notes and the language."
    if gaps:
        claim = None
        summary += " Not checked conformant: " + "; ".join(gaps) + "."
    return Accessibility(claim, ["textual", "visual"], ["textual"], features, ["none"], summary, gaps=gaps)


def describe(title: str, a11y: Accessibility) -> list[str]:
    """Lines for `check --accessibility`: the fields a store's metadata form asks for."""
    fields = [("conforms to", a11y.conforms_to or "no claim (" + "; ".join(a11y.gaps) + ")"),
              ("access modes", ", ".join(a11y.access_modes)), ("sufficient", ", ".join(a11y.sufficient)),
              ("features", ", ".join(a11y.features)), ("hazards", ", ".join(a11y.hazards))]
    if a11y.page_source:
        fields.append(("page source", a11y.page_source))
    fields.append(("summary", a11y.summary))
    lines = [f"{title}:"] + [f"  {label + ':':<14}{value}" for label, value in fields]
    return lines


def summary_lines(book: Book, print_options) -> list[str]:
    """`check --accessibility`: the EPUB's and the PDF's accessibility as the next build writes them."""
    from bookmaker.writers.print_pages import current_print_pages

    pages, why = current_print_pages(book)
    epub = epub_accessibility(book, page_source_of(book, pages.paper) if pages else None,
                              has_index=bool(book.index_marks))
    variant = getattr(print_options, "pdf_variant", None)
    pdf = pdf_accessibility(book, variant or "pdf/ua-1", tagged=not (variant or "").startswith(("pdf/a", "pdf/x")))
    lines = describe("EPUB", epub)
    if pages is None:
        lines.append(f"  {'page list:':<14}none ({why})")
    return lines + describe("PDF", pdf)
