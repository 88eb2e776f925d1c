"""Diagnostics have stable codes: registered in core/codes.py, printed by `check --format json`, and silenced
(warnings only) by `--ignore CODE` or `[diagnostics] ignore` in bookmaker.toml."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from click.testing import CliRunner

import bookmaker
from bookmaker.cli import main
from bookmaker.core.codes import CODES
from books import write_book

PACKAGE = Path(bookmaker.__file__).parent
CHAPTER = "# Title\n\nText.[^missing]\n\n[^unused]: never cited.\n\n### Too deep\n"


def _codes_in_source() -> dict[str, str]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "code" and isinstance(node.value, ast.Constant) \
                    and node.value.value:
                found[node.value.value] = str(path.relative_to(PACKAGE))
    return found


def test_every_code_in_the_source_is_registered_and_named_as_codes_are() -> None:
    used = _codes_in_source()
    assert used, "no diagnostic passes a code"
    assert {code: where for code, where in used.items() if code not in CODES} == {}
    assert all(code == code.lower() and " " not in code and code.strip("-") == code for code in CODES)


def _book(tmp_path: Path, chapter: str = CHAPTER, toml: str | None = None) -> Path:
    return write_book(tmp_path, {"manuscript/chapter.md": chapter}, toml)


def test_check_prints_json_for_editors(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--format", "json", str(_book(tmp_path))])
    assert result.exit_code == 1  # the undefined note is an error
    found = json.loads(result.stdout)
    assert [(d["line"], d["severity"], d["code"]) for d in found] == [
        (3, "error", "note-undefined"), (5, "warning", "note-unused"), (7, "warning", "heading-level-skipped")]
    assert found[0]["message"] == "note [^missing] is referenced but never defined"
    assert found[0]["fix"] == "add a line '[^missing]: text of the note'"
    assert found[0]["file"].endswith("chapter.md")


def test_ignore_silences_a_warning_but_never_an_error(tmp_path: Path) -> None:
    book = str(_book(tmp_path))
    result = CliRunner().invoke(main, ["check", "--ignore", "note-unused", "--ignore", "note-undefined", book])
    assert result.exit_code == 1
    assert "[^missing] is referenced but never defined: add a line '[^missing]: text of the note' [note-undefined]" \
        in result.stderr
    assert "never referenced" not in result.stderr and "heading level skips" in result.stderr


def test_bookmaker_toml_silences_warnings_and_strict_then_passes(tmp_path: Path) -> None:
    chapter = "# Title\n\nText.\n\n[^unused]: never cited.\n\n### Too deep\n"
    toml = '[diagnostics]\nignore = ["heading-level-skipped"]\n'
    book = str(_book(tmp_path, chapter, toml))
    assert CliRunner().invoke(main, ["check", "--strict", book]).exit_code == 1  # note-unused still there
    result = CliRunner().invoke(main, ["check", "--strict", "--ignore", "note-unused", book])
    assert result.exit_code == 0, result.stderr


def test_the_manual_lists_every_code() -> None:
    import re

    chapter = PACKAGE.parents[1] / "docs" / "manual" / "manuscript" / "18-diagnostics.md"
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \| (?:error|warning)", chapter.read_text(encoding="utf-8"), re.M))
    assert listed == set(CODES), f"add to the manual: {sorted(set(CODES) - listed)}; gone: {sorted(listed - set(CODES))}"


def test_an_unknown_code_to_ignore_is_said_with_the_nearest_one(tmp_path: Path) -> None:
    book = str(_book(tmp_path, "# Title\n\nText.\n", '[diagnostics]\nignore = ["note-unsed"]\n'))
    result = CliRunner().invoke(main, ["check", book])
    assert "bookmaker.toml:2: warning: [diagnostics] ignore: no diagnostic has the code 'note-unsed'; " \
           "did you mean 'note-unused'? [config-code-unknown]" in result.stderr
    result = CliRunner().invoke(main, ["check", "--ignore", "note-unsed", book])
    assert result.exit_code == 2 and "did you mean 'note-unused'?" in result.stderr
