"""Which files a book is made of, known in one place (bookfiles.py): what the skip check lists is what
`watch` rebuilds for, and neither takes editors' leftovers or the outputs."""

from __future__ import annotations

from pathlib import Path

from bookmaker.build import bookfiles
from bookmaker.config.bookmaker_toml import load_config
from bookmaker.core.diagnostics import Diagnostics


def _book(root: Path) -> Path:
    (root / "manuscript" / ".swap").mkdir(parents=True)
    (root / "manuscript" / "01-one.md").write_text("# One\n")
    (root / "manuscript" / "01-one.md~").write_text("# One, before\n")
    (root / "manuscript" / ".swap" / "01-one.md").write_text("# One, editing\n")
    (root / "styles").mkdir()
    (root / "styles" / "book.css").write_text("p { margin: 0 }\n")
    (root / "templates").mkdir()
    (root / "templates" / "chapter.html").write_text("{{ chapter }}\n")
    (root / "bookmaker.toml").write_text('[book]\ntitle = "T"\n')
    (root / "build").mkdir()
    (root / "build" / "t.html").write_text("<p>an output</p>\n")
    (root / "notes.txt").write_text("not part of the book\n")
    return root


def test_what_the_skip_check_lists_is_what_watch_rebuilds_for(tmp_path):
    root = _book(tmp_path.resolve() / "book")
    config = load_config(root, Diagnostics())
    listed = bookfiles.inputs(config)
    assert {p.relative_to(root).as_posix() for p in listed} == {
        "bookmaker.toml", "manuscript/01-one.md", "styles/book.css", "templates/chapter.html"}
    every_file = [p for p in root.rglob("*") if p.is_file()]
    assert {p for p in every_file if bookfiles.belongs(p, config, root / "build")} == set(listed)


def test_a_chapter_that_is_a_named_pipe_is_left_out_with_a_warning(tmp_path):
    """Issue 27: a manuscript .md that is a FIFO was left out silently (and reading it would block)."""
    import os

    from bookmaker.config.sources import locate

    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "a.md").write_text("# A\n\nText.\n")
    os.mkfifo(tmp_path / "manuscript" / "b.md")
    diagnostics = Diagnostics()
    sources = locate(tmp_path, load_config(tmp_path, diagnostics), diagnostics)
    assert [p.name for p in sources.chapters] == ["a.md"]
    assert [(Path(d.path).name, d.code) for d in diagnostics] == [("b.md", "chapter-not-a-file")]
