"""Which face sets each script of a book, and the characters no face has.

WeasyPrint and e-readers take a character the named faces lack from any installed
font fontconfig finds (Droid Sans Fallback with synthesized bold, Noto Sans Mongolian
for 、。), and print a box when no font has it, with one warning per occurrence
(981 for a Japanese chapter). bookmaker decides instead: each character of the
manuscript is looked up in the theme's faces (font_stacks.py) in the order the book's
language asks for them, and

- `bookmaker check` says which face sets each script of the book;
- a character no theme face has is one warning per character per book, with its count
  and its first file:line: `font-fallback` when some other installed font would set it
  by accident, `glyph-missing` when none has it, naming the Debian package that does.

The faces' character maps come from HarfBuzz (uharfbuzz, which the EPUB's subsetting
and WeasyPrint use anyway), read once per face.
"""

from __future__ import annotations

import shutil
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from bookmaker.core.diagnostics import Diagnostics
from bookmaker.core.text import without_invalid_characters
from bookmaker.model import Book
from bookmaker.writers.font_stacks import LATIN, SCRIPTS, cjk_face, faces_for, package_of, root_stack, script_of
from bookmaker.writers.fonts import find_face

# Faces the theme names for code and symbols besides the script faces (print.css, base.css).
_OTHER_FACES = ("Linux Biolinum O", "Linux Libertine Mono O", "DejaVu Sans Mono", "DejaVu Sans")
_MAX_FALLBACK_QUERIES = 40  # fc-list runs for at most this many characters; the rest are named as missing
_NAMES = {code: face.script for face in SCRIPTS for code in face.codes}


@dataclass
class Usage:
    count: int = 0
    path: Path | None = None
    line: int | None = None


@dataclass
class FontReport:
    """What `bookmaker check` prints about the faces: one line per script."""

    lines: list[str] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def characters(book: Book) -> dict[str, Usage]:
    """Each character of the manuscript (front matter included) with its count and first place."""
    found: dict[str, Usage] = {}
    for chapter in book.chapters:
        try:
            # Without what the reader removes (XML cannot hold it: core/text.py), as the book prints it.
            text = without_invalid_characters(chapter.source.read_text(encoding="utf-8-sig", errors="replace"))
        except OSError:
            continue
        # Counted and placed a line at a time by set and Counter operations: a loop over every character
        # took half a second of a 10-chapter book's PDF, before any layout began.
        seen = set(found)
        for number, line in enumerate(text.split("\n"), start=1):
            new = set(line) - seen
            if new:
                seen |= new
                for char in sorted(new, key=line.index):  # in the order the line has them
                    if _shown(char):
                        found[char] = Usage(0, chapter.source, number)
        for char, count in Counter(text).items():
            if char in found:
                found[char].count += count
    for value in (book.metadata.title, book.metadata.subtitle, *book.metadata.authors):
        for char in value or "":
            if _shown(char):
                found.setdefault(char, Usage(0, book.chapters[0].source if book.chapters else None, None)).count += 1
    return found


def _shown(char: str) -> bool:
    """A character that needs a glyph: not a space, a control, a joiner or a variation selector."""
    category = unicodedata.category(char)  # "Cn" too: a letter newer than Python's Unicode still needs a glyph
    return not (category.startswith("Z") or category in ("Cc", "Cf", "Cs") or 0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF)


@cache
def _cmap(family: str) -> frozenset[int]:
    """The code points of an installed face (empty when it is not installed)."""
    import uharfbuzz as hb

    found = find_face(family)
    if found is None:
        return frozenset()
    return frozenset(hb.Face(hb.Blob.from_file_path(str(found[0])), found[1]).unicodes)


def face_setting(char: str, families: list[str]) -> str | None:
    """The first of `families` that has `char`, as the layout takes it."""
    return next((f for f in families if ord(char) in _cmap(f)), None)


def check_fonts(book: Book, diagnostics: Diagnostics) -> list[str]:
    """The faces that set the book's scripts (lines for `bookmaker check`); each character no theme
    face has is one warning in `diagnostics`."""
    lang = book.metadata.lang
    families = root_stack(lang) + list(_OTHER_FACES)
    by_script: dict[str, dict[str, int]] = {}
    missing: list[tuple[str, Usage]] = []
    for char, usage in sorted(characters(book).items(), key=lambda item: (str(item[1].path), item[1].line or 0)):
        family = face_setting(char, families)
        if family is None:
            missing.append((char, usage))
            continue
        name = _script_name(char, lang)
        by_script.setdefault(name, {}).setdefault(family, 0)
        by_script[name][family] += usage.count
    lines = []
    for name, counts in by_script.items():
        shown = ", ".join(f"{family} ({_package(family, lang)}, {count:,} character{'s' if count != 1 else ''})"
                          for family, count in sorted(counts.items(), key=lambda kv: -kv[1]))
        lines.append(f"{name}: {shown}")
    for n, (char, usage) in enumerate(missing):
        _report_missing(char, usage, diagnostics, query=n < _MAX_FALLBACK_QUERIES)
    return lines


def _script_name(char: str, lang: str) -> str:
    code = script_of(char)
    if code is None:
        return "Latin, Greek, Cyrillic and shared signs"
    if code in cjk_face(lang).codes:
        return "Chinese, Japanese and Korean"
    return _NAMES.get(code, code)


def _package(family: str, lang: str) -> str:
    face = next((f for f in faces_for(lang) if f.family == family), None)
    if face is not None:
        return face.package
    return "fonts-dejavu-core" if family.startswith("DejaVu") else LATIN.package


def _report_missing(char: str, usage: Usage, diagnostics: Diagnostics, query: bool) -> None:
    shown = f"'{char}' (U+{ord(char):04X}, {unicodedata.name(char, 'unnamed')})"
    times = f"{usage.count:,} time{'s' if usage.count != 1 else ''}"
    package = package_of(script_of(char))
    advice = (f"install {package}, whose face the theme names for it" if package
              else "install a font that has it and name it in a stylesheet's font-family")
    fallback = _installed_face_with(char) if query else None
    path = usage.path if usage.path is not None else "bookmaker"
    if fallback:
        diagnostics.warning(path, usage.line, f"{shown}, used {times}, is in none of the theme's faces: it would be "
                                              f"set in {fallback}, a face fontconfig falls back on; name a face that "
                                              "has it in a stylesheet's font-family", code="font-fallback")
    else:
        diagnostics.warning(path, usage.line, f"no installed font has {shown}, used {times}, so it prints as a box: "
                                              f"{advice}", code="glyph-missing")


def _installed_face_with(char: str) -> str | None:
    """An installed family that has `char` (fontconfig), or None."""
    import subprocess  # only for a character no theme face has

    if shutil.which("fc-list") is None:
        return None
    try:
        out = subprocess.run(["fc-list", f":charset={ord(char):x}", "family"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    names = sorted({line.split(",")[0].strip() for line in out.splitlines() if line.strip()})
    return names[0] if names else None
