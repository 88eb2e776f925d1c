"""YAML front matter: the book's metadata at the top of a manuscript file."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bookmaker.core.diagnostics import Diagnostic, Diagnostics, did_you_mean
from bookmaker.core.text import is_language_tag, without_invalid_characters

KNOWN_KEYS = ("title", "subtitle", "author", "lang", "dir", "date", "description", "keywords", "identifier", "rights",
              "edition", "cover", "bibliography", "csl", "nocite", "crossref-numbering", "crossref-pages")
LIST_KEYS = ("author", "keywords", "bibliography", "nocite")
CROSSREF_NUMBERINGS = ("book", "chapter")
_FENCE_CLOSERS = ("---", "...")


@dataclass
class FrontMatter:
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # key -> line, for later diagnostics


def split_front_matter(text: str, path: Path, diagnostics: Diagnostics) -> tuple[FrontMatter, str]:
    """Return the front matter and the body with the front matter blanked out.

    The body keeps one empty line for every line of front matter, so line
    numbers the Markdown parser reports are the lines of the file.
    """
    lines = text.split("\n")
    # Pandoc's rule: `---` followed directly (no blank line) by YAML that is a
    # mapping, then `---` or `...`. Anything else is Markdown: a chapter may
    # open with a `---` scene break, or a rule and a setext heading.
    if len(lines) < 2 or lines[0].rstrip() != "---" or not lines[1].strip():
        return FrontMatter(), text
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in _FENCE_CLOSERS), None)
    if end is None:
        if _KEY_LINE.match(lines[1]):
            diagnostics.error(path, 1, "front matter starts with '---' but never ends: close it with a line '---'", code="front-matter-unclosed")
        return FrontMatter(), text
    source = "\n".join(lines[1:end])
    known = _remembered(source)
    if known is None:
        if not _looks_like_mapping(source):
            return FrontMatter(), text
        found = len(diagnostics)
        known = _parse(source, path, diagnostics)
        if len(diagnostics) == found:  # a front matter with problems is read again, to report them again
            _remember(source, known)
    body = "\n" * end + "\n" + "\n".join(lines[end + 1 :])
    return known, body


def _cache_key(source: str) -> bytes:
    """The YAML text, the installed PyYAML and the code that reads it (a development copy changes it
    without changing bookmaker's version, which names the cache folder)."""
    import os

    from bookmaker.core import text
    from bookmaker.core.cache import package_stamp

    code = []
    for module in (__file__, text.__file__):
        info = os.stat(module)
        code.append([module, info.st_size, info.st_mtime_ns])
    return json.dumps(["front matter", package_stamp("yaml"), code, source]).encode("utf-8", "surrogatepass")


def _remembered(source: str) -> FrontMatter | None:
    """The front matter read from this YAML by an earlier build, without a problem, from the user
    cache: importing YAML and reading the text (three passes) was a twentieth of a small EPUB."""
    from bookmaker.core.cache import read_cached

    data = read_cached("front-matter", _cache_key(source))
    try:
        known = json.loads(data) if data is not None else None
    except ValueError:
        return None
    if not (isinstance(known, dict) and isinstance(known.get("values"), dict) and isinstance(known.get("lines"), dict)
            and all(isinstance(line, int) for line in known["lines"].values())):
        return None
    return FrontMatter(values=known["values"], lines=known["lines"])


def _remember(source: str, front_matter: FrontMatter) -> None:
    from bookmaker.core.cache import write_cached

    data = {"values": front_matter.values, "lines": front_matter.lines}
    text = json.dumps(data)
    if json.loads(text) == data:  # only what JSON gives back as it was (texts, lists of texts, true/false)
        write_cached("front-matter", _cache_key(source), text.encode())


@cache
def yaml_loader() -> type:
    """YAML's safe loader, but a date stays the text the author wrote: `2026-02-30` would
    otherwise fail in the loader itself, before bookmaker could say where. Made (and YAML
    imported) only for a file with front matter: importing YAML is a twentieth of a small EPUB."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return _Loader


# Aliases may repeat a value (`editor: *author`); aliases of aliases multiply: nine levels of nine
# (a "billion laughs" of 1.2 MB) drove the EPUB writer to 4.5 GB. What they expand to is bounded.
MAX_YAML_NODES = 100_000


def expanded_size(root) -> int:
    """How many values the YAML node graph `root` holds once every alias is written out (each node's
    size counted once, so this is quick however large the expansion)."""
    sizes: dict[int, int] = {}
    order, stack = [], [root] if root is not None else []
    while stack:  # children before parents, without recursion (nesting was bounded above anyway)
        node = stack.pop()
        if id(node) in sizes:
            continue
        sizes[id(node)] = 0
        order.append(node)
        value = node.value if isinstance(node.value, list) else []
        stack.extend(child for item in value for child in (item if isinstance(item, tuple) else (item,)))
    for node in reversed(order):
        value = node.value if isinstance(node.value, list) else []
        children = [child for item in value for child in (item if isinstance(item, tuple) else (item,))]
        sizes[id(node)] = min(1 + sum(sizes[id(child)] for child in children), 10**12)
    return sizes[id(root)] if root is not None else 0


_KEY_LINE = re.compile(r"^[\w\"'][^:\n]*:(\s|$)")


def _looks_like_mapping(source: str) -> bool:
    """Whether the lines between the dashes are meant as YAML keys (even broken YAML, to report it)."""
    import yaml

    try:
        data = yaml.load(source, Loader=yaml_loader())
    except yaml.YAMLError:
        return bool(_KEY_LINE.match(source.lstrip()))
    except (RecursionError, ValueError):  # nested too deep...: _parse reports it
        return True
    return data is None or isinstance(data, dict)  # None: an empty block, a template's stub


def _parse(source: str, path: Path, diagnostics: Diagnostics) -> FrontMatter:
    import yaml

    try:
        node = yaml.compose(source, Loader=yaml_loader())
        data = yaml.load(source, Loader=yaml_loader())
    except RecursionError:  # PyYAML composes nested collections by recursion
        diagnostics.error(path, 2, "front matter is nested too deep to read: keys take texts or lists of texts", code="front-matter-too-deep")
        return FrontMatter()
    except yaml.reader.ReaderError as exc:  # a character YAML refuses (DEL, C1 controls...)
        line = source.count("\n", 0, exc.position) + 2
        diagnostics.error(path, line, f"front matter holds the character U+{exc.character:04X}, which YAML does "
                                      "not allow: delete it in your editor", code="front-matter-character")
        return FrontMatter()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else 1
        column = mark.column + 1 if mark else None
        problem = exc.problem or "not valid YAML"
        diagnostics.error(path, line, f"front matter is not valid YAML: {problem}", column, code="front-matter-invalid-yaml")
        return FrontMatter()
    if expanded_size(node) > MAX_YAML_NODES:
        diagnostics.error(path, 2, f"front matter's aliases (*name) expand to more than {MAX_YAML_NODES:,} values: "
                                   "write the values out, without repeating aliases inside aliases",
                          code="front-matter-alias-bomb")
        return FrontMatter()
    if data is None:
        return FrontMatter()
    if not isinstance(data, dict):
        diagnostics.error(path, 2, "front matter must be a mapping of keys to values, such as 'title: My book'", code="front-matter-not-a-mapping")
        return FrontMatter()
    key_lines = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 2
    result = FrontMatter(lines=key_lines)
    for key, value in data.items():
        key = str(key)
        line = key_lines.get(key, 2)
        if key not in KNOWN_KEYS:
            diagnostics.warning(path, line, f"unknown front matter key '{key}' is ignored; "
                                            f"{did_you_mean(key, KNOWN_KEYS, 'known keys')}", code="front-matter-key-unknown")
            continue
        cleaned, problem = checked_value(key, value, f"front matter '{key}'", "front matter")
        if problem is not None:
            diagnostics.add(problem.at(path, line))
        else:
            result.values[key] = cleaned
    return result


def checked_value(key: str, value: Any, named: str, place: str) -> tuple[Any, Diagnostic | None]:
    """The metadata `value` of a known `key` cleaned, or None and what is wrong with it (unplaced).

    Front matter and bookmaker.toml's [book] check alike; their messages name the
    key as `named` ("front matter 'title'", "[book] title") and the place as `place`.
    """
    cleaned = _clean(key, value)
    if cleaned is None:
        kind = "a text or a list of texts" if key in LIST_KEYS else "a text"
        kind = {"crossref-numbering": "'book' or 'chapter'", "crossref-pages": "true or false"}.get(key, kind)
        return None, Diagnostic.error(f"{named} must be {kind}", code="front-matter-value-invalid")
    if cleaned == "":
        return None, Diagnostic.warning(f"{named} is empty and is ignored: give it a value or remove it", code="front-matter-value-empty")
    problem = value_problem(key, cleaned)
    if problem:
        return None, Diagnostic.error(f"{place} {problem}", code="front-matter-value-invalid")
    return cleaned, None


_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def value_problem(key: str, value: Any) -> str | None:
    """What is wrong with a cleaned metadata value that has the right type ('date ... is not a date: ...'), or None."""
    if key == "lang" and not is_language_tag(value):
        return f"lang '{value}' is not a language tag: use one such as en, fr or pt-BR"
    if key == "dir" and value not in ("ltr", "rtl"):
        return f"dir '{value}' is not a direction: use rtl (right to left) or ltr; without it, the language's is used"
    if key == "date":
        try:
            if _DATE.match(value):
                datetime.date(*(int(part) for part in (value + "-01-01")[:10].split("-")))
            else:
                datetime.datetime.fromisoformat(value)
        except ValueError:
            return f"date '{value}' is not a date: write it as YYYY-MM-DD, such as 2026-01-31"
    return None


def _clean(key: str, value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        value = value.isoformat()
    if key == "crossref-numbering":
        return value if value in CROSSREF_NUMBERINGS else None
    if key == "crossref-pages":
        return value if isinstance(value, bool) else None
    if key in LIST_KEYS:
        if isinstance(value, str):
            items = [value] if key in ("author", "bibliography") else value.split(",")
        elif isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            items = [str(v) for v in value]
        else:
            return None
        items = [without_invalid_characters(item).strip() for item in items]
        items = [item for item in items if item]
        if key == "nocite":  # pandoc's "@a, @b" (or "@*")
            items = [item.removeprefix("@") for item in items]
        return items
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return without_invalid_characters(str(value)).strip()
    return None
