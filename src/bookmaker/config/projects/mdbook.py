"""An mdBook: `book.toml` ([book] title, authors, language, description, src) and `src/SUMMARY.md`,
whose links are the chapters in reading order (prefix chapters, numbered ones at any depth, suffix
chapters). A draft chapter (`[Title]()`) has no file and is left out, as mdBook leaves it out of a book."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from bookmaker.core.diagnostics import Diagnostics
from bookmaker.config.projects.project import Project
from bookmaker.config.projects.files import read_text, texts
from bookmaker.config.toml_lines import key_lines

# A SUMMARY.md entry: `[Title](path.md)`, alone or as a list item; `[Title]()` is a draft.
_ENTRY = re.compile(r"^\s*(?:[-*+]\s+)?\[(?P<title>(?:[^\[\]]|\[[^\]]*\])*)\]\((?P<target>[^()]*)\)\s*$")
# book.toml's keys bookmaker reads; [output.*], [rust] and [build] only concern mdBook's own renderers.
_KEYS = {"title": "title", "authors": "author", "language": "lang", "description": "description"}
# mdBook's own preprocessors, which bookmaker does itself: `links` ({{#include}}) and `index` (README.md).
BUILT_IN_PREPROCESSORS = ("links", "index")


def read(root: Path, diagnostics: Diagnostics) -> Project | None:
    path = root / "book.toml"
    if not path.is_file():
        return None
    text = read_text(path, root, diagnostics)
    if text is None:
        return None
    import tomllib

    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        diagnostics.error(path, None, f"not valid TOML: {exc}", code="project-file-invalid")
        return None
    lines = key_lines(text)
    book = data.get("book") if isinstance(data.get("book"), dict) else {}
    project = Project("mdBook", path, manuscript=str(book.get("src", "src")) if isinstance(book.get("src"), str) else "src")
    for key, ours in _KEYS.items():
        value = book.get(key)
        if value is None:
            continue
        value = texts(value) if ours == "author" else value
        if value is not None:
            project.book[ours] = value
            project.lines[ours] = lines.get(f"book.{key}")
    _preprocessors(project, data, lines, diagnostics)
    _read_summary(project, root, diagnostics)
    return project


def _preprocessors(project: Project, data: dict, lines: dict[str, int], diagnostics: Diagnostics) -> None:
    """A preprocessor is a program mdBook runs; a book folder runs nothing here, so each is said once."""
    preprocessors = data.get("preprocessor")
    if not isinstance(preprocessors, dict):
        return
    for name in preprocessors:
        if name in BUILT_IN_PREPROCESSORS:
            continue
        diagnostics.warning(
            project.path, lines.get(f"preprocessor.{name}"),
            f"the mdBook preprocessor '{name}' is a program bookmaker does not run (a book folder runs no code): "
            "what it would add or change in the chapters is left as written", code="project-preprocessor")


def _read_summary(project: Project, root: Path, diagnostics: Diagnostics) -> None:
    summary = root / project.manuscript / "SUMMARY.md"
    if not summary.is_file():
        diagnostics.error(project.path, None, f"an mdBook needs its chapter list, {project.manuscript}/SUMMARY.md: "
                                              "add it, or give the chapters in bookmaker.toml's [manuscript]",
                          code="project-chapters-missing")
        return
    text = read_text(summary, root, diagnostics)
    if text is None:
        return
    in_fence = False
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence or line.lstrip().startswith("<!--"):
            continue
        match = _ENTRY.match(line)
        if not match:
            continue
        target = unquote(match.group("target").strip().split("#", 1)[0])
        if not target:
            continue  # a draft chapter: no file yet
        target = target.removeprefix("./")
        if target not in project.chapters:
            project.chapters.append(target)
            project.chapter_lines[target] = (summary, number)
