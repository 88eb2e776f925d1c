"""Raw TeX in a pandoc or Quarto project (`\\markright{...}`, `\\begingroup`, `\\subsection*{...}`, a whole
`\\begin{longtable}` ... `\\end{longtable}`) is for pandoc's LaTeX output: pandoc leaves it out of
HTML and EPUB with a warning, and so does bookmaker, one warning per command with its count.
Math (`$...$`, amsmath environments) is read as math before this and never counts as raw TeX."""

from __future__ import annotations

import re

from markdown_it.token import Token

from bookmaker.core.tally import tally
from bookmaker.read.state import ChapterContext

# A command with its star, options and arguments (one level of braces inside an argument).
_ARGUMENT = r"(?:\[[^\[\]\n]*\]|\{(?:[^{}\n]|\{[^{}\n]*\})*\})"
COMMAND = re.compile(rf"\\(?P<name>[A-Za-z]+)\*?(?:{_ARGUMENT})*")
_ONLY_TEX = re.compile(rf"^(?:\s*\\[A-Za-z]+\*?(?:{_ARGUMENT})*\s*)+$")
_BEGIN = re.compile(r"^\s*\\begin\{(?P<env>[A-Za-z*]+)\}")


# The tools whose Markdown has pandoc's raw_tex extension on; elsewhere (an mdBook, a bookmaker book)
# `target\\debug\\hello` is a Windows path in the text, never TeX.
RAW_TEX_PROJECTS = ("pandoc", "Quarto")


def drop_raw_tex(ctx: ChapterContext, tokens: list[Token]) -> None:
    """Paragraphs of TeX commands alone, and `\\begin{env}` ... `\\end{env}` at the top level, left out."""
    project = ctx.book.sources.config.project
    if project is None or project.kind not in RAW_TEX_PROJECTS:
        return
    env_end: str | None = None
    for index, token in enumerate(tokens):
        if token.type != "inline" or token.level != 1 or tokens[index - 1].type != "paragraph_open":
            if env_end is not None and token.level == 0:
                token.hidden = True
                _hide_content(token)
            continue
        text = token.content
        begin = _BEGIN.match(text)
        if env_end is None and begin:
            env_end = f"\\end{{{begin.group('env')}}}"
            _note(ctx, f"\\begin{{{begin.group('env')}}}", token)
        if env_end is not None or _ONLY_TEX.match(text):
            if env_end is None:
                for command in COMMAND.finditer(text):
                    _note(ctx, "\\" + command.group("name"), token)
            _hide(tokens, index)
            if env_end is not None and env_end in text:
                env_end = None
            continue
        _drop_inline_commands(ctx, token)


def _hide(tokens: list[Token], index: int) -> None:
    tokens[index - 1].hidden = tokens[index + 1].hidden = True
    tokens[index].children = []
    tokens[index].content = ""


def _hide_content(token: Token) -> None:
    token.children = []
    token.content = ""


def _drop_inline_commands(ctx: ChapterContext, inline: Token) -> None:
    for child in inline.children or []:
        if child.type == "text" and "\\" in child.content and COMMAND.search(child.content):
            for command in COMMAND.finditer(child.content):
                _note(ctx, "\\" + command.group("name"), inline)
            # `with \LaTeX{} in it`: the words around the command keep one space between them.
            child.content = re.sub(r"(?<=\S) {2,}(?=\S)", " ", COMMAND.sub("", child.content))


def _note(ctx: ChapterContext, command: str, token: Token) -> None:
    line = token.map[0] + 1 if token.map else None
    tally(ctx.book.seen, f"raw-tex {command}", ctx.path, line,
          f"raw TeX '{command}' is for pandoc's LaTeX output and is left out, as pandoc leaves it out of "
          "an EPUB: write Markdown, or keep it for a LaTeX build", "raw-tex")
