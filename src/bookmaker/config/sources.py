"""Where a book's files are: the manuscript chapters, the book's own stylesheets and templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bookmaker.config.bookmaker_toml import BookConfig, load_config
from bookmaker.core.diagnostics import BookError, Diagnostics
from bookmaker.core.paths import loops, real_path


@dataclass
class BookSources:
    root: Path
    chapters: list[Path]
    styles: list[Path]
    templates: Path | None = None  # the book's own templates folder, if it has one
    config: BookConfig = field(default_factory=BookConfig)


def locate(path: Path, config: BookConfig | None = None, diagnostics: Diagnostics | None = None) -> BookSources:
    """A book folder (with `manuscript/*.md`, or the chapters its bookmaker.toml names) or a single Markdown file."""
    path = real_path(path)
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    if path.is_file():
        if path.suffix.lower() not in (".md", ".markdown", ".qmd"):
            diagnostics.error(path, None, "not a Markdown file: give a book folder or a .md file", code="not-markdown")
            raise BookError(diagnostics)
        return BookSources(root=path.parent, chapters=[path], styles=[], config=BookConfig(root=path.parent))
    if not path.is_dir():
        diagnostics.error(path, None, "no such file or folder: give a book folder or a .md file", code="path-missing")
        raise BookError(diagnostics)
    if config is None:
        config = load_config(path, diagnostics)
        if diagnostics.has_errors:
            raise BookError(diagnostics)
    manuscript = path / config.manuscript.dir
    for folder, what in ((manuscript, "manuscript"), (path / config.theme.styles, "styles"),
                         (path / config.theme.templates, "templates")):
        if loops(folder):
            diagnostics.warning(folder, None, f"the {what} folder is a symbolic link that leads back to itself, "
                                              "so it is left out: replace it with the folder", code="folder-link-loop")
    if config.manuscript.chapters:
        chapters = _listed_chapters(manuscript, config, diagnostics)
    else:
        chapters = _chapter_files(manuscript, diagnostics)
        if not chapters:
            diagnostics.error(
                path, None,
                f"no manuscript found: put the book's Markdown files in a '{config.manuscript.dir}/' folder, one per chapter", code="manuscript-missing"
            )
    if diagnostics.has_errors:
        raise BookError(diagnostics)
    styles_dir = path / config.theme.styles
    styles = sorted(p for p in styles_dir.glob("*.css") if p.is_file()) if styles_dir.is_dir() else []
    templates = path / config.theme.templates
    return BookSources(root=path, chapters=chapters, styles=styles,
                       templates=templates if templates.is_dir() else None, config=config)


def _chapter_files(manuscript: Path, diagnostics: Diagnostics) -> list[Path]:
    """The manuscript's .md files in name order; one that is not a regular file (a FIFO, a device, a socket:
    reading it could block for ever) is left out with a warning, never silently."""
    found = sorted(manuscript.glob("*.md")) if manuscript.is_dir() else []
    for odd in (p for p in found if not p.is_file() and p.exists() and not p.is_dir()):
        diagnostics.warning(odd, None, "is not a regular file (a named pipe, a device or a socket), so it is "
                                       "left out: replace it with the chapter's file", code="chapter-not-a-file")
    return [p for p in found if p.is_file()]


def _listed_chapters(manuscript: Path, config: BookConfig, diagnostics: Diagnostics) -> list[Path]:
    """The chapters in the order bookmaker.toml lists them; a glob adds its matches in name order."""
    if config.project is not None:
        return _project_chapters(manuscript, config, diagnostics)
    chapters: list[Path] = []
    line = config.line_of("manuscript", "chapters")
    for entry in config.manuscript.chapters:
        if entry.startswith(("/", "\\")) or ".." in Path(entry).parts or (len(entry) > 1 and entry[1] == ":"):
            diagnostics.error(
                config.path, line,
                f"[manuscript] chapters: '{entry}' is not inside {config.manuscript.dir}/: give chapter files "
                f"relative to it, such as \"01-start.md\" or \"part-1/*.md\"", code="chapter-outside-manuscript"
            )
            continue
        if any(c in entry for c in "*?["):
            try:
                matches = sorted(p for p in manuscript.glob(entry) if p.is_file())
            except ValueError as exc:  # pathlib refuses some patterns (`a**b`)
                diagnostics.error(config.path, line, f"[manuscript] chapters: '{entry}' is not a pattern bookmaker "
                                                     f"can use ({exc}): use * and ? within a name, ** alone", code="chapter-pattern-invalid")
                continue
        else:
            matches = [manuscript / entry] if (manuscript / entry).is_file() else []
        if not matches:
            diagnostics.error(
                config.path, line,
                f"[manuscript] chapters: no file '{entry}' in {config.manuscript.dir}/: check the name or remove it", code="chapter-missing"
            )
        chapters.extend(m for m in matches if m not in chapters)
    return chapters


def _project_chapters(manuscript: Path, config: BookConfig, diagnostics: Diagnostics) -> list[Path]:
    """The chapters an mdBook's SUMMARY.md or a Quarto book's `chapters:` lists, each inside the book.
    A listed file that does not exist is a warning (mdBook would create it empty) and is left out."""
    project = config.project
    chapters: list[Path] = []
    root = config.root.resolve()
    for entry in project.chapters:
        where = project.chapter_lines.get(entry, (project.path, None))
        path = manuscript / entry
        if not path.resolve().is_relative_to(root):
            diagnostics.error(*where, f"the chapter '{entry}' is outside the book folder: move it inside",
                              code="project-chapter-outside")
        elif not path.is_file():
            diagnostics.warning(*where, f"the chapter '{entry}' listed here does not exist and is left out: "
                                        "write it, or remove the line", code="project-chapter-missing")
        elif path not in chapters:
            chapters.append(path)
    return chapters
