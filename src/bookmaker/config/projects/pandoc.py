"""A pandoc project: a metadata file (`metadata.yaml`, as `pandoc --metadata-file` takes, or a YAML
block) beside the chapters, in the book folder or a `source/`, `src/`, `chapters/` or `text/` folder,
or at the top with the chapters in such a folder; the chapters are that folder's Markdown files in name
order, as `pandoc source/*.md` takes them. A
bibliography given only on pandoc's command line is the folder's one `.bib` (or CSL JSON) file."""

from __future__ import annotations

from pathlib import Path

from bookmaker.core.diagnostics import Diagnostics
from bookmaker.config.projects.project import Project
from bookmaker.config.projects.files import load_yaml, read_text, texts

FOLDERS = (".", "source", "src", "chapters", "text", "content")
METADATA_FILES = ("metadata.yaml", "metadata.yml", "meta.yaml", "meta.yml")
_KEYS = ("title", "subtitle", "author", "date", "lang", "description", "keywords", "rights", "bibliography", "csl",
         "nocite")
_SKIPPED = ("README.md", "LICENSE.md", "CHANGELOG.md", "CONTRIBUTING.md")


def read(root: Path, diagnostics: Diagnostics) -> Project | None:
    for folder in FOLDERS:
        for name in METADATA_FILES:
            path = root / folder / name
            if path.is_file() and (chapters := _chapter_folder(root, folder)) is not None:
                return _project(root, chapters, path, diagnostics)
    return None


def _chapter_folder(root: Path, folder: str) -> str | None:
    """The chapters' folder: the metadata file's own, or for one at the top of the book beside only a
    README and the like, the first chapters folder (`pandoc metadata.yml chapters/*.md`, as the pandoc
    book template builds); a top folder of such files alone stays the book, as before."""
    if _chapters(root, folder):
        return folder
    if folder == ".":
        found = next((inner for inner in FOLDERS[1:] if _chapters(root, inner)), None)
        return found or ("." if any(root.glob("*.md")) else None)
    return None


def _chapters(root: Path, folder: str) -> list[str]:
    """The folder's Markdown files in name order, but a README, licence, changelog at the book's top."""
    found = sorted(p.name for p in (root / folder).glob("*.md") if p.is_file())
    return [c for c in found if not (folder == "." and c in _SKIPPED)]


def _project(root: Path, folder: str, path: Path, diagnostics: Diagnostics) -> Project:
    project = Project("pandoc", path, manuscript=folder)
    text = read_text(path, root, diagnostics)
    data, lines = load_yaml(path, text, diagnostics) if text is not None else ({}, {})
    for key in _KEYS:
        value = data.get(key)
        if value is None:
            continue
        if key in ("author", "keywords", "bibliography"):
            value = texts(value)
        if value is not None:
            project.book[key] = value
            project.lines[key] = lines.get(key)
    if "bibliography" not in project.book:
        found = sorted(p.name for p in (root / folder).iterdir() if p.suffix.lower() in (".bib", ".bibtex"))
        if len(found) == 1:
            project.book["bibliography"] = found
    project.chapters = _chapters(root, folder)
    return project
