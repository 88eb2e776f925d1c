"""A formula in words, for the PDF's drawn formulas: their alternative text is read aloud.

The TeX itself ("\\frac{1}{3}") is no language for a screen reader (outloud flags it: WCAG 1.1.1).
This reads the formula's MathML (mathtex.py) in plain English, after the manner of MathSpeak's
brief style: "x squared", "1 over 3", "the integral from 0 to 1 of". English only: a book in
another language gets English words for its formulas (a limit worth lifting one day).
"""

from __future__ import annotations

from lxml import etree

_M = "{http://www.w3.org/1998/Math/MathML}"
_SYMBOLS = {
    "=": "equals", "+": "plus", "\u2212": "minus", "-": "minus", "\u00d7": "times", "\u22c5": "times",
    "\u00b7": "times", "/": "divided by", "<": "is less than", ">": "is greater than",
    "\u2264": "is less than or equal to", "\u2265": "is greater than or equal to", "\u2260": "is not equal to",
    "\u2248": "is approximately", "\u2192": "tends to", "\u221e": "infinity", "\u00b1": "plus or minus",
    "\u2208": "is in", "\u2211": "the sum", "\u220f": "the product", "\u222b": "the integral",
    "\u2202": "partial", "\u2207": "nabla", "(": "open paren", ")": "close paren", ",": ",", "!": "factorial",
    "\u03b1": "alpha", "\u03b2": "beta", "\u03b3": "gamma", "\u03b4": "delta", "\u03b5": "epsilon",
    "\u03b8": "theta", "\u03bb": "lambda", "\u03bc": "mu", "\u03c0": "pi", "\u03c1": "rho", "\u03c3": "sigma",
    "\u03c4": "tau", "\u03c6": "phi", "\u03c9": "omega", "\u0394": "Delta", "\u03a3": "Sigma", "\u03a9": "Omega",
}
_POWERS = {"2": "squared", "3": "cubed"}


def spoken(mathml: str) -> str:
    """The formula of a `<math>` element in words ('' when it cannot be read)."""
    try:
        root = etree.fromstring(mathml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return ""
    return " ".join(_words(root).split()).replace(" ,", ",").replace(" ;", ";").rstrip(",;")


def _words(el) -> str:
    tag = el.tag.removeprefix(_M) if isinstance(el.tag, str) else ""
    kids = [k for k in el if isinstance(k.tag, str)]
    if tag in ("annotation", "annotation-xml", "mspace"):
        return ""
    if tag in ("mi", "mn", "mtext", "mo"):
        text = (el.text or "").strip()
        return _SYMBOLS.get(text, text)
    if tag == "mfrac" and len(kids) == 2:
        return f"{_words(kids[0])} over {_words(kids[1])},"
    if tag == "msqrt":
        return f"the square root of {' '.join(_words(k) for k in kids)},"
    if tag == "mroot" and len(kids) == 2:
        return f"the root {_words(kids[1])} of {_words(kids[0])},"
    if tag == "msup" and len(kids) == 2:
        power = _words(kids[1])
        return f"{_words(kids[0])} {_POWERS.get(power, f'to the power {power},')}"
    if tag == "msub" and len(kids) == 2:
        return f"{_words(kids[0])} sub {_words(kids[1])}"
    if tag in ("msubsup", "munderover") and len(kids) == 3:
        return f"{_words(kids[0])} from {_words(kids[1])} to {_words(kids[2])} of"
    if tag == "munder" and len(kids) == 2:
        return f"{_words(kids[0])} over {_words(kids[1])} of"
    if tag == "mover" and len(kids) == 2:
        return f"{_words(kids[0])} with {_words(kids[1])} above"
    if tag == "mtr":
        return " ".join(_words(k) for k in kids) + ";"
    return " ".join(_words(k) for k in kids)
