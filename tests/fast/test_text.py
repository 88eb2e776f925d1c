"""Where a file stops being UTF-8, for manuscripts and stylesheets alike (text.not_utf8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookmaker.core.diagnostics import BookError
from bookmaker.read import read_book
from bookmaker.core.text import line_and_column, not_utf8
from books import write_book

BOM = b"\xef\xbb\xbf"


def _error_of(data: bytes) -> tuple[int, int, str]:
    with pytest.raises(UnicodeDecodeError) as caught:
        data.decode("utf-8-sig")
    return not_utf8(caught.value, "the file")


def test_line_and_column_of_text_and_bytes():
    assert line_and_column("ab\ncd", 0) == (1, 1)
    assert line_and_column("ab\ncd", 4) == (2, 2)
    assert line_and_column(b"ab\ncd\n", 6) == (3, 1)


@pytest.mark.parametrize("bom", [b"", BOM], ids=["plain", "with-bom"])
def test_the_bad_byte_is_found_with_or_without_a_byte_order_mark(bom):
    # utf-8-sig reports the position in the text after the mark: the mark is no column of the file
    assert _error_of(bom + b"# T\n\nab\xffc\n") == (
        3, 3, "the file is not valid UTF-8 (byte 0xff): save it as UTF-8")
    assert _error_of(bom + b"Caf\xe9") == (1, 4, "the file is not valid UTF-8 (byte 0xe9): save it as UTF-8")


def _book(tmp_path: Path, chapter: bytes, css: bytes) -> list[str]:
    write_book(tmp_path, {"manuscript/one.md": chapter, "styles/book.css": css})
    with pytest.raises(BookError) as caught:
        read_book(tmp_path)
    return [d.format(tmp_path) for d in caught.value.diagnostics]


def test_a_manuscript_and_a_stylesheet_with_a_byte_order_mark_name_the_bad_byte(tmp_path):
    assert _book(tmp_path, BOM + b"# One\n\nna\xefve\n", BOM + b"p {\n  content: '\xe9';\n}\n") == [
        "manuscript/one.md:3:3: error: the file is not valid UTF-8 (byte 0xef): save it as UTF-8 [file-not-utf8]",
        "styles/book.css:2:13: error: the stylesheet is not valid UTF-8 (byte 0xe9): save it as UTF-8 [css-not-utf8]",
    ]
