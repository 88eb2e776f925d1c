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


def article_chapters(root: Path, chapters: int, code: bool = False) -> Path:
    """The sample article as `chapters` chapters (distinct note labels), as the benchmark's books are:
    a book of many notes, whose layout takes seconds. `code`: the first chapter opens with a code block."""
    import re

    article = Path(__file__).resolve().parent.parent / "manuscript" / "qasem-soleimani.md"
    front, body = re.match(r"(?s)^(---\n.*?\n---\n)(.*)$", article.read_text(encoding="utf-8")).groups()
    files = {}
    for n in range(1, chapters + 1):
        text = re.sub(r"\[\^([^\]]+)\]", lambda m: f"[^{m.group(1)}-c{n}]", body)
        block = "```python\nprint('a block the highlighting worker reads')\n```\n\n" if code and n == 1 else ""
        files[f"manuscript/{n:02d}.md"] = (front if n == 1 else "") + f"# Chapter {n}\n\n{block}{text}"
    return write_book(root, files)
