"""What a project of another tool says, under bookmaker's names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Project:
    kind: str  # "mdBook", "Quarto", "pandoc": named in messages
    path: Path  # the project file read: book.toml, _quarto.yml, metadata.yaml
    manuscript: str = "."  # the chapters' folder, relative to the book folder
    chapters: list[str] = field(default_factory=list)  # in reading order, relative to `manuscript`
    chapter_lines: dict[str, tuple[Path, int | None]] = field(default_factory=dict)  # where each is listed
    book: dict = field(default_factory=dict)  # metadata under bookmaker's keys (front matter's)
    lines: dict[str, int] = field(default_factory=dict)  # metadata key -> its line in `path`
