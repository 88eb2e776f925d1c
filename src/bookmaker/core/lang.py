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

RTL_LANGS = {"ar", "fa", "he", "ur", "ps", "sd", "yi", "dv", "ckb", "ug"}

def is_rtl_lang(lang: str) -> bool:
    return lang.split("-")[0].lower() in RTL_LANGS

def quotes_for(lang: str) -> list[str]:
    lang = lang.lower()
    return QUOTES.get(lang) or QUOTES.get(lang.split("-")[0], QUOTES["en"])
