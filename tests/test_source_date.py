"""SOURCE_DATE_EPOCH: the time every output says it was made, read in one place (reproducible.py)."""

from __future__ import annotations

import zipfile

import pytest

from conftest import run_cli
from books import write_book


def _book(tmp_path):
    return write_book(tmp_path / "book", {"manuscript/a.md": "# T\n\nx\n"})


def test_the_html_and_the_epub_say_the_time_it_gives(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", " 1700000000 ")
    book = _book(tmp_path)
    for fmt in ("html", "epub"):
        assert run_cli(fmt, str(book), "-o", str(tmp_path / f"t.{fmt}")).exit_code == 0
    assert 'content="2023-11-14T22:13:20Z"' in (tmp_path / "t.html").read_text(encoding="utf-8")
    opf = zipfile.ZipFile(tmp_path / "t.epub").read("EPUB/content.opf").decode()
    assert ">2023-11-14T22:13:20Z</meta>" in opf


@pytest.mark.parametrize("value", ["99999999999999", "²", "-5", "soon", ""])
def test_a_value_that_is_no_time_is_ignored_never_a_crash(tmp_path, monkeypatch, value):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    book = _book(tmp_path)
    for fmt in ("html", "epub"):
        result = run_cli(fmt, str(book), "-o", str(tmp_path / f"t.{fmt}"))
        assert result.exit_code == 0, result.stderr
