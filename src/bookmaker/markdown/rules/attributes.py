"""pandoc's unquoted attribute values: `{#fig:x width=50%}`, `{height=2.5cm}`, as pandoc and Quarto authors
write them. mdit-py-plugins' attribute parser follows djot's grammar, where a bare value holds only letters,
digits, `_`, `:` and `-`; a `%` or a `.` in one made the whole `{...}` text, printed as written, and the
figure it labels lost its caption, its number and every reference to it (the pandoc thesis template). As
pandoc reads them, a bare value runs to a space or the closing `}`; a quote in one is still an error."""

from __future__ import annotations

from mdit_py_plugins.attrs import parse


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


def pandoc_bare_values() -> None:
    """Replace the bare value's state in the parser's table (the headings, tables, callouts and boxes rules
    call the same parser); applied once, on building the first Markdown parser."""
    parse.HANDLERS[parse.State.SCANNING_BARE_VALUE] = _bare_value
