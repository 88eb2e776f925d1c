"""The one way tests make a book folder: `write_book(root, files)` (and the `make_book` fixture in conftest.py).

`files` maps paths inside the book to their text (or bytes); a plain string is the only chapter,
manuscript/01.md. Every folder on the way is made."""

from __future__ import annotations

from pathlib import Path

CHAPTER = "manuscript/01.md"


def write_book(root: Path, files: dict[str, str | bytes] | str = "# T\n\nx\n", toml: str | None = None) -> Path:
    if isinstance(files, str):
        files = {CHAPTER: files}
    if toml is not None:
        files = {**files, "bookmaker.toml": toml}
    (root / "manuscript").mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root
