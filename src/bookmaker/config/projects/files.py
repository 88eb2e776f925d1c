"""A project file of another tool (book.toml, _quarto.yml, metadata.yaml) read as untrusted input:
inside the book, size-limited, parsed with safe loaders, every problem a diagnostic at its line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bookmaker.core.diagnostics import Diagnostics

MAX_PROJECT_FILE_BYTES = 2_000_000  # a project file is settings: a few kilobytes


def read_text(path: Path, root: Path, diagnostics: Diagnostics) -> str | None:
    """The file's text, or None (with the error) when it leaves the book, is too large or is not UTF-8."""
    try:
        if not path.resolve().is_relative_to(root.resolve()):
            diagnostics.error(path, None, "the project file links outside the book folder: copy it into the book",
                              code="project-file-unreadable")
            return None
        if path.stat().st_size > MAX_PROJECT_FILE_BYTES:
            diagnostics.error(path, None, f"the project file is larger than {MAX_PROJECT_FILE_BYTES:,} bytes: "
                                          "check it is really the settings file", code="project-file-unreadable")
            return None
        return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError) as exc:
        diagnostics.error(path, None, f"cannot read the project file: {exc}: save it as UTF-8 text",
                          code="project-file-unreadable")
        return None


def load_yaml(path: Path, text: str, diagnostics: Diagnostics) -> tuple[dict[str, Any], dict[str, int]]:
    """A YAML mapping (safe loader, no dates) and the line of each top-level key; ({}, {}) after an error."""
    import yaml

    from bookmaker.config.frontmatter import MAX_YAML_NODES, expanded_size, yaml_loader  # the front matter's

    source = text
    if source.startswith("---\n"):  # a metadata file may be written as a front matter block
        source = re.sub(r"\n(---|\.\.\.)\s*\Z", "\n", source[4:])
        offset = 1
    else:
        offset = 0
    try:
        node = yaml.compose(source, Loader=yaml_loader())
        if node is not None and expanded_size(node) > MAX_YAML_NODES:  # an alias bomb, before it is expanded
            diagnostics.error(path, None, f"its aliases (*name) expand to more than {MAX_YAML_NODES:,} values: write "
                                          "the values out", code="project-file-invalid")
            return {}, {}
        data = yaml.load(source, Loader=yaml_loader())
    except RecursionError:
        diagnostics.error(path, None, "nested too deep to read", code="project-file-invalid")
        return {}, {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        diagnostics.error(path, mark.line + 1 + offset if mark else None, f"not valid YAML: {problem}",
                          code="project-file-invalid")
        return {}, {}
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        diagnostics.error(path, 1, "must be a mapping of keys to values, such as 'title: My book'",
                          code="project-file-invalid")
        return {}, {}
    lines = {str(k.value): k.start_mark.line + 1 + offset for k, _ in node.value}
    return data, lines


def texts(value: Any) -> list[str] | None:
    """A text or a list of texts (or of mappings with a `name`, as Quarto writes authors) as a list."""
    items = value if isinstance(value, list) else [value]
    result = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name")
            if isinstance(item, dict):  # Quarto: name: {given: A, family: B}
                item = " ".join(str(item[k]) for k in ("given", "family") if k in item) or item.get("literal")
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            result.append(str(item))
        else:
            return None
    return result
