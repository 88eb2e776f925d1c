"""`bookmaker.toml`: a book's settings, read and checked against settings.py's schema.

Each `[section]` is a dataclass of settings.py and each key one of its fields,
so `[pdf] paper` is the PDF writer's `PrintOptions.paper`. The checks are the
fields' declared ones (metadata), applied by one validator below. Every problem
in the file is reported at once, each with its line; a book without the file
builds on the defaults.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bookmaker.core.diagnostics import Diagnostics, did_you_mean
from bookmaker.config.frontmatter import KNOWN_KEYS as METADATA_KEYS
from bookmaker.config.frontmatter import checked_value
from bookmaker.config.settings import (
    RESERVED, SECTIONS, CoverConfig, DiagnosticsConfig, EpubOptions, ManuscriptConfig, NotesConfig, OutputConfig,
    PrintOptions, ThemeConfig,
)
from bookmaker.core.text import INVALID_CHARACTERS
from bookmaker.config.projects.project import Project
from bookmaker.config.toml_lines import key_lines
from bookmaker.core.paths import real_path

CONFIG_NAME = "bookmaker.toml"
DIGIT_SETTINGS = ("auto", "latin")


def term_names_example(key: str) -> str:
    """The English term, as an example of what a key holds."""
    from bookmaker.core.terms import terms_for

    return terms_for("en")[key]


@dataclass
class BookConfig:
    path: Path | None = None  # the file read, None when the book has none
    root: Path = Path(".")
    book: dict[str, Any] = field(default_factory=dict)  # metadata, same keys as front matter
    manuscript: ManuscriptConfig = field(default_factory=ManuscriptConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    pdf: PrintOptions = field(default_factory=PrintOptions)
    epub: EpubOptions = field(default_factory=EpubOptions)
    notes: NotesConfig = field(default_factory=NotesConfig)
    theme: ThemeConfig = field(default_factory=ThemeConfig)
    cover: CoverConfig = field(default_factory=CoverConfig)
    diagnostics: DiagnosticsConfig = field(default_factory=DiagnosticsConfig)
    terms: dict[str, str] = field(default_factory=dict)  # [terms]: the book's own words (core/terms.py)
    digits: str = "auto"  # [terms] digits: the language's own digits (auto), or always Western (latin)
    lines: dict[str, int] = field(default_factory=dict)  # "section.key" -> line, for later diagnostics
    project: Project | None = None  # an mdBook, Quarto or pandoc project's own settings, read as they are
    project_keys: set[str] = field(default_factory=set)  # the [book] keys taken from the project's files

    def line_of(self, section: str, key: str | None = None) -> int | None:
        return self.lines.get(f"{section}.{key}" if key else section)

    def where(self, key: str) -> tuple[Path | None, int | None]:
        """Where the [book] `key` is written: bookmaker.toml, or the project file it came from."""
        if key in self.project_keys and self.project is not None:
            return self.project.path, self.project.lines.get(key)
        return self.path, self.line_of("book", key)

    @property
    def templates_dir(self) -> Path:
        return self.root / self.theme.templates

    @property
    def styles_dir(self) -> Path:
        return self.root / self.theme.styles


def load_config(root: Path, diagnostics: Diagnostics) -> BookConfig:
    """The settings of the book in folder `root`; problems go to `diagnostics`."""
    path = root / CONFIG_NAME
    config = BookConfig(root=root)
    if not path.is_file():
        with_project(config, diagnostics)
        return config
    import tomllib  # only a book with a bookmaker.toml pays for the parser's import

    config.path = path
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        diagnostics.error(path, None, f"cannot read the file: {exc}: save it as UTF-8 text", code="config-unreadable")
        return config
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = re.search(r"\(at line (\d+), column (\d+)\)", message)
        problem = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        line, column = (int(where.group(1)), int(where.group(2))) if where else (None, None)
        diagnostics.error(path, line, f"not valid TOML: {problem}: see https://toml.io", column, code="config-invalid-toml")
        return config
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        diagnostics.error(path, None, "arrays or tables are nested too deep to read: bookmaker.toml needs "
                                      "no more than two levels", code="config-too-deep")
        return config
    config.lines = key_lines(text)
    _Validator(config, diagnostics).validate(data)
    if "manuscript" not in data:
        with_project(config, diagnostics)
    _check_ignored_codes(config, diagnostics)
    return config


def with_project(config: BookConfig, diagnostics: Diagnostics) -> None:
    """The settings of an mdBook, Quarto or pandoc project in the folder, under bookmaker.toml's:
    its chapters, and each metadata key bookmaker.toml's [book] does not set. A folder with a
    `manuscript/` of Markdown files is a bookmaker book and no project is looked for."""
    from bookmaker.config.projects import detect

    manuscript = config.root / config.manuscript.dir
    if manuscript.is_dir() and any(manuscript.glob("*.md")):
        return
    project = detect(config.root, diagnostics)
    if project is None:
        return
    config.project = project
    config.manuscript = ManuscriptConfig(dir=project.manuscript, chapters=list(project.chapters))
    for key, value in project.book.items():
        if key in config.book:
            continue
        cleaned, problem = checked_value(key, value, f"{project.path.name} '{key}'", project.path.name)
        if problem is not None:
            # The project's own tool takes it (pandoc prints any date as written): ignored, with a word.
            diagnostics.warning(project.path, project.lines.get(key), f"{problem.message}; it is ignored here",
                                code="project-value-ignored")
        else:
            config.book[key] = cleaned
            config.project_keys.add(key)


VERTICAL_ONLY_IN_EPUB = ("[epub] vertical sets the EPUB in columns; the PDF and the HTML are set horizontally, "
                         "as WeasyPrint lays out no vertical text")


class _Validator:
    """Checks the file's tables against the schema, reporting each problem at its line."""

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

    def error(self, names: tuple[str, ...], message: str, code: str = "config-value-invalid") -> None:
        self.diagnostics.error(self.path, self.line(*names), message, code=code)

    def reserved(self, names: tuple[str, ...]) -> None:
        what = f"[{names[0]}] {names[1]}" if len(names) > 1 else f"[{names[0]}]"
        self.diagnostics.warning(self.path, self.line(*names),
                                 f"{what} is reserved for a later version of bookmaker and is ignored here", code="config-key-reserved")

    def validate(self, data: dict[str, Any]) -> None:
        known = ["book", "terms", *SECTIONS]
        for section, value in data.items():
            if not isinstance(value, dict):
                self.error((section,), f"'{section}' must be a table such as [{section}]" if section in known
                           else f"unknown top-level key '{section}': settings go in a table; "
                                f"{did_you_mean(section, known)}", code="config-not-a-table")
            elif section == "book":
                self._metadata(value)
            elif section == "terms":
                self._terms(value)
            elif section in SECTIONS:
                setattr(self.config, section, self._section(section, SECTIONS[section], value))
            elif section in RESERVED:
                self.reserved((section,))
            else:
                self.error((section,), f"unknown table [{section}]; {did_you_mean(section, known)}", code="config-table-unknown")
        if self.config.epub.vertical:
            self.diagnostics.warning(self.path, self.line("epub", "vertical"), VERTICAL_ONLY_IN_EPUB,
                                     code="epub-vertical-pdf-horizontal")

    def _metadata(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if key not in METADATA_KEYS:
                self.error(("book", key), f"unknown key '{key}' in [book]; {did_you_mean(key, METADATA_KEYS)}", code="config-key-unknown")
                continue
            cleaned, problem = checked_value(key, value, f"[book] {key}", "[book]")
            if problem is not None:
                self.diagnostics.add(problem.at(self.path, self.line("book", key)))
            else:
                self.config.book[key] = cleaned

    def _terms(self, values: dict[str, Any]) -> None:
        """`[terms]`: a word of core/terms.py's list each, or `digits`."""
        from bookmaker.core.terms import PAGE_TERMS, term_names

        names = term_names()
        for key, value in values.items():
            if key == "digits":
                if value not in DIGIT_SETTINGS:
                    self.error(("terms", key), f"[terms] digits must be one of {', '.join(map(repr, DIGIT_SETTINGS))}",
                               code="terms-invalid")
                else:
                    self.config.digits = value
            elif key not in names:
                self.error(("terms", key), f"unknown term '{key}' in [terms]; {did_you_mean(key, [*names, 'digits'])}",
                           code="terms-unknown")
            elif not isinstance(value, str) or not value.strip() or INVALID_CHARACTERS.search(value):
                self.error(("terms", key), f"[terms] {key} must be a line of text, such as \"{term_names_example(key)}\"",
                           code="terms-invalid")
            elif key in PAGE_TERMS and value.count("{n}") != 1:
                self.error(("terms", key), f"[terms] {key} must hold '{{n}}' once, where the page number goes, "
                                           f"such as \"{term_names_example(key)}\"", code="terms-invalid")
            else:
                self.config.terms[key] = value if key in ("and", "comma") else value.strip()  # their spaces count

    def _section(self, name: str, schema: type, values: dict[str, Any]) -> Any:
        fields = {f.name: f for f in dataclasses.fields(schema) if f.metadata.get("key", True)}
        accepted: dict[str, Any] = {}
        for key, value in values.items():
            attr = key.replace("-", "_")
            if attr in fields:
                problem, value = _checked(value, fields[attr], self.config.root)
                if problem:
                    self.error((name, key), f"[{name}] {key}{problem}", code="config-value-invalid")
                else:
                    accepted[attr] = value
            elif key in RESERVED.get(name, ()):
                self.reserved((name, key))
            else:
                keys = [f.replace("_", "-") for f in fields]
                self.error((name, key), f"unknown key '{key}' in [{name}]; {did_you_mean(key, keys)}", code="config-key-unknown")
        return schema(**accepted)


def _checked(value: Any, key: dataclasses.Field, root: Path) -> tuple[str | None, Any]:
    """What is wrong with a key's value (the message after the key's name) or None, and the value to keep.

    The type first, then the checks the field declares (settings.py), then control characters in what is kept.
    """
    if key.type == "bool":
        if not isinstance(value, bool):
            return " must be true or false", None
    elif "list[" in key.type:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return ' must be a list of texts, such as ["a", "b"]', None
    elif not isinstance(value, str):
        return " must be a text in quotes", None
    checks = key.metadata
    if "choices" in checks and value not in checks["choices"]:
        return f" must be one of {', '.join(checks['choices'])}, not '{value}'", None
    if "valid" in checks and not checks["valid"](value):
        return f" must be {checks['expected']}", None
    if "parse" in checks:
        try:
            value = checks["parse"](value)
        except ValueError as exc:
            return f": {exc}", None
    if checks.get("inside_book"):
        if "\0" in value:
            return " holds a NUL character: give a folder name", None
        if not real_path(root / value).is_relative_to(real_path(root)):
            return f" '{value}' is outside the book folder: use a path inside it", None
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(text, str) and INVALID_CHARACTERS.search(text) for text in texts):
        return " holds a control character (such as \\u0000): remove it", None
    return None, value


def with_overrides(options: Any, overrides: Mapping[str, Any] | None) -> Any:
    """A writer's options read from bookmaker.toml with the command line's options given (not None) in place."""
    names = {f.name for f in dataclasses.fields(options)}
    return dataclasses.replace(options, **{k: v for k, v in (overrides or {}).items() if v is not None and k in names})


def _check_ignored_codes(config: BookConfig, diagnostics: Diagnostics) -> None:
    """A code in `[diagnostics] ignore` that no diagnostic has silences nothing: said, with the nearest code."""
    from bookmaker.core.codes import CODES

    for code in config.diagnostics.ignore:
        if code not in CODES:
            diagnostics.warning(config.path, config.line_of("diagnostics", "ignore"),
                                f"[diagnostics] ignore: no diagnostic has the code '{code}'; "
                                f"{did_you_mean(code, sorted(CODES), 'codes are listed in the manual')}",
                                code="config-code-unknown")
