"""Every diagnostic code the source passes is registered in core/codes.py, and every registered one is used."""

from __future__ import annotations

import re
from pathlib import Path

from bookmaker.core.codes import CODES

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "bookmaker"
_CODE = re.compile(r"""\bcode=["']([a-z0-9-]+)["']""")


def test_every_code_used_is_registered_and_every_registered_code_used():
    used = {code for path in PACKAGE.rglob("*.py") for code in _CODE.findall(path.read_text(encoding="utf-8"))}
    assert used - CODES.keys() == set(), "codes used but not in core/codes.py"
    assert CODES.keys() - used == set(), "codes in core/codes.py that no diagnostic passes"
    for code, (severity, summary) in CODES.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code) and severity in ("error", "warning") and summary
