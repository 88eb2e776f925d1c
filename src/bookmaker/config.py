"""`bookmaker.toml`: a book's settings, validated against a schema of dataclasses.

Each `[section]` is a dataclass below and each key one of its fields (a `-` in a
key is a `_` in the field), so a section maps onto the options a writer takes:
`[pdf] paper` becomes `PrintOptions.paper`. Every problem in the file is
reported at once, each with its line; a book without the file builds on the
defaults.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bookmaker.diagnostics import Diagnostics
from bookmaker.formats import DEFAULT_FORMATS, FORMATS
from bookmaker.frontmatter import KNOWN_KEYS as METADATA_KEYS
from bookmaker.frontmatter import _clean as clean_metadata
from bookmaker.frontmatter import value_problem as metadata_problem
from bookmaker.paper import css_length, css_page_size
from bookmaker.text import INVALID_CHARACTERS

CONFIG_NAME = "bookmaker.toml"
NOTE_PLACEMENTS = ("book", "chapter", "page")
NOTE_NUMBERINGS = ("continuous", "chapter")
MARKS = ("crop", "cross", "crop cross")
PDF_VARIANTS = ("pdf/a-3b", "pdf/ua-1", "pdf/x-4")
LAYOUTS = ("auto", "book", "article")

# Keys that upcoming versions will read; accepted with a warning so a book
# written for them still builds here.
RESERVED = {
    "epub": ("ace",),
    "theme": ("fonts",),
    "build": ("strict", "allow-remote"),
}


@dataclass
class ManuscriptConfig:
    dir: str = "manuscript"
    # Chapter files in reading order, relative to `dir`; globs allowed. Empty: every *.md by name.
    chapters: list[str] = field(default_factory=list)


@dataclass
class OutputConfig:
    formats: list[str] = field(default_factory=lambda: list(DEFAULT_FORMATS))
    dir: str = "build"
    name: str | None = None  # file name without extension; default: the title's slug


@dataclass
class PdfConfig:
    """Fields have the names of PrintOptions' (writers/html.py), which they fill."""

    paper: str | None = None  # a CSS page size, from a name such as A5 or 6x9in
    notes: str = "book"  # one of NOTE_PLACEMENTS
    bleed: str | None = None  # a CSS length, such as 3mm
    marks: str | None = None  # one of MARKS
    pdf_variant: str | None = None  # one of PDF_VARIANTS
    duplex: bool = False
    layout: str = "auto"  # one of LAYOUTS


@dataclass
class EpubConfig:
    """Fields have the names of EpubOptions' (writers/epub.py), which they fill."""

    embed_fonts: bool = True


@dataclass
class NotesConfig:
    numbering: str = "continuous"  # one of NOTE_NUMBERINGS


@dataclass
class ThemeConfig:
    templates: str = "templates"
    styles: str = "styles"


@dataclass
class BookConfig:
    path: Path | None = None  # the file read, None when the book has none
    root: Path = Path(".")
    book: dict[str, Any] = field(default_factory=dict)  # metadata, same keys as front matter
    manuscript: ManuscriptConfig = field(default_factory=ManuscriptConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    pdf: PdfConfig = field(default_factory=PdfConfig)
    epub: EpubConfig = field(default_factory=EpubConfig)
    notes: NotesConfig = field(default_factory=NotesConfig)
    theme: ThemeConfig = field(default_factory=ThemeConfig)
    lines: dict[str, int] = field(default_factory=dict)  # "section.key" -> line, for later diagnostics

    def line_of(self, section: str, key: str | None = None) -> int | None:
        return self.lines.get(f"{section}.{key}" if key else section)

    @property
    def templates_dir(self) -> Path:
        return self.root / self.theme.templates

    @property
    def styles_dir(self) -> Path:
        return self.root / self.theme.styles


SECTIONS = {
    "manuscript": ManuscriptConfig,
    "output": OutputConfig,
    "pdf": PdfConfig,
    "epub": EpubConfig,
    "notes": NotesConfig,
    "theme": ThemeConfig,
}


def load_config(root: Path, diagnostics: Diagnostics) -> BookConfig:
    """The settings of the book in folder `root`; problems go to `diagnostics`."""
    path = root / CONFIG_NAME
    config = BookConfig(root=root)
    if not path.is_file():
        return config
    config.path = path
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        diagnostics.error(path, None, f"cannot read the file: {exc}: save it as UTF-8 text")
        return config
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = re.search(r"\(at line (\d+), column (\d+)\)", message)
        problem = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        line, column = (int(where.group(1)), int(where.group(2))) if where else (None, None)
        diagnostics.error(path, line, f"not valid TOML: {problem}: see https://toml.io", column)
        return config
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        diagnostics.error(path, None, "arrays or tables are nested too deep to read: bookmaker.toml needs "
                                      "no more than two levels")
        return config
    config.lines = key_lines(text)
    _Validator(config, diagnostics).validate(data)
    return config


def key_lines(text: str) -> dict[str, int]:
    """Where each `section.key` (and each `[section]`) is defined: tomllib keeps no positions."""
    lines: dict[str, int] = {}
    table = ""
    in_multiline: str | None = None
    header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    key = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=""")
    for number, line in enumerate(text.split("\n"), start=1):
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if match := header.match(line):
            table = _dotted(match.group(1))
            lines.setdefault(table, number)
            continue
        if match := key.match(line):
            name = _dotted(match.group(1))
            lines.setdefault(f"{table}.{name}" if table else name, number)
            rest = line[match.end():]
            for quotes in ('"""', "'''"):
                if rest.count(quotes) % 2 == 1:
                    in_multiline = quotes
    return lines


def _dotted(name: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in name.split("."))


class _Validator:
    def __init__(self, config: BookConfig, diagnostics: Diagnostics) -> None:
        self.config = config
        self.diagnostics = diagnostics
        self.path = config.path

    def line(self, *names: str) -> int | None:
        key = ".".join(names)
        while key:
            if key in self.config.lines:
                return self.config.lines[key]
            key = key.rpartition(".")[0]
        return None

    def error(self, names: tuple[str, ...], message: str) -> None:
        self.diagnostics.error(self.path, self.line(*names), message)

    def validate(self, data: dict[str, Any]) -> None:
        known = ["book", *SECTIONS]
        for section, value in data.items():
            if not isinstance(value, dict):
                self.error((section,), f"'{section}' must be a table such as [{section}]" if section in known
                           else f"unknown top-level key '{section}': settings go in a table; {_hint(section, known)}")
                continue
            if section == "book":
                self._metadata(value)
            elif section in SECTIONS:
                setattr(self.config, section, self._section(section, SECTIONS[section], value))
            elif section in RESERVED:
                self.diagnostics.warning(
                    self.path, self.line(section),
                    f"[{section}] is reserved for a later version of bookmaker and is ignored here")
            else:
                self.error((section,), f"unknown table [{section}]; {_hint(section, known)}")

    def _metadata(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if key not in METADATA_KEYS:
                self.error(("book", key), f"unknown key '{key}' in [book]; {_hint(key, METADATA_KEYS)}")
                continue
            cleaned = clean_metadata(key, value)
            if cleaned is None:
                kind = "a text or a list of texts" if key in ("author", "keywords", "bibliography", "nocite") else "a text"
                kind = {"crossref-numbering": "'book' or 'chapter'", "crossref-pages": "true or false"}.get(key, kind)
                self.error(("book", key), f"[book] {key} must be {kind}")
                continue
            if cleaned == "":
                self.diagnostics.warning(self.path, self.line("book", key),
                                         f"[book] {key} is empty and is ignored: give it a value or remove it")
                continue
            problem = metadata_problem(key, cleaned)
            if problem:
                self.error(("book", key), f"[book] {problem}")
                continue
            self.config.book[key] = cleaned

    def _section(self, name: str, schema: type, values: dict[str, Any]):
        fields = {f.name: f for f in dataclasses.fields(schema)}
        accepted: dict[str, Any] = {}
        for key, value in values.items():
            attr = key.replace("-", "_")
            if attr not in fields:
                if key in RESERVED.get(name, ()):
                    self.diagnostics.warning(
                        self.path, self.line(name, key),
                        f"[{name}] {key} is reserved for a later version of bookmaker and is ignored here")
                else:
                    keys = [f.replace("_", "-") for f in fields]
                    self.error((name, key), f"unknown key '{key}' in [{name}]; {_hint(key, keys)}")
                continue
            checked = self._check(name, key, value, fields[attr].type)
            if checked is not _INVALID:
                accepted[attr] = checked
        return schema(**accepted)

    def _check(self, section: str, key: str, value: Any, annotation: str) -> Any:
        where = (section, key)
        if "list[str]" in annotation:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.error(where, f"[{section}] {key} must be a list of texts, such as [\"a\", \"b\"]")
                return _INVALID
        elif annotation == "bool" and not isinstance(value, bool):
            self.error(where, f"[{section}] {key} must be true or false")
            return _INVALID
        elif "str" in annotation and not isinstance(value, str):
            self.error(where, f"[{section}] {key} must be a text in quotes")
            return _INVALID
        checked = getattr(self, f"_check_{section}_{key.replace('-', '_')}", lambda v, w: v)(value, where)
        texts = checked if isinstance(checked, list) else [checked]
        if any(isinstance(text, str) and INVALID_CHARACTERS.search(text) for text in texts):
            self.error(where, f"[{section}] {key} holds a control character (such as \\u0000): remove it")
            return _INVALID
        return checked

    # Checks for single keys beyond their type; each returns the value to keep or _INVALID.

    def _check_output_formats(self, value: list[str], where) -> Any:
        wrong = [v for v in value if v not in FORMATS]
        if wrong or not value:
            self.error(where, f"[output] formats: unknown format {', '.join(map(repr, wrong)) or '(none given)'}; "
                              f"choose from {', '.join(FORMATS)}")
            return _INVALID
        return list(dict.fromkeys(value))

    def _check_output_name(self, value: str, where) -> Any:
        if not value.strip() or "/" in value or "\\" in value or value.startswith(".") or "\0" in value:
            self.error(where, "[output] name must be a plain file name without extension, such as \"my-book\"")
            return _INVALID
        return value

    def _check_pdf_paper(self, value: str, where) -> Any:
        return self._parsed(value, where, "[pdf] paper", css_page_size)

    def _check_pdf_notes(self, value: str, where) -> Any:
        return self._one_of(value, where, "[pdf] notes", NOTE_PLACEMENTS)

    def _inside_book(self, value: str, where, what: str) -> Any:
        if "\0" in value:
            self.error(where, f"{what} holds a NUL character: give a folder name")
            return _INVALID
        target = (self.config.root / value).resolve()
        if not target.is_relative_to(self.config.root.resolve()):
            self.error(where, f"{what} '{value}' is outside the book folder: use a path inside it")
            return _INVALID
        return value

    def _check_pdf_bleed(self, value: str, where) -> Any:
        return self._parsed(value, where, "[pdf] bleed", css_length)

    def _parsed(self, value: str, where, what: str, parse) -> Any:
        """The CSS value `parse` makes of the key's text (the same parsers as the command line's options)."""
        try:
            return parse(value)
        except ValueError as exc:
            self.error(where, f"{what}: {exc}")
            return _INVALID

    def _check_pdf_marks(self, value: str, where) -> Any:
        return self._one_of(value, where, "[pdf] marks", MARKS)

    def _check_pdf_pdf_variant(self, value: str, where) -> Any:
        return self._one_of(value, where, "[pdf] pdf-variant", PDF_VARIANTS)

    def _check_pdf_layout(self, value: str, where) -> Any:
        return self._one_of(value, where, "[pdf] layout", LAYOUTS)

    def _check_notes_numbering(self, value: str, where) -> Any:
        return self._one_of(value, where, "[notes] numbering", NOTE_NUMBERINGS)

    def _one_of(self, value: str, where, what: str, choices: tuple[str, ...]) -> Any:
        if value not in choices:
            self.error(where, f"{what} must be one of {', '.join(choices)}, not '{value}'")
            return _INVALID
        return value

    def _check_manuscript_dir(self, value: str, where) -> Any:
        return self._inside_book(value, where, "[manuscript] dir")

    def _check_theme_templates(self, value: str, where) -> Any:
        return self._inside_book(value, where, "[theme] templates")

    def _check_theme_styles(self, value: str, where) -> Any:
        return self._inside_book(value, where, "[theme] styles")

    def _check_output_dir(self, value: str, where) -> Any:
        # A book's configuration writes only inside the book; `build -o` (the command line) may write anywhere.
        return self._inside_book(value, where, "[output] dir")


_INVALID = object()


def _hint(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}"


def options_from(section: Any, options_type: type, diagnostics: Diagnostics, config: BookConfig, name: str,
                 **overrides: Any):
    """A writer's options dataclass from a config section: each key fills the field of the same name.

    A key whose writer has no such field yet (a setting this version accepts
    but does not use) is reported when it is set to anything but its default.
    """
    wanted = {f.name for f in dataclasses.fields(options_type)}
    values = {}
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if f.name in wanted:
            values[f.name] = value
        elif config.path and value != f.default and config.line_of(name, f.name.replace("_", "-")):
            diagnostics.warning(config.path, config.line_of(name, f.name.replace("_", "-")),
                                f"[{name}] {f.name.replace('_', '-')} is accepted but not used by this version "
                                f"of bookmaker yet; the default applies")
    values.update({k: v for k, v in overrides.items() if v is not None and k in wanted})
    return options_type(**values)
