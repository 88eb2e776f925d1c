"""Bibliography files (BibTeX/BibLaTeX and CSL-JSON): read once, in time linear in their size.

A bibliography is untrusted input like the manuscript. Each file is read within
MAX_BIBLIOGRAPHY_BYTES, scanned once from entry to entry (never searched again
from the top for each entry), and an entry nested deeper than MAX_BIB_NESTING
braces is refused before pandoc sees it (pandoc's memory grows with the depth).
Characters XML cannot hold are removed, with a warning at their line; a key
defined twice is reported, and the first definition is the one used. Only the
cited entries are handed to pandoc (`cited_files`), so its work follows the
citations of the book, not the size of the reference manager's export.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bookmaker.core.diagnostics import Diagnostics
from bookmaker.core.text import INVALID_CHARACTERS

MAX_BIBLIOGRAPHY_BYTES = 20_000_000
# Real entries nest braces a few deep ({{NASA}} in a title); pandoc's memory grows with the depth.
MAX_BIB_NESTING = 100
_ENTRY_START = re.compile(r"@[ \t]*([A-Za-z][\w-]{0,40})[ \t\r\n]*([{(])")
_KEY = re.compile(r"[ \t\r\n]*([^,\s{}()\"#=]{1,200})[ \t\r\n]*,")
_FIELD = re.compile(r"(?:^|,)\s*([A-Za-z][\w-]{0,60})\s*=")
_CROSSREF = re.compile(r"(?:^|,)\s*(?:crossref|xdata)\s*=\s*[{\"]([^}\"]{1,400})[}\"]", re.IGNORECASE)
_BRACKETS = re.compile(r"[{}()]")
_ESCAPED_INVALID = re.compile(r"\\u(00(0[0-8bcefBCEF]|1[0-9a-fA-F])|[fF]{3}[eEfF])")
_PLAIN_KEY = re.compile(r"^[\w:.+/-]*$")


@dataclass
class Entry:
    key: str
    source: Path  # the bibliography file
    line: int
    fields: set[str]
    type: str
    data: Any = None  # BibTeX: the entry's text; CSL-JSON: the item


@dataclass
class BibFile:
    suffix: str
    entries: list[Entry]
    preamble: str = ""  # BibTeX: the @string and @preamble definitions every entry may use


def read_file(path: Path, data: bytes, diagnostics: Diagnostics) -> BibFile | None:
    """The entries of one bibliography file, or None when it cannot be read (reported)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        diagnostics.error(path, data[: exc.start].count(b"\n") + 1, "the bibliography is not UTF-8: save it as UTF-8",
                          code="bibliography-not-utf8")
        return None
    suffix = path.suffix.lower()
    if suffix == ".json":
        entries = _csl_json_entries(text, path, diagnostics)
        return None if entries is None else BibFile(suffix, entries)
    text = _without_control_characters(text, path, diagnostics)
    return _bibtex_file(text, path, diagnostics)


def _without_control_characters(text: str, path: Path, diagnostics: Diagnostics) -> str:
    found = list(INVALID_CHARACTERS.finditer(text))
    for match in found[:10]:  # the first few are enough to find them; all are removed
        diagnostics.warning(path, text.count("\n", 0, match.start()) + 1,
                            f"control character U+{ord(match.group()):04X} removed from the bibliography: "
                            "no book can hold it; delete it in the reference manager",
                            code="bibliography-control-character")
    return INVALID_CHARACTERS.sub("", text) if found else text


def _bibtex_file(text: str, path: Path, diagnostics: Diagnostics) -> BibFile | None:
    result = BibFile(path.suffix.lower(), [])
    position, line, counted = 0, 1, 0
    while (match := _ENTRY_START.search(text, position)) is not None:
        line += text.count("\n", counted, match.start())
        counted = match.start()
        kind = match.group(1).lower()
        end, deepest = _entry_end(text, match.end(), match.group(2))
        if deepest > MAX_BIB_NESTING:
            diagnostics.error(path, line, f"an entry is nested more than {MAX_BIB_NESTING} braces deep: "
                                          "simplify it in the reference manager", code="bibliography-too-deep")
            return None
        if end is None:
            key = _KEY.match(text, match.end())
            name = f"the entry '{key.group(1)}'" if key else "an entry"
            closing = "}" if match.group(2) == "{" else ")"
            diagnostics.error(path, line, f"{name} is not closed: a '{closing}' is missing",
                              code="bibliography-entry-unclosed")
            return None
        position = end
        if kind == "comment":
            continue
        if kind in ("string", "preamble"):
            result.preamble += text[match.start() : end] + "\n"
            continue
        key = _KEY.match(text, match.end(), end)
        if key is None:
            diagnostics.warning(path, line, f"an @{kind} entry has no key: give it one, the key you cite it by",
                                code="bibliography-entry-no-key")
            continue
        body = text[key.end() : end - 1]
        fields = {m.group(1).lower() for m in _FIELD.finditer(body)}
        result.entries.append(Entry(key.group(1), path, line, fields, kind, text[match.start() : end]))
    return result


def _entry_end(text: str, start: int, opener: str) -> tuple[int | None, int]:
    """Just after the bracket that closes the entry opened before `start`, and how deep its braces go."""
    depth, braces, deepest = 1, 0, 0
    for bracket in _BRACKETS.finditer(text, start):
        char = bracket.group()
        if char == "{":
            braces += 1
            depth += opener == "{"
            deepest = max(deepest, braces)
            if deepest > MAX_BIB_NESTING:
                return None, deepest
        elif char == "}":
            braces -= 1
            depth -= opener == "{"
        elif opener == "(" and braces == 0:
            depth += 1 if char == "(" else -1
        if depth == 0:
            return bracket.end(), deepest
    return None, deepest


def _csl_json_entries(text: str, path: Path, diagnostics: Diagnostics) -> list[Entry] | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        diagnostics.error(path, exc.lineno, f"the bibliography is not valid JSON: {exc.msg}", exc.colno,
                          code="bibliography-invalid-json")
        return None
    except RecursionError:
        diagnostics.error(path, 1, "the bibliography is nested too deeply to be CSL-JSON: export it again",
                          code="bibliography-too-deep")
        return None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        diagnostics.error(path, 1, "a CSL-JSON bibliography is a list of entries ([{\"id\": ..., \"type\": ...}, ...])",
                          code="bibliography-not-a-list")
        return None
    entries, searched, line, counted = [], 0, 1, 0
    # A character XML cannot hold is in the file as itself or as a JSON escape: only then is each item cleaned.
    unclean = bool(INVALID_CHARACTERS.search(text) or _ESCAPED_INVALID.search(text))
    for item in data:
        key = item.get("id", "")
        key = key if isinstance(key, str) else json.dumps(key)
        # Ids come in the order of the file: each is looked for after the one before (linear in the file).
        at = text.find(f'"{key}"' if _PLAIN_KEY.match(key) else json.dumps(key, ensure_ascii=False), searched) if key else -1
        if at < 0 and key:
            at = text.find(json.dumps(key), searched)
        if at >= 0:
            line += text.count("\n", counted, at)
            counted = searched = at
        if not key:
            diagnostics.error(path, line, "a bibliography entry has no \"id\": give it one, the key you cite it by",
                              code="bibliography-entry-without-id")
            continue
        if unclean and _clean_strings(item):
            diagnostics.warning(path, line, f"control characters removed from the entry '{key}': no book can hold "
                                            "them; delete them in the reference manager",
                                code="bibliography-control-character")
        entries.append(Entry(key, path, line, {k.lower() for k in item}, str(item.get("type", "")), item))
    return entries


def _clean_strings(value: Any) -> bool:
    """Remove the characters XML cannot hold from every string in `value` (in place); True if any was."""
    changed = False
    stack = [value]
    while stack:
        node = stack.pop()
        pairs = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        for name, item in pairs:
            if isinstance(item, str) and INVALID_CHARACTERS.search(item):
                node[name] = INVALID_CHARACTERS.sub("", item)
                changed = True
            elif isinstance(item, (dict, list)):
                stack.append(item)
    return changed


def cited_files(files: list[BibFile], keys: set[str] | None) -> list[tuple[str, bytes]]:
    """What pandoc is given: per file, only the entries whose keys are in `keys` (None: all of them) and
    the entries they take fields from (crossref, xdata), each key's first definition only."""
    wanted = None if keys is None else set(keys)
    by_key: dict[str, Entry] = {}
    for file in files:
        for entry in file.entries:
            by_key.setdefault(entry.key, entry)
    if wanted is not None:
        queue = list(wanted)
        while queue:
            entry = by_key.get(queue.pop())
            if entry is not None and isinstance(entry.data, str):
                for parent in _CROSSREF.findall(entry.data):
                    for name in (p.strip() for p in parent.split(",")):
                        if name and name not in wanted:
                            wanted.add(name)
                            queue.append(name)
    out = []
    for file in files:
        chosen = [e for e in file.entries if by_key.get(e.key) is e and (wanted is None or e.key in wanted)]
        if file.suffix == ".json":
            out.append((file.suffix, json.dumps([e.data for e in chosen], ensure_ascii=False).encode()))
        else:
            out.append((file.suffix, (file.preamble + "\n".join(e.data for e in chosen)).encode()))
    return out


def report_duplicates(files: list[BibFile], diagnostics: Diagnostics) -> None:
    """A key defined twice: pandoc would use one definition and bookmaker check another."""
    first: dict[str, Entry] = {}
    for file in files:
        for entry in file.entries:
            seen = first.setdefault(entry.key, entry)
            if seen is not entry:
                where = f"line {seen.line}" if seen.source == entry.source else f"{seen.source.name}:{seen.line}"
                diagnostics.warning(entry.source, entry.line, f"the key '{entry.key}' is defined again (first at "
                                                               f"{where}); the first is used: remove or rename one",
                                    code="bibliography-key-defined-twice")
