"""Fixture files of cases in markdown-it-py's format, read and rewritten in place.

A file holds cases one after another:

    free text between cases is a comment; `xfail: why` marks the next case a known defect
    Title of the case
    .
    Markdown input (`%%% path/in/the/book` starts another file of the book)
    .
    expected output
    .

The title is the line just before the first `.`, as in markdown-it-py's
`read_fixture_file`, so those files and these read alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SEPARATOR = "."
_FILE_MARK = re.compile(r"^%%% (\S.*)$")
DEFAULT_CHAPTER = "manuscript/chapter.md"


@dataclass
class Case:
    path: Path
    index: int  # the case's place in its file
    line: int  # 1-based line of the title
    title: str
    input: str
    expected: str
    xfail: str | None
    output_span: tuple[int, int]  # 0-based line range of the expected output, end exclusive

    @property
    def id(self) -> str:
        return f"{self.path.stem}:{self.line}:{self.title}"

    def files(self) -> dict[str, str]:
        """The book's files: the input up to the first `%%% name` is manuscript/chapter.md (unless the
        input starts with a mark), then one file per mark, its path relative to the book folder."""
        files: dict[str, list[str]] = {}
        current = DEFAULT_CHAPTER
        for line in self.input.split("\n"):
            mark = _FILE_MARK.match(line)
            if mark:
                current = mark.group(1)
                files.setdefault(current, [])
            else:
                files.setdefault(current, []).append(line)
        return {name: "\n".join(lines) for name, lines in files.items()}


def read_cases(path: Path) -> list[Case]:
    lines = path.read_text(encoding="utf-8").split("\n")
    cases: list[Case] = []
    i = 0
    comment_start = 0
    while i < len(lines):
        if lines[i].rstrip() != SEPARATOR:
            i += 1
            continue
        if i == 0 or not lines[i - 1].strip():
            raise ValueError(f"{path}:{i + 1}: a case needs its title on the line before the '.'")
        ends = [j for j in range(i + 1, len(lines)) if lines[j].rstrip() == SEPARATOR][:2]
        if len(ends) < 2:
            raise ValueError(f"{path}:{i + 1}: a case is '.', its input, '.', its expected output, '.'")
        middle, end = ends
        comments = lines[comment_start : i - 1]
        xfail = next((c.split(":", 1)[1].strip() for c in comments if c.startswith("xfail:")), None)
        cases.append(Case(path, len(cases), i, lines[i - 1].strip(), "\n".join(lines[i + 1 : middle]),
                          "\n".join(lines[middle + 1 : end]), xfail, (middle + 1, end)))
        i = comment_start = end + 1
    return cases


def rewrite_output(case: Case, output: str) -> None:
    """Put `output` in place of the case's expected output in its file, found again by its place
    (an earlier case rewritten may have moved its lines)."""
    lines = case.path.read_text(encoding="utf-8").split("\n")
    fresh = read_cases(case.path)[case.index]
    assert fresh.title == case.title, f"{case.path} changed while it was being updated"
    start, end = fresh.output_span
    lines[start:end] = output.split("\n") if output else []
    case.path.write_text("\n".join(lines), encoding="utf-8")
