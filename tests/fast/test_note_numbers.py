"""A note's number hangs in the margin of its text (theme/styles/base.css): "1024." is wider than the hang
three-digit numbers need, and ran into the note's first word in a book of a thousand notes or more."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bookmaker.writers.html import PrintOptions, render_html

from test_book_words import _read


def _book(folder: Path, notes: int):
    (folder / "manuscript").mkdir()
    text = "# Many notes\n\n" + "\n\n".join(f"Invented sentence {n}.[^n{n}]" for n in range(1, notes + 1))
    text += "\n\n" + "\n".join(f"[^n{n}]: Invented note {n}, long enough to wrap under its number." for n in range(1, notes + 1))
    (folder / "manuscript" / "01.md").write_text(text, encoding="utf-8")
    (folder / "bookmaker.toml").write_text('[book]\ntitle = "T"\nauthor = ["A"]\nlang = "en"\n', encoding="utf-8")
    return _read(folder)


@pytest.mark.parametrize("notes, wide", [(999, False), (1001, True)])
def test_four_digit_note_numbers_get_a_hang_of_their_width(tmp_path: Path, notes: int, wide: bool) -> None:
    from bookmaker.writers.pdf.weasy import import_weasyprint

    html = render_html(_book(tmp_path, notes), tmp_path, PrintOptions())
    assert ('class="notes notes-wide"' in html) is wide
    # The notes' section with its last two notes alone, laid out with the theme's print styles.
    opening = re.search(r'<section class="notes[^"]*"[^>]*>', html).group(0)
    last = html[html.index(f'<div class="note" id="note-{notes - 1}"'):].split("</section>", 1)[0]
    page = html.split("<body", 1)[0] + f"<body>{opening}{last}</section></body></html>"
    document = import_weasyprint().HTML(string=page, base_url=tmp_path.as_uri() + "/").render()
    number, text = _first_line(document.pages[0]._page_box, f"{notes}.")
    # The number's glyphs, not only its box: text overflows an inline block of too small a width.
    assert number.position_x + number.width <= text.position_x, (number.position_x, number.width, text.position_x)


def _first_line(box, number: str):
    """The text of a note's number and the first text after it on its line."""
    for line in _lines(box):
        children = list(_flat(line))
        for i, child in enumerate(children):
            if getattr(child, "text", "").strip() == number:
                return child, next(c for c in children[i + 1:] if getattr(c, "text", "").strip())
    raise AssertionError(f"no note numbered {number}")


def _lines(box):
    if type(box).__name__ == "LineBox":
        yield box
    for child in getattr(box, "children", []):
        yield from _lines(child)


def _flat(box):
    for child in getattr(box, "children", []):
        yield child
        yield from _flat(child)
