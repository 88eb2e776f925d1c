"""TeX math: `$...$`, `$$...$$` and `$$...$$ {#eq-name}`, with `@eq-name` references.

The reader turns each formula into MathML once (latex2mathml, pure Python),
with the TeX kept as `alttext` and as an annotation: that is what the model
and the EPUB hold. WeasyPrint cannot lay out MathML, so the print writer
draws each formula as SVG with real math glyphs (ziamath, which ships the
STIX Two Math font) from the same TeX, the TeX as the image's alternative text
(math_svg.py). The MathML is written through an allow-list (safety/mathml.py).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from bookmaker.safety.mathml import MATHML_NS, MAX_DRAWN_NESTING, nesting, safe_mathml



# A formula longer than this is refused: the converters recurse, ziamath's time
# grows faster than the formula (1,000 characters: a second), and the
# manuscript is untrusted input.
MAX_TEX_CHARS = 1500
# Diagnostic codes (core/codes.py).
MATH_UNREADABLE, MATH_UNKNOWN_COMMAND = "math-invalid", "math-unknown-command"
MATH_REMOVED, MATH_TOO_DEEP = "math-markup-removed", "math-too-deep"
_NUMBERED_ENV = re.compile(r"\\(begin|end)\{(equation|align|alignat|gather|multline|flalign)\}")


@dataclass
class Formula:
    mathml: str  # '' when the TeX could not be read
    problems: tuple[tuple[str, str], ...] = ()  # (code, message): warnings for the formula's line


@lru_cache(maxsize=4096)
def tex_to_mathml(tex: str, display: bool) -> Formula:
    """MathML for `tex`, with the TeX as alttext and annotation; or the problem found in it."""
    if len(tex) > MAX_TEX_CHARS:
        return Formula("", ((MATH_UNREADABLE, f"the formula is longer than {MAX_TEX_CHARS} characters: split it"),))
    from latex2mathml.converter import convert_to_element

    try:
        root = convert_to_element(unnumbered(tex), display="block" if display else "inline")
    except RecursionError:
        return Formula("", ((MATH_UNREADABLE, "the formula is nested too deeply"),))
    except Exception as exc:  # latex2mathml's errors have no common base class
        name = re.sub(r"(?<!^)([A-Z])", r" \1", type(exc).__name__).lower().removesuffix(" error")
        return Formula("", ((MATH_UNREADABLE, f"the TeX cannot be read ({name}{': ' + str(exc) if str(exc) else ''})"),))
    # Never latex2mathml's string: it leaves `\text{</math>...}` unescaped (safety/mathml.py).
    removed: list[str] = []
    inner = "".join(safe_mathml(child, removed) for child in root)
    unknown = re.findall(r"<mi>(\\[A-Za-z]+)</mi>", inner)
    alt = html.escape(tex, quote=True)
    mode = "block" if display else "inline"
    mathml = (
        f'<math xmlns="{MATHML_NS}" display="{mode}" alttext="{alt}">'
        f'<semantics><mrow>{inner}</mrow><annotation encoding="application/x-tex">{html.escape(tex, quote=False)}'
        f"</annotation></semantics></math>"
    )
    problems = [(MATH_UNKNOWN_COMMAND, f"unknown TeX command {', '.join(sorted(set(unknown)))}: "
                                       "it is printed as its name")] if unknown else []
    problems += [(MATH_REMOVED, what) for what in removed]
    if nesting(tex) > MAX_DRAWN_NESTING:
        problems.append((MATH_TOO_DEEP, f"the formula is nested more than {MAX_DRAWN_NESTING} deep, too deep to be "
                                        "drawn: the PDF and the HTML show its TeX"))
    return Formula(mathml, tuple(problems))


def unnumbered(tex: str) -> str:
    """`align` and its kin as `align*`: both converters would number their lines
    themselves, apart from bookmaker's numbers ({#eq-id})."""
    return _NUMBERED_ENV.sub(r"\\\1{\2*}", tex)


def fallback_html(tex: str, display: bool) -> str:
    """A formula that could not be read: its TeX, shown as code."""
    code = f'<code class="math-error">{html.escape(tex, quote=False)}</code>'
    return f'<pre class="math-error">{code}</pre>' if display else code
