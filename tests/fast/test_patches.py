"""The WeasyPrint patches (writers/pdf/patches.py) are fenced: applied only on the versions they were written
for, and each fails here when the installed WeasyPrint changes the code it relies on."""

from __future__ import annotations

import hashlib
import importlib
import inspect
from importlib.metadata import version

import pytest

from bookmaker.writers.pdf import patches


def _source_of(qualified: str):
    module_name, _, rest = qualified.partition(".")
    parts = qualified.split(".")
    for cut in range(len(parts) - 1, 0, -1):  # the longest importable module, then attributes
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(qualified)


def test_a_patched_function_is_fingerprinted_as_weasyprint_wrote_it() -> None:
    """The patches may already be applied in this process (another test laid out a book): the fingerprint is
    still of WeasyPrint's code, never of bookmaker's replacement."""
    from bookmaker.writers.pdf.patches import keep_joiners, keep_words_together

    keep_words_together()
    keep_joiners()
    for qualified, fingerprint in patches.FINGERPRINTS.items():
        source = inspect.getsource(inspect.unwrap(_source_of(qualified)))
        assert "bookmaker" not in source and hashlib.sha256(source.encode()).hexdigest()[:16] == fingerprint, qualified


@pytest.mark.parametrize("qualified", sorted(patches.FINGERPRINTS))
def test_the_weasyprint_code_a_patch_relies_on_is_the_code_it_was_written_for(qualified: str) -> None:
    source = inspect.getsource(inspect.unwrap(_source_of(qualified)))  # WeasyPrint's own, if already patched
    found = hashlib.sha256(source.encode()).hexdigest()[:16]
    assert found == patches.FINGERPRINTS[qualified], (
        f"WeasyPrint {version('weasyprint')} changed {qualified}: check the patch of writers/pdf/patches.py that "
        "relies on it, then update WRITTEN_FOR, FINGERPRINTS and the pin in pyproject.toml")


def test_the_installed_weasyprint_is_one_the_patches_were_written_for() -> None:
    assert patches.supported(), f"WeasyPrint {version('weasyprint')} is not in {patches.WRITTEN_FOR}"


def test_the_pin_in_pyproject_is_the_range_the_patches_were_written_for() -> None:
    import re
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    pin = next(d for d in project["dependencies"] if d.startswith("weasyprint"))
    low, high = re.fullmatch(r"weasyprint>=(\d+),<(\d+)", pin).groups()
    assert [f"{n}." for n in range(int(low), int(high))] == list(patches.WRITTEN_FOR)


def test_another_weasyprint_is_laid_out_unpatched(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a version the patches were not written for, none is applied (the layout stays WeasyPrint's own)."""
    import weasyprint.layout.inline as inline

    monkeypatch.setattr(patches, "WRITTEN_FOR", ("0.0.",))
    monkeypatch.setattr(inline, "split_first_line", real := lambda *args: None)
    patches.keep_words_together()
    assert inline.split_first_line is real


def test_the_attribute_parser_patch_is_fenced_to_the_mdit_py_plugins_it_was_written_for() -> None:
    """markdown/rules/attributes.py replaces one handler of mdit-py-plugins' attribute parser (pandoc's
    bare values, `{width=50%}`): applied only where that handler is the code it was written for."""
    import re
    import tomllib
    from pathlib import Path

    from mdit_py_plugins import __version__

    from bookmaker.markdown.rules import attributes

    assert attributes.fingerprint() == attributes.FINGERPRINT, (
        f"mdit-py-plugins {__version__} changed handle_scanning_bare_value: check markdown/rules/attributes.py, "
        "then update WRITTEN_FOR, FINGERPRINT and the pin in pyproject.toml")
    assert attributes.supported(), f"mdit-py-plugins {__version__} is not in {attributes.WRITTEN_FOR}"
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    [pin] = [d for d in project["dependencies"] if d.startswith("mdit-py-plugins")]
    low, high = re.fullmatch(r"mdit-py-plugins>=([\d.]+),<([\d.]+)", pin.replace(" ", "")).groups()
    assert [f"{low}."] == list(attributes.WRITTEN_FOR) and high == "0.8", pin
