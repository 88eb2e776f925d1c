"""The schema of `bookmaker.toml`: one dataclass per `[section]`, one field per key.

The `[pdf]` section is the PDF and HTML writers' `PrintOptions` and `[epub]` the
EPUB writer's `EpubOptions`: a setting is declared once, here, and reaches the
writer as it was read (the command line's options override its fields). What a
key accepts beyond its type is declared in its field's metadata, which
config.py's validator reads:

- `choices`: the texts it may be;
- `parse`: a function from the text to the value kept (the command line's own
  parsers), raising ValueError with what is wrong;
- `valid` with `expected`: a test the text must pass, and what it must be;
- `inside_book`: a folder that must stay inside the book;
- `key=False`: a field that is no key of bookmaker.toml (set by the command).

A `-` in a key is a `_` in its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bookmaker.formats import DEFAULT_FORMATS, FORMATS
from bookmaker.config.paper import css_length, css_page_size
from bookmaker.config.printers import PRINTER_NAMES, STOCKS

NOTE_PLACEMENTS = ("book", "chapter", "page")
NOTE_NUMBERINGS = ("continuous", "chapter")
MARKS = ("crop", "cross", "crop cross")
PDF_VARIANTS = ("pdf/a-3b", "pdf/ua-1", "pdf/x-1a", "pdf/x-4")
INKS = ("color", "grey")
LAYOUTS = ("auto", "book", "article")


def _formats(value: list[str]) -> list[str]:
    wrong = [v for v in value if v not in FORMATS]
    if wrong or not value:
        raise ValueError(f"unknown format {', '.join(map(repr, wrong)) or '(none given)'}; "
                         f"choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(value))


def _plain_file_name(value: str) -> bool:
    return bool(value.strip()) and not any(c in value for c in "/\\\0") and not value.startswith(".")


_INSIDE_BOOK = {"inside_book": True}


@dataclass
class ManuscriptConfig:
    dir: str = field(default="manuscript", metadata=_INSIDE_BOOK)
    # Chapter files in reading order, relative to `dir`; globs allowed. Empty: every *.md by name.
    chapters: list[str] = field(default_factory=list)


@dataclass
class OutputConfig:
    formats: list[str] = field(default_factory=lambda: list(DEFAULT_FORMATS), metadata={"parse": _formats})
    # A book's configuration writes only inside the book; `build -o` (the command line) may write anywhere.
    dir: str = field(default="build", metadata=_INSIDE_BOOK)
    # file name without extension; default: the title's slug
    name: str | None = field(default=None, metadata={
        "valid": _plain_file_name, "expected": 'a plain file name without extension, such as "my-book"'})


@dataclass
class PrintOptions:
    """How the PDF (and the HTML it is made from) is made; each field is a CLI option and a [pdf] key."""

    # a CSS page size, from a name such as A5 or 6x9in; None keeps the stylesheets' own (A4)
    paper: str | None = field(default=None, metadata={"parse": css_page_size})
    # one Notes section, notes at the end of each chapter, or footnotes at the foot of the page
    notes: str = field(default="book", metadata={"choices": NOTE_PLACEMENTS})
    bleed: str | None = field(default=None, metadata={"parse": css_length})  # a CSS length, such as 3mm
    marks: str | None = field(default=None, metadata={"choices": MARKS})
    pdf_variant: str | None = field(default=None, metadata={"choices": PDF_VARIANTS})
    duplex: bool = False  # printed on both sides: mirrored margins, chapters on right-hand pages
    # book: title page, imprint, contents, chapters on new pages; article: the title
    # above the text on page 1, as a printed article; auto: article for a book of
    # one chapter without chapter titles (level-1 headings), book otherwise.
    layout: str = field(default="auto", metadata={"choices": LAYOUTS})
    # A print-on-demand service whose rules the PDF follows (config/printers.py): its trim sizes,
    # bleed, margins, page counts, PDF/X; the PDF is checked against them (build/preflight.py).
    printer: str | None = field(default=None, metadata={"choices": PRINTER_NAMES})
    ink: str = field(default="color", metadata={"choices": INKS})  # grey: every colour and image in grey
    # The page count the inside margin is sized for (a printer's rule): the last layout's; not a key.
    pages: int = field(default=0, metadata={"key": False})


@dataclass(frozen=True)
class EpubOptions:
    embed_fonts: bool = True  # subsets of the theme's faces for scripts a reader may lack
    # Japanese and Traditional Chinese set in columns (writing-mode: vertical-rl), pages turning right to
    # left; the PDF stays horizontal (WeasyPrint lays out no vertical text; bookmaker_toml.py says so)
    vertical: bool = False
    # Kobo's markup (sentence spans, wrappers) in every content document: the kepub format, not a key
    kepub: bool = field(default=False, metadata={"key": False})


def _css_colour(value: str) -> bool:
    import re

    return bool(re.fullmatch(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|device-cmyk\(\s*[\d.%\s,]+\)|"
                             r"rgb\(\s*[\d.%\s,]+\)", value.strip()))


_COLOUR = {"valid": _css_colour, "expected": "a CSS colour such as #1d3557, navy or device-cmyk(0 0.2 0.6 0.1)"}


@dataclass
class CoverConfig:
    """The paperback cover's wrap (`bookmaker cover`) and the ebook cover's content."""

    back: str | None = field(default=None, metadata=_INSIDE_BOOK)  # Markdown for the back: blurb, bio
    background: str = field(default="#ffffff", metadata=_COLOUR)
    color: str = field(default="#1a1a1a", metadata=_COLOUR)  # the text
    spine: str | None = field(default=None, metadata=_COLOUR)  # the spine's colour; None: the background
    spine_text: str | None = None  # None: the title and the authors
    price: str | None = field(default=None, metadata={  # the barcode's EAN-5 add-on
        "valid": lambda v: v.isdigit() and len(v) == 5, "expected": 'five digits, such as "51995" (US$19.95)'})
    stock: str = field(default="white", metadata={"choices": STOCKS})


@dataclass
class NotesConfig:
    numbering: str = field(default="continuous", metadata={"choices": NOTE_NUMBERINGS})


@dataclass
class DiagnosticsConfig:
    # Codes of warnings the author has judged and silenced (an error is never silenced): core/codes.py.
    ignore: list[str] = field(default_factory=list)


@dataclass
class ThemeConfig:
    templates: str = field(default="templates", metadata=_INSIDE_BOOK)
    styles: str = field(default="styles", metadata=_INSIDE_BOOK)


SECTIONS: dict[str, type] = {
    "manuscript": ManuscriptConfig,
    "output": OutputConfig,
    "pdf": PrintOptions,
    "epub": EpubOptions,
    "notes": NotesConfig,
    "cover": CoverConfig,
    "theme": ThemeConfig,
    "diagnostics": DiagnosticsConfig,
}

# Keys that upcoming versions will read; accepted with a warning so a book
# written for them still builds here.
RESERVED = {
    "epub": ("ace",),
    "theme": ("fonts",),
    "build": ("strict", "allow-remote"),
}
