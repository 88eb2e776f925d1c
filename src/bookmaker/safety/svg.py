"""What an SVG image may hold before a book may use it: an allow-list of elements and attributes,
no reference out of the image, no script, and no `<use>` that multiplies into millions of shapes.

An SVG that breaks a rule is refused with the reason, never rewritten: the file the author sees is
the file every output gets. Elements and attributes of editors' own namespaces (Inkscape, Sodipodi,
RDF metadata) are inert and kept.
"""

from __future__ import annotations

import re

from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Editors' metadata: no SVG renderer draws or runs anything from these.
INERT_NAMESPACES = {
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://creativecommons.org/ns#",
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/dc/terms/",
    "http://ns.adobe.com/AdobeIllustrator/10.0/",
    "http://ns.adobe.com/Extensibility/1.0/",
    "http://ns.adobe.com/SaveForWeb/1.0/",
    "http://ns.adobe.com/Variables/1.0/",
    "http://ns.adobe.com/ImageReplacement/1.0/",
    "http://ns.adobe.com/GenericCustomNamespace/1.0/",
    "http://ns.adobe.com/Graphs/1.0/",
    "http://www.bohemiancoding.com/sketch/ns",
}
ELEMENTS = {
    "svg", "g", "defs", "desc", "title", "metadata", "symbol", "use", "switch", "view", "a", "style",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "image",
    "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
    "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix",
    "feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood", "feFuncA", "feFuncB",
    "feFuncG", "feFuncR", "feGaussianBlur", "feImage", "feMerge", "feMergeNode", "feMorphology", "feOffset",
    "fePointLight", "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
    "animate", "animateMotion", "animateTransform", "set", "mpath",
}
ATTRIBUTES = set("""
id class style lang tabindex role focusable transform viewBox preserveAspectRatio width height x y x1 y1 x2 y2
cx cy r rx ry fx fy fr d points pathLength version baseProfile zoomAndPan requiredFeatures requiredExtensions
systemLanguage display visibility opacity fill fill-opacity fill-rule stroke stroke-width stroke-linecap
stroke-linejoin stroke-miterlimit stroke-dasharray stroke-dashoffset stroke-opacity color color-interpolation
color-interpolation-filters color-rendering color-profile clip clip-path clip-rule clipPathUnits mask maskUnits
maskContentUnits marker marker-start marker-mid marker-end markerWidth markerHeight markerUnits refX refY orient
filter filterUnits filterRes primitiveUnits font font-family font-size font-size-adjust font-stretch font-style
font-variant font-weight text-anchor text-decoration text-rendering dominant-baseline alignment-baseline
baseline-shift letter-spacing word-spacing writing-mode direction unicode-bidi dx dy rotate textLength
lengthAdjust startOffset method spacing side path gradientUnits gradientTransform spreadMethod offset stop-color
stop-opacity patternUnits patternContentUnits patternTransform shape-rendering image-rendering overflow
vector-effect paint-order mix-blend-mode isolation enable-background flood-color flood-opacity lighting-color
in in2 result stdDeviation mode type values operator k1 k2 k3 k4 kernelMatrix kernelUnitLength order divisor
bias targetX targetY edgeMode preserveAlpha surfaceScale diffuseConstant specularConstant specularExponent
scale xChannelSelector yChannelSelector azimuth elevation z pointsAtX pointsAtY pointsAtZ limitingConeAngle
radius baseFrequency numOctaves seed stitchTiles tableValues slope intercept amplitude exponent
attributeName attributeType begin dur end min max restart repeatCount repeatDur calcMode keyTimes keySplines
keyPoints from to by additive accumulate href target cursor pointer-events media title space
""".split())
ANIMATIONS = {"animate", "animateMotion", "animateTransform", "set"}
# `<use>` copies what it names: nested, 1.6 KB of them draw 10^8 shapes and keep the PDF busy for minutes.
MAX_DRAWN_ELEMENTS = 50_000
_MAX_DEPTH = 400  # elements inside each other, a <use> counting as its target's parent: Python's stack
_LOCAL_URL = re.compile(r"url\(\s*(?!['\"]?\s*#)", re.IGNORECASE)  # any url( but url(#id)
_UNSAFE_CSS = re.compile(r"@import|expression\s*\(|javascript:|\\", re.IGNORECASE)
_EMBEDDED_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp)[;,]", re.IGNORECASE)


def svg_problem(root: etree._Element) -> str | None:
    """Why the parsed SVG `root` cannot be used in a book, or None."""
    for node in root.getroottree().getroot().itersiblings(preceding=True):
        if isinstance(node, etree._ProcessingInstruction):
            return f"has a processing instruction <?{node.target}?>, which may load a stylesheet: remove it"
    ids: dict[str, etree._Element] = {}
    for element in root.iter():
        if isinstance(element, etree._ProcessingInstruction):
            return f"has a processing instruction <?{element.target}?>, which may load a stylesheet: remove it"
        if not isinstance(element.tag, str):
            continue  # a comment
        problem = _element_problem(element)
        if problem:
            return problem
        if element.get("id"):
            ids.setdefault(element.get("id"), element)
    return _use_problem(root, ids)


def _element_problem(element: etree._Element) -> str | None:
    name = etree.QName(element)
    if name.namespace != SVG_NS:
        if name.namespace in INERT_NAMESPACES or _in_metadata(element):
            return _attributes_problem(element, name.localname, known_only=False)
        return f"contains <{name.localname}> from outside SVG ({name.namespace or 'no namespace'}): remove it"
    local = name.localname
    if local in ("script", "foreignObject"):
        return f"contains <{local}>, which books may not run or embed: remove it"
    if local not in ELEMENTS:
        return f"contains <{local}>, which is not an SVG element bookmaker accepts: remove it"
    if local == "style" and element.text and (_LOCAL_URL.search(element.text) or _UNSAFE_CSS.search(element.text)):
        return "has a <style> that loads something (@import, url() of a file) or hides it (escapes): remove it"
    if local in ANIMATIONS:
        target = (element.get("attributeName") or "").strip().lower()
        if target.rpartition(":")[2] == "href" or target.startswith("on") or target == "style":
            return f"animates '{target}' (<{local}>), which could run a script: remove the animation"
    return _attributes_problem(element, local, known_only=True)


def _in_metadata(element: etree._Element) -> bool:
    return any(isinstance(a.tag, str) and etree.QName(a).localname == "metadata" for a in element.iterancestors())


def _attributes_problem(element: etree._Element, tag: str, known_only: bool) -> str | None:
    for attribute, value in element.attrib.items():
        name = etree.QName(attribute)
        attr = name.localname
        if attr.lower().startswith("on"):
            return f"has an event attribute '{attr}': books run no scripts"
        if name.namespace == XLINK_NS and attr not in ("href", "title"):
            return f"has the attribute 'xlink:{attr}', which bookmaker does not accept: remove it"
        if name.namespace == XML_NS and attr not in ("space", "lang"):
            return f"has the attribute 'xml:{attr}', which bookmaker does not accept: remove it"
        if (known_only and name.namespace is None and attr not in ATTRIBUTES
                and not attr.startswith(("aria-", "data-"))):
            return f"has the attribute '{attr}' on <{tag}>, which is not one bookmaker accepts in SVG: remove it"
        if attr == "href":
            reference = value.strip()
            if not reference.startswith("#") and not (tag in ("image", "feImage") and _EMBEDDED_IMAGE.match(reference)):
                return f"refers to '{value[:60]}', outside the image: embed it or remove the reference"
        elif _LOCAL_URL.search(value):
            return f"refers to '{value[:60]}' in '{attr}', outside the image: only url(#id) may be used"
        elif attr == "style" and _UNSAFE_CSS.search(value):
            return "has a style attribute that loads or hides something (@import, escapes): remove it"
    return None


def _use_problem(root: etree._Element, ids: dict[str, etree._Element]) -> str | None:
    """How many elements drawing the SVG makes, each `<use>` counting what it copies, within the limit."""
    drawn: dict[etree._Element, int] = {}
    in_progress: set[etree._Element] = set()

    class _Refuse(Exception):
        pass

    def count(element: etree._Element, depth: int) -> int:
        if element in drawn:
            return drawn[element]
        if element in in_progress:
            raise _Refuse("has a <use> that refers to itself: remove the loop")
        if depth > _MAX_DEPTH:
            raise _Refuse(f"nests elements and <use> more than {_MAX_DEPTH} deep: simplify it")
        in_progress.add(element)
        total = 1
        for child in element:
            total += count(child, depth + 1) if isinstance(child.tag, str) else 0
            if total > MAX_DRAWN_ELEMENTS:
                break
        if isinstance(element.tag, str) and etree.QName(element).localname == "use":
            reference = (element.get("href") or element.get(f"{{{XLINK_NS}}}href") or "").strip()
            target = ids.get(reference[1:]) if reference.startswith("#") else None
            if target is not None:
                total += count(target, depth + 1)
        in_progress.discard(element)
        if total > MAX_DRAWN_ELEMENTS:
            raise _Refuse(f"draws more than {MAX_DRAWN_ELEMENTS:,} shapes once its <use> elements are expanded: "
                          "simplify it")
        drawn[element] = total
        return total

    try:
        count(root, 0)
    except _Refuse as refused:
        return str(refused)
    return None
