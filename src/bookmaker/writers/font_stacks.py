"""Which face sets each script, and which Debian package holds it: the theme's font stacks.

One table serves the theme's stylesheet (theme/styles/scripts.css is written from it and a
test keeps the two equal), the EPUB's embedded subsets (writers/fonts.py), the typeset cover
and `bookmaker check`'s account of the faces (font_coverage.py). Every face is a book face,
a serif where the script has one, installed by `make book` (scripts/system-packages.sh).

- Latin, Greek, Cyrillic: Linux Libertine (fonts-linuxlibertine).
- Arabic script (Persian, Arabic, Urdu...): Amiri, a Naskh for books (fonts-hosny-amiri).
- Hebrew, Thai, Devanagari and the other Indic scripts, Armenian, Georgian, Ethiopic, Khmer,
  Lao, Myanmar, Sinhala: Noto Serif <script> (fonts-noto-core, 12 MB to download).
- Chinese, Japanese, Korean: Noto Serif CJK (fonts-noto-cjk, 57 MB to download, 91 MB
  installed), in the regional forms the language wants: JP for ja, SC for zh/zh-Hans/zh-CN,
  TC for zh-Hant/zh-TW, HK for zh-HK, KR for ko. The smaller alternatives (IPAex Mincho 5 MB,
  AR PL UMing 21 MB, Un Batang or Nanum Myeongjo 10-15 MB) are three unrelated designs that
  together weigh as much, without one family's regional forms chosen by `lang` or a matching
  sans for headings; Noto Serif CJK is the face publishers' own Source Han Serif.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True)
class ScriptFace:
    script: str  # a name for people: "Hebrew", "Japanese"
    codes: tuple[str, ...]  # ISO 15924 codes of its characters (fontTools.unicodedata.script)
    family: str  # the face the theme names
    package: str  # the Debian package that holds it
    langs: tuple[str, ...] = ()  # BCP 47 tags whose text it sets first (CSS `[lang|=...]`)
    file_name: str = ""  # its subset in the EPUB


LATIN = ScriptFace("Latin, Greek and Cyrillic", ("Latn", "Grek", "Cyrl"), "Linux Libertine O",
                   "fonts-linuxlibertine")
ARABIC = ScriptFace("Arabic script", ("Arab",), "Amiri", "fonts-hosny-amiri",
                    ("fa", "ar", "ur", "ps", "ckb", "sd", "ug"), "fonts/amiri-regular.ttf")

# Scripts of one face each, in the order the root stack names them.
_NOTO = "fonts-noto-core"
SCRIPTS: tuple[ScriptFace, ...] = (
    LATIN,
    ARABIC,
    ScriptFace("Hebrew", ("Hebr",), "Noto Serif Hebrew", _NOTO, ("he", "yi", "iw")),
    ScriptFace("Thai", ("Thai",), "Noto Serif Thai", _NOTO, ("th",)),
    ScriptFace("Devanagari", ("Deva",), "Noto Serif Devanagari", _NOTO, ("hi", "mr", "ne", "sa", "mai", "kok")),
    ScriptFace("Bengali", ("Beng",), "Noto Serif Bengali", _NOTO, ("bn", "as")),
    ScriptFace("Gujarati", ("Gujr",), "Noto Serif Gujarati", _NOTO, ("gu",)),
    ScriptFace("Gurmukhi", ("Guru",), "Noto Serif Gurmukhi", _NOTO, ("pa",)),
    ScriptFace("Tamil", ("Taml",), "Noto Serif Tamil", _NOTO, ("ta",)),
    ScriptFace("Telugu", ("Telu",), "Noto Serif Telugu", _NOTO, ("te",)),
    ScriptFace("Kannada", ("Knda",), "Noto Serif Kannada", _NOTO, ("kn",)),
    ScriptFace("Malayalam", ("Mlym",), "Noto Serif Malayalam", _NOTO, ("ml",)),
    ScriptFace("Sinhala", ("Sinh",), "Noto Serif Sinhala", _NOTO, ("si",)),
    ScriptFace("Khmer", ("Khmr",), "Noto Serif Khmer", _NOTO, ("km",)),
    ScriptFace("Lao", ("Laoo",), "Noto Serif Lao", _NOTO, ("lo",)),
    ScriptFace("Myanmar", ("Mymr",), "Noto Serif Myanmar", _NOTO, ("my",)),
    ScriptFace("Armenian", ("Armn",), "Noto Serif Armenian", _NOTO, ("hy",)),
    ScriptFace("Georgian", ("Geor",), "Noto Serif Georgian", _NOTO, ("ka",)),
    ScriptFace("Ethiopic", ("Ethi",), "Noto Serif Ethiopic", _NOTO, ("am", "ti")),
)
for _face in SCRIPTS[2:]:
    object.__setattr__(_face, "file_name", "fonts/" + _face.family.lower().replace(" ", "-") + ".ttf")

# Han, kana, hangul and bopomofo, in one family whose regional forms follow the language.
CJK_CODES = ("Hani", "Hira", "Kana", "Hang", "Bopo")
CJK_PACKAGE = "fonts-noto-cjk"
CJK_REGIONS = (  # later rows win in CSS, so the more precise tags come last
    ("JP", ("ja",)),
    ("SC", ("zh", "zh-Hans", "zh-CN", "zh-SG")),
    ("TC", ("zh-Hant", "zh-TW", "zh-MO")),
    ("HK", ("zh-HK", "zh-Hant-HK")),
    ("KR", ("ko",)),
)


def cjk_region(lang: str) -> str:
    """The regional forms of a CJK face a language wants: JP, SC, TC, HK or KR (SC for other books)."""
    parts = [p.lower() for p in lang.replace("_", "-").split("-") if p]
    region = "SC"
    for name, tags in CJK_REGIONS:
        for tag in tags:
            want = tag.lower().split("-")
            if parts[:1] == want[:1] and all(w in parts[1:] for w in want[1:]):
                region = name
    return region


def cjk_face(lang: str) -> ScriptFace:
    region = cjk_region(lang)
    return ScriptFace("Chinese, Japanese and Korean", CJK_CODES, f"Noto Serif CJK {region}", CJK_PACKAGE,
                      file_name=f"fonts/noto-serif-cjk-{region.lower()}.otf")


def faces_for(lang: str) -> list[ScriptFace]:
    """The faces of a book in `lang`, in the order its text asks for them: its own script's first."""
    primary = lang.replace("_", "-").split("-")[0].lower()
    faces = [*SCRIPTS, cjk_face(lang)]
    own = [f for f in faces if primary in f.langs] or ([faces[-1]] if primary in ("ja", "zh", "ko") else [])
    return own + [f for f in faces if f not in own]


def package_of(code: str | None) -> str | None:
    """The Debian package with the theme's face for the script `code` (ISO 15924); None for another."""
    if code in CJK_CODES:
        return CJK_PACKAGE
    return next((f.package for f in SCRIPTS if code in f.codes), None)


# Unicode blocks of the scripts above (the Unicode Standard's Blocks.txt), start, end, ISO 15924 code.
# A table, not fontTools' script data: a Latin book's EPUB never imports fontTools (test_startup.py).
_BLOCKS = sorted([
    (0x0530, 0x058F, "Armn"), (0x0590, 0x05FF, "Hebr"), (0xFB1D, 0xFB4F, "Hebr"),
    (0x0600, 0x06FF, "Arab"), (0x0750, 0x077F, "Arab"), (0x0870, 0x08FF, "Arab"), (0xFB50, 0xFDFF, "Arab"),
    (0xFE70, 0xFEFF, "Arab"), (0x0900, 0x097F, "Deva"), (0xA8E0, 0xA8FF, "Deva"), (0x0980, 0x09FF, "Beng"),
    (0x0A00, 0x0A7F, "Guru"), (0x0A80, 0x0AFF, "Gujr"), (0x0B80, 0x0BFF, "Taml"), (0x0C00, 0x0C7F, "Telu"),
    (0x0C80, 0x0CFF, "Knda"), (0x0D00, 0x0D7F, "Mlym"), (0x0D80, 0x0DFF, "Sinh"), (0x0E00, 0x0E7F, "Thai"),
    (0x0E80, 0x0EFF, "Laoo"), (0x1000, 0x109F, "Mymr"), (0x10A0, 0x10FF, "Geor"), (0x1200, 0x139F, "Ethi"),
    (0x1780, 0x17FF, "Khmr"), (0x1100, 0x11FF, "Hang"), (0x2E80, 0x2FDF, "Hani"), (0x3000, 0x303F, "Hani"),
    (0x3040, 0x309F, "Hira"), (0x30A0, 0x30FF, "Kana"), (0x3100, 0x312F, "Bopo"), (0x3130, 0x318F, "Hang"),
    (0x31A0, 0x31BF, "Bopo"), (0x31F0, 0x31FF, "Kana"), (0x3200, 0x33FF, "Hani"), (0x3400, 0x4DBF, "Hani"),
    (0x4E00, 0x9FFF, "Hani"), (0xA960, 0xA97F, "Hang"), (0xAC00, 0xD7FF, "Hang"), (0xF900, 0xFAFF, "Hani"),
    (0xFE30, 0xFE4F, "Hani"), (0xFF00, 0xFFEF, "Hani"), (0x20000, 0x3134F, "Hani"),
])
_STARTS = [b[0] for b in _BLOCKS]


def script_of(char: str) -> str | None:
    """The script (ISO 15924) of a character of the scripts above; None for Latin, Greek, Cyrillic and
    the characters every script shares (digits, punctuation, symbols)."""
    i = bisect_right(_STARTS, ord(char)) - 1
    return _BLOCKS[i][2] if i >= 0 and ord(char) <= _BLOCKS[i][1] else None


def face_of_script(code: str, lang: str) -> ScriptFace:
    """The theme's face for the script `code` in a book in `lang`."""
    return next(f for f in faces_for(lang) if code in f.codes)


def _families(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


HEADINGS = "h1, h2, h3, h4, h5, h6, .box, .notes-title, .subtitle, .authors"
_SANS = ["Linux Biolinum O", "Linux Biolinum"]
_MONO = {"code, pre, kbd, samp": ["Linux Libertine Mono O", "DejaVu Sans Mono"],
         "pre.code, pre.code code": ["DejaVu Sans Mono", "Liberation Mono"]}


def root_stack(lang: str = "en") -> list[str]:
    """Every face of the theme, the book's own script's first: a character of any script the theme
    claims finds its face in this list, whatever element it is in."""
    families = [f.family for f in faces_for(lang)]
    at = families.index(LATIN.family) + 1
    return families[:at] + ["Linux Libertine"] + families[at:]  # the Type 1 name Libertine has on some systems


def _scoped(tags: tuple[str, ...], suffix: str = "") -> str:
    return ", ".join(f'[lang|="{tag}"]{suffix}' for tag in tags)


# A `lang` attribute's value in a document, however it is quoted (`xml:lang` and `data-lang` match too: a
# rule too many is harmless, a rule missing would change a face).
_LANG_VALUE = re.compile(r"""\blang\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE)


def languages_in(html: str) -> set[str]:
    """Every `lang` value a document holds, lower-cased (the root's, a chapter's, a span's, raw HTML's)."""
    return {"".join(m.groups("")).strip().lower() for m in _LANG_VALUE.finditer(html)}


def _used(tags: tuple[str, ...], langs: set[str] | None) -> tuple[str, ...]:
    """The tags of `tags` whose `[lang|=tag]` may match an element with one of `langs` (None: all of them);
    compared without case, so that a tag kept is never one CSS could match and this could not."""
    if langs is None:
        return tags
    return tuple(t for t in tags if any(v == t.lower() or v.startswith(t.lower() + "-") for v in langs))


def scripts_css(langs: set[str] | None = None) -> str:
    """theme/styles/scripts.css: the font stacks by script and by language; with `langs` (languages_in),
    only the rules of those languages. WeasyPrint compiles the 495 `[lang|=...]` selectors for every
    document it lays out and tries them on every element (0.04 s a document, a tenth of a chapter's
    layout), and a rule of a language the document does not use matches nothing: left out, no face changes."""
    others = [f.family for f in faces_for("en") if f is not LATIN]
    lines = [
        "/* Written from writers/font_stacks.py (a test keeps the two equal): the face of every script the",
        "   theme claims, so that no character is set in a face fontconfig picks by accident. Every stack",
        "   ends with the faces of all scripts; the element that carries `lang` (the root, or a span) names",
        "   its own script's face first, and its descendants inherit it, so code keeps its monospace face.",
        "   Headings keep Biolinum for Latin text and take the script's face otherwise. */",
        "",
        f"html {{ font-family: {_families(root_stack())}, serif; }}",
        f"{HEADINGS} {{ font-family: {_families(_SANS + others)}, sans-serif; }}",
    ]
    lines += [f"{selector} {{ font-family: {_families(first + others)}, monospace; }}" for selector, first in _MONO.items()]
    scoped = [(face.langs, face.family) for face in SCRIPTS[1:]]
    scoped += [(tags, f"Noto Serif CJK {region}") for region, tags in CJK_REGIONS]
    for tags, family in scoped:
        if not (tags := _used(tags, langs)):
            continue
        lines.append(f"{_scoped(tags)} {{ font-family: {_families([family, LATIN.family])}, serif; }}")
        headings = ", ".join(_scoped(tags, f" {h.strip()}") for h in HEADINGS.split(","))
        lines.append(f"{headings} {{ font-family: {_families([family, *_SANS])}, sans-serif; }}")
    # CJK faces have no italic: emphasis is set bold, as CJK books set it, not slanted by synthesis.
    if cjk := ", ".join(_scoped(used, " em") for _, tags in CJK_REGIONS if (used := _used(tags, langs))):
        lines.append(f"{cjk} {{ font-style: normal; font-weight: bold; }}")
    return "\n".join(lines) + "\n"


def page_margin_css(lang: str) -> str:
    """The running heads' and page numbers' faces of a PDF in `lang` (print.css sets Biolinum in
    small capitals): the book's own script's face first when it is not Latin. Margin boxes match
    no `[lang]` rule, so this rule is written for the book."""
    faces = faces_for(lang)
    names = [f.family for f in faces if f is not LATIN]
    first = [] if faces[0] is LATIN else names[:1]
    stack = first + _SANS + [n for n in names if n not in first]
    # Small capitals exist in Latin faces only; elsewhere they would be synthesized.
    variant = "" if faces[0] is LATIN else " @top-left { font-variant: normal; } @top-right { font-variant: normal; }"
    return f"@page {{ font-family: {_families(stack)}, sans-serif;{variant} }}\n"
