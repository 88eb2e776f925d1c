"""A chain of notes laid out beside the chapters (writers/pdf/parts/desk.py) writes its notes' same-page
marks itself (writers/pdf/notes/marks.py), from the numbers it is given piece by piece: what it writes
must be what the theme's notes template renders for those numbers, or the notes are laid out again."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookmaker.writers.html import render_html
from bookmaker.writers.pdf.notes.marks import with_marks
from bookmaker.writers.pdf.numbers import references_on_a_page_already_named

from test_book_words import _read

CHAPTER = """# One

Four references to the first note,[^a] one to the second,[^b] and three more to the first:[^a] here,[^a]
there,[^a] and one to a note with a paragraph of its own.[^c]

[^a]: The first note.
[^b]: The second note.
[^c]: The third note.

    Its second paragraph.
"""


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory):
    folder: Path = tmp_path_factory.mktemp("marks")
    (folder / "manuscript").mkdir()
    (folder / "manuscript" / "01.md").write_text(CHAPTER, encoding="utf-8")
    (folder / "bookmaker.toml").write_text('[book]\ntitle = "T"\nauthor = ["A"]\nlang = "en"\n', encoding="utf-8")
    return _read(folder), folder


@pytest.mark.parametrize("pages", [
    {"ref-1": 3, "ref-1-2": 3, "ref-1-3": 3, "ref-1-4": 3},  # all on one page: "(p. 3)"
    {"ref-1": 3, "ref-1-2": 3, "ref-1-3": 4, "ref-1-4": 4},  # "(pp. 3, 4)"
    {"ref-1": 3, "ref-1-2": 4, "ref-1-3": 5, "ref-1-4": 3},  # the last on the first's page
    {"ref-1": 3, "ref-1-2": 4, "ref-1-3": 5, "ref-1-4": 6},  # none hidden
    {"ref-1": 3, "ref-1-3": 3},  # some numbers not known yet
])
def test_the_marks_written_in_are_the_templates(book, pages: dict[str, int]) -> None:
    read, folder = book
    numbers = {"ref-2": 3, "ref-3": 3, **pages}
    marks = references_on_a_page_already_named(read, numbers)
    assert render_html(read, folder, same_page=marks) == with_marks(render_html(read, folder), numbers)


def test_marks_written_for_other_pages_are_written_again(book) -> None:
    """A chain given other numbers than an earlier render's marks them from: the marks follow the numbers."""
    read, folder = book
    first = {"ref-1": 3, "ref-1-2": 3, "ref-1-3": 3, "ref-1-4": 3}
    then = {"ref-1": 3, "ref-1-2": 4, "ref-1-3": 5, "ref-1-4": 6}
    marked = render_html(read, folder, same_page=references_on_a_page_already_named(read, first))
    assert "same-page" in marked
    assert with_marks(marked, then) == render_html(read, folder)
