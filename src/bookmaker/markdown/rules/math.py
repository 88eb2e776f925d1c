"""TeX math syntax: `$...$`, `$$...$$`, `$$...$$ {#eq-name}`, amsmath environments and `@eq-name` references
(the formulas are turned into MathML and SVG by render/mathtex.py)."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

from bookmaker.markdown.rules.citations import crossref_label

_LABEL = r"\{#([Ee]q[-:][A-Za-z0-9_:.-]+)\}"  # pandoc-crossref writes `{#eq:name}`

_CLOSE_LABELLED = re.compile(r"^(.*?)\$\$\s*" + _LABEL + r"\s*$")

_REF = re.compile(r"@([Ee]q[-:][A-Za-z0-9_:-]*[A-Za-z0-9_])")

def math_plugin(md: MarkdownIt) -> None:
    """Dollar math (mdit-py-plugins), amsmath environments, labelled display math and `@eq-` references."""
    from mdit_py_plugins.amsmath import amsmath_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    # allow_digits=False: "$5 and $10" is money, not math; allow_space=False: "$ 5" neither.
    md.use(dollarmath_plugin, allow_labels=True, allow_space=False, allow_digits=False, double_inline=True)
    md.use(amsmath_plugin)
    md.block.ruler.before("math_block", "math_block_attrs", _labelled_block, {"alt": ["paragraph"]})
    md.inline.ruler.push("equation_ref", _equation_ref)

def _labelled_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """`$$ ... $$ {#eq-name}`, pandoc-style; other display math is left to dollarmath."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    first = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    if not first.startswith("$$"):
        return False
    body = first[2:]
    line = start
    while True:
        match = _CLOSE_LABELLED.match(body)
        if match:
            break
        if "$$" in body or (line > start and not body.strip()):
            return False  # closed without a label, or a blank line: not ours
        line += 1
        if line >= end:
            return False
        body = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
    if silent:
        return True
    lines = [first[2:]] + [state.src[state.bMarks[i] + state.tShift[i] : state.eMarks[i]] for i in range(start + 1, line)]
    if line > start:
        lines.append(match.group(1))
    else:
        lines = [match.group(1)]
    token = state.push("math_block_label", "math", 0)
    token.block = True
    token.content = "\n".join(lines).strip()
    token.info = crossref_label(match.group(2))
    token.markup = "$$"
    token.map = [start, line + 1]
    state.line = line + 1
    return True

def _equation_ref(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "@":
        return False
    if state.pos > 0 and (state.src[state.pos - 1].isalnum() or state.src[state.pos - 1] in "_."):
        return False  # an e-mail address
    match = _REF.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("equation_ref", "a", 0)
        token.meta["id"] = crossref_label(match.group(1))
        token.content = match.group(0)
    state.pos = match.end()
    return True
