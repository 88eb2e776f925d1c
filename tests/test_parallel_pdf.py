"""Speed without a different book: start-up costs, page numbers known in advance, and their equivalence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

PYTHON = sys.executable


def _python(code: str, env: dict | None = None) -> str:
    result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                            env={**os.environ, **(env or {})})
    return result.stdout.strip()


# -- cheap wins ------------------------------------------------------------------------


FC_MATCH_COUNT = r"""
import json, subprocess
runs = []
real = subprocess.run
def counting(argv, *a, **k):
    runs.append(argv[0])
    return real(argv, *a, **k)
subprocess.run = counting
from bookmaker.fonts import find_font
faces = [str(find_font(f, s)) for f, s in (("Linux Libertine O", "Regular"), ("Linux Libertine O", "Italic"),
                                            ("Linux Biolinum O", "Regular"), ("Amiri", "Regular"),
                                            ("No Such Family Anywhere", "Regular"))]
print(json.dumps([runs.count("fc-match"), faces]))
"""


def test_font_paths_come_from_the_cache_in_a_second_process(tmp_path: Path) -> None:
    """Each EPUB build ran fc-match four times just to key the cover cache."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first_runs, first = json.loads(_python(FC_MATCH_COUNT, env))
    second_runs, second = json.loads(_python(FC_MATCH_COUNT, env))
    assert first_runs == 5
    assert second_runs == 0
    assert second == first


def test_a_changed_font_setup_asks_fontconfig_again(tmp_path: Path) -> None:
    """A font installed since (fontconfig's cache rebuilt) must be seen: the stamp changes, the cache misses."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    _python(FC_MATCH_COUNT, env)
    fc_cache = tmp_path / "cache" / "fontconfig"  # where fc-cache writes for this user
    fc_cache.mkdir()
    runs, _ = json.loads(_python(FC_MATCH_COUNT, env))
    assert runs == 5


FIND_LIBRARY_COUNT = r"""
import ctypes.util, sys
calls = []
real = ctypes.util.find_library
ctypes.util.find_library = lambda name: calls.append(name) or real(name)
from bookmaker.writers.pdf import import_weasyprint
weasyprint = import_weasyprint()
weasyprint.HTML(string="<p>x</p>").render()
print(len(calls))
"""


def test_weasyprint_loads_its_libraries_without_find_library() -> None:
    """WeasyPrint's cffi loader asks ctypes.util.find_library, which runs ldconfig and gcc, ~50 processes."""
    assert _python(FIND_LIBRARY_COUNT) == "0"


def test_help_imports_no_yaml() -> None:
    loaded = _python("import sys, bookmaker.cli, bookmaker.pipeline; print('yaml' in sys.modules)")
    assert loaded == "False"


# -- page numbers known in advance -----------------------------------------------------


def test_fill_page_refs_writes_known_numbers_and_leaves_the_rest() -> None:
    from bookmaker.writers.pagemap import fill_page_refs, referenced_ids

    html = ('<a href="#a" data-pageref="a">A</a> <a href="#b" data-pageref="b">B</a>'
            ' <span class="pageref" data-pageref="a&amp;1"></span>')
    assert referenced_ids(html) == {"a", "b", "a&1"}
    filled = fill_page_refs(html, {"a": 7, "a&1": 12})
    assert '<a href="#a" data-pageref="a" data-page="7">A</a>' in filled
    assert '<a href="#b" data-pageref="b">B</a>' in filled  # not in the map: target-counter() decides
    assert '<span class="pageref" data-pageref="a&amp;1" data-page="12">12</span>' in filled
    assert fill_page_refs(html, {}) == html


def test_a_book_that_renumbers_its_pages_keeps_target_counter() -> None:
    from bookmaker.writers.pagemap import can_use_page_map

    assert can_use_page_map("<style>.chapter { break-before: page; }</style>")
    assert not can_use_page_map("<style>@page :first { counter-reset: page 3 }</style>")
    assert not can_use_page_map('<p style="counter-increment: page 2">')


def _pdf_text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    """Pages laid out by WeasyPrint in each build (a page laid out twice counts twice); a fresh user cache."""
    import weasyprint.layout.page as page_layout

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("BOOKMAKER_NO_CACHE", raising=False)
    from bookmaker.cache import cache_dir

    cache_dir.cache_clear()
    counts: list[int] = []
    real = page_layout.make_page

    def counting(*args, **kwargs):
        counts[-1] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(page_layout, "make_page", counting)
    yield counts
    cache_dir.cache_clear()


def _build_pdf(book: Path, out: Path, counts: list[int], *extra: str) -> Path:
    from conftest import run_cli

    counts.append(0)
    result = run_cli("pdf", str(book), "-o", str(out), *extra)
    assert result.exit_code == 0, result.stderr
    return out


def test_the_second_build_lays_out_each_page_once_and_says_the_same(tmp_path: Path, layouts: list[int]) -> None:
    """target-counter() (TOC numbers, the notes' "p. N") made WeasyPrint lay the TOC and notes out again."""
    from conftest import copy_fixture

    book = copy_fixture("five-chapters", tmp_path)
    first = _build_pdf(book, tmp_path / "first.pdf", layouts)
    second = _build_pdf(book, tmp_path / "second.pdf", layouts)
    pages = len(_pdf_text(first))
    assert layouts[0] > pages  # the TOC and notes laid out again for their numbers
    assert layouts[1] == pages
    assert _pdf_text(second) == _pdf_text(first)


def test_numbers_that_moved_since_the_last_build_are_corrected(tmp_path: Path, layouts: list[int]) -> None:
    """A page map that lies (as after an edit that added pages) never reaches the PDF."""
    from conftest import copy_fixture

    book = copy_fixture("five-chapters", tmp_path)
    first = _build_pdf(book, tmp_path / "first.pdf", layouts)
    [map_file] = (tmp_path / "cache").rglob("pagemaps/*.json")
    wrong = {k: v + 1 for k, v in json.loads(map_file.read_text()).items()}
    map_file.write_text(json.dumps(wrong))
    second = _build_pdf(book, tmp_path / "second.pdf", layouts)
    assert _pdf_text(second) == _pdf_text(first)
    assert json.loads(map_file.read_text()) == {k: v - 1 for k, v in wrong.items()}
