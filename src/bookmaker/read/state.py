"""What the reader keeps while it reads: the book-wide state that spans chapters (ids, notes,
citations, the index, equations) and the small context of the one chapter being read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bookmaker.resolve import citations
from bookmaker.resolve.crossrefs import CrossRefs
from bookmaker.core.diagnostics import Diagnostics
from bookmaker.config.frontmatter import FrontMatter
from bookmaker.core.ids import IdRegistry
from bookmaker.model import Chapter, Heading, Image, IndexMark, Note
from bookmaker.safety.policy import ResourcePolicy
from bookmaker.render.prose import XhtmlRenderer
from bookmaker.config.sources import BookSources
from bookmaker.core.tally import Seen
from bookmaker.core.paths import real_path

# Ids the templates use; a heading or chapter that wants one gets a suffix.
RESERVED_IDS = ("notes", "notes-title", "toc", "toc-title", "landmarks", "refs", "refs-title", "lof", "lof-title",
                "lot", "lot-title", "index", "index-title")
# A chapter's id names its EPUB file: these would overwrite the EPUB's own cover, title page and nav.
RESERVED_FILE_NAMES = ("cover", "titlepage", "nav")

@dataclass
class SourceFile:
    """One manuscript file: its text without front matter, and once parsed its tokens and markdown-it env."""

    path: Path
    body: str
    front: FrontMatter
    tokens: list[Token] = field(default_factory=list)
    env: dict = field(default_factory=dict)


@dataclass
class IndexState:
    """The index marks of the whole book, and what is checked once every chapter is read."""

    marks: list[IndexMark] = field(default_factory=list)
    anchors_made: int = 0
    entry_ids: dict[str, str] = field(default_factory=dict)  # "landings!north" -> its entry's id
    see_references: list[tuple[str, Path, int | None]] = field(default_factory=list)
    open_ranges: dict[tuple[str, ...], tuple[IndexMark, Path, int | None]] = field(default_factory=dict)


@dataclass
class CitationState:
    """Every citation in reading order (for the CSL processor), and the bibliography it gives."""

    slots: list[citations.Slot] = field(default_factory=list)
    style: citations.Style | None = None
    has_bibliography: bool = False  # without one an `@name` is left as text
    entries: list[tuple[str, str]] = field(default_factory=list)
    title: str = "Bibliography"
    placed: bool = False  # a `::: {#refs}` placeholder holds it


@dataclass
class BookState:
    """What spans chapters: ids are unique book-wide, notes numbered through it, links resolved across it."""

    sources: BookSources
    diagnostics: Diagnostics
    policy: ResourcePolicy
    per_chapter_notes: bool = False
    ids: IdRegistry = field(default_factory=IdRegistry)
    targets: dict[Path, dict[str, str]] = field(default_factory=dict)  # chapter file -> wanted id -> given id
    links: list[tuple[Token, Path, int | None]] = field(default_factory=list)  # links inside the book
    raw_links: list[tuple[str, Path, int | None]] = field(default_factory=list)  # raw HTML's `#id` links
    aliases: dict[str, str] = field(default_factory=dict)  # a heading's older id -> its id, for `#older` links
    raw_ids: dict[Path, set[str]] = field(default_factory=dict)  # chapter file -> the ids its raw HTML sets
    notes: list[Note] = field(default_factory=list)
    title_heading: Heading | None = None  # the level-1 heading that is the book's title
    images: dict[str, Image] = field(default_factory=dict)
    cites: CitationState = field(default_factory=CitationState)
    crossrefs: CrossRefs = field(init=False)
    index: IndexState = field(default_factory=IndexState)
    equation_numbers: dict[str, int] = field(default_factory=dict)  # a numbered display equation's id -> number
    equation_refs: list[tuple[Token, Path, int | None]] = field(default_factory=list)
    book_bytes: int = 0
    terms: dict[str, str] = field(default_factory=dict)  # the book's words (core/terms.py), once its lang is known
    # Codes of the accessibility problems found (read/accessibility.py): the EPUB claims no conformance then.
    accessibility_gaps: set[str] = field(default_factory=set)
    included_lines: dict[Path, list[tuple[int, int]]] = field(default_factory=dict)  # includes.py's line shifts
    read_from: int = 0  # the first diagnostic found in the expanded text (earlier ones are at the file's lines)
    seen: dict[str, Seen] = field(default_factory=dict)  # what is met but not done, one warning per kind

    def __post_init__(self) -> None:
        self.crossrefs = CrossRefs(self.diagnostics, seen=self.seen)
        for taken in (*RESERVED_IDS, *RESERVED_FILE_NAMES):
            self.ids.claim(taken)

    @property
    def root(self) -> Path:
        return self.sources.root

    def target(self, path: Path, wanted: str, given: str) -> None:
        """An id written `wanted` in the file at `path` is `given` in the book; links to it go there."""
        self.targets[real_path(path)].setdefault(wanted, given)


@dataclass
class ChapterContext:
    """The one chapter being read, with the parser and renderer of the book."""

    book: BookState
    chapter: Chapter
    file: SourceFile
    md: MarkdownIt
    renderer: XhtmlRenderer
    notes: dict[int, Note] = field(default_factory=dict)  # the chapter's notes by markdown-it's id for them
    # For the index's locators: the note whose body is being read (markdown-it's id), and the section
    # each note is first referenced in, which is where its marks are said to be.
    in_note: int | None = None
    note_sections: dict[int, str] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def env(self) -> dict:
        return self.file.env

    @property
    def diagnostics(self) -> Diagnostics:
        return self.book.diagnostics

    def warning(self, line: int | None, message: str, column: int | None = None, code: str = "") -> None:
        self.book.diagnostics.warning(self.file.path, line, message, column, code)

    def error(self, line: int | None, message: str, column: int | None = None, code: str = "") -> None:
        self.book.diagnostics.error(self.file.path, line, message, column, code)
