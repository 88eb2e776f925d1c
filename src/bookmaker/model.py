"""The document model: what the reader makes once and every writer reads.

Prose is held as XHTML fragments rendered once by the reader; the parts that
writers place or dress differently (boxes, notes, headings, metadata) are held
as structures. Writers never see Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bookmaker.core.lang import direction_of
from bookmaker.core.terms import terms_for

if TYPE_CHECKING:
    from bookmaker.safety.policy import ResourcePolicy


@dataclass
class Metadata:
    title: str
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    lang: str = "en"
    dir: str | None = None  # "ltr" or "rtl" from the front matter; None: the language's (see `direction`)
    date: str | None = None
    description: str | None = None
    keywords: list[str] = field(default_factory=list)
    identifier: str | None = None
    rights: str | None = None
    edition: str | None = None  # for the imprint page, such as 'Second edition, 2026'
    cover: str | None = None  # the cover image, relative to the book folder; None: generate one

    @property
    def direction(self) -> str:
        """"rtl" or "ltr": the front matter's `dir`, else the language's."""
        return direction_of(self.lang, self.dir)

    @property
    def rtl(self) -> bool:
        return self.direction == "rtl"


@dataclass
class Heading:
    level: int
    id: str
    text: str  # plain text, for outlines, navigation and metadata
    html: str  # inline XHTML, for display
    chapter: int
    # `{short-title="..."}`: what the running head and the EPUB index's locators call the section
    # when its title is too long for them (None: the title itself).
    short_title: str | None = None

    @property
    def label(self) -> str:
        """The section's name where space is short: its short title, else its title."""
        return self.short_title or self.text


@dataclass
class HtmlBlock:
    """A run of top-level prose blocks (paragraphs, lists, headings...)."""

    html: str
    is_paragraph: bool = False
    kind: str = "html"


@dataclass
class Field:
    label_html: str
    values_html: list[str]


@dataclass
class Image:
    src: str  # path relative to the book root, always inside it
    alt: str
    data: bytes | None = None  # the fetched copy of a remote image (--allow-remote)


@dataclass
class Box:
    """A `::: kind Title` container, set with the template boxes/<kind>.html (boxes/box.html without one)."""

    kind: str  # "infobox", "sidebar" or a book's own kind
    title_html: str
    image: Image | None = None
    lines_html: list[str] = field(default_factory=list)  # e.g. the name in another script
    fields: list[Field] = field(default_factory=list)
    body_html: str = ""
    id: str | None = None  # pandoc's `::: {#id .kind .class}`
    classes: list[str] = field(default_factory=list)  # the classes after the kind
    title_text: str = ""  # the title as plain text, without note marks: for an aria-label


Block = HtmlBlock | Box


@dataclass
class NoteRef:
    id: str
    chapter: int


@dataclass
class Note:
    number: int
    id: str
    label: str | None  # None for inline notes
    first_html: str  # inline content of the first paragraph, so the number can lead it
    rest_html: str  # the blocks after the first paragraph
    refs: list[NoteRef] = field(default_factory=list)

    @property
    def chapter(self) -> int:
        """The chapter a note belongs to: where it is first referenced."""
        return self.refs[0].chapter


@dataclass
class IndexMark:
    """A term marked for the index (index.py): an anchor in the text and the entries it adds."""

    id: str  # the anchor at the mark
    chapter: int
    terms: list[tuple[str, ...]]  # each an entry and its sub-entries
    see: list[str] = field(default_factory=list)  # "see" references: the mark adds no locator
    seealso: list[str] = field(default_factory=list)
    end_id: str | None = None  # the anchor closing a range (index-range="end")
    # The name of the section each anchor stands in (its heading's short title or title; a note's
    # mark: where the note is referenced): the EPUB index's locators say where they lead.
    section: str = ""
    end_section: str = ""


@dataclass
class Chapter:
    index: int
    source: Path
    id: str
    blocks: list[Block] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    # Back matter that follows the book's notes in print: a chapter that holds only the bibliography.
    back_matter: bool = False
    holds_bibliography: bool = False  # the bibliography section (id "refs") is in this chapter
    # A file whose first heading is below level 1 (a section in a file of its own, as mdBook, Quarto
    # and Sphinx books are written) continues the chapter before it: in print, no new page.
    continues: bool = False

    @property
    def title(self) -> str | None:
        first = next((h for h in self.headings if h.level == 1), None)
        return first.text if first else None


@dataclass
class Book:
    root: Path
    metadata: Metadata
    chapters: list[Chapter]
    notes: list[Note]
    styles: list[Path]  # the book's own stylesheets, in cascade order
    slug: str
    images: list[Image] = field(default_factory=list)
    templates: Path | None = None  # the book's own templates, which override the theme's file by file
    policy: ResourcePolicy | None = None  # what the writers may load; the reader's rules
    index_marks: list[IndexMark] = field(default_factory=list)  # in book order
    # Each index entry's id ("landings!north" -> "index-landings-north"), claimed with the book's ids
    # so that "see" references link to the entry they name.
    index_ids: dict[str, str] = field(default_factory=dict)
    # Files the book's stylesheets name (fonts, images, imported stylesheets), relative to the book folder.
    style_resources: list[str] = field(default_factory=list)
    # The words bookmaker writes itself, in the book's language (core/terms.py), and the counter
    # style of its digits for page and note numbers (core/digits.py; None: Western digits).
    terms: dict[str, str] = field(default_factory=lambda: terms_for("en"))
    digits: str | None = None
    # Codes of the accessibility problems the reader warned of (read/accessibility.py); none: the EPUB
    # claims WCAG conformance.
    accessibility_gaps: list[str] = field(default_factory=list)

    @property
    def headings(self) -> list[Heading]:
        return [h for chapter in self.chapters for h in chapter.headings]

    def notes_of(self, chapter: Chapter) -> list[Note]:
        return [n for n in self.notes if n.chapter == chapter.index]
