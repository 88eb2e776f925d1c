"""The command line: what it prints, where it writes, how it fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bookmaker import __version__
from conftest import FIXTURES, REPO, copy_fixture, run_cli

BAD = FIXTURES / "bad"


def test_help_and_version():
    result = run_cli("--help")
    assert result.exit_code == 0
    for command in ("pdf", "epub", "html", "build", "check"):
        assert command in result.stdout
    assert run_cli("--version").stdout.strip() == f"bookmaker, version {__version__}"


def test_the_console_script_is_installed():
    result = subprocess.run([Path(sys.executable).parent / "bookmaker", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and __version__ in result.stdout


def test_usage_errors_exit_2():
    assert run_cli("pdf", "--paper", "B7", str(FIXTURES / "notes")).exit_code == 2
    assert run_cli("frobnicate").exit_code == 2


@pytest.mark.slow
def test_each_format_writes_build_slug_and_prints_the_path(tmp_path):
    book = copy_fixture("notes", tmp_path)
    for fmt in ("html", "pdf", "epub"):
        result = run_cli(fmt, cwd=book)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.strip() == f"build/notes.{fmt}"
        assert (book / "build" / f"notes.{fmt}").stat().st_size > 0


@pytest.mark.slow
def test_build_writes_all_three(tmp_path):
    book = copy_fixture("chapters", tmp_path)
    result = run_cli("build", str(book))
    assert result.exit_code == 0, result.stderr
    written = [Path(p) for p in result.stdout.split()]
    assert [p.name for p in written] == ["three-chapters.html", "three-chapters.pdf", "three-chapters.epub"]
    assert all(p.is_file() for p in written)
    assert not list((book / "build").glob("*.part")), "no temporary files are left behind"


@pytest.mark.slow
def test_output_option_and_paper(tmp_path):
    from pypdf import PdfReader

    target = tmp_path / "deep" / "er" / "letter.pdf"
    result = run_cli("pdf", str(FIXTURES / "notes"), "-o", str(target), "--paper", "Letter")
    assert result.exit_code == 0, result.stderr
    box = PdfReader(target).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    target = tmp_path / "six-by-nine.pdf"
    assert run_cli("pdf", str(FIXTURES / "notes"), "-o", str(target), "--paper", "6x9in").exit_code == 0
    box = PdfReader(target).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (432, 648)


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.glob("*.md")))
def test_bad_manuscripts_exit_1_with_exactly_their_expected_diagnostics(tmp_path, name):
    """As in fixtures/hostile/: each bad/<name>.md has bad/<name>.expected.txt, every line printed."""
    expected = (BAD / name).with_suffix(".expected.txt").read_text(encoding="utf-8").splitlines()
    out = tmp_path / "out.epub"
    result = run_cli("epub", name, "-o", str(out), cwd=BAD)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[:-1] == expected, "\n".join(lines)
    errors = sum(": error: " in line for line in expected)
    warnings = len(expected) - errors
    assert lines[-1] == (f"bookmaker: {errors} error{'s' if errors != 1 else ''}, "
                         f"{warnings} warning{'s' if warnings != 1 else ''}")
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_all_problems_of_a_run_are_reported_together(tmp_path):
    source = tmp_path / "many.md"
    source.write_text("---\ntitel: x\n---\n\nOne[^a] two[^b].\n\n![x](nope.png)\n\n[^c]: unused\n", encoding="utf-8")
    result = run_cli("html", str(source))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[:-1] == [
        f"{source}:2: warning: unknown front matter key 'titel' is ignored; did you mean 'title'? [front-matter-key-unknown]",
        f"{source}:5: error: note [^a] is referenced but never defined: add a line '[^a]: text of the note' [note-undefined]",
        f"{source}:5: error: note [^b] is referenced but never defined: add a line '[^b]: text of the note' [note-undefined]",
        f"{source}:7: error: image 'nope.png' does not exist: check the path (relative to many.md) [resource-missing]",
        f"{source}:9: warning: note [^c] is defined but never referenced: cite it with [^c] or delete it [note-unused]",
    ]
    assert lines[-1] == "bookmaker: 3 errors, 2 warnings"


def test_invalid_utf8_names_the_line(tmp_path):
    source = tmp_path / "latin1.md"
    source.write_bytes("# Title\n\nCaf\u00e9 in Latin-1\n".encode("latin-1"))
    result = run_cli("epub", str(source))
    assert result.exit_code == 1
    assert f"{source}:3:4: error: the file is not valid UTF-8" in result.stderr


def test_bom_and_crlf_are_accepted(tmp_path):
    source = tmp_path / "windows.md"
    source.write_bytes(b"\xef\xbb\xbf---\r\ntitle: Windows\r\n---\r\n\r\nText.[^a]\r\n\r\n[^a]: A note.\r\n")
    result = run_cli("html", str(source))
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "build" / "windows.html").read_text()
    assert "<title>Windows</title>" in html and 'href="#note-1"' in html


def test_a_missing_book_is_an_error_not_a_traceback(tmp_path):
    result = run_cli("pdf", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert "error: no such file or folder" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("epub", str(empty))
    assert result.exit_code == 1 and "no manuscript found" in result.stderr


def test_the_repository_is_itself_a_book():
    assert (REPO / "manuscript").is_dir() and (REPO / "styles").is_dir()


def test_single_files_with_the_same_heading_get_their_own_outputs(tmp_path):
    """Issue 14 item 11: a single .md file's output is named after the file, not its title,
    so two notes that share a heading do not overwrite each other; a book folder keeps the title's slug."""
    for stem in ("monday", "tuesday"):
        (tmp_path / f"{stem}.md").write_text("# Notes\n\nText.\n", encoding="utf-8")
        result = run_cli("html", str(tmp_path / f"{stem}.md"), cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.strip() == f"build/{stem}.html"
    assert sorted(p.name for p in (tmp_path / "build").glob("*.html")) == ["monday.html", "tuesday.html"]
