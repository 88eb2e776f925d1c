"""Books made for another tool, read as they are: an mdBook (`book.toml`, `src/SUMMARY.md`), a Quarto
book (`_quarto.yml`) or a pandoc project (a metadata file beside the chapters) needs no bookmaker.toml.

Each reader yields settings only: the metadata bookmaker knows (title, authors, language, bibliography...),
the manuscript folder and the chapters in the project's own order, each with where it is written, so a
problem is reported at the project file's line. bookmaker.toml, when there is one too, overrides any of it.
"""

from __future__ import annotations

from pathlib import Path

from bookmaker.core.diagnostics import Diagnostics
from bookmaker.config.projects.project import Project


def detect(root: Path, diagnostics: Diagnostics) -> Project | None:
    """The project of another tool in the book folder `root`, if there is one; problems go to `diagnostics`."""
    from bookmaker.config.projects import mdbook, pandoc, quarto

    for reader in (mdbook, quarto, pandoc):
        if (project := reader.read(root, diagnostics)) is not None:
            return project
    return None
