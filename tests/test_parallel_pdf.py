"""Speed without a different book: start-up costs, page numbers known in advance, and their equivalence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

PYTHON = sys.executable


def _python(code: str, env: dict | None = None) -> str:
    result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                            env={**os.environ, **(env or {})})
    return result.stdout.strip()


# -- cheap wins ------------------------------------------------------------------------


FC_MATCH_COUNT = r"""
import json, subprocess
runs = []
real = subprocess.run
def counting(argv, *a, **k):
    runs.append(argv[0])
    return real(argv, *a, **k)
subprocess.run = counting
from bookmaker.fonts import find_font
faces = [str(find_font(f, s)) for f, s in (("Linux Libertine O", "Regular"), ("Linux Libertine O", "Italic"),
                                            ("Linux Biolinum O", "Regular"), ("Amiri", "Regular"),
                                            ("No Such Family Anywhere", "Regular"))]
print(json.dumps([runs.count("fc-match"), faces]))
"""


def test_font_paths_come_from_the_cache_in_a_second_process(tmp_path: Path) -> None:
    """Each EPUB build ran fc-match four times just to key the cover cache."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first_runs, first = json.loads(_python(FC_MATCH_COUNT, env))
    second_runs, second = json.loads(_python(FC_MATCH_COUNT, env))
    assert first_runs == 5
    assert second_runs == 0
    assert second == first


def test_a_changed_font_setup_asks_fontconfig_again(tmp_path: Path) -> None:
    """A font installed since (fontconfig's cache rebuilt) must be seen: the stamp changes, the cache misses."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    _python(FC_MATCH_COUNT, env)
    fc_cache = tmp_path / "cache" / "fontconfig"  # where fc-cache writes for this user
    fc_cache.mkdir()
    runs, _ = json.loads(_python(FC_MATCH_COUNT, env))
    assert runs == 5


FIND_LIBRARY_COUNT = r"""
import ctypes.util, sys
calls = []
real = ctypes.util.find_library
ctypes.util.find_library = lambda name: calls.append(name) or real(name)
from bookmaker.writers.pdf import import_weasyprint
weasyprint = import_weasyprint()
weasyprint.HTML(string="<p>x</p>").render()
print(len(calls))
"""


def test_weasyprint_loads_its_libraries_without_find_library() -> None:
    """WeasyPrint's cffi loader asks ctypes.util.find_library, which runs ldconfig and gcc, ~50 processes."""
    assert _python(FIND_LIBRARY_COUNT) == "0"


def test_help_imports_no_yaml() -> None:
    loaded = _python("import sys, bookmaker.cli, bookmaker.pipeline; print('yaml' in sys.modules)")
    assert loaded == "False"
