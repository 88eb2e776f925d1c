"""Every hostile book (fixtures/hostile/) through every command: a book or diagnostics, never an
internal error (exit 3); where `check` passes, every build passes too; every EPUB passes EPUBCheck.

`check` and `epub` run in the fast layer; the PDF builds and EPUBCheck in the slow one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, Run, epubcheck_many, epubcheck_problems, run_cli, short_highlight_budget

HOSTILE = FIXTURES / "hostile"
CASES = sorted(p.name for p in HOSTILE.iterdir() if (p / "expected.txt").is_file())


def _copy(case: str, tmp_path: Path) -> Path:
    book = tmp_path / case
    shutil.copytree(HOSTILE / case, book, symlinks=True)
    return book


def _run(command: str, book: Path) -> Run:
    # Into the copy's own output folder: bookmaker.toml's [output] is part of what is tested.
    result = run_cli(command, str(book))
    assert result.exit_code in (0, 1), f"{command}: exit {result.exit_code}\n{result.stderr}"
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    if result.exit_code == 1:
        assert ": error: " in result.stderr, result.stderr
    return result


def _through(case: str, tmp_path: Path, commands: tuple[str, ...]) -> dict[str, Run]:
    book = _copy(case, tmp_path)
    results = {command: _run(command, book) for command in ("check", *commands)}
    if results["check"].exit_code == 0:
        failed = {c: r.stderr for c, r in results.items() if r.exit_code != 0}
        assert not failed, f"check passes, so every build must: {failed}"
    return results


@pytest.mark.parametrize("case", CASES)
def test_check_and_epub_give_a_book_or_diagnostics(case, tmp_path, monkeypatch):
    short_highlight_budget(monkeypatch, case)
    _through(case, tmp_path, ("epub", "html"))


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_pdf_and_build_give_a_book_or_diagnostics(case, tmp_path, monkeypatch):
    short_highlight_budget(monkeypatch, case)
    _through(case, tmp_path, ("pdf", "build"))


@pytest.mark.slow
def test_every_hostile_book_that_builds_has_an_epub_that_passes_epubcheck(tmp_path):
    epubs = []
    for case in CASES:
        book = _copy(case, tmp_path)
        if _run("epub", book).exit_code == 0:
            epubs.extend(book.rglob("*.epub"))
    assert len(epubs) >= 8, "the EPUBCheck run means something only if hostile books were built"
    problems = {epub.name: epubcheck_problems(report) for epub, report in epubcheck_many(epubs).items()}
    assert not {name: found for name, found in problems.items() if found}
