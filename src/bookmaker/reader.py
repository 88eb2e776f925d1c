"""Read a book once: manuscript files -> the document model.

Each chapter file is decoded, its front matter split off, its Markdown parsed
once; then notes are numbered through the whole book, headings get unique
ids, boxes become structures and prose is rendered to XHTML fragments.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape as html_escape
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bookmaker import citations, limits
from bookmaker.crossrefs import CrossRefs
from bookmaker.covers import resolve_cover
from bookmaker.diagnostics import BookError, Diagnostic, Diagnostics
from bookmaker.frontmatter import FrontMatter, split_front_matter
from bookmaker.ids import IdRegistry, note_id, ref_id, slugify
from bookmaker.images import check_image
from bookmaker.index import parse_entries
from bookmaker.markdown import DIVISION, INDEX_ATTRIBUTES, box_kind, fenced_div_attributes, parser_for, placeholder_name
from bookmaker.text import INVALID_CHARACTERS, is_language_tag
from bookmaker.mathtex import fallback_html, tex_to_mathml
from bookmaker.model import (
    Block, Book, Box, Chapter, Field, Heading, HtmlBlock, Image, IndexMark, Metadata, Note, NoteRef,
)
from bookmaker.config import BookConfig
from bookmaker.policy import Local, Refused, ResourcePolicy
from bookmaker.render import XhtmlRenderer
from bookmaker.sanitize import LINK_SCHEMES, sanitize
from bookmaker.sources import BookSources, locate
from bookmaker.structure import check_structure
from bookmaker.unsupported import check_unsupported
from bookmaker.stylesheets import check_stylesheets
from bookmaker.theme import THEME_DIR, has_box_template

# Ids the templates use; a heading or chapter that wants one gets a suffix.
RESERVED_IDS = ("notes", "notes-title", "toc", "toc-title", "landmarks", "refs", "refs-title", "lof", "lof-title",
                "lot", "lot-title", "index", "index-title")
# A chapter's id names its EPUB file: these would overwrite the EPUB's own cover, title page and nav.
RESERVED_FILE_NAMES = ("cover", "titlepage", "nav")
# The schemes markdown-it's validateLink refuses, leaving the image as text.
_REFUSED_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?((?:file|data|javascript|vbscript):[^\s)>]*)", re.IGNORECASE)
_UNDEFINED_NOTE = re.compile(r"\[\^([^\]\s]+)\]")
_ID = re.compile(r"^\S+$")
_RAW_FRAGMENT = re.compile(r"""href\s*=\s*["']?\s*#([^"'\s>]*)""", re.IGNORECASE)
_NOTE_IDS = re.compile(r"^(note|ref)-\d+(-\d+)?$")


_MATH_BLOCKS = ("math_block", "math_block_label", "amsmath")


# Called with the chapter file about to be read, its index and the number of chapters.
ChapterProgress = Callable[[Path, int, int], None]


def read_book(
    path: Path, config: BookConfig | None = None, progress: ChapterProgress | None = None,
    note_numbering: str = "continuous", diagnostics: Diagnostics | None = None, allow_remote: bool = False,
) -> tuple[Book, Diagnostics]:
    """Read the book at `path`; raise BookError (with every problem found) if it has errors.

    `config` is the book's parsed bookmaker.toml (read from the book folder when None).
    `note_numbering` is "continuous" (1, 2, 3... through the book) or "chapter"
    (each chapter starts again at 1); note ids stay unique book-wide either way.
    Every check bookmaker makes happens here, so `bookmaker check` is a read that writes nothing.
    """
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    sources = locate(path, config, diagnostics)
    policy = ResourcePolicy(sources.root, [THEME_DIR], allow_remote=allow_remote)
    book = _Reader(sources, diagnostics, policy, progress, per_chapter_notes=note_numbering == "chapter").read()
    if diagnostics.has_errors:
        raise BookError(diagnostics)
    return book, diagnostics


@dataclass
class _File:
    path: Path
    body: str
    front: FrontMatter
    tokens: list[Token] = field(default_factory=list)
    env: dict = field(default_factory=dict)


class _Reader:
    def __init__(
        self, sources: BookSources, diagnostics: Diagnostics, policy: ResourcePolicy,
        progress: ChapterProgress | None = None, per_chapter_notes: bool = False,
    ) -> None:
        self.per_chapter_notes = per_chapter_notes
        self.sources = sources
        self.progress = progress or (lambda path, index, total: None)
        self.links: list[tuple[Token, Path, int | None]] = []
        self.raw_links: list[tuple[str, Path, int | None]] = []  # raw HTML's #id links, checked once all ids exist  # links to other chapters, resolved once all ids exist
        self.targets: dict[Path, dict[str, str]] = {}  # chapter file -> the id an author wrote -> the id it got
        self.root = sources.root
        self.diagnostics = diagnostics
        self.policy = policy
        self.book_bytes = 0
        self.ids = IdRegistry()
        for taken in (*RESERVED_IDS, *RESERVED_FILE_NAMES):
            self.ids.claim(taken)
        self.notes: list[Note] = []
        self.title_heading: Heading | None = None  # the level-1 heading that is the book's title
        self.images: dict[str, Image] = {}
        self.slots: list[citations.Slot] = []  # every citation in reading order, for the CSL processor
        self.style: citations.Style | None = None
        self.has_bibliography = False
        self.bibliography_entries: list[tuple[str, str]] = []
        self.bibliography_title = "Bibliography"
        self.refs_placed = False
        self.crossrefs = CrossRefs(diagnostics)
        self.chapter_index = 0  # the chapter being walked
        self.index_marks: list[IndexMark] = []
        self.anchors_made = 0
        self.see_references: list[tuple[str, Path, int | None]] = []
        self.open_ranges: dict[tuple[str, ...], tuple[IndexMark, Path, int | None]] = {}
        self.equation_numbers: dict[str, int] = {}  # a numbered display equation's id -> its number
        self.equation_refs: list[tuple[Token, Path, int | None]] = []

    def read(self) -> Book:
        style_resources = check_stylesheets(self.sources.styles, self.policy, self.diagnostics)
        self._check_templates()
        files = [f for f in (self._load(p) for p in self.sources.chapters) if f is not None]
        if not files:
            raise BookError(self.diagnostics)
        metadata = self._metadata(files)
        self.crossrefs.per_chapter = self._setting(files, "crossref-numbering")[0] == "chapter"
        self.crossrefs.with_pages = self._setting(files, "crossref-pages")[0] is True
        style_name, where, line = self._setting(files, "csl")
        self.style = citations.load_style(style_name, where, line, self.policy, self.diagnostics)
        # Without a bibliography an `@name` is left as text (as pandoc does without --citeproc), never a note.
        self.has_bibliography = bool(self._setting(files, "bibliography")[0])
        md = parser_for(metadata.lang)
        renderer = XhtmlRenderer(md)
        renderer.equation_numbers = self.equation_numbers
        # Every chapter is parsed (and its ids claimed) before any is rendered,
        # so a link may point at a heading in a later chapter.
        chapters = []
        for index, file in enumerate(files):
            self.progress(file.path, index, len(files))
            chapters.append(self._parse_chapter(index, file, md))
        self._title_from_heading(files, chapters, metadata)
        self._resolve_links(files, chapters)
        self._check_see_references()
        for mark, path, line in self.open_ranges.values():
            self.diagnostics.warning(
                path, line, f"index range '{'; '.join('!'.join(t) for t in mark.terms)}' is started but never ended: "
                            "add a mark with the same index=\"...\" and index-range=\"end\" where it ends")
        self._check_equation_refs()
        self.crossrefs.resolve()
        self._resolve_citations(files, metadata.lang)
        for file, chapter in zip(files, chapters):
            self._render_chapter(chapter, file, md, renderer)
        if self.bibliography_entries and not self.refs_placed and chapters:
            # No `::: {#refs}`: the bibliography closes the book's last chapter.
            chapters[-1].holds_bibliography = True
            chapters[-1].blocks.append(HtmlBlock(
                html=citations.bibliography_html(self.bibliography_entries, self.bibliography_title, "refs")))
        self._check_raw_links()
        if metadata.title is None:
            first_h1 = next((h.text for c in chapters for h in c.headings if h.level == 1), None)
            metadata.title = (first_h1 or self.sources.chapters[0].stem.replace("-", " ").strip().title()
                              or "Untitled")
        return Book(
            root=self.root,
            metadata=metadata,
            chapters=chapters,
            notes=self.notes,
            styles=self.sources.styles,
            templates=self.sources.templates,
            slug=slugify(metadata.title, fallback="book"),
            images=list(self.images.values()),
            policy=self.policy,
            style_resources=[p.relative_to(self.policy.book_root).as_posix() for p in style_resources],
            index_marks=self.index_marks,
        )

    def _check_templates(self) -> None:
        """The book's templates load under the rules of every other file it supplies (no link out of the book)."""
        folder = self.sources.templates
        if folder is None:
            return
        from bookmaker.templating import template_refused  # Jinja's sandbox: only for a book with templates

        for path in sorted(folder.rglob("*")):
            if (not path.is_dir() or path.is_symlink()) and (problem := template_refused(path, self.policy)):
                self.diagnostics.add(problem)

    # -- files and metadata -------------------------------------------------

    def _load(self, path: Path) -> _File | None:
        try:
            size = path.stat().st_size
            if size > limits.MAX_FILE_BYTES or self.book_bytes + size > limits.MAX_BOOK_BYTES:
                self.diagnostics.error(
                    path, None,
                    f"the manuscript is too large ({size:,} bytes; the limits are {limits.MAX_FILE_BYTES:,} per file "
                    f"and {limits.MAX_BOOK_BYTES:,} for the book): split it or check it is really text",
                )
                return None
            self.book_bytes += size
            raw = self.policy.read_local(path)
        except OSError as exc:
            self.diagnostics.error(path, None, f"cannot read the file: {exc.strerror}")
            return None
        except Refused as refused:
            self.diagnostics.error(path, None, f"the manuscript file {refused}")
            return None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            self.diagnostics.error(
                path, line, f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}): save it as UTF-8", column
            )
            return None
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = self._without_invalid_characters(text, path)
        front, body = split_front_matter(text, path, self.diagnostics)
        return _File(path, body, front)

    def _without_invalid_characters(self, text: str, path: Path) -> str:
        """XML, and so XHTML and the EPUB, cannot hold C0 control characters (but tab and newline) nor
        U+FFFE/U+FFFF: they are removed, with a warning at the first, so that every output can be written."""
        first = INVALID_CHARACTERS.search(text)
        if first is None:
            return text
        count = len(INVALID_CHARACTERS.findall(text))
        line = text.count("\n", 0, first.start()) + 1
        column = first.start() - (text.rfind("\n", 0, first.start()) + 1) + 1
        more = f" (and {count - 1} more in this file)" if count > 1 else ""
        self.diagnostics.warning(
            path, line, f"invisible character U+{ord(first.group()):04X}{more} removed: XML, and so "
                        "the EPUB, cannot hold it; delete it in your editor", column)
        return INVALID_CHARACTERS.sub("", text)

    def _metadata(self, files: list[_File]) -> Metadata:
        # Any chapter may carry front matter; the first file that sets a key wins.
        values: dict = {}
        for file in files:
            for key, value in file.front.values.items():
                values.setdefault(key, value)
        # bookmaker.toml's [book] holds the defaults; front matter overrides them.
        for key, value in self.sources.config.book.items():
            values.setdefault(key, value)
        return Metadata(
            title=values.get("title"),
            subtitle=values.get("subtitle"),
            authors=values.get("author", []),
            lang=values.get("lang", "en"),
            date=values.get("date"),
            description=values.get("description"),
            keywords=values.get("keywords", []),
            identifier=values.get("identifier"),
            rights=values.get("rights"),
            edition=values.get("edition"),
            cover=self._cover(files),
        )

    def _setting(self, files: list[_File], key: str) -> tuple[object, Path, int | None]:
        """A front matter key (the first file that sets it) or bookmaker.toml's [book] one, with where it is written."""
        file = next((f for f in files if key in f.front.values), None)
        if file is not None:
            return file.front.values[key], file.path, file.front.lines.get(key)
        config = self.sources.config
        if key in config.book and config.path is not None:
            return config.book[key], config.path, config.line_of("book", key)
        return None, files[0].path, None

    def _resolve_citations(self, files: list[_File], lang: str) -> None:
        """Check every citation against the bibliography, then have the CSL processor format them all at once."""
        names, where, line = self._setting(files, "bibliography")
        nocite_value, *nocite_at = self._setting(files, "nocite")
        nocite = list(nocite_value or [])
        if not self.slots and not names:
            return
        if self.style is None:
            return  # the unknown style is reported
        bibliography = None
        if names:
            bibliography = citations.load_bibliography(
                list(names), where, line, self.style, lang, self.policy, self.diagnostics)
        has_citations = any(slot.token is not None or slot.in_note for slot in self.slots)
        citations.check_citations(self.slots, nocite, bibliography, self.diagnostics, tuple(nocite_at))
        if bibliography is None or self.diagnostics.has_errors or not (has_citations or nocite):
            return
        if not citations.pandoc_available():
            self.diagnostics.error(where, line, "formatting citations needs pandoc, which is not installed: "
                                                "install it (apt-get install pandoc, or https://pandoc.org/installing.html)")
            return
        try:
            resolved = citations.resolve(self.slots, nocite, bibliography)
        except citations.CiteprocError as exc:
            self.diagnostics.error(where, line, f"{exc}: check the bibliography and the style")
            return
        for file in files:
            for token in file.tokens:
                if token.type == "inline" and token.children and self.style.is_note:
                    citations.place_note_references(token.children)
        for n, slot in enumerate(self.slots):
            if slot.token is not None:
                slot.token.meta["html"] = resolved.text_html[n]
                note = slot.token.meta.get("note")
                if note is not None:
                    note.first_html = resolved.note_html[n]
            for token, rendered in zip(slot.in_note, resolved.in_note_html[n]):
                token.meta["html"] = rendered
        title = bibliography.title
        self.bibliography_title = title
        self.bibliography_entries = resolved.entries_html

    def _cover(self, files: list[_File]) -> str | None:
        file = next((f for f in files if "cover" in f.front.values), None)
        if file is not None:
            src, line, where_from = str(file.front.values["cover"]), file.front.lines.get("cover"), file.path
        elif "cover" in self.sources.config.book and self.sources.config.path is not None:
            # bookmaker.toml's [book] cover, relative to the book folder where the file stands.
            config = self.sources.config
            src, line, where_from = str(config.book["cover"]), config.line_of("book", "cover"), config.path
        else:
            return None
        return resolve_cover(src, where_from, line, self.root, self.policy, self.diagnostics)

    # -- one chapter --------------------------------------------------------

    def _parse_chapter(self, index: int, file: _File, md: MarkdownIt) -> Chapter:
        file.tokens = tokens = md.parse(file.body, file.env)
        chapter = Chapter(index=index, source=file.path, id=self.ids.claim(slugify(file.path.stem, "chapter")))
        self.targets[file.path.resolve()] = {"": chapter.id}
        file.env["local_notes"] = {}
        if not check_structure(tokens, file.body, file.path, self.diagnostics):
            file.tokens = []
            return chapter  # nested too deep: the parser dropped text, so the rest would mislead
        check_unsupported(tokens, file.body, file.path, self.diagnostics)
        file.env["local_notes"] = self._number_notes(tokens, file.env, index, file.path)
        self._check_note_definitions(file.env, file.path)
        self._walk(tokens, chapter, file.path)
        return chapter

    def _render_chapter(self, chapter: Chapter, file: _File, md: MarkdownIt, renderer: XhtmlRenderer) -> None:
        placed_before = self.refs_placed
        chapter.blocks = self._blocks(file.tokens, md, renderer, file.env, file.path)
        chapter.holds_bibliography = self.refs_placed and not placed_before and bool(self.bibliography_entries)
        kinds = {t.type for t in file.tokens if t.level == 0 and t.nesting != -1}
        chapter.back_matter = (
            any(placeholder_name(t.info) == "refs" for t in file.tokens if t.type == "container_placeholder_open")
            and kinds <= {"heading_open", "container_placeholder_open"})
        self._collect_note_bodies(file.tokens, file.env["local_notes"], renderer, file.env, file.path)

    def _title_from_heading(self, files: list[_File], chapters: list[Chapter], metadata: Metadata) -> None:
        """A book whose only level-1 heading opens it and equals its title (or gives it) has that
        heading as its title: it is printed once, in the title block, and the book is an article.
        Links to the heading go to the start of the text."""
        level_one = [(c, h) for c in chapters for h in c.headings if h.level == 1]
        first = next((h for c in chapters for h in c.headings), None)
        if len(level_one) != 1 or level_one[0][1] is not first:
            return
        chapter, heading = level_one[0]
        tokens = files[chapter.index].tokens
        inline = next(tokens[i + 1] for i, t in enumerate(tokens) if t.meta.get("heading") is heading)
        if any(child.type == "footnote_ref" for child in inline.children or []):
            return  # the title block has no place for its note mark
        if metadata.title is None:
            metadata.title = heading.text
        elif _words(metadata.title) != _words(heading.text):
            return
        chapter.headings.remove(heading)
        self.title_heading = heading
        targets = self.targets[chapter.source.resolve()]
        for wanted, written in targets.items():
            if written == heading.id:
                targets[wanted] = chapter.id

    def _resolve_links(self, files: list[_File], chapters: list[Chapter]) -> None:
        """`02-chapter.md#id` and `#id` become `#id` of the book: one HTML file for the PDF, and the
        EPUB writer sends each `#id` to the chapter file that holds it."""
        for token, path, line in self.links:
            href = str(token.attrGet("href"))
            file_part, _, fragment = href.partition("#")
            if file_part:
                target_file = (path.parent / unquote(file_part)).resolve()
                ids = self.targets.get(target_file)
                if ids is None:
                    self.diagnostics.error(
                        path, line, f"link to '{file_part}', which is not a chapter of this book: "
                                    f"link to a chapter file such as '{chapters[0].source.name}#heading-id'")
                    continue
                written = ids.get(unquote(fragment))
                if written is None:
                    # The author's id may be one the reader kept as is (e.g. `{#id}` on a span).
                    written = unquote(fragment) if unquote(fragment) in self.ids else None
            else:
                ids = self.targets.get(path.resolve(), {})
                wanted = unquote(fragment)
                written = ids.get(wanted) or (wanted if wanted in self.ids else None)
            if written is None:
                self.diagnostics.warning(
                    path, line, f"link target '{href}' is not a heading or id in the book, so the text is not "
                                f"linked: check the id (a heading's id is its text in lower case, words joined by '-')")
                del token.attrs["href"]  # a dangling link is an error in an EPUB
                continue
            token.attrSet("href", "#" + written)

    def _check_raw_links(self) -> None:
        """Raw HTML's `href="#id"`, once every id of the book is known (raw HTML's own ids are claimed
        as it is rendered); the EPUB writer leaves out such a link, which would be an error there."""
        for target, path, line in self.raw_links:
            if target not in self.ids and not _NOTE_IDS.match(target):
                self.diagnostics.warning(path, line, f"link target '#{target}' in raw HTML is not a heading or id "
                                                     "in the book: check the id")

    def _number_notes(self, tokens: list[Token], env: dict, chapter: int, path: Path) -> dict[int, Note]:
        """Number each note in order of first reference, through the book or within the chapter."""
        local: dict[int, Note] = {}
        sequences: dict[int, int] = {}  # a note's place in the whole book, by its id in the chapter
        in_notes = _citations_in_notes(tokens)
        note_style = self.style is not None and self.style.is_note and self.has_bibliography
        previous: Token | None = None
        for token, in_note_bodies in _inline_children_placed(tokens):
            follows_mark = previous is not None and (
                previous.type == "footnote_ref" or (previous.type == "citation" and "note_id" in previous.meta))
            previous = token
            if token.type == "citation" and not in_note_bodies:  # those inside notes stay there (in_notes)
                note = None
                if note_style:  # a note style makes the citation a note, numbered with the author's own
                    sequence = len(self.notes) + 1
                    number = sum(1 for n in self.notes if n.chapter == chapter) + 1 if self.per_chapter_notes else sequence
                    note = Note(number=number, id=note_id(sequence), label=None, first_html="", rest_html="")
                    note.refs.append(NoteRef(id=ref_id(sequence, 0), chapter=chapter))
                    self.notes.append(note)
                    token.meta.update(note=note, number=note.number, note_id=note.id, ref_id=note.refs[0].id,
                                      follows_mark=follows_mark)
                self.slots.append(citations.Slot(token=token))
                continue
            if token.type != "footnote_ref":
                continue
            # Adjacent marks ([^2][^3]) would read as one number: the renderer puts a comma between them.
            token.meta["follows_mark"] = follows_mark
            local_id = token.meta["id"]
            note = local.get(local_id)
            if note is None:
                self.slots.append(citations.Slot(in_note=in_notes.get(local_id, [])))
                sequence = len(self.notes) + 1
                number = sum(1 for n in self.notes if n.chapter == chapter) + 1 if self.per_chapter_notes else sequence
                note = Note(number=number, id=note_id(sequence), label=token.meta.get("label"), first_html="", rest_html="")
                local[local_id] = note
                sequences[local_id] = sequence
                self.notes.append(note)
            ref = NoteRef(id=ref_id(sequences[local_id], len(note.refs)), chapter=chapter)
            note.refs.append(ref)
            token.meta["number"] = note.number
            token.meta["note_id"] = note.id
            token.meta["ref_id"] = ref.id
        return local

    def _check_note_definitions(self, env: dict, path: Path) -> None:
        refs = env.get("footnotes", {}).get("refs", {})
        seen: dict[str, int] = {}
        for label, line in env.get("note_definitions", []):
            if label in seen:
                self.diagnostics.error(
                    path, line + 1, f"note [^{label}] is defined twice (first on line {seen[label]}): remove or rename one"
                )
                continue
            seen[label] = line + 1
            if refs.get(":" + label, -1) == -1:
                self.diagnostics.warning(
                    path, line + 1, f"note [^{label}] is defined but never referenced: cite it with [^{label}] or delete it"
                )

    def _walk(self, tokens: list[Token], chapter: Chapter, path: Path) -> None:
        """Headings get ids; images are checked; undefined note labels are reported."""
        self.chapter_index = chapter.index
        for i, token in enumerate(tokens):
            if token.type == "container_box_open":
                wanted = (fenced_div_attributes(token.info) or {}).get("id")
                if wanted:  # a link target like a heading's id, claimed before links are resolved
                    token.meta["div_id"] = self.ids.claim(str(wanted))
                    self.targets[path.resolve()].setdefault(str(wanted), token.meta["div_id"])
                    token.attrSet("id", token.meta["div_id"])
                classes = str((fenced_div_attributes(token.info) or {}).get("class", ""))
                if classes.strip():  # a division inside a list is rendered by markdown-it, from these
                    token.attrSet("class", " ".join(classes.split()))
            if token.type == "heading_open":
                inline = tokens[i + 1]
                text = _plain_text(inline.children or [])
                line = token.map[0] + 1 if token.map else None
                self._check_language(token, path, line)
                explicit = token.attrGet("id")
                if explicit is not None and not _ID.match(str(explicit)):
                    self.diagnostics.warning(path, line, f"id '{explicit}' removed: an id may not be empty or "
                                                         "contain spaces")
                    explicit = None
                wanted = str(explicit or slugify(text))
                token.attrSet("id", self.ids.claim(wanted))
                self.targets[path.resolve()].setdefault(wanted, str(token.attrGet("id")))
                if explicit and token.attrGet("id") != wanted:
                    self.diagnostics.warning(
                        path, line, f"heading id '{wanted}' is already used in the book; this heading gets "
                        f"'{token.attrGet('id')}': give it another {{#id}}",
                    )
                level = int(token.tag[1])
                if chapter.headings and level > chapter.headings[-1].level + 1:
                    previous = chapter.headings[-1].level
                    self.diagnostics.warning(
                        path, line, f"heading level skips from {previous} to {level}: use "
                        f"{'#' * (previous + 1)} for a heading inside a {'#' * previous} section",
                    )
                heading = Heading(level=level, id=str(token.attrGet("id")), text=text, html="", chapter=chapter.index)
                token.meta["heading"] = heading
                if text:
                    chapter.headings.append(heading)
                else:  # nothing to show in a table of contents (an EPUB's nav may not hold an empty entry)
                    self.diagnostics.warning(path, line, "heading without text is left out of the contents: "
                                                         "write its title after the #")
                if explicit and wanted.startswith("sec-"):
                    self.crossrefs.add(wanted, str(token.attrGet("id")), chapter.index, text, (path, line))
            if token.type == "table_open" and str(token.attrGet("id") or "").startswith("tbl-"):
                label = str(token.attrGet("id"))
                token.attrSet("id", self.ids.claim(label))
                caption = _plain_text(token.meta["caption"].children or []) if "caption" in token.meta else ""
                token.meta["crossref"] = self.crossrefs.add(
                    label, str(token.attrGet("id")), chapter.index, caption, (path, token.map[0] + 1 if token.map else None))
            if token.type in _MATH_BLOCKS:
                self._formula(token, True, path)
            if token.type != "inline" or not token.children:
                continue
            line = (token.map[0] + 1) if token.map else None
            _unlink_nested_links(token.children, lambda: self.diagnostics.warning(
                path, line, "a link inside a link is not linked (HTML and the EPUB forbid it): take one out"))
            for position, child in enumerate(token.children):
                if child.attrs:
                    self._check_language(child, path, line)
                    # A figure's `{#fig-...}` is claimed with its cross-reference, below.
                    if child.attrGet("id") is not None and not (
                            child.type == "image" and str(child.attrGet("id")).startswith("fig-")):
                        self._claim_inline_id(child, path, line)
                if child.type in ("span_open", "link_open", "code_inline") and _is_index_mark(child):
                    self._index_mark(token.children, position, chapter, path, line)
                if child.type in ("softbreak", "hardbreak") and line is not None:
                    line += 1
                elif child.type in ("math_inline", "math_inline_double"):
                    self._formula(child, child.type == "math_inline_double", path, line)
                elif child.type == "equation_ref":
                    self.equation_refs.append((child, path, line))
                elif child.type == "text":
                    for match in _REFUSED_IMAGE.finditer(child.content):
                        # markdown-it leaves an image whose URL it distrusts (file:, data:...) as text
                        refused = self._resource_url(match.group(1), "", path)
                        if isinstance(refused, Diagnostic):
                            self.diagnostics.add(refused.at(path, line))
                    for match in _UNDEFINED_NOTE.finditer(child.content):
                        self.diagnostics.error(
                            path,
                            line,
                            f"note [^{match.group(1)}] is referenced but never defined: "
                            f"add a line '[^{match.group(1)}]: text of the note'",
                        )
                elif child.type == "footnote_ref":
                    child.meta["line"] = line  # an inline note's body has no line of its own
                elif child.type in ("citation", "crossref"):
                    child.meta["where"] = (path, line)
                    if child.type == "crossref":
                        self.crossrefs.reference(child)
                elif child.type == "image":
                    self._image(child, path, line)
                    label = str(child.attrGet("id") or "")
                    if label.startswith("fig-"):
                        child.attrSet("id", self.ids.claim(label))
                        child.meta["crossref"] = self.crossrefs.add(
                            label, str(child.attrGet("id")), chapter.index, _plain_text(child.children or []), (path, line))
                elif child.type == "link_open" and _internal_link(str(child.attrGet("href") or "")):
                    self.links.append((child, path, line))
                elif child.type == "link_open":
                    self._outward_link(child, path, line)

    def _outward_link(self, token: Token, path: Path, line: int | None) -> None:
        """A link out of the book goes to the web or an e-mail address; any other is left out with a word."""
        href = str(token.attrGet("href") or "")
        try:
            scheme = urlsplit(href).scheme.lower()
        except ValueError:  # `http://[x`
            scheme = "not a valid address"
        if scheme in LINK_SCHEMES:
            return
        if scheme:
            why = f"books link only to {', '.join(LINK_SCHEMES)} addresses and to chapters"
        else:
            why = "it is not a chapter of the book (.md) nor a web address: write https://... for a web page"
        self.diagnostics.warning(path, line, f"link to '{href[:60]}' is left out: {why}")
        del token.attrs["href"]

    def _claim_inline_id(self, token: Token, path: Path, line: int | None) -> None:
        """`[text]{#id}`: unique in the book like a heading's, so a link may point at it."""
        wanted = str(token.attrGet("id"))
        if not _ID.match(wanted):
            self.diagnostics.warning(path, line, f"id '{wanted}' removed: an id may not be empty or contain spaces")
            del token.attrs["id"]
            return
        given = self.ids.claim(wanted)
        token.attrSet("id", given)
        self.targets[path.resolve()].setdefault(wanted, given)
        if given != wanted:
            self.diagnostics.warning(path, line, f"id '{wanted}' is already used in the book; this one is now "
                                                 f"'{given}': give it another {{#id}}")

    def _check_language(self, token: Token, path: Path, line: int | None) -> None:
        """`{lang=...}` and `{dir=...}` must be values HTML and the EPUB accept; others are dropped."""
        lang, direction = token.attrGet("lang"), token.attrGet("dir")
        if lang is not None and not is_language_tag(str(lang)):
            self.diagnostics.warning(path, line, f"lang '{lang}' removed: it is not a language tag; use one "
                                                 "such as en, fr or pt-BR")
            del token.attrs["lang"]
        if direction is not None and direction not in ("ltr", "rtl", "auto"):
            self.diagnostics.warning(path, line, f"dir '{direction}' removed: use ltr, rtl or auto")
            del token.attrs["dir"]

    def _index_mark(self, children: list[Token], position: int, chapter: Chapter, path: Path, line: int | None) -> None:
        """A span (or link, or inline code) marked for the index gets an anchor; its index attributes become an IndexMark."""
        span = children[position]
        values = {name: str(span.attrGet(name) or "") for name in INDEX_ATTRIBUTES}
        for name in INDEX_ATTRIBUTES:
            if name in span.attrs:
                del span.attrs[name]
        text = values["index"] or _plain_text(_span_content(children, position))
        terms = parse_entries(text)
        if not terms:
            self.diagnostics.warning(path, line, "an index mark with no term: write the term inside [...]{.index} "
                                                 "or give it as index=\"term\"")
            return
        range_role = values["index-range"].strip().lower()
        if range_role not in ("", "start", "end"):
            self.diagnostics.warning(path, line, f"index-range=\"{values['index-range']}\" is not 'start' or 'end': "
                                                 "write index-range=\"start\" where a range begins and \"end\" where it ends")
            range_role = ""
        anchor = span.attrGet("id")
        if anchor is None:
            self.anchors_made += 1
            anchor = self.ids.claim(f"idx-{self.anchors_made}")
            span.attrSet("id", anchor)
            span.meta["index_anchor"] = anchor
        key = tuple("!".join(t) for t in terms)
        if range_role == "end":
            opened = self.open_ranges.pop(key, None)
            if opened is None:
                self.diagnostics.warning(path, line, f"index range '{text}' ends here but was never started: add a "
                                                     f"mark with index=\"{text}\" index-range=\"start\" where it begins")
            else:
                opened[0].end_id = str(anchor)
            return
        mark = IndexMark(
            id=str(anchor), chapter=chapter.index, terms=terms,
            see=[t for t in (s.strip() for s in values["index-see"].split(";")) if t],
            seealso=[t for t in (s.strip() for s in values["index-seealso"].split(";")) if t],
        )
        self.index_marks.append(mark)
        self.see_references += [(target, path, line) for target in mark.see + mark.seealso]
        if range_role == "start":
            if key in self.open_ranges:
                self.diagnostics.warning(path, line, f"index range '{text}' starts again before it ended: "
                                                     "end the first range with index-range=\"end\"")
            self.open_ranges[key] = (mark, path, line)

    def _check_see_references(self) -> None:
        """A "see" reference must lead to an entry of the index (by its first level: "landings!north")."""
        entries = {terms[0] for mark in self.index_marks if not mark.see and not mark.seealso for terms in mark.terms}
        for target, path, line in self.see_references:
            first = parse_entries(target)[0][0] if parse_entries(target) else target
            if first not in entries:
                self.diagnostics.warning(
                    path, line, f"the index's \"see\" reference '{target}' leads to no entry: mark the term it "
                                f"names with [...]{{index=\"{first}\"}}, or correct the reference")

    def _formula(self, token: Token, display: bool, path: Path, line: int | None = None) -> None:
        """TeX -> MathML once, held in the token for the renderer (mathtex.py); a problem is a warning."""
        if token.map:
            line = token.map[0] + 1
        formula = tex_to_mathml(token.content.strip(), display)
        if formula.problem:
            self.diagnostics.warning(path, line, f"math: {formula.problem}: check the TeX `{token.content.strip()}`")
        token.meta["html"] = formula.mathml or fallback_html(token.content.strip(), display)
        if token.type == "math_block_label" and token.info:
            wanted = token.info
            token.info = self.ids.claim(wanted)
            self.targets[path.resolve()].setdefault(wanted, token.info)
            if token.info != wanted:
                self.diagnostics.warning(path, line, f"equation id '{wanted}' is already used in the book; "
                                                     f"this equation gets '{token.info}': give it another {{#id}}")
            self.equation_numbers[token.info] = len(self.equation_numbers) + 1
            # `@eq-name` is a cross-reference like `@fig-name` (crossrefs.py), numbered as the equation shows
            self.crossrefs.add(wanted, token.info, self.chapter_index, "", (path, line),
                               number=str(self.equation_numbers[token.info]))

    def _check_equation_refs(self) -> None:
        for token, path, line in self.equation_refs:
            if token.meta["id"] not in self.equation_numbers:
                self.diagnostics.warning(path, line, f"@{token.meta['id']} refers to no numbered equation: "
                                                     f"label one with $$ ... $$ {{#{token.meta['id']}}}")

    def _image(self, token: Token, path: Path, line: int | None) -> None:
        resolved = self._resource_url(str(token.attrGet("src") or ""), token.content, path)
        if isinstance(resolved, Diagnostic):
            self.diagnostics.add(resolved.at(path, line))
            token.attrSet("src", "")
        else:
            token.attrSet("src", resolved)

    def _resource_url(self, src: str, alt: str, path: Path) -> str | Diagnostic:
        """The one gate every image passes, from Markdown or raw HTML: where it is, whether the book
        may load it (policy.py) and whether it is a usable image (images.py)."""
        if src.startswith(XhtmlRenderer.resource_url("")):
            return src  # already checked: a box's image is rendered twice
        try:
            where = self.policy.resolve(src, path)
            key = where.book_relative(self.root) if isinstance(where, Local) else where.local_name()
            if key in self.images:
                return XhtmlRenderer.resource_url(key)
            if isinstance(where, Local) and not where.path.is_relative_to(self.root):
                raise Refused("is outside the book folder: move it inside the book")
            data = self.policy.read(where, limits.MAX_IMAGE_BYTES)
            problem = check_image(key, data)
            if problem:
                raise Refused(problem)
        except Refused as refused:
            hint = f" (relative to {path.name})" if str(refused).startswith("does not exist") else ""
            return Diagnostic.error(f"image '{src}' {refused}{hint}")
        self.images[key] = Image(src=key, alt=alt, data=None if isinstance(where, Local) else data)
        return XhtmlRenderer.resource_url(key)

    def _render(self, tokens: list[Token], renderer: XhtmlRenderer, env: dict, path: Path, line: int | None) -> str:
        """Render tokens to XHTML; any raw HTML among them is sanitized (sanitize.py) first."""
        html = renderer.render(tokens, renderer.md.options, env)
        if not _has_raw_html(tokens):
            return renderer.restore(html)
        # The ids bookmaker itself gave these tokens pass once each; any other id, or
        # one of those repeated by raw HTML, must be made unique in the book.
        budget = Counter(_generated_ids(tokens))

        def claim(wanted: str) -> str:
            if budget[wanted] > 0:
                budget[wanted] -= 1
                return wanted
            return self.ids.claim(wanted)

        for token in _raw_html(tokens):
            self.raw_links.extend((unquote(target), path, line) for target in _RAW_FRAGMENT.findall(token.content))
        result = sanitize(html, lambda src, alt: self._resource_url(src, alt, path), claim)
        for finding in result.findings:
            self.diagnostics.add(finding.at(path, line))
        return renderer.restore(result.html)


    # -- blocks -------------------------------------------------------------

    def _blocks(self, tokens: list[Token], md: MarkdownIt, renderer: XhtmlRenderer, env: dict, path: Path) -> list[Block]:
        blocks: list[Block] = []
        spans = _top_level_spans(tokens)
        for index, (start, end) in enumerate(spans):
            first = tokens[start]
            following = tokens[spans[index + 1][0]] if index + 1 < len(spans) else None
            if (first.type == "paragraph_open" and following is not None and following.type == "blockquote_open"
                    and _plain_text(tokens[start + 1].children or []).endswith(":")):
                # CSS cannot see the colon: the class keeps the lead-in on the page of its quotation.
                first.attrJoin("class", "lead-in")
            if first.type == "footnote_block_open" or first.meta.get("table_caption"):
                continue  # notes are collected separately; a table's caption goes inside the table
            if first.type == "container_placeholder_open":
                blocks.append(HtmlBlock(html=self._placeholder(placeholder_name(first.info))))
                continue
            kind = box_kind(first)
            if kind:
                blocks.append(self._box(kind, tokens[start + 1 : end - 1], first, md, renderer, env, path))
                continue
            line = first.map[0] + 1 if first.map else None
            if first.type == "paragraph_open" and _lone_image(tokens[start + 1]):
                blocks.append(HtmlBlock(html=self._figure(tokens[start + 1], md, renderer, env, path, line), kind="html"))
                continue
            if first.type == "heading_open" and first.meta.get("heading") is self.title_heading:
                continue  # the title block shows it
            if first.type == "heading_open":
                first.meta["heading"].html = self._render(tokens[start + 1].children or [], renderer, {}, path, None)
            html = self._render(tokens[start:end], renderer, env, path, line)
            if first.type == "table_open" and "caption" in first.meta:
                html = self._table_caption(html, first, renderer, env, path, line)
            blocks.append(HtmlBlock(html=html, is_paragraph=first.type == "paragraph_open"))
        return blocks

    def _table_caption(self, table_html: str, opening: Token, renderer: XhtmlRenderer, env: dict, path: Path,
                       line: int | None) -> str:
        caption = self._render(opening.meta["caption"].children or [], renderer, env, path, line)
        target = opening.meta.get("crossref")
        if target is not None:
            caption = f'<span class="crossref-label">{target.label}.</span> {caption}'
        end = table_html.index(">", table_html.index("<table")) + 1  # render.py may wrap the table
        return f"{table_html[:end]}\n<caption>{caption}</caption>{table_html[end:]}"

    def _placeholder(self, name: str) -> str:
        """`::: {#refs}`: the bibliography; `::: {#lof}` / `::: {#lot}`: the list of figures / tables."""
        if name == "refs":
            self.refs_placed = True
            return citations.bibliography_html(self.bibliography_entries, None, "refs") if self.bibliography_entries else ""
        return self.crossrefs.list_html("fig" if name == "lof" else "tbl", name)

    def _figure(self, inline: Token, md: MarkdownIt, renderer: XhtmlRenderer, env: dict, path: Path,
                line: int | None) -> str:
        """An image alone in its paragraph is a figure, its alt text the caption (as in pandoc)."""
        image = next(c for c in inline.children or [] if c.type == "image")
        target = image.meta.get("crossref")
        figure_id = ""
        if image.attrGet("id"):  # the figure carries the id a cross-reference links to
            figure_id = f' id="{image.attrGet("id")}"'
            image.attrs.pop("id")
        img = renderer.render([image], md.options, env)
        caption = self._render(image.children or [], renderer, env, path, line)
        if target is not None:
            caption = f'<span class="crossref-label">{target.label}.</span> {caption}'
        return f"<figure{figure_id}>{img}<figcaption>{caption}</figcaption></figure>\n"

    def _box(
        self, kind: str, inner: list[Token], opening: Token, md: MarkdownIt, renderer: XhtmlRenderer, env: dict, path: Path
    ) -> Block:
        line = opening.map[0] + 1 if opening.map else None
        attrs = fenced_div_attributes(opening.info)
        if attrs is not None:
            return self._fenced_div(kind, attrs, inner, opening, renderer, env, path, line)
        # The title was parsed with the chapter (markdown._box_titles): its note marks are the chapter's.
        title_tokens: list[Token] = []
        if inner and inner[0].meta.get("box_title"):
            title_tokens, inner = inner[0].children or [], inner[1:]
        box = Box(kind=kind, title_html=self._render(title_tokens, renderer, env, path, line),
                  title_text=_plain_text(title_tokens))
        if not has_box_template(kind, self.sources.templates):
            folder = self.sources.config.theme.templates
            self.diagnostics.warning(
                path, line, f"box kind '{kind}' has no template, so it is set as a plain box with class '{kind}': "
                f"add {folder}/boxes/{kind}.html to the book to give it one",
            )
        # A kind is its template; only the infobox also has a reader of its own (image, lines, fields).
        read = {"infobox": self._infobox}.get(kind)
        if read is None:
            box.body_html = self._render(inner, renderer, env, path, line)
        else:
            read(box, inner, md, renderer, env, path, line)
        return box

    def _fenced_div(self, kind: str, attrs: dict, inner: list[Token], opening: Token, renderer: XhtmlRenderer,
                    env: dict, path: Path, line: int | None) -> Block:
        """Pandoc's `::: {#id .class}`: a box when its first class is a kind with a template (the
        theme's or the book's), else a plain division with its id and classes."""
        classes = str(attrs.get("class", "")).split()
        given = opening.meta.get("div_id")
        body = self._render(inner, renderer, env, path, line)
        if kind != DIVISION and kind != "infobox" and has_box_template(kind, self.sources.templates):
            return Box(kind=kind, title_html="", body_html=body, id=given, classes=classes[1:])
        id_attr = f' id="{html_escape(given)}"' if given else ""
        class_attr = f' class="{html_escape(" ".join(classes))}"' if classes else ""
        return HtmlBlock(html=f"<div{id_attr}{class_attr}>\n{body}</div>\n", kind="html")

    def _infobox(self, box: Box, inner: list[Token], md: MarkdownIt, renderer: XhtmlRenderer, env: dict, path: Path,
                 line: int | None) -> None:
        rest: list[Token] = []
        spans = _top_level_spans(inner)
        for start, end in spans:
            first = inner[start]
            if first.type == "paragraph_open":
                children = inner[start + 1].children or []
                if len(children) == 1 and children[0].type == "image" and box.image is None and not box.fields:
                    src = str(children[0].attrGet("src") or "")
                    if src:  # empty when the image was refused; the error is reported
                        box.image = Image(src=src, alt=children[0].content)
                    continue
                if not box.fields:
                    box.lines_html.append(self._render(children, renderer, env, path, line))
                    continue
            if first.type == "dl_open":
                box.fields.extend(self._fields(inner[start + 1 : end - 1], md, renderer, env, path, line))
                continue
            rest.extend(inner[start:end])
        if not box.fields:
            self.diagnostics.warning(
                path, line, "infobox has no fields: add lines such as 'Born' followed by ': 11 March 1957'"
            )
        box.body_html = self._render(rest, renderer, env, path, line)

    def _fields(
        self, tokens: list[Token], md: MarkdownIt, renderer: XhtmlRenderer, env: dict, path: Path, line: int | None
    ) -> list[Field]:
        fields: list[Field] = []
        for start, end in _top_level_spans(tokens):
            first = tokens[start]
            if first.type == "dt_open":
                label = self._render(tokens[start + 1].children or [], renderer, env, path, line)
                fields.append(Field(label_html=label, values_html=[]))
            elif first.type == "dd_open" and fields:
                inner = tokens[start + 1 : end - 1]
                # A one-paragraph value is inline text; anything larger keeps its blocks.
                if len(inner) == 3 and inner[0].type == "paragraph_open":
                    fields[-1].values_html.append(self._render(inner[1].children or [], renderer, env, path, line))
                else:
                    fields[-1].values_html.append(self._render(inner, renderer, env, path, line))
        return fields

    def _collect_note_bodies(
        self, tokens: list[Token], local: dict[int, Note], renderer: XhtmlRenderer, env: dict, path: Path
    ) -> None:
        lines = {label: line + 1 for label, line in env.get("note_definitions", [])}
        ref_lines: dict[int, int | None] = {}
        for child in _inline_children(tokens):
            if child is not None and child.type == "footnote_ref":
                ref_lines.setdefault(child.meta["id"], child.meta.get("line"))
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.type != "footnote_open":
                i += 1
                continue
            note = local.get(token.meta["id"])
            j = i + 1
            body: list[Token] = []
            while tokens[j].type != "footnote_close":
                if tokens[j].type != "footnote_anchor":
                    body.append(tokens[j])
                j += 1
            i = j + 1
            label = token.meta.get("label")
            line = lines.get(label) if label else ref_lines.get(token.meta["id"])
            if not any(t.type not in ("paragraph_open", "paragraph_close") and (t.content.strip() or t.children)
                       for t in body):
                what = f"note [^{label}]" if label else "an inline note ^[]"
                self.diagnostics.error(path, line, f"{what} is empty: write its text after the marker, or remove it")
            if note is None:
                continue
            if len(body) >= 3 and body[0].type == "paragraph_open":
                note.first_html = self._render(body[1].children or [], renderer, env, path, line)
                note.rest_html = self._render(body[3:], renderer, env, path, line)
            else:
                note.rest_html = self._render(body, renderer, env, path, line)


def _top_level_spans(tokens: list[Token]) -> list[tuple[int, int]]:
    """(start, end) index pairs of the outermost blocks of a balanced token list, end exclusive."""
    spans = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.nesting == 1:
            depth, j = 1, i + 1
            while j < len(tokens) and depth:
                depth += tokens[j].nesting
                j += 1
            spans.append((i, j))
            i = j
        else:
            spans.append((i, i + 1))
            i += 1
    return spans


def _is_index_mark(span: Token) -> bool:
    return any(name in span.attrs for name in INDEX_ATTRIBUTES) or "index" in str(span.attrGet("class") or "").split()


def _span_content(children: list[Token], position: int) -> list[Token]:
    """The tokens inside the span or link opening at `position` (inline code: itself)."""
    opening = children[position]
    if opening.nesting == 0:
        return [opening]
    kind = opening.type.removesuffix("_open")
    depth = 0
    for end in range(position, len(children)):
        depth += 1 if children[end].type == f"{kind}_open" else -1 if children[end].type == f"{kind}_close" else 0
        if depth == 0:
            return children[position + 1 : end]
    return children[position + 1 :]


def _lone_image(inline: Token) -> bool:
    children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
    return len(children) == 1 and children[0].type == "image" and bool(children[0].content.strip())


def _internal_link(href: str) -> bool:
    """`#id`, `chapter.md` or `chapter.md#id`: a link inside the book."""
    try:
        parts = urlsplit(href)
    except ValueError:  # `http://[x`: not one of the book's links; _outward_link says what is wrong
        return False
    if parts.scheme or parts.netloc:
        return False
    return href.startswith("#") or parts.path.lower().endswith((".md", ".markdown"))


def _unlink_nested_links(children: list[Token], report: Callable[[], None]) -> None:
    """`[a <https://x.example> b](#t)`: markdown-it makes the autolink a link inside the link."""
    open_links: list[bool] = []  # for each open link: whether it is hidden
    for child in children:
        if child.type == "link_open":
            child.hidden = bool(open_links)
            if child.hidden:
                report()
            open_links.append(child.hidden)
        elif child.type == "link_close" and open_links:
            child.hidden = open_links.pop()


def _raw_html(tokens: list[Token]):
    for token in tokens:
        if token.type in ("html_block", "html_inline"):
            yield token
        yield from _raw_html(token.children or [])


def _has_raw_html(tokens: list[Token]) -> bool:
    return any(t.type in ("html_block", "html_inline") or _has_raw_html(t.children or []) for t in tokens)


def _generated_ids(tokens: list[Token]):
    for token in tokens:
        if token.type == "footnote_ref" and "ref_id" in token.meta:
            yield token.meta["ref_id"]
        elif token.attrGet("id"):  # a heading's, or one written `{#id}`: claimed when the chapter was parsed
            yield str(token.attrGet("id"))
        elif token.meta.get("index_anchor"):
            yield token.meta["index_anchor"]
        if token.children:
            yield from _generated_ids(token.children)


def _inline_children_placed(tokens: list[Token]):
    """Each inline token, and whether it is in the note definitions gathered at the end of the text."""
    in_notes = False
    for token in tokens:
        if token.type in ("footnote_block_open", "footnote_block_close"):
            in_notes = token.type == "footnote_block_open"
        elif token.children:
            for child in token.children:
                yield child, in_notes


def _citations_in_notes(tokens: list[Token]) -> dict[int, list[Token]]:
    """Each note's citations (by the note's id in the chapter), which stay inside the note."""
    found: dict[int, list[Token]] = {}
    current = None
    for token in tokens:
        if token.type == "footnote_open":
            current = found.setdefault(token.meta["id"], [])
        elif token.type == "footnote_close":
            current = None
        elif current is not None and token.children:
            current.extend(c for c in token.children if c.type == "citation")
    return found


def _inline_children(tokens: list[Token]):
    """The children of every inline token, with None between two tokens' children (they are not adjacent)."""
    for token in tokens:
        if token.children:
            yield from token.children
            yield None


def _words(text: str) -> str:
    """Text compared by its words alone: case, quotes, dashes and spacing aside."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def _plain_text(children: list[Token]) -> str:
    out = []
    for child in children:
        if child.type in ("text", "code_inline", "math_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.children:
            out.append(_plain_text(child.children))
    return "".join(out).strip()
