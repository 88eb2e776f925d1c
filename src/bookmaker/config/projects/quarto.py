"""A Quarto book: `_quarto.yml` with `book:` (title, subtitle, author, date, chapters and appendices,
parts as `- part: file.qmd` with their own `chapters:`), and the top-level `bibliography`, `csl` and `lang`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bookmaker.core.diagnostics import Diagnostics
from bookmaker.config.projects.project import Project
from bookmaker.config.projects.files import load_yaml, read_text, texts

_BOOK_KEYS = ("title", "subtitle", "author", "date", "description", "keywords", "bibliography", "csl", "lang")
_TOP_KEYS = ("bibliography", "csl", "lang")


def read(root: Path, diagnostics: Diagnostics) -> Project | None:
    path = next((root / name for name in ("_quarto.yml", "_quarto.yaml") if (root / name).is_file()), None)
    if path is None:
        return None
    text = read_text(path, root, diagnostics)
    if text is None:
        return None
    data, lines = load_yaml(path, text, diagnostics)
    project = Project("Quarto", path)
    book = data.get("book") if isinstance(data.get("book"), dict) else {}
    for key in _TOP_KEYS:
        if key in data:
            _take(project, key, data[key], lines.get(key))
    for key in _BOOK_KEYS:
        if key in book:
            _take(project, key, book[key], lines.get("book"))
    if "cover-image" in book and isinstance(book["cover-image"], str):
        _take(project, "cover", book["cover-image"], lines.get("book"))
    for entry in (*_list(book.get("chapters")), *_list(book.get("appendices"))):
        _chapter(project, entry, lines.get("book"))
    if not project.chapters:
        project.chapters = sorted(p.name for p in root.glob("*.qmd") if p.is_file() and p.name != "index.qmd")
        if (root / "index.qmd").is_file():
            project.chapters.insert(0, "index.qmd")
    return project


def _take(project: Project, key: str, value: Any, line: int | None) -> None:
    if key in ("author", "keywords", "bibliography"):
        value = texts(value)
    if value is not None:
        project.book[key] = value
        project.lines[key] = line


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


MAX_PART_DEPTH = 8  # parts in parts; YAML's aliases can even make a part contain itself


def _chapter(project: Project, entry: Any, line: int | None, depth: int = 0) -> None:
    """A chapter is a file name, or a part: `part: file.qmd` (or a title) with its own `chapters:`."""
    if isinstance(entry, dict):
        part = entry.get("part")
        if isinstance(part, str) and part.endswith((".qmd", ".md")):
            _chapter(project, part, line)
        for inner in _list(entry.get("chapters")) if depth < MAX_PART_DEPTH else []:
            _chapter(project, inner, line, depth + 1)
        return
    if isinstance(entry, str) and entry.strip() and entry not in project.chapters:
        project.chapters.append(entry.strip().removeprefix("./"))
        project.chapter_lines[project.chapters[-1]] = (project.path, line)
