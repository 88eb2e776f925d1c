"""TeX math: `$...$`, `$$...$$` and `$$...$$ {#eq-name}`, with `@eq-name` references.

The reader turns each formula into MathML once (latex2mathml, pure Python),
with the TeX kept as `alttext` and as an annotation: that is what the model
and the EPUB hold. WeasyPrint cannot lay out MathML, so the print writer
draws each formula as SVG with real math glyphs (ziamath, which ships the
STIX Two Math font) from the same TeX, the TeX as the image's alternative text.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from functools import lru_cache


# A formula longer than this is refused: the converters recurse, ziamath's time
# grows faster than the formula (1,000 characters: a second), and the
# manuscript is untrusted input.
MAX_TEX_CHARS = 1500
# The TeX one document may have drawn as SVG; past it, formulas print as TeX.
MAX_DRAWN_TEX_CHARS = 300_000
_NUMBERED_ENV = re.compile(r"\\(begin|end)\{(equation|align|alignat|gather|multline|flalign)\}")


@dataclass
class Formula:
    mathml: str  # '' when the TeX could not be read
    problem: str | None = None


@lru_cache(maxsize=4096)
def tex_to_mathml(tex: str, display: bool) -> Formula:
    """MathML for `tex`, with the TeX as alttext and annotation; or the problem found in it."""
    if len(tex) > MAX_TEX_CHARS:
        return Formula("", f"the formula is longer than {MAX_TEX_CHARS} characters: split it")
    from latex2mathml.converter import convert

    try:
        converted = convert(_unnumbered(tex), display="block" if display else "inline")
    except RecursionError:
        return Formula("", "the formula is nested too deeply")
    except Exception as exc:  # latex2mathml's errors have no common base class
        name = re.sub(r"(?<!^)([A-Z])", r" \1", type(exc).__name__).lower().removesuffix(" error")
        return Formula("", f"the TeX cannot be read ({name}{': ' + str(exc) if str(exc) else ''})")
    unknown = re.findall(r"<mi>(\\[A-Za-z]+)</mi>", converted)
    start = converted.index(">") + 1
    inner = converted[start : converted.rindex("</math>")]
    alt = html.escape(tex, quote=True)
    mode = "block" if display else "inline"
    mathml = (
        f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{mode}" alttext="{alt}">'
        f'<semantics><mrow>{inner}</mrow><annotation encoding="application/x-tex">{html.escape(tex, quote=False)}'
        f"</annotation></semantics></math>"
    )
    problem = f"unknown TeX command {', '.join(sorted(set(unknown)))}: it is printed as its name" if unknown else None
    return Formula(mathml, problem)


def _unnumbered(tex: str) -> str:
    """`align` and its kin as `align*`: both converters would number their lines
    themselves, apart from bookmaker's numbers ({#eq-id})."""
    return _NUMBERED_ENV.sub(r"\\\1{\2*}", tex)


def fallback_html(tex: str, display: bool) -> str:
    """A formula that could not be read: its TeX, shown as code."""
    code = f'<code class="math-error">{html.escape(tex, quote=False)}</code>'
    return f'<pre class="math-error">{code}</pre>' if display else code


# -- print: MathML -> SVG -------------------------------------------------------

_MATH_ELEMENT = re.compile(r'<math xmlns="http://www.w3.org/1998/Math/MathML" display="(block|inline)" alttext="([^"]*)">.*?</math>',
                           re.DOTALL)
_SIZE = 10.0  # ziamath's font size; the image is sized in em, so it follows the text


def math_as_svg(document: str) -> str:
    """Each MathML formula of a rendered document drawn as an SVG image (for WeasyPrint)."""
    budget = MAX_DRAWN_TEX_CHARS

    def draw(match: re.Match) -> str:
        nonlocal budget
        tex, display = html.unescape(match.group(2)), match.group(1) == "block"
        budget -= len(tex)
        return _svg_img(tex, display) if budget >= 0 else fallback_html(tex, display)

    return _MATH_ELEMENT.sub(draw, document)


@lru_cache(maxsize=4096)
def _svg_img(tex: str, display: bool) -> str:
    import warnings

    with warnings.catch_warnings():  # ziamath 0.13 loads its font with a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        import ziamath

    ziamath.config.svg2 = False  # plain paths: no <symbol> ids to collide between formulas
    try:
        svg = ziamath.Latex(_unnumbered(tex), size=_SIZE, inline=not display, margin=0).svg()
    except Exception:  # ziamath reads less TeX than latex2mathml; the TeX is then shown as it is
        return fallback_html(tex, display)
    box = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"', svg)
    if box is None:
        return fallback_html(tex, display)
    _, y, width, height = (float(v) for v in box.groups())
    depth = y + height  # below the baseline (y = 0 in ziamath's drawing)
    data = base64.b64encode(svg.encode()).decode()
    style = f"width:{width / _SIZE:.3f}em;height:{height / _SIZE:.3f}em;vertical-align:{-depth / _SIZE:.3f}em"
    kind = "math-display-image" if display else "math-inline-image"
    return f'<img class="{kind}" src="data:image/svg+xml;base64,{data}" alt="{html.escape(tex, quote=True)}" style="{style}"/>'
