"""Read a book once: manuscript files -> the document model.

Each chapter file is decoded, its front matter split off, its Markdown parsed
once; then notes are numbered through the whole book, headings get unique
ids, boxes become structures and prose is rendered to XHTML fragments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bookmaker.config.bookmaker_toml import BookConfig
from bookmaker.core.diagnostics import BookError, Diagnostics
from bookmaker.core.digits import native_digits
from bookmaker.core.terms import terms_for
from bookmaker.core.ids import slugify
from bookmaker.markdown.parser import parser_for
from bookmaker.markdown.rules.citations import crossref_label
from bookmaker.markdown.rules.headings import book_heading_references
from bookmaker.render import highlight_worker
from bookmaker.model import Book, Chapter
from bookmaker.safety.policy import ResourcePolicy
from bookmaker.read.bibliography import close_with_bibliography, load_style, resolve_citations
from bookmaker.read.chapter import parse_chapter, render_chapter
from bookmaker.read.files import check_templates, fallback_title, load, read_metadata, setting, title_from_heading
from bookmaker.read.includes import original_line
from bookmaker.read.index_marks import check_index, name_sections
from bookmaker.read.links import check_raw_links, resolve_links
from bookmaker.read.math import check_equation_refs
from bookmaker.read.state import BookState, ChapterContext
from bookmaker.render.prose import XhtmlRenderer
from bookmaker.config.sources import locate
from bookmaker.safety.stylesheets import check_stylesheets
from bookmaker.core.tally import report
from bookmaker.theme import THEME_DIR

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
    highlight_worker.new_book()
    sources = locate(path, config, diagnostics)
    policy = ResourcePolicy(sources.root, [THEME_DIR], allow_remote=allow_remote)
    state = BookState(sources, diagnostics, policy, per_chapter_notes=note_numbering == "chapter")
    try:
        book = _read(state, progress or (lambda path, index, total: None))
    finally:
        for chapter, added in state.included_lines.items():
            diagnostics.relocate(chapter, lambda line, added=added: original_line(added, line), state.read_from)
    if diagnostics.has_errors:
        raise BookError(diagnostics)
    return book, diagnostics


# `{#fig-x}` on anything, or `#| label: fig-x` in a cell that would make the figure if it ran.
_LABEL_WRITTEN = re.compile(r"\{[^{}\n]*#((?:fig|tbl|eq|sec)[:-][\w:.-]+)|^\s*#\|\s*label:\s*((?:fig|tbl)-[\w-]+)", re.M)


def _read(state: BookState, progress: ChapterProgress) -> Book:
    sources, policy = state.sources, state.policy
    style_resources = check_stylesheets(sources.styles, policy, state.diagnostics)
    check_templates(state)
    files = [f for f in (load(state, p) for p in sources.chapters) if f is not None]
    state.read_from = len(state.diagnostics)  # what is found from here on is at lines of the expanded text
    if not files:
        raise BookError(state.diagnostics)
    metadata = read_metadata(state, files)
    _set_up_crossrefs(state, files, metadata)
    load_style(state, files)
    md = parser_for(metadata.lang, metadata.direction)
    renderer = XhtmlRenderer(md)
    renderer.equation_numbers = state.equation_numbers
    renderer.digits = state.crossrefs.digits
    # Every chapter is parsed (and its ids claimed) before any is rendered,
    # so a link may point at a heading in a later chapter.
    contexts = []
    for index, file in enumerate(files):
        progress(file.path, index, len(files))
        chapter = Chapter(index=index, source=file.path, id=state.ids.claim(slugify(file.path.stem, "chapter")))
        contexts.append(ChapterContext(state, chapter, file, md, renderer))
        parse_chapter(contexts[-1])
    chapters = [c.chapter for c in contexts]
    for chapter in chapters[1:]:
        chapter.continues = bool(chapter.headings) and chapter.headings[0].level > 1
    title_from_heading(state, files, chapters, metadata)
    resolve_links(state, chapters)
    check_index(state)
    check_equation_refs(state)
    state.crossrefs.resolve()
    resolve_citations(state, files, metadata.lang)
    for context in contexts:
        render_chapter(context)
    close_with_bibliography(state, chapters)
    check_raw_links(state)
    report(state.seen, state.diagnostics)
    if metadata.title is None:
        metadata.title = fallback_title(state, chapters)
    name_sections(state.index.marks, chapters, metadata.title)
    return Book(
        root=state.root,
        metadata=metadata,
        chapters=chapters,
        notes=state.notes,
        styles=sources.styles,
        templates=sources.templates,
        slug=slugify(metadata.title, fallback="book"),
        images=list(state.images.values()),
        policy=policy,
        style_resources=[p.relative_to(policy.book_root).as_posix() for p in style_resources],
        index_marks=state.index.marks,
        index_ids=state.index.entry_ids,
        terms=state.terms,
        digits=state.crossrefs.digits,
        accessibility_gaps=sorted(state.accessibility_gaps),
    )


def _set_up_crossrefs(state: BookState, files: list, metadata) -> None:
    """The book's words and digits, and how its cross-references are numbered, before any chapter is read."""
    config = state.sources.config
    state.terms = terms_for(metadata.lang, config.terms)
    state.crossrefs.terms = state.terms
    state.crossrefs.digits = native_digits(metadata.lang, config.digits)
    state.crossrefs.written = {crossref_label(label) for f in files for pair in _LABEL_WRITTEN.findall(f.body)
                               for label in pair if label}
    state.crossrefs.per_chapter = setting(state, files, "crossref-numbering")[0] == "chapter"
    state.crossrefs.with_pages = setting(state, files, "crossref-pages")[0] is True
    headings = book_heading_references([f.body for f in files])  # `[Introduction]` from another chapter
    for file in files:
        file.env["book_headings"] = headings
