"""pandoc's unquoted attribute values: `{#fig:x width=50%}`, `{height=2.5cm}`, as pandoc and Quarto authors
write them. mdit-py-plugins' attribute parser follows djot's grammar, where a bare value holds only letters,
digits, `_`, `:` and `-`; a `%` or a `.` in one made the whole `{...}` text, printed as written, and the
figure it labels lost its caption, its number and every reference to it (the pandoc thesis template). As
pandoc reads them, a bare value runs to a space or the closing `}`; a quote in one is still an error."""

from __future__ import annotations

import hashlib
import inspect

from mdit_py_plugins.attrs import parse

# Fenced as the WeasyPrint patches are (writers/pdf/patches/): applied only on these versions, whose
# handler's source has this fingerprint (tests/fast/test_patches.py checks it, and pyproject.toml pins
# the range). With another version the patch is not applied: bare values follow djot.
WRITTEN_FOR = ("0.7.",)
FINGERPRINT = "870871dcbd65623d"  # mdit_py_plugins.attrs.parse.handle_scanning_bare_value


def _bare_value(char: str, pos: int, tokens: parse.TokenState) -> parse.State:
    if char == "}":
        tokens.append(tokens.start, pos, "value")
        return parse.State.DONE
    if parse.REGEX_SPACE.fullmatch(char):
        tokens.append(tokens.start, pos, "value")
        return parse.State.SCANNING
    if char in "\"'{":
        raise parse.ParseError(f"Unexpected character whilst scanning bare value: {char}", pos)
    return parse.State.SCANNING_BARE_VALUE


def fingerprint() -> str:
    """The sha256 (16 digits) of mdit-py-plugins' own bare-value handler, patched or not."""
    return hashlib.sha256(inspect.getsource(parse.handle_scanning_bare_value).encode()).hexdigest()[:16]


def supported() -> bool:
    """Whether the installed mdit-py-plugins is one the patch was written for (its source's fingerprint is
    the test's to check, as the WeasyPrint patches' are: no source read on every start)."""
    from mdit_py_plugins import __version__

    return __version__.startswith(WRITTEN_FOR)


def pandoc_bare_values() -> None:
    """Replace the bare value's state in the parser's table (the headings, tables, callouts and boxes rules
    call the same parser); applied once, on building the first Markdown parser, on the versions it was
    written for."""
    if parse.HANDLERS.get(parse.State.SCANNING_BARE_VALUE) is parse.handle_scanning_bare_value and supported():
        parse.HANDLERS[parse.State.SCANNING_BARE_VALUE] = _bare_value
