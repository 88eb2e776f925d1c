"""The format table (formats.py): the command line, bookmaker.toml, build, watch and serve all learn the
formats from it, and a format added to it is built like the others."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from conftest import run_cli

from bookmaker import formats
from bookmaker.formats import Format, WriteContext
from bookmaker.model import Book
from books import write_book


def write_txt(book: Book, target: Path, context: WriteContext) -> None:
    """A plain-text writer: the book's title and its chapters' titles, one a line."""
    from bookmaker.core.output import atomic_output

    lines = [book.metadata.title, *(chapter.title for chapter in book.chapters)]
    with atomic_output(target) as out:
        out.write("\n".join(lines).encode() + b"\n")


@pytest.fixture
def txt(monkeypatch):
    monkeypatch.setitem(formats.FORMATS, "txt", Format("txt", "txt", "writing the text", "text",
                                                       f"{__name__}:write_txt", default=False))


def _book(root: Path, config: str = "") -> Path:
    return write_book(root, {"manuscript/01-one.md": "---\ntitle: Plain Book\n---\n\n# One\n\nText.\n",
                             "manuscript/02-two.md": "# Two\n\nMore.\n"}, config or None)


def test_a_format_added_to_the_table_is_built_by_build_f(tmp_path, txt):
    book = _book(tmp_path / "book")
    result = run_cli("build", "-f", "txt", str(book))
    assert result.exit_code == 0, result.stderr
    assert (book / "build" / "plain-book.txt").read_text() == "Plain Book\nOne\nTwo\n"
    assert sorted(p.name for p in (book / "build").iterdir() if not p.name.startswith(".")) == ["plain-book.txt"]


def test_a_format_added_to_the_table_is_accepted_in_bookmaker_toml(tmp_path, txt):
    book = _book(tmp_path / "book", '[output]\nformats = ["txt"]\n')
    result = run_cli("build", str(book))
    assert result.exit_code == 0, result.stderr
    assert (book / "build" / "plain-book.txt").read_text() == "Plain Book\nOne\nTwo\n"
    again = run_cli("build", str(book))  # up to date: the skip check knows the new format too
    assert again.exit_code == 0 and "plain-book.txt: up to date" in again.stderr


@pytest.mark.parametrize("command", ["build", "watch", "serve"])
def test_every_command_takes_every_format(command, tmp_path):
    from bookmaker.cli import main

    group = click.Context(main)
    cmd = main.get_command(group, command)
    for name in formats.FORMATS:
        ctx = cmd.make_context(command, ["-f", name, str(tmp_path)], parent=group)
        assert ctx.params["formats"] == (name,)


def test_watch_takes_kepub_like_build(tmp_path):
    from bookmaker.cli import main

    group = click.Context(main)
    watch = main.get_command(group, "watch")
    assert watch.make_context("watch", ["-f", "kepub", str(tmp_path)], parent=group).params["formats"] == ("kepub",)


def test_the_html_is_written_before_the_pdf_that_reuses_it():
    assert formats.build_order({"kepub", "epub", "pdf", "html"}) == ["html", "pdf", "epub", "kepub"]
    assert formats.build_order({"epub", "html"}) == ["html", "epub"]
    assert formats.DEFAULT_FORMATS == ("pdf", "epub", "html")


def write_txt_warning(book: Book, target: Path, context: WriteContext) -> None:
    write_txt(book, target, context)
    context.diagnostics.warning(target, None, "a plain-text book has no pictures")


def test_strict_fails_the_run_at_its_end_on_a_writers_warning(tmp_path, monkeypatch):
    """The writer records a warning as a warning; --strict, decided once at the end, makes the run fail,
    shows it as an error, and does not record the output as up to date."""
    monkeypatch.setitem(formats.FORMATS, "txt", Format("txt", "txt", "writing the text", "text",
                                                       f"{__name__}:write_txt_warning", default=False))
    book = _book(tmp_path / "book")
    for _ in range(2):  # the second run is no skip: the failed one was not remembered
        result = run_cli("build", "-f", "txt", "--strict", str(book))
        assert result.exit_code == 1
        shown = result.stderr.replace(str(book) + "/", "")
        assert "build/plain-book.txt: error: a plain-text book has no pictures" in shown
        assert shown.strip().endswith("bookmaker: 1 error, 0 warnings")
    result = run_cli("build", "-f", "txt", str(book))
    assert result.exit_code == 0
    shown = result.stderr.replace(str(book) + "/", "")
    assert "build/plain-book.txt: warning: a plain-text book has no pictures" in shown
    assert result.stderr.strip().endswith("bookmaker: 0 errors, 1 warning")


def test_a_run_asking_more_than_the_last_is_no_skip(tmp_path, monkeypatch):
    """The skip check knew the settings and the files but not the command line: after a run that warned,
    `--strict` said "up to date" and exited 0; after a run without `--allow-remote`, a run with it kept
    the book without its remote images."""
    monkeypatch.setitem(formats.FORMATS, "txt", Format("txt", "txt", "writing the text", "text",
                                                       f"{__name__}:write_txt_warning", default=False))
    book = _book(tmp_path / "book")
    assert run_cli("build", "-f", "txt", str(book)).exit_code == 0
    strict = run_cli("build", "-f", "txt", "--strict", str(book))
    assert strict.exit_code == 1 and "up to date" not in strict.stderr, strict.stderr
    assert run_cli("build", "-f", "txt", str(book)).exit_code == 0
    remote = run_cli("build", "-f", "txt", "--allow-remote", str(book))
    assert "up to date" not in remote.stderr, remote.stderr
    again = run_cli("build", "-f", "txt", "--allow-remote", str(book))
    assert "up to date" in again.stderr, again.stderr


def test_diagnostics_keep_warnings_as_warnings():
    from bookmaker.cli.report import as_errors
    from bookmaker.core.diagnostics import Diagnostics, Severity

    diagnostics = Diagnostics()
    diagnostics.warning("a.md", 3, "a heading level skips")
    other = Diagnostics()
    other.extend(diagnostics)
    assert [d.severity for d in other] == [Severity.WARNING]
    assert [d.severity for d in as_errors(other)] == [Severity.ERROR]
    assert as_errors(other).summary() == "1 error, 0 warnings"
