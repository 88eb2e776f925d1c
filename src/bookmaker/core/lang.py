"""What bookmaker knows of languages: quotation marks and which languages and letters run right to left."""

from __future__ import annotations

import re

# Quotation marks by language: opening and closing primary, then secondary.
# markdown-it's option takes four items; lists, since a French mark is two
# characters (the guillemet and a narrow no-break space inside it).
# Languages that share their marks are one row.
_QUOTE_ROWS = (
    ("en nl", ["“", "”", "‘", "’"]),
    ("de cs", ["„", "“", "‚", "‘"]),
    ("de-ch", ["«", "»", "‹", "›"]),  # Switzerland uses guillemets, without spaces
    ("fr", ["«\u202f", "\u202f»", "‹\u202f", "\u202f›"]),
    ("es it pt fa ar", ["«", "»", "“", "”"]),
    ("ru", ["«", "»", "„", "“"]),
    ("pl", ["„", "”", "‚", "’"]),
    ("sv", ["”", "”", "’", "’"]),
    ("da", ["»", "«", "›", "‹"]),
)

QUOTES: dict[str, list[str]] = {lang: marks for langs, marks in _QUOTE_ROWS for lang in langs.split()}

# Strong right-to-left letters: Hebrew, Arabic (with Persian and Urdu
# additions), Syriac, Thaana, N'Ko and the presentation forms.
RTL_CHARS = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff"

RTL_RUN = re.compile(
    rf"[{RTL_CHARS}](?:[{RTL_CHARS}\u0020\u200c\u200d\u060c\u061b\u061f\u064b-\u065f0-9\u06f0-\u06f9]*[{RTL_CHARS}])?"
)

RTL_LANGS = {"ar", "fa", "he", "ur", "ps", "sd", "yi", "dv", "ckb", "ug", "syr", "arc", "nqo"}
# Script subtags of scripts written right to left (`pa-Arab`, `az-Arab`).
RTL_SCRIPTS = {"arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg"}


def is_rtl_lang(lang: str) -> bool:
    """Whether `lang` (a BCP 47 tag) is written right to left: by its script subtag if it has one, else its language."""
    parts = lang.lower().replace("_", "-").split("-")
    scripts = [p for p in parts[1:] if len(p) == 4 and p.isalpha()]
    if scripts:
        return scripts[0] in RTL_SCRIPTS  # `az-Latn` is left to right, `pa-Arab` right to left
    return parts[0] in RTL_LANGS


def direction_of(lang: str | None, direction: str | None = None) -> str:
    """"rtl" or "ltr": an explicit `dir` wins, else the language's."""
    if direction in ("ltr", "rtl"):
        return direction
    return "rtl" if lang and is_rtl_lang(lang) else "ltr"


def can_be_vertical(lang: str) -> bool:
    """Whether books in `lang` are set in columns, top to bottom and right to left: Japanese, and
    Chinese in Traditional characters (`zh-Hant`, or a region that writes them: TW, HK, MO)."""
    parts = lang.lower().replace("_", "-").split("-")
    return parts[0] == "ja" or (parts[0] == "zh" and any(p in ("hant", "tw", "hk", "mo") for p in parts[1:]))


def quotes_for(lang: str) -> list[str]:
    lang = lang.lower()
    return QUOTES.get(lang) or QUOTES.get(lang.split("-")[0], QUOTES["en"])
