"""Math: each formula turned from TeX into MathML once (mathtex.py), held in its token for the
renderer; numbered display equations get ids and numbers, and `@eq-name` references are checked."""

from __future__ import annotations

from markdown_it.token import Token

from bookmaker.render.mathtex import fallback_html, tex_to_mathml
from bookmaker.read.state import BookState, ChapterContext

MATH_BLOCKS = ("math_block", "math_block_label", "amsmath")


def read_formula(ctx: ChapterContext, token: Token, display: bool, line: int | None = None) -> None:
    """TeX -> MathML once, held in the token for the renderer (mathtex.py); a problem is a warning."""
    if token.map:
        line = token.map[0] + 1
    formula = tex_to_mathml(token.content.strip(), display)
    if formula.problem:
        ctx.warning(line, f"math: {formula.problem}: check the TeX `{token.content.strip()}`", code="math-invalid")
    token.meta["html"] = formula.mathml or fallback_html(token.content.strip(), display)
    if token.type == "math_block_label" and token.info:
        _number_equation(ctx, token, line)


def _number_equation(ctx: ChapterContext, token: Token, line: int | None) -> None:
    book = ctx.book
    wanted = token.info
    token.info = book.ids.claim(wanted)
    book.target(ctx.path, wanted, token.info)
    if token.info != wanted:
        ctx.warning(line, f"equation id '{wanted}' is already used in the book; "
                          f"this equation gets '{token.info}': give it another {{#id}}", code="equation-id-taken")
    book.equation_numbers[token.info] = len(book.equation_numbers) + 1
    # `@eq-name` is a cross-reference like `@fig-name` (crossrefs.py), numbered as the equation shows
    book.crossrefs.add(wanted, token.info, ctx.chapter.index, "", (ctx.path, line),
                       number=str(book.equation_numbers[token.info]))


def check_equation_refs(book: BookState) -> None:
    for token, path, line in book.equation_refs:
        if token.meta["id"] not in book.equation_numbers:
            book.diagnostics.warning(path, line, f"@{token.meta['id']} refers to no numbered equation: "
                                                 f"label one with $$ ... $$ {{#{token.meta['id']}}}", code="equation-ref-unknown")
