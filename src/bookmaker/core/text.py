"""What text from a book may hold: the characters XML 1.0 (so XHTML and the EPUB) can carry."""

from __future__ import annotations

import re

# C0 controls but tab, newline and carriage return, and the noncharacters U+FFFE and U+FFFF.
INVALID_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The same and the C1 controls and DEL, which a terminal would obey: escaped in what bookmaker prints.
UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")

_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")  # BCP 47's shape, which EPUB and HTML need


def is_language_tag(value: str) -> bool:
    return bool(_LANGUAGE_TAG.match(value))


def line_and_column(text: str | bytes, offset: int) -> tuple[int, int]:
    """The 1-based line and column of `offset` in `text` (characters, or bytes for undecoded text)."""
    newline = b"\n" if isinstance(text, bytes) else "\n"
    return text.count(newline, 0, offset) + 1, offset - (text.rfind(newline, 0, offset) + 1) + 1


def not_utf8(error: UnicodeDecodeError, what: str) -> tuple[int, int, str]:
    """Where a file is not UTF-8 (line, column) and what to tell the user about `what` ("the file").
    The position is in the bytes the codec decoded (`error.object`): utf-8-sig leaves out a
    byte order mark, so the file's own bytes would put the error three bytes early."""
    data = error.object
    line, column = line_and_column(data, error.start)
    return line, column, f"{what} is not valid UTF-8 (byte 0x{data[error.start]:02x}): save it as UTF-8"


def without_invalid_characters(text: str) -> str:
    return INVALID_CHARACTERS.sub("", text)


def printable(text: str) -> str:
    """`text` with every control character shown as an escape (\\x1b), so printing it cannot drive the terminal."""
    return UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                           else f"\\u{ord(m.group()):04x}", text)
