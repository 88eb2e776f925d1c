"""The PDF's running heads stay on one line (issue 23, item 7): a heading's `{short-title="..."}`
stands in for a long title, and a title too long for the head without one is cut with an ellipsis."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from books import write_book
from conftest import run_cli

_PARAGRAPH = "The crossing took most of a morning when the wind was against it, and the crews knew every rock. " * 8
_LONG = "A very long chapter title that will never fit on one line of the running head at the top of the page"
_SHORTENED = "A second very long chapter title that the author shortened for the running head"
_TITLE = "The Ferries of Vell and Other Stories of the Northern Islands Told at Length"


def _text(paragraphs: int) -> str:
    return "\n\n".join([_PARAGRAPH] * paragraphs)


def test_a_short_title_is_taken_off_the_heading_into_the_model(tmp_path):
    from bookmaker.read import read_book

    book, diagnostics = read_book(write_book(
        tmp_path, f"---\ntitle: {_TITLE}\n---\n\n# {_SHORTENED} {{short-title=\"Shortened\"}}\n\nText.\n"))
    heading = book.chapters[0].headings[0]
    assert (heading.text, heading.short_title, heading.label) == (_SHORTENED, "Shortened", "Shortened")
    html = book.chapters[0].blocks[0].html
    # The print stylesheet reads it from `data-short-title`; `short-title` itself is no HTML attribute.
    assert 'data-short-title="Shortened"' in html and " short-title=" not in html, html
    assert not list(diagnostics)


def _heads(pdf: Path) -> dict[int, list[tuple[float, float, float, str]]]:
    """Each page's words in its top margin (its top 7.5%): (yMin, xMin, xMax, word)."""
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    heads: dict[int, list[tuple[float, float, float, str]]] = {}
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", bbox, flags=re.S), start=1):
        height = float(re.search(r'height="([\d.]+)"', page).group(1))
        words = [(float(y), float(x0), float(x1), w) for x0, y, x1, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', page)]
        heads[number] = [w for w in words if w[0] < height * 0.075]  # the top margin is 8.5% of the height
    return heads


@pytest.mark.slow
@pytest.mark.parametrize("duplex", [False, True], ids=["one-side", "duplex"])
def test_a_long_running_head_stays_on_one_line(tmp_path, duplex):
    book = write_book(tmp_path / "book", {
        "manuscript/01.md": f"---\ntitle: {_TITLE}\n---\n\n# {_LONG}\n\n{_text(12)}\n",
        "manuscript/02.md": f"# {_SHORTENED} {{short-title=\"The shortened head\"}}\n\n{_text(8)}\n",
    }, toml='[pdf]\npaper = "A5"\n')
    target = tmp_path / "book.pdf"
    result = run_cli("pdf", str(book), "-o", str(target), *(["--duplex"] if duplex else []))
    assert result.exit_code == 0, result.stderr
    heads = {n: words for n, words in _heads(target).items() if words}
    assert len(heads) >= 6, heads
    for number, words in heads.items():
        # One line: every word of the top margin on one baseline (a wrapped head had three lines).
        assert len({round(y) for y, *_ in words}) == 1, (number, words)
    # The shortened chapter's pages say its short title, never its long one.
    texts = {n: " ".join(w for *_, w in words) for n, words in heads.items()}
    assert any("The shortened head" in t for t in texts.values()), texts
    assert not any("author" in t for t in texts.values()), texts


_PERSIAN = "این یک متن آزمایشی است که برای پر کردن صفحه نوشته شده است و هیچ معنای خاصی ندارد. " * 10


@pytest.mark.slow
def test_a_long_right_to_left_head_starts_at_the_text_blocks_edge(tmp_path):
    """WeasyPrint sets a right-to-left line cut with an ellipsis away from its start (page_layout.py):
    a Persian head is cut clean, and begins where the text block does, at its right edge."""
    book = write_book(tmp_path / "book", {"manuscript/01.md": (
        "---\ntitle: کتابی با عنوانی بسیار طولانی که در سرصفحه جا نمی‌شود و باید کوتاه شود\nlang: fa\n---\n\n"
        "# فصلی با عنوانی بسیار طولانی که هرگز در یک سطر سرصفحه جا نمی‌گیرد و باید بریده شود\n\n"
        + "\n\n".join([_PERSIAN] * 14) + "\n")}, toml='[pdf]\npaper = "A5"\n')
    target = tmp_path / "book.pdf"
    result = run_cli("pdf", str(book), "-o", str(target))
    assert result.exit_code == 0, result.stderr
    bbox = subprocess.run(["pdftotext", "-bbox", str(target), "-"], capture_output=True, text=True, check=True).stdout
    checked = 0
    for number, words in _heads(target).items():
        if not words:
            continue
        page = re.findall(r"<page (.*?)</page>", bbox, flags=re.S)[number - 1]
        body = [float(x1) for y, x1 in re.findall(r'yMin="([\d.]+)" xMax="([\d.]+)"', page) if 0.12 < float(y) / 595 < 0.85]
        assert len({round(y) for y, *_ in words}) == 1, (number, words)
        assert abs(max(x1 for _, _, x1, _ in words) - max(body)) < 10, (number, words, max(body))
        checked += 1
    assert checked >= 3
