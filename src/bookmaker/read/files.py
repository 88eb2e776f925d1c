"""The book's files: manuscript files loaded and decoded, the metadata and settings from front matter
and bookmaker.toml, the cover, the book's templates, and the title taken from the first heading."""

from __future__ import annotations

from pathlib import Path

from bookmaker.config.frontmatter import FrontMatter, split_front_matter
from bookmaker.core import limits
from bookmaker.core.text import INVALID_CHARACTERS, line_and_column, not_utf8
from bookmaker.model import Chapter, Metadata
from bookmaker.read.assets import resolve_cover
from bookmaker.read.includes import expand_includes
from bookmaker.read.state import BookState, SourceFile
from bookmaker.read.tokens import words
from bookmaker.safety.policy import Refused
from bookmaker.core.paths import real_path


def check_templates(book: BookState) -> None:
    """The book's templates load under the rules of every other file it supplies (no link out of the book)."""
    folder = book.sources.templates
    if folder is None:
        return
    from bookmaker.safety.templating import (
        template_refused,  # Jinja's sandbox: only for a book with templates
    )

    for path in sorted(folder.rglob("*")):
        if (not path.is_dir() or path.is_symlink()) and (problem := template_refused(path, book.policy)):
            book.diagnostics.add(problem)


def load(book: BookState, path: Path) -> SourceFile | None:
    """A manuscript file as text, its front matter split off; None (with the error) when it cannot be read."""
    diagnostics = book.diagnostics
    try:
        size = path.stat().st_size
        if size > limits.MAX_FILE_BYTES or book.book_bytes + size > limits.MAX_BOOK_BYTES:
            diagnostics.error(
                path, None,
                f"the manuscript is too large ({size:,} bytes; the limits are {limits.MAX_FILE_BYTES:,} per file "
                f"and {limits.MAX_BOOK_BYTES:,} for the book): split it or check it is really text", code="manuscript-too-large"
            )
            return None
        book.book_bytes += size
        raw = book.policy.read_local(path)
    except OSError as exc:
        diagnostics.error(path, None, f"cannot read the file: {exc.strerror}", code="file-unreadable")
        return None
    except Refused as refused:
        diagnostics.error(path, None, f"the manuscript file {refused}", code="manuscript-refused")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column, message = not_utf8(exc, "the file")
        diagnostics.error(path, line, message, column, code="file-not-utf8")
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _without_invalid_characters(book, text, path)
    front, body = split_front_matter(text, path, diagnostics)
    project = book.sources.config.project
    if project is not None and project.kind == "Quarto":
        front, body = _quarto_chapter_title(front, body)
    added: list[tuple[int, int]] = []
    body = expand_includes(book, body, path, added=added)
    if added:
        book.included_lines[path] = added
    return SourceFile(path, body, front)


def _quarto_chapter_title(front: FrontMatter, body: str) -> tuple[FrontMatter, str]:
    """In a Quarto book a chapter's front matter `title` is that chapter's title, which Quarto prints as
    its heading, and the book's title is _quarto.yml's: the title becomes a level-1 heading on its own
    line (a blank one in the body, so every line keeps its number) and leaves the book's metadata."""
    title, line = front.values.get("title"), front.lines.get("title")
    if not isinstance(title, (str, int, float)) or isinstance(title, bool) or not line:
        return front, body
    lines = body.split("\n")
    if line > len(lines) or lines[line - 1].strip():
        return front, body
    lines[line - 1] = "# " + " ".join(str(title).split())
    values = {k: v for k, v in front.values.items() if k != "title"}  # a copy: the cache shares the parsed one
    return FrontMatter(values, {k: v for k, v in front.lines.items() if k != "title"}), "\n".join(lines)


def _without_invalid_characters(book: BookState, text: str, path: Path) -> str:
    """XML, and so XHTML and the EPUB, cannot hold C0 control characters (but tab and newline) nor
    U+FFFE/U+FFFF: they are removed, with a warning at the first, so that every output can be written."""
    first = INVALID_CHARACTERS.search(text)
    if first is None:
        return text
    count = len(INVALID_CHARACTERS.findall(text))
    line, column = line_and_column(text, first.start())
    more = f" (and {count - 1} more in this file)" if count > 1 else ""
    book.diagnostics.warning(
        path, line, f"invisible character U+{ord(first.group()):04X}{more} removed: XML, and so "
                    "the EPUB, cannot hold it; delete it in your editor", column, code="character-invisible")
    return INVALID_CHARACTERS.sub("", text)


def read_metadata(book: BookState, files: list[SourceFile]) -> Metadata:
    # Any chapter may carry front matter; the first file that sets a key wins.
    values: dict = {}
    for file in files:
        for key, value in file.front.values.items():
            values.setdefault(key, value)
    # bookmaker.toml's [book] holds the defaults; front matter overrides them.
    for key, value in book.sources.config.book.items():
        values.setdefault(key, value)
    return Metadata(
        title=values.get("title"),
        subtitle=values.get("subtitle"),
        authors=values.get("author", []),
        lang=values.get("lang", "en"),
        dir=values.get("dir"),
        date=values.get("date"),
        description=values.get("description"),
        keywords=values.get("keywords", []),
        identifier=_identifier(book, files, values.get("identifier")),
        rights=values.get("rights"),
        edition=values.get("edition"),
        cover=_cover(book, files),
    )


def _identifier(book: BookState, files: list[SourceFile], identifier: object) -> object:
    """The book's identifier; a `urn:uuid:` that is no UUID is left out with a warning (EPUBCheck's OPF-085),
    and the EPUB gets one of its own."""
    import uuid

    if not isinstance(identifier, str) or not identifier.lower().startswith("urn:uuid:"):
        return identifier
    try:
        uuid.UUID(identifier[len("urn:uuid:"):])
        return identifier
    except ValueError:
        _value, path, line = setting(book, files, "identifier")
        book.diagnostics.warning(path, line, f"identifier '{identifier[:60]}' is not a UUID: write "
                                             "urn:uuid: and 32 hexadecimal digits, or an ISBN as urn:isbn:...; the "
                                             "EPUB gets an identifier of its own", code="identifier-invalid")
        return None


def setting(book: BookState, files: list[SourceFile], key: str) -> tuple[object, Path, int | None]:
    """A front matter key (the first file that sets it) or bookmaker.toml's [book] one, with where it is written."""
    file = next((f for f in files if key in f.front.values), None)
    if file is not None:
        return file.front.values[key], file.path, file.front.lines.get(key)
    config = book.sources.config
    path, line = config.where(key)
    if key in config.book and path is not None:
        return config.book[key], path, line
    return None, files[0].path, None


def _cover(book: BookState, files: list[SourceFile]) -> str | None:
    file = next((f for f in files if "cover" in f.front.values), None)
    if file is not None:
        src, line, where_from = str(file.front.values["cover"]), file.front.lines.get("cover"), file.path
    elif "cover" in book.sources.config.book and book.sources.config.where("cover")[0] is not None:
        # bookmaker.toml's [book] cover (or the project file's), relative to the file that names it.
        config = book.sources.config
        (where_from, line), src = config.where("cover"), str(config.book["cover"])
    else:
        return None
    return resolve_cover(src, where_from, line, book.root, book.policy, book.diagnostics)


def title_from_heading(book: BookState, files: list[SourceFile], chapters: list[Chapter], metadata: Metadata) -> None:
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
    elif words(metadata.title) != words(heading.text):
        return
    chapter.headings.remove(heading)
    book.title_heading = heading
    targets = book.targets[real_path(chapter.source)]
    for wanted, written in targets.items():
        if written == heading.id:
            targets[wanted] = chapter.id


def fallback_title(book: BookState, chapters: list[Chapter]) -> str:
    """A book without a title is named by its first level-1 heading, or else its first file."""
    first_h1 = next((h.text for c in chapters for h in c.headings if h.level == 1), None)
    return first_h1 or book.sources.chapters[0].stem.replace("-", " ").strip().title() or "Untitled"
