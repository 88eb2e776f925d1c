"""Where a book's files are: the manuscript chapters and the book's own stylesheets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bookmaker.diagnostics import BookError, Diagnostics


@dataclass
class BookSources:
    root: Path
    chapters: list[Path]
    styles: list[Path]


def locate(path: Path) -> BookSources:
    """A book folder (with `manuscript/*.md`) or a single Markdown file."""
    path = path.resolve()
    diagnostics = Diagnostics()
    if path.is_file():
        if path.suffix.lower() not in (".md", ".markdown"):
            diagnostics.error(path, None, "not a Markdown file: give a book folder or a .md file")
            raise BookError(diagnostics)
        return BookSources(root=path.parent, chapters=[path], styles=[])
    if not path.is_dir():
        diagnostics.error(path, None, "no such file or folder: give a book folder or a .md file")
        raise BookError(diagnostics)
    manuscript = path / "manuscript"
    chapters = sorted(p for p in manuscript.glob("*.md") if p.is_file()) if manuscript.is_dir() else []
    if not chapters:
        diagnostics.error(
            path, None, "no manuscript found: put the book's Markdown files in a 'manuscript/' folder, one per chapter"
        )
        raise BookError(diagnostics)
    styles_dir = path / "styles"
    styles = sorted(p for p in styles_dir.glob("*.css") if p.is_file()) if styles_dir.is_dir() else []
    return BookSources(root=path, chapters=chapters, styles=styles)
