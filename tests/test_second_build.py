"""The build after a cold one lays out only what changed (issue 26).

A cold build lays the notes out as a chain of pieces; the second build used to cut them elsewhere and lay
out every part of the notes again, and the index after them (its start was not known): the "nothing
changed" build and the first edit in `watch` were as slow as a cold build. Which parts a build lays out is
seen in the user cache: each part laid out is written there (writers/pdf/parts/cache.py), a part found
there is not written again.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from books import article_chapters

pytestmark = pytest.mark.slow

CONSOLE = Path(sys.executable).parent / "bookmaker"


def _pdf(book: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("BOOKMAKER_NO_CACHE", None)
    run = subprocess.run([str(CONSOLE), "pdf", str(book), "--jobs", "2", *extra], env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return run


def _parts(cache: Path) -> set[str]:
    return {p.name for p in cache.rglob("pdf-parts/*")}


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_after_a_cold_build_nothing_is_laid_out_again_and_an_edit_lays_out_its_chapter_alone(tmp_path):
    # Four chapters: their notes (200, 13 pages) are more than a chain's first piece, so the cold build
    # lays them out as a chain, which the second build must reuse.
    book = article_chapters(tmp_path / "book", 4)
    cache = tmp_path / "cache"
    _pdf(book, cache)
    (pdf,) = (book / "build").glob("*.pdf")
    cold, cold_text, laid_out = pdf.stat().st_mtime_ns, _text(pdf), _parts(cache)
    assert len(laid_out) > 4

    nothing = _pdf(book, cache)  # nothing changed: `pdf` knows, as `build` does
    assert "up to date" in nothing.stderr and pdf.stat().st_mtime_ns == cold, nothing.stderr

    _pdf(book, cache, "--force")  # the same inputs: every part, the notes' too, is the cold build's
    assert _parts(cache) == laid_out
    assert _text(pdf) == cold_text

    chapter = book / "manuscript" / "03.md"
    text = chapter.read_text(encoding="utf-8")
    prose = text.index(":::\n\n") + 5  # after the infobox: a paragraph
    chapter.write_text(text[:prose] + text[prose:].replace(" the ", " Zorblax ", 1), encoding="utf-8")
    _pdf(book, cache)
    assert len(_parts(cache) - laid_out) == 1, "one word edited: its chapter alone is laid out again"
    assert "Zorblax" in re.sub(r"[\u2010-]\n", "", _text(pdf))  # hyphenated at a line's end, maybe
