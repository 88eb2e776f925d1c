"""Quarto's and knitr's cells that only show an image, a habit of books written in Quarto:

    ```{r}
    #| label: fig-pipe
    #| fig-cap: The pipe's options.
    #| fig-alt: A dialog with two options.
    knitr::include_graphics("screenshots/pipe.png")
    ```

Running the cell would put the image in the book as a figure, labelled and captioned by the cell's
options; it is read as that figure (`![The pipe's options.](screenshots/pipe.png){#fig-pipe}`),
since nothing needs running. Any other cell stays code (read/foreign.py says it is not run)."""

from __future__ import annotations

import re

from markdown_it.rules_core import StateCore
from markdown_it.token import Token

_CELL = re.compile(r"^\{([A-Za-z][A-Za-z0-9_+-]*)(?:[ ,][^{}]*)?\}$")
# The path, then perhaps options such as `dpi = 270` that size the image on the web.
_INCLUDE_GRAPHICS = re.compile(r"""^\s*(?:knitr::)?include_graphics\(\s*["']([^"'\n]+)["']\s*(?:,[^()]*)?\)\s*$""")
_MARKDOWN_SPECIAL = re.compile(r"([\[\]\\])")


def image_cells(state: StateCore) -> None:
    """A cell whose code is one `knitr::include_graphics("path")` becomes the figure it would show."""
    tokens: list[Token] = []
    for token in state.tokens:
        figure = _figure(token) if token.type == "fence" and _CELL.match(token.info.strip()) else None
        if figure is None:
            tokens.append(token)
            continue
        path, caption, label = figure
        escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", caption)
        markdown = f"![{escaped}](<{path}>)" + (f"{{#{label}}}" if label else "")
        opening = Token("paragraph_open", "p", 1, map=token.map, level=token.level, block=True)
        inline = Token("inline", "", 0, content=markdown, map=token.map, level=token.level + 1, block=True)
        inline.children = []
        closing = Token("paragraph_close", "p", -1, level=token.level, block=True)
        tokens += [opening, inline, closing]
    state.tokens = tokens


def _figure(token: Token) -> tuple[str, str, str] | None:
    """The image's path, its caption and its label, or None for a cell that does anything else."""
    options, code = [], []
    for line in token.content.split("\n"):
        (options if line.startswith("#|") else code).append(line)
    code = [line for line in code if line.strip()]
    match = _INCLUDE_GRAPHICS.match(code[0]) if len(code) == 1 else None
    if match is None:
        return None
    values = _options("\n".join(line[2:].removeprefix(" ") for line in options))
    caption = " ".join(str(values.get("fig-cap") or values.get("fig-alt") or "").split())
    label = str(values.get("label") or "")
    if not re.fullmatch(r"fig-[\w-]+", label):
        label = ""
    return match.group(1), caption, label


def _options(text: str) -> dict:
    """The cell's options (`#| key: value` lines are YAML); {} when they are not."""
    if not text.strip():
        return {}
    import yaml

    try:
        values = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError):
        return {}
    return values if isinstance(values, dict) else {}
