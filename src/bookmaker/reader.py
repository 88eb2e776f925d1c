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
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bookmaker import limits
from bookmaker.covers import resolve_cover
from bookmaker.diagnostics import BookError, Diagnostics
from bookmaker.frontmatter import FrontMatter, split_front_matter
from bookmaker.ids import IdRegistry, note_id, ref_id, slugify
from bookmaker.images import check_image
from bookmaker.markdown import box_kind, parser_for
from bookmaker.model import Block, Book, Box, Chapter, Field, Heading, HtmlBlock, Image, Metadata, Note, NoteRef
from bookmaker.config import BookConfig
from bookmaker.policy import Local, Refused, ResourcePolicy
from bookmaker.render import XhtmlRenderer
from bookmaker.sanitize import Finding, sanitize
from bookmaker.sources import BookSources, locate
from bookmaker.structure import check_structure
from bookmaker.stylesheets import check_stylesheets
from bookmaker.theme import THEME_DIR, has_box_template

# Ids the templates use; a heading or chapter that wants one gets a suffix.
RESERVED_IDS = ("notes", "notes-title", "toc", "toc-title", "landmarks")
# The schemes markdown-it's validateLink refuses, leaving the image as text.
_REFUSED_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?((?:file|data|javascript|vbscript):[^\s)>]*)", re.IGNORECASE)
_UNDEFINED_NOTE = re.compile(r"\[\^([^\]\s]+)\]")


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
        self.links: list[tuple[Token, Path, int | None]] = []  # links to other chapters, resolved once all ids exist
        self.targets: dict[Path, dict[str, str]] = {}  # chapter file -> the id an author wrote -> the id it got
        self.root = sources.root
        self.diagnostics = diagnostics
        self.policy = policy
        self.book_bytes = 0
        self.ids = IdRegistry()
        for taken in RESERVED_IDS:
            self.ids.claim(taken)
        self.notes: list[Note] = []
        self.title_heading: Heading | None = None  # the level-1 heading that is the book's title
        self.images: dict[str, Image] = {}

    def read(self) -> Book:
        check_stylesheets(self.sources.styles, self.policy, self.diagnostics)
        self._check_templates()
        files = [f for f in (self._load(p) for p in self.sources.chapters) if f is not None]
        if not files:
            raise BookError(self.diagnostics)
        metadata = self._metadata(files)
        md = parser_for(metadata.lang)
        renderer = XhtmlRenderer(md)
        # Every chapter is parsed (and its ids claimed) before any is rendered,
        # so a link may point at a heading in a later chapter.
        chapters = []
        for index, file in enumerate(files):
            self.progress(file.path, index, len(files))
            chapters.append(self._parse_chapter(index, file, md))
        self._title_from_heading(files, chapters, metadata)
        self._resolve_links(files, chapters)
        for file, chapter in zip(files, chapters):
            self._render_chapter(chapter, file, md, renderer)
        if metadata.title is None:
            first_h1 = next((h.text for c in chapters for h in c.headings if h.level == 1), None)
            metadata.title = first_h1 or self.sources.chapters[0].stem.replace("-", " ").strip().title()
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
        )

    def _check_templates(self) -> None:
        """The book's templates load under the rules of every other file it supplies (no link out of the book)."""
        folder = self.sources.templates
        if folder is None:
            return
        for path in sorted(folder.rglob("*")):
            if not path.is_dir() or path.is_symlink():
                try:
                    if self.policy.check_local(path).stat().st_size > limits.MAX_TEMPLATE_BYTES:
                        raise Refused(f"is larger than {limits.MAX_TEMPLATE_BYTES // 1_000_000} MB: make it smaller")
                except Refused as refused:
                    self.diagnostics.error(path, None, f"the template {refused}")

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
        front, body = split_front_matter(text, path, self.diagnostics)
        return _File(path, body, front)

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
        try:  # the same rules as every other resource first (symlinks, file: URLs...), then the cover's own
            where = self.policy.resolve(src, where_from)
            if not isinstance(where, Local) or not where.path.is_relative_to(self.root):
                raise Refused("is not a file inside the book: copy it into the book")
        except Refused as refused:
            self.diagnostics.error(where_from, line, f"cover '{src}' {refused}")
            return None
        return resolve_cover(src, where_from, line, self.root, self.diagnostics)

    # -- one chapter --------------------------------------------------------

    def _parse_chapter(self, index: int, file: _File, md: MarkdownIt) -> Chapter:
        file.tokens = tokens = md.parse(file.body, file.env)
        chapter = Chapter(index=index, source=file.path, id=self.ids.claim(slugify(file.path.stem, "chapter")))
        self.targets[file.path.resolve()] = {"": chapter.id}
        file.env["local_notes"] = {}
        if not check_structure(tokens, file.body, file.path, self.diagnostics):
            file.tokens = []
            return chapter  # nested too deep: the parser dropped text, so the rest would mislead
        file.env["local_notes"] = self._number_notes(tokens, file.env, index, file.path)
        self._check_note_definitions(file.env, file.path)
        self._walk(tokens, chapter, file.path)
        return chapter

    def _render_chapter(self, chapter: Chapter, file: _File, md: MarkdownIt, renderer: XhtmlRenderer) -> None:
        chapter.blocks = self._blocks(file.tokens, md, renderer, file.env, file.path)
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
                    path, line, f"link target '{href}' is not a heading or id in the book: "
                                f"check the id (a heading's id is its text in lower case, words joined by '-')")
                continue
            token.attrSet("href", "#" + written)

    def _number_notes(self, tokens: list[Token], env: dict, chapter: int, path: Path) -> dict[int, Note]:
        """Number each note in order of first reference, through the book or within the chapter."""
        local: dict[int, Note] = {}
        previous: Token | None = None
        for token in _inline_children(tokens):
            follows_mark, previous = previous is not None and previous.type == "footnote_ref", token
            if token is None or token.type != "footnote_ref":
                continue
            # Adjacent marks ([^2][^3]) would read as one number: the renderer puts a comma between them.
            token.meta["follows_mark"] = follows_mark
            local_id = token.meta["id"]
            note = local.get(local_id)
            if note is None:
                sequence = len(self.notes) + 1
                number = len(local) + 1 if self.per_chapter_notes else sequence
                note = Note(number=number, id=note_id(sequence), label=token.meta.get("label"), first_html="", rest_html="")
                local[local_id] = note
                self.notes.append(note)
            ref = NoteRef(id=ref_id(self.notes.index(note) + 1, len(note.refs)), chapter=chapter)
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
        for i, token in enumerate(tokens):
            if token.type == "heading_open":
                inline = tokens[i + 1]
                text = _plain_text(inline.children or [])
                explicit = token.attrGet("id")
                wanted = str(explicit or slugify(text))
                token.attrSet("id", self.ids.claim(wanted))
                self.targets[path.resolve()].setdefault(wanted, str(token.attrGet("id")))
                line = token.map[0] + 1 if token.map else None
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
                chapter.headings.append(
                    Heading(level=int(token.tag[1]), id=str(token.attrGet("id")), text=text, html="", chapter=chapter.index)
                )
                token.meta["heading"] = chapter.headings[-1]
            if token.type != "inline" or not token.children:
                continue
            line = (token.map[0] + 1) if token.map else None
            for child in token.children:
                if child.type in ("softbreak", "hardbreak") and line is not None:
                    line += 1
                elif child.type == "text":
                    for match in _REFUSED_IMAGE.finditer(child.content):
                        # markdown-it leaves an image whose URL it distrusts (file:, data:...) as text
                        refused = self._resource_url(match.group(1), "", path)
                        if isinstance(refused, Finding):
                            self.diagnostics.error(path, line, refused.message)
                    for match in _UNDEFINED_NOTE.finditer(child.content):
                        self.diagnostics.error(
                            path,
                            line,
                            f"note [^{match.group(1)}] is referenced but never defined: "
                            f"add a line '[^{match.group(1)}]: text of the note'",
                        )
                elif child.type == "footnote_ref":
                    child.meta["line"] = line  # an inline note's body has no line of its own
                elif child.type == "image":
                    self._image(child, path, line)
                elif child.type == "link_open" and _internal_link(str(child.attrGet("href") or "")):
                    self.links.append((child, path, line))

    def _image(self, token: Token, path: Path, line: int | None) -> None:
        resolved = self._resource_url(str(token.attrGet("src") or ""), token.content, path)
        if isinstance(resolved, Finding):
            self.diagnostics.error(path, line, resolved.message)
            token.attrSet("src", "")
        else:
            token.attrSet("src", resolved)

    def _resource_url(self, src: str, alt: str, path: Path) -> str | Finding:
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
            return Finding("error", f"image '{src}' {refused}{hint}")
        self.images[key] = Image(src=key, alt=alt, data=None if isinstance(where, Local) else data)
        return XhtmlRenderer.resource_url(key)

    def _render(self, tokens: list[Token], renderer: XhtmlRenderer, env: dict, path: Path, line: int | None) -> str:
        """Render tokens to XHTML; any raw HTML among them is sanitized (sanitize.py) first."""
        html = renderer.render(tokens, renderer.md.options, env)
        if not _has_raw_html(tokens):
            return html
        # The ids bookmaker itself gave these tokens pass once each; any other id, or
        # one of those repeated by raw HTML, must be made unique in the book.
        budget = Counter(_generated_ids(tokens))

        def claim(wanted: str) -> str:
            if budget[wanted] > 0:
                budget[wanted] -= 1
                return wanted
            return self.ids.claim(wanted)

        result = sanitize(html, lambda src, alt: self._resource_url(src, alt, path), claim)
        for finding in result.findings:
            report = self.diagnostics.error if finding.severity == "error" else self.diagnostics.warning
            report(path, line, finding.message)
        return result.html


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
            if first.type == "footnote_block_open":
                continue  # notes are collected separately
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
            blocks.append(HtmlBlock(html=html, is_paragraph=first.type == "paragraph_open"))
        return blocks

    def _figure(self, inline: Token, md: MarkdownIt, renderer: XhtmlRenderer, env: dict, path: Path,
                line: int | None) -> str:
        """An image alone in its paragraph is a figure, its alt text the caption (as in pandoc)."""
        image = next(c for c in inline.children or [] if c.type == "image")
        img = renderer.render([image], md.options, env)
        caption = self._render(image.children or [], renderer, env, path, line)
        return f"<figure>{img}<figcaption>{caption}</figcaption></figure>\n"

    def _box(
        self, kind: str, inner: list[Token], opening: Token, md: MarkdownIt, renderer: XhtmlRenderer, env: dict, path: Path
    ) -> Box:
        line = opening.map[0] + 1 if opening.map else None
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


def _lone_image(inline: Token) -> bool:
    children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
    return len(children) == 1 and children[0].type == "image" and bool(children[0].content.strip())


def _internal_link(href: str) -> bool:
    """`#id`, `chapter.md` or `chapter.md#id`: a link inside the book."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return False
    return href.startswith("#") or parts.path.lower().endswith((".md", ".markdown"))


def _has_raw_html(tokens: list[Token]) -> bool:
    return any(t.type in ("html_block", "html_inline") or _has_raw_html(t.children or []) for t in tokens)


def _generated_ids(tokens: list[Token]):
    for token in tokens:
        if token.type == "footnote_ref" and "ref_id" in token.meta:
            yield token.meta["ref_id"]
        elif token.type == "heading_open" and token.attrGet("id"):
            yield str(token.attrGet("id"))
        if token.children:
            yield from _generated_ids(token.children)


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
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.children:
            out.append(_plain_text(child.children))
    return "".join(out).strip()
