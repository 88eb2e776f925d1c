"""Print: each MathML formula of a rendered document drawn as an SVG image.

WeasyPrint cannot lay out MathML, so the HTML and PDF writers draw each formula
with ziamath (which ships the STIX Two Math font) from its TeX, kept as the
formula's `alttext`; the image's alternative text is the formula in words
(mathspeech.py). Each formula is found by parsing: an XML parser reads from
its `<math>` to the end tag that closes it, so text inside a formula can never
end it early (the MathML itself comes through mathml.py's allow-list).
"""

from __future__ import annotations

import base64
import html
import re
from functools import lru_cache
from xml.parsers import expat

from bookmaker.render.mathspeech import spoken
from bookmaker.safety.mathml import MATHML_NS, MAX_DRAWN_NESTING, nesting
from bookmaker.render.mathtex import fallback_html, unnumbered

# What one document may have drawn: TeX characters, each counting more the deeper its formula nests
# (ziamath's time grows about threefold a level); past it, formulas print as TeX.
MAX_DRAWN_COST = 300_000
_START = re.compile(rf'<math xmlns="{re.escape(MATHML_NS)}" display="(block|inline)" alttext="([^"]*)">')
_SIZE = 10.0  # ziamath's font size; the image is sized in em, so it follows the text


def math_as_svg(document: str) -> str:
    """Each MathML formula of a rendered document drawn as an SVG image (for WeasyPrint)."""
    budget = MAX_DRAWN_COST
    out: list[str] = []
    position = 0
    while (start := _START.search(document, position)) is not None:
        out.append(document[position : start.start()])
        end = _element_end(document, start.start())
        tex, display = html.unescape(start.group(2)), start.group(1) == "block"
        if end is None:  # not well-formed: nothing of it, or after it up to the next formula, is kept as markup
            following = _START.search(document, start.end())
            end = following.start() if following else len(document)
            out.append(fallback_html(tex, display))
            position = end
            continue
        depth = nesting(tex)
        if depth <= MAX_DRAWN_NESTING:  # one too deep is never drawn, and costs nothing
            budget -= len(tex) * 3 ** max(0, depth - 3)
        drawable = budget >= 0 and depth <= MAX_DRAWN_NESTING
        # Read aloud in words: the TeX is no language for a screen reader (mathspeech.py).
        alt = spoken(document[start.start():end]) or tex if drawable else tex
        out.append(_svg_img(tex, display, alt) if drawable else fallback_html(tex, display))
        position = end
    out.append(document[position:])
    return "".join(out)


def _element_end(document: str, start: int) -> int | None:
    """Where the element opened at `start` ends (just after its end tag), as an XML parser reads it."""
    parser = expat.ParserCreate()
    depth = 0
    found: list[int] = []

    def opened(name: str, attributes: dict) -> None:
        nonlocal depth
        depth += 1

    def closed(name: str) -> None:
        nonlocal depth
        depth -= 1
        if depth == 0:
            found.append(parser.CurrentByteIndex)
            raise StopIteration

    parser.StartElementHandler, parser.EndElementHandler = opened, closed
    read = bytearray()  # what the parser has read of the formula: chunks of characters, as UTF-8
    try:
        for offset in range(start, len(document), 4096):
            chunk = document[offset : offset + 4096].encode("utf-8")
            read += chunk
            parser.Parse(chunk, False)
    except StopIteration:
        end_tag = read.index(b">", found[0]) + 1
        return start + len(read[:end_tag].decode("utf-8"))
    except expat.ExpatError:
        return None
    return None


@lru_cache(maxsize=4096)
def _svg_img(tex: str, display: bool, alt: str) -> str:
    import warnings

    with warnings.catch_warnings():  # ziamath 0.13 loads its font with a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        import ziamath

    ziamath.config.svg2 = False  # plain paths: no <symbol> ids to collide between formulas
    try:
        svg = ziamath.Latex(unnumbered(tex), size=_SIZE, inline=not display, margin=0).svg()
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
    return f'<img class="{kind}" src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt, quote=True)}" style="{style}"/>'
