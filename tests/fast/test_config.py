"""bookmaker.toml read into the writers' options: the values each key gives, and the command line's overrides."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bookmaker.config import load_config
from bookmaker.diagnostics import Diagnostics

EVERY_KEY = """
[manuscript]
dir = "text"
chapters = ["b.md", "a*.md"]
[output]
formats = ["epub", "pdf", "epub"]
dir = "out"
name = "my-book"
[pdf]
paper = "A5"
notes = "chapter"
bleed = "3mm"
marks = "crop cross"
pdf-variant = "pdf/ua-1"
duplex = true
layout = "article"
[epub]
embed-fonts = false
[notes]
numbering = "chapter"
[theme]
templates = "t"
styles = "s"
"""


def _load(tmp_path: Path, text: str):
    (tmp_path / "bookmaker.toml").write_text(text, encoding="utf-8")
    diagnostics = Diagnostics()
    return load_config(tmp_path, diagnostics), diagnostics


def test_every_key_fills_its_field_parsed_as_on_the_command_line(tmp_path):
    config, diagnostics = _load(tmp_path, EVERY_KEY)
    assert not list(diagnostics)
    assert (config.manuscript.dir, config.manuscript.chapters) == ("text", ["b.md", "a*.md"])
    assert (config.output.formats, config.output.dir, config.output.name) == (["epub", "pdf"], "out", "my-book")
    assert dataclasses.asdict(config.pdf) == {
        "paper": "A5", "bleed": "3mm", "marks": "crop cross", "pdf_variant": "pdf/ua-1", "duplex": True,
        "notes": "chapter", "layout": "article"}
    assert config.epub.embed_fonts is False
    assert config.notes.numbering == "chapter"
    assert (config.templates_dir, config.styles_dir) == (tmp_path / "t", tmp_path / "s")
    assert config.line_of("pdf", "bleed") == 12 and config.line_of("pdf") == 9


def test_a_book_without_the_file_builds_on_the_defaults(tmp_path):
    diagnostics = Diagnostics()
    config = load_config(tmp_path, diagnostics)
    assert config.path is None and not list(diagnostics)
    assert config.output.formats == ["pdf", "epub", "html"] and config.pdf.paper is None and config.pdf.notes == "book"
    assert config.epub.embed_fonts is True and config.notes.numbering == "continuous"


def test_a_wrong_value_keeps_the_default_and_the_others_are_read(tmp_path):
    config, diagnostics = _load(tmp_path, '[pdf]\nnotes = "margin"\npaper = "A5"\n')
    assert [d.line for d in diagnostics] == [2]
    assert (config.pdf.notes, config.pdf.paper) == ("book", "A5")
