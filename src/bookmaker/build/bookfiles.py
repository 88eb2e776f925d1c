"""Which files a book folder's outputs are made from, known before reading it: bookmaker.toml and what is
in the manuscript, styles and templates folders. The skip check (pipeline.py) lists them; `watch` asks of
a changed file whether it is one of them."""

from __future__ import annotations

from pathlib import Path

from bookmaker.config.bookmaker_toml import CONFIG_NAME, BookConfig
from bookmaker.core.diagnostics import BookError, Diagnostics


def hidden(path: Path, folder: Path) -> bool:
    # Editors' swap and backup files are not part of the book.
    return any(part.startswith(".") or part.endswith("~") for part in path.relative_to(folder).parts)


def folders(config: BookConfig) -> list[Path]:
    """The folders whose files the book is made of."""
    return [config.root / config.manuscript.dir, config.styles_dir, config.templates_dir]


def belongs(path: Path, config: BookConfig, output_dir: Path) -> bool:
    """Is `path` (in the book folder of `config`) something the outputs are made from?"""
    root = config.root
    if not path.is_relative_to(root) or hidden(path, root):
        return False
    if path == root / CONFIG_NAME:
        return True
    if path.is_relative_to(output_dir):
        return False  # our own outputs, wherever [output] dir puts them
    return any(path.is_relative_to(folder) for folder in folders(config))


def inputs(config: BookConfig) -> list[Path] | None:
    """bookmaker.toml, the chapter files, stylesheets and templates; None when the book's folders cannot be
    listed. The images, cover and fonts are known after reading (buildstate.used_files)."""
    from bookmaker.config.sources import locate

    root = config.root
    try:
        sources = locate(root, config, Diagnostics())
    except BookError:
        return None
    files = [root / CONFIG_NAME] if (root / CONFIG_NAME).is_file() else []
    files += sources.chapters + sources.styles
    if sources.templates is not None:
        files.extend(p for p in sources.templates.rglob("*") if not hidden(p, sources.templates))
    return sorted(set(files))
