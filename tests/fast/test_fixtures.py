"""The manuscript syntax and its diagnostics, case by case: Markdown in, the chapter's HTML out.

Each case of `fixtures/*.md` (format: casefile.py) is written into a book folder
(`manuscript/chapter.md`, plus any file a `%%% path` line starts; the images of
`assets/` are in `manuscript/images/`), read as `bookmaker check` reads it, and each
chapter rendered with the theme's shared templates as the single-file HTML of the PDF
has it with `--notes chapter`: `chapter.html`, ending with `notes.html` for the notes
the chapter references first. Then come the diagnostics, `path:line: severity: message`,
paths relative to the book. A book with errors has no HTML, as nothing is written.
The cases of `front-matter*.md` start with the book's metadata, one `key: value` a line.

A diagnostic's place, severity and code are compared in every case; its wording only in the first case
(in file order) that expects its code: a reworded message is one expected line to change, not twenty.

After an intended change: `pytest tests/fast --update-fixtures` rewrites the expected
output of every case whose output changed (those cases are reported as skipped);
review the change with `git diff tests/fast/fixtures` before committing it.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from bookmaker.config.bookmaker_toml import load_config
from bookmaker.core.diagnostics import BookError, Diagnostics
from bookmaker.model import Book
from bookmaker.read import read_book
from bookmaker.render.prose import RESOURCE_PREFIX
from bookmaker.theme import environment

from casefile import Case, read_cases, rewrite_output

HERE = Path(__file__).parent
CASES = [case for path in sorted((HERE / "fixtures").glob("*.md")) for case in read_cases(path)]
# The chapters as document.html writes them with notes after each chapter (`--notes chapter`).
_PAGE = ('{% for chapter in book.chapters %}{% set blocks = chapter.blocks %}{% set notes_id = chapter.id ~ "--notes" %}'
         '{% set chapter_notes = book.notes_of(chapter) %}{% include "chapter.html" %}{% endfor %}')


# `path:line[:column]: severity: message [code]`, as Diagnostic.format writes it.
_DIAGNOSTIC = re.compile(r"^(\S+?: (?:error|warning)): (.*) \[([a-z0-9-]+)\]$")


def _worded_in() -> dict[str, str]:
    """Each code -> the id of the first case whose expected diagnostics have it: where its wording is tested."""
    first: dict[str, str] = {}
    for case in CASES:
        for line in case.expected.split("\n"):
            if found := _DIAGNOSTIC.match(line):
                first.setdefault(found.group(3), case.id)
    return first


WORDED_IN = _worded_in()


def meaning(text: str, case_id: str) -> str:
    """`text` with the message of each diagnostic left out unless this case is where its code's wording is tested."""
    lines = []
    for line in text.split("\n"):
        found = _DIAGNOSTIC.match(line)
        if found and WORDED_IN.get(found.group(3)) != case_id:
            line = f"{found.group(1)}: ... [{found.group(3)}]"
        lines.append(line)
    return "\n".join(lines)


def _param(case: Case):
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case: Case, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    output = render_case(case, tmp_path / "book")
    if request.config.getoption("--update-fixtures") and not case.xfail and output != case.expected:
        rewrite_output(case, output)
        pytest.skip(f"expected output rewritten: review `git diff {case.path.relative_to(Path.cwd())}`")
    assert meaning(output, case.id) == meaning(case.expected, case.id)


def render_case(case: Case, book: Path) -> str:
    shutil.copytree(HERE / "assets", book / "manuscript" / "images")
    for name, text in case.files().items():
        target = book / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text + "\n", encoding="utf-8")
    diagnostics = Diagnostics()
    config = load_config(book, diagnostics)
    lines: list[str] = []
    if not diagnostics.has_errors:
        try:
            read, _ = read_book(book, config, None, config.notes.numbering, diagnostics)
        except BookError:
            pass
        else:
            if case.path.stem.startswith("front-matter"):
                lines += _metadata(read)
            lines += _html(read)
    lines += [d.format(relative_to=book) for d in diagnostics]
    return "\n".join(lines)


def _metadata(book: Book) -> list[str]:
    shown = {key: f"[{', '.join(value)}]" if isinstance(value, list) else value
             for key, value in dataclasses.asdict(book.metadata).items() if value not in (None, [])}
    return [f"{key}: {value}" for key, value in shown.items()]


def _html(book: Book) -> list[str]:
    html = environment(book.templates).from_string(_PAGE).render(book=book, terms=book.terms, digits=book.digits)
    html = html.replace(RESOURCE_PREFIX, "")
    return [line.rstrip() for line in html.split("\n") if line.strip()]


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 150
    titles = [(c.path.name, c.title) for c in CASES]
    assert len(set(titles)) == len(titles), "two cases of one file share a title"
    assert all(not re.search(r"\s$", c.expected) for c in CASES)


def test_a_codes_wording_is_compared_in_one_case_and_its_place_in_all() -> None:
    code, worded = next(iter(WORDED_IN.items()))
    said, reworded = (f"manuscript/chapter.md:3: error: {words} [{code}]" for words in ("one way", "another way"))
    assert meaning(said, worded) != meaning(reworded, worded)
    assert meaning(said, "another case") == meaning(reworded, "another case")
    assert meaning(said, "another case") != meaning(said.replace(":3:", ":4:"), "another case")
    assert meaning(said, "another case") != meaning(said.replace("error", "warning"), "another case")
    assert len(WORDED_IN) >= 80, "the codes whose wording a fixture case tests (81 of them when this was written)"

