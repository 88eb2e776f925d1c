"""bookmaker.toml read into the writers' options: the values each key gives, and the command line's overrides."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bookmaker.config.bookmaker_toml import VERTICAL_ONLY_IN_EPUB, load_config
from bookmaker.core.lang import can_be_vertical, is_rtl_lang
from bookmaker.core.diagnostics import Diagnostics

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
printer = "lulu"
ink = "grey"
[epub]
embed-fonts = false
[notes]
numbering = "chapter"
[theme]
templates = "t"
styles = "s"
[cover]
back = "back.md"
background = "#1d3557"
color = "white"
spine = "device-cmyk(0 0.2 0.6 0.1)"
spine-text = "Title · Author"
price = "51995"
stock = "cream"
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
        "notes": "chapter", "layout": "article", "printer": "lulu", "ink": "grey", "pages": 0}
    assert dataclasses.asdict(config.cover) == {
        "back": "back.md", "background": "#1d3557", "color": "white", "spine": "device-cmyk(0 0.2 0.6 0.1)",
        "spine_text": "Title · Author", "price": "51995", "stock": "cream"}
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


def test_a_new_section_is_one_dataclass_whose_checks_are_declared_on_its_fields(tmp_path, monkeypatch):
    from bookmaker.config import bookmaker_toml as config_module
    @dataclasses.dataclass
    class Extra:
        size: str = dataclasses.field(default="m", metadata={"choices": ("s", "m")})
        width: str | None = dataclasses.field(default=None, metadata={"parse": lambda v: v + "mm"})
        folder: str = dataclasses.field(default="x", metadata={"inside_book": True})
        secret: bool = dataclasses.field(default=False, metadata={"key": False})

    monkeypatch.setitem(config_module.SECTIONS, "extra", Extra)
    config, diagnostics = _load(tmp_path, '[extra]\nsize = "l"\nwidth = "3"\nfolder = "../x"\nsecret = true\n')
    assert [d.format(relative_to=tmp_path) for d in diagnostics] == [
        "bookmaker.toml:2: error: [extra] size must be one of s, m, not 'l' [config-value-invalid]",
        "bookmaker.toml:4: error: [extra] folder '../x' is outside the book folder: use a path inside it [config-value-invalid]",
        "bookmaker.toml:5: error: unknown key 'secret' in [extra]; known: size, width, folder [config-key-unknown]",
    ]
    assert config.extra == Extra(width="3mm")


def test_the_kepub_switch_is_the_commands_not_a_key(tmp_path):
    config, diagnostics = _load(tmp_path, "[epub]\nkepub = true\n")
    assert [d.message for d in diagnostics] == ["unknown key 'kepub' in [epub]; known: embed-fonts, vertical"]
    assert config.epub.kepub is False


def test_vertical_epub_says_the_pdf_stays_horizontal(tmp_path: Path) -> None:
    """[epub] vertical sets the EPUB in columns; WeasyPrint lays out no vertical text, and the build says so."""
    (tmp_path / "bookmaker.toml").write_text("[epub]\nvertical = true\n")
    diagnostics = Diagnostics()
    config = load_config(tmp_path, diagnostics)
    assert config.epub.vertical is True
    assert [(d.line, d.message) for d in diagnostics] == [(2, VERTICAL_ONLY_IN_EPUB)]
    assert "horizontally" in VERTICAL_ONLY_IN_EPUB and "PDF" in VERTICAL_ONLY_IN_EPUB


@pytest.mark.parametrize(("lang", "vertical"), [("ja", True), ("ja-JP", True), ("zh-Hant", True), ("zh-TW", True),
                                                ("zh-Hant-HK", True), ("zh", False), ("zh-Hans", False),
                                                ("zh-CN", False), ("ko", False), ("en", False)])
def test_which_languages_may_be_set_vertically(lang: str, vertical: bool) -> None:
    assert can_be_vertical(lang) is vertical


@pytest.mark.parametrize(("lang", "rtl"), [("fa", True), ("ar-EG", True), ("he", True), ("yi", True), ("ur", True),
                                           ("pa-Arab", True), ("az-Arab", True), ("az-Latn", False), ("ks-Deva", False),
                                           ("en", False), ("ja", False)])
def test_which_languages_run_right_to_left(lang: str, rtl: bool) -> None:
    assert is_rtl_lang(lang) is rtl
