"""The faces the EPUB embeds: a subset must shape its text exactly as the full face does."""

from __future__ import annotations

import pytest
from conftest import REPO
from shaping import arabic_runs, shaped

from bookmaker.writers.fonts import ARABIC_SCRIPT, find_font, subset_font

PERSIAN_NAME = "قاسم سلیمانی"
# Joining in every position, the lam-alef ligature (rlig), a zero-width non-joiner
# and vowel marks (mark, mkmk): what a subset without its layout features gets wrong.
HARD_CASES = ["لا إله", "می\u200cخواهم", "بِسْمِ اللّٰهِ", "کتاب‌ها"]


@pytest.fixture(scope="module")
def amiri() -> bytes:
    path = find_font(ARABIC_SCRIPT.family)
    if path is None:
        pytest.skip("Amiri is not installed (scripts/system-packages.sh book installs it)")
    return path.read_bytes()


def test_the_sample_book_has_arabic_script_runs():
    runs = arabic_runs("".join(p.read_text(encoding="utf-8") for p in (REPO / "manuscript").glob("*.md")))
    assert PERSIAN_NAME in runs


def test_the_subset_shapes_every_run_as_the_full_face_does(amiri):
    book_text = "".join(p.read_text(encoding="utf-8") for p in (REPO / "manuscript").glob("*.md"))
    runs = sorted(set(arabic_runs(book_text)) | {PERSIAN_NAME, *HARD_CASES})
    subset = subset_font(find_font(ARABIC_SCRIPT.family), "".join(runs))
    for run in runs:
        assert shaped(subset, run) == shaped(amiri, run), f"{run!r} is shaped differently by the subset"


def test_the_subset_joins_the_persian_name(amiri):
    # The comparison above could pass with two broken fonts: the full face must join the letters,
    # so that the name is narrower than its letters set apart.
    subset = subset_font(find_font(ARABIC_SCRIPT.family), PERSIAN_NAME)
    joined = sum(advance for _, advance, _, _ in shaped(subset, PERSIAN_NAME))
    apart = sum(sum(a for _, a, _, _ in shaped(subset, c)) for c in PERSIAN_NAME)
    assert joined < apart
