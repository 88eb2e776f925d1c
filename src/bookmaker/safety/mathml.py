"""MathML from the TeX of a manuscript, made safe: an allow-list, as for raw HTML (sanitize.py).

latex2mathml builds an element tree, then writes it with `\\text{...}` content
unescaped and keeps `\\href{javascript:...}`: TeX is untrusted input, so its
string output is never used. The tree is written here instead: MathML
presentation elements only (those EPUB 3 allows; any other element is
unwrapped, its text kept), their presentation attributes, an `href` only to
http(s) or mailto, and every text escaped. What comes out is well-formed XML in
the MathML namespace and nothing else, so no formula can close its `<math>`.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bookmaker.core.text import without_invalid_characters

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
# MathML 3 presentation elements (EPUB 3.3, "MathML"), without <mglyph> (it loads an image),
# <maction> (it is driven by events) and <annotation-xml> (it may hold any markup).
ELEMENTS = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup",
    "msubsup", "munder", "mover", "munderover", "mmultiscripts", "mprescripts", "none", "mfrac", "msqrt", "mroot",
    "mstyle", "merror", "mpadded", "mphantom", "mfenced", "menclose", "mtable", "mtr", "mtd", "mlabeledtr",
    "maligngroup", "malignmark", "mstack", "mlongdiv", "msgroup", "msrow", "mscarries", "mscarry", "msline",
}
ATTRIBUTES = {
    "display", "alttext", "mathvariant", "mathcolor", "mathbackground", "mathsize", "dir", "stretchy", "fence",
    "form", "separator", "lspace", "rspace", "minsize", "maxsize", "largeop", "movablelimits", "accent",
    "accentunder", "symmetric", "linethickness", "columnalign", "rowalign", "columnspacing", "rowspacing",
    "columnlines", "rowlines", "frame", "framespacing", "equalrows", "equalcolumns", "displaystyle",
    "scriptlevel", "width", "height", "depth", "voffset", "notation", "open", "close", "separators", "rowspan",
    "columnspan", "align", "columnwidth", "linebreak", "encoding", "numalign", "denomalign", "bevelled",
    "href",
}
LINK_SCHEMES = ("http", "https", "mailto")
_SAFE_VALUE = re.compile(r"^[^<>\"'`\\]*$")


def safe_mathml(root: ET.Element, findings: list[str]) -> str:
    """`root` (latex2mathml's <math> tree) as XML through the allow-list; what was removed goes to `findings`."""
    out: list[str] = []
    _write(root, out, findings)
    return "".join(out)


def _write(element: ET.Element, out: list[str], findings: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    kept = tag in ELEMENTS
    if kept and not len(element) and not element.text:
        out.append(f"<{tag}{_attributes(element, tag, findings)} />")  # as latex2mathml writes it
        return
    if kept:
        out.append(f"<{tag}{_attributes(element, tag, findings)}>")
    elif tag:
        findings.append(f"<{tag.rsplit('}', 1)[-1][:40]}> is not MathML a book may hold; its text is kept")
    out.append(_text(element.text))
    for child in element:
        _write(child, out, findings)
        out.append(_text(child.tail))
    if kept:
        out.append(f"</{tag}>")


def _attributes(element: ET.Element, tag: str, findings: list[str]) -> str:
    kept = [f' xmlns="{MATHML_NS}"'] if tag == "math" else []
    for name, value in element.attrib.items():
        if name == "xmlns" or name not in ATTRIBUTES:
            continue  # latex2mathml's own namespace declaration, or an attribute no reader needs
        value = _text(value)
        if name == "href":
            problem = _link_problem(html.unescape(value))
            if problem:
                findings.append(f"the link '{html.unescape(value)[:40]}' is removed from the formula: {problem}")
                continue
        elif not _SAFE_VALUE.match(html.unescape(value)):
            continue  # a color or size carrying quotes or brackets: never a presentation value
        kept.append(f' {name}="{value}"')
    return "".join(kept)


def _link_problem(url: str) -> str | None:
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return "it is not a valid address"
    if scheme in LINK_SCHEMES:
        return None
    return f"formulas link only to {', '.join(LINK_SCHEMES)} addresses"


def _text(text: str | None) -> str:
    """latex2mathml's text as XML text: its character references (`&#x003B1;`) read, then all escaped."""
    if not text:
        return ""
    return html.escape(without_invalid_characters(html.unescape(text)), quote=True)


# ziamath's time doubles or triples with each level of nesting (a group, \left, a fraction's or an
# exponent's argument): 7 levels take at most 0.7 s, 12 take 3 to 20 s, 18 take hours. Deeper
# formulas are not drawn (the PDF and HTML show their TeX); the EPUB keeps their MathML.
MAX_DRAWN_NESTING = 7


def nesting(tex: str) -> int:
    """How deep `tex` nests, as ziamath would lay it out: a command's argument groups count once with it."""
    from latex2mathml.walker import walk

    try:
        nodes = walk(tex)
    except Exception:  # latex2mathml read it once already; here it only bounds the drawing
        return MAX_DRAWN_NESTING + 1
    deepest = 0
    stack = [(node, 0, False) for node in nodes]
    while stack:
        node, depth, under_command = stack.pop()
        if not node.children:
            continue
        depth += 0 if node.token == "{}" and under_command else 1
        deepest = max(deepest, depth)
        stack.extend((child, depth, node.token != "{}") for child in node.children)
    return deepest
