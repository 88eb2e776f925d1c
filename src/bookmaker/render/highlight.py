"""Code blocks: syntax highlighting with Pygments, line numbers and captions.

A fenced block's info string names its language and options, as in pandoc:

    ```python                         a language
    ```python title="setup.py"        a caption above the block
    ```{.python .numberLines startFrom="10" caption="..."}

Each source line becomes its own `<span class="line">`, so a style sheet can
wrap a long line with a hanging indent (and, in print, a continuation mark)
and number the lines with a CSS counter: nothing is added to the text, so
copying code from the book gives the code. The markup is plain XHTML (spans
with Pygments' short token classes), valid in the EPUB and the PDF alike.
An unknown language is printed as plain text, without complaint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs

from bookmaker.render.highlight_worker import TooSlow, highlighted_runs

# Past this size a block is printed as plain text: Pygments' lexers are regular
# expressions, and the manuscript is untrusted input.
MAX_HIGHLIGHT_CHARS = 200_000
# Lines longer than this may wrap on a page (see _line_html).
WRAP_HINT = 60
_LANG = re.compile(r"^[A-Za-z0-9_+#.-]+$")


@dataclass
class CodeOptions:
    lang: str = ""
    numbered: bool = False
    start: int = 1
    caption: str = ""
    hide_prefix: str = ""  # mdBook's hidden lines: a line starting with it is left out of the book
    executable: bool = False  # a Quarto or R Markdown cell, ```{python}: shown as code, never run


# mdBook's and rustdoc's: Rust lines starting `# ` (or a lone `#`) are hidden, `##` is a literal `#`.
RUST_LANGS = ("rust", "rs")
# ```{python}, ```{r echo=FALSE}, ```{r, label}: a cell Quarto or knitr would run.
_CELL = re.compile(r"^\{([A-Za-z][A-Za-z0-9_+-]*)(?:[ ,][^{}]*)?\}$")


def parse_info(info: str) -> CodeOptions:
    """The options of a fence's info string: `lang`, `lang {attrs}`, `lang key="value"` or `{.lang attrs}`."""
    info = info.strip()
    options = CodeOptions()
    if not info:
        return options
    if cell := _CELL.match(info):
        options.lang, options.executable = cell.group(1), True
        return options
    if not info.startswith("{"):
        word, _, rest = info.partition(" ")
        # mdBook's attributes follow the language after commas: `rust,ignore`, `python,hidelines=#`.
        word, *attributes = word.split(",")
        options.lang = word if _LANG.match(word) else ""
        options.hide_prefix = "#" if options.lang.lower() in RUST_LANGS else ""
        for attribute in attributes:
            if attribute.startswith("hidelines="):
                options.hide_prefix = attribute.removeprefix("hidelines=")
        rest = rest.strip()
        if not rest:
            return options
        info = rest if rest.startswith("{") else "{" + rest + "}"
    try:
        _, attrs = parse_attrs(info)
    except ParseError:
        return options
    classes = str(attrs.get("class", "")).split()
    if not options.lang:
        options.lang = next((c for c in classes if c not in ("numberLines", "number-lines") and _LANG.match(c)), "")
    options.numbered = any(c in ("numberLines", "number-lines") for c in classes) or "startFrom" in attrs
    start = str(attrs.get("startFrom", "1")).strip()
    options.start = int(start) if start.isdigit() and len(start) < 9 else 1
    options.caption = str(attrs.get("caption") or attrs.get("title") or "").strip()
    return options


def _lexer(lang: str):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    if not lang:
        return None
    try:
        return get_lexer_by_name(lang.lower(), stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _token_lines(code: str, lang: str) -> tuple[list[list[tuple[str, str]]], str | None]:
    """The code as lines of (Pygments' short class, text) runs (the class '' for plain text), and why it
    is not highlighted when a lexer was found but did not finish in time (highlight_worker.py)."""
    lexer = _lexer(lang) if len(code) <= MAX_HIGHLIGHT_CHARS else None
    runs, problem = [("", code)], None
    if lexer is not None:
        try:
            runs = highlighted_runs(lexer.aliases[0] if lexer.aliases else lang.lower(), code)
        except TooSlow as slow:
            problem = f"the code block in '{lang}' is printed without highlighting: {slow}"
        except ValueError:  # a lexer's own bug must not stop the book: the code is printed plain
            pass
    lines: list[list[tuple[str, str]]] = [[]]
    for css, value in runs:
        parts = value.split("\n")
        for i, part in enumerate(parts):
            if i:
                lines.append([])
            if not part:
                continue
            if lines[-1] and lines[-1][-1][0] == css:  # one span for a run of one kind ("hi" is 3 tokens)
                lines[-1][-1] = (css, lines[-1][-1][1] + part)
            else:
                lines[-1].append((css, part))
    if len(lines) > 1 and not lines[-1]:
        lines.pop()  # the newline that ends the block
    return lines, problem


def _line_html(line: list[tuple[str, str]]) -> str:
    out = []
    long = sum(len(text) for _, text in line) > WRAP_HINT
    for i, (css, text) in enumerate(line):
        # WeasyPrint cannot break a word that runs across inline boxes: in a line
        # that may wrap, adjacent tokens (`name=value`) get a break opportunity.
        if long and i and not text[0].isspace() and not line[i - 1][1][-1].isspace():
            out.append("<wbr/>")
        out.append(f'<span class="{css}">{escape(text, quote=False)}</span>' if css else escape(text, quote=False))
    return "".join(out)


def without_hidden_lines(code: str, options: CodeOptions) -> str:
    """mdBook's hidden lines left out, as mdBook shows the code until a reader expands it: in Rust a
    line whose text starts `# ` or is `#` (`##` stands for `#`), elsewhere one starting with the prefix."""
    prefix = options.hide_prefix
    if options.executable:  # Quarto's cell options (`#| echo: false`) are not the code
        lines = code.split("\n")
        while lines and lines[0].startswith("#|"):
            lines.pop(0)
        return "\n".join(lines)
    if not prefix:
        return code
    kept = []
    for line in code.split("\n"):
        text = line.lstrip()
        if options.lang.lower() in RUST_LANGS:
            if text.startswith("##"):
                line = line.replace("##", "#", 1)
            elif text == "#" or text.startswith("# "):
                continue
        elif text.startswith(prefix):
            continue
        kept.append(line)
    return "\n".join(kept)


def render_code(code: str, info: str, direction: str | None = None, problems: list[str] | None = None) -> str:
    """A fenced block as XHTML: `<figure class="code">` with its caption, or a bare `<pre>`;
    `direction`: its `dir` (code in a right-to-left book is "ltr", bidi.py); why it is not
    highlighted, if Pygments was too slow on it, goes to `problems`."""
    options = parse_info(info)
    code = without_hidden_lines(code, options)
    lines, problem = _token_lines(code, options.lang)
    if problem and problems is not None:
        problems.append(problem)
    # Each line's newline stays inside its span, so the text copies as it was
    # written and an empty line keeps its height; nothing stands between spans.
    body = "".join('<span class="line">' + _line_html(line) + "\n</span>" for line in lines)
    classes = ["code"] + (["numbered"] if options.numbered else [])
    style = f' style="counter-reset: line {options.start - 1}"' if options.numbered and options.start != 1 else ""
    lang = f' class="language-{escape(options.lang)}"' if options.lang else ""
    data_lang = f' data-lang="{escape(options.lang)}"' if options.lang else ""
    direction_attr = f' dir="{direction}"' if direction in ("ltr", "rtl") else ""
    pre = f'<pre class="{" ".join(classes)}"{direction_attr}{data_lang}{style}><code{lang}>{body}</code></pre>'
    if not options.caption:
        return pre + "\n"
    return f'<figure class="code-figure"><figcaption>{escape(options.caption)}</figcaption>{pre}</figure>\n'
