"""Raw HTML from a manuscript, made safe and written back as well-formed XHTML.

The fragment is parsed as HTML5 (tinyhtml5, the parser WeasyPrint uses), so it
is repaired the way a browser would repair it and no XML entity is ever
expanded: HTML has no DTDs. Then an allowlist applies: scripts, frames,
plugins, event attributes and `javascript:` URLs go, with a message for each;
every `<img src>` goes through the same resource rules as a Markdown image;
ids are made unique in the book. What is left is serialized as XML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from urllib.parse import urlsplit

from bookmaker.core import limits
from bookmaker.core.diagnostics import Diagnostic
from bookmaker.safety.html_images import ImageResolver, keep_image
from bookmaker.safety.stylesheets import css_nesting_beyond
from bookmaker.core.text import is_language_tag, without_invalid_characters

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

# Removed with everything inside them: they run code, load other documents or
# resources, or carry no text of the book.
DROPPED = {
    "script", "iframe", "object", "embed", "frame", "frameset", "applet", "noscript", "template",
    "style", "link", "meta", "base", "title", "head", "svg", "math", "audio", "video", "source",
    "track", "picture", "canvas", "form", "input", "button", "select", "textarea", "param", "portal",
}
# Kept, with the attributes below; any other element is unwrapped (its text stays).
KEPT = {
    "a", "abbr", "article", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col",
    "colgroup", "data", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre",
    "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
}
# Elements that may hold only phrasing content, and elements that are not phrasing content.
PHRASING_ONLY = {"abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q", "rp",
                 "rt", "ruby", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "p",
                 "h1", "h2", "h3", "h4", "h5", "h6", "pre"}  # (a dt holds flow content, as a dd does)
BLOCKS = {"address", "article", "aside", "blockquote", "details", "div", "dl", "figure", "footer", "h1", "h2",
          "h3", "h4", "h5", "h6", "header", "hr", "ol", "p", "pre", "section", "table", "ul"}
# The formatting elements an HTML5 parser opens again (a kept subset): an empty
# <span class="hook"> is the author's, an empty <i> is the parser's.
_REOPENED = {"a", "b", "code", "em", "i", "s", "small", "strong", "u"}
# What a list may hold directly; anything else the HTML5 parser leaves there is moved (_keep_only_items).
# (HTML allows a <div> around a dl's groups; EPUB 3's schema does not: EPUBCheck's RSC-005.)
LIST_ITEMS = {"ul": {"li"}, "ol": {"li"}, "dl": {"dt", "dd"}}
GLOBAL_ATTRIBUTES = {"id", "class", "lang", "dir", "title", "role"}
ELEMENT_ATTRIBUTES = {
    "a": {"href", "hreflang", "rel"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope", "abbr"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "time": {"datetime"},
    "data": {"value"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "col": {"span"},
    "colgroup": {"span"},
    "details": {"open"},
}
LINK_SCHEMES = ("http", "https", "mailto")
# A cell spanning a million columns keeps the PDF's table layout busy for minutes.
MAX_SPAN = 1000
_SCRIPT_URL = re.compile(r"^(javascript|vbscript|data:text/html)", re.IGNORECASE)
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_ID = re.compile(r"^\S+$")
_VOID_PAIR = re.compile(r"<(br|hr|img|wbr|col)((?:\s[^>]*)?)></\1>")
# A style attribute is kept unless it could load something or hide what it does:
# url(), image(), image-set(), @import, bindings, or escapes and comments.
_UNSAFE_STYLE = re.compile(r"url\s*\(|image(-set)?\s*\(|@import|expression|binding|behavior|\\|/\*", re.IGNORECASE)


@dataclass
class Sanitized:
    html: str
    findings: list[Diagnostic] = field(default_factory=list)  # unplaced: the caller knows the file and line


IdClaimer = Callable[[str], str]


def sanitize(fragment: str, resolve_image: ImageResolver, claim_id: IdClaimer | None = None,
             phrasing: bool = False) -> Sanitized:
    """Parse `fragment` as HTML, apply the allowlist and return XHTML with what was changed. `phrasing`: the
    fragment stands where only text may (a note's first paragraph, a caption, a title): no block in it."""
    import xml.etree.ElementTree as ET  # only a book with raw HTML pays for these imports

    from tinyhtml5.parser import HTMLParser

    result = Sanitized(html="")
    parser = HTMLParser(namespace_html_elements=False)
    container = parser.parse_fragment(fragment)
    codes = [code for _position, code, _data in parser.errors]
    if any("doctype" in code for code in codes):
        result.findings.append(Diagnostic.warning(
            "a DOCTYPE in raw HTML is ignored: entities declared in a manuscript are never expanded", code="html-doctype"))
        codes = [code for code in codes if "doctype" not in code]
    if codes:  # HTML5 parse errors: what a browser would have to guess at
        result.findings.append(Diagnostic.warning(
            f"raw HTML is not well formed ({codes[0].replace('-', ' ')}) and was repaired: check the tags", code="html-repaired"))
    if _depth(container) > limits.MAX_HTML_DEPTH:
        result.findings.append(Diagnostic.error(
            f"raw HTML is nested more than {limits.MAX_HTML_DEPTH} elements deep: simplify it", code="html-too-deep"))
        return result
    _clean(container, result, resolve_image, claim_id)
    for table in container.iter("table"):
        if next(table.iter("th"), None) is None:
            result.findings.append(Diagnostic.warning(
                "table has no header cells, so a screen reader cannot say which column a cell is in: "
                "make its first row's cells <th>", code="table-without-header"))
    if phrasing:
        _as_phrasing(container, result)
    _unwrap_inline_around_blocks(container)
    # Explicit end tags except on void elements: `<span/>` would open a span in the
    # HTML book (parsed as HTML), and `<br></br>` would be two breaks there.
    out = ET.tostring(container, encoding="unicode", method="xml", short_empty_elements=False)
    out = _VOID_PAIR.sub(r"<\1\2 />", out)
    # `&#xFFFE;` or `&#27;` in raw HTML is parsed into a character XML cannot hold.
    out = without_invalid_characters(out)
    result.html = re.sub(r"^<DOCUMENT_FRAGMENT\s*/?>|</DOCUMENT_FRAGMENT>$", "", out)
    return result


# Not phrasing content: in a text-only place each becomes a <span> (a rule: nothing), its text kept.
_NOT_PHRASING = BLOCKS | {"li", "dt", "dd", "caption", "figcaption", "summary", "thead", "tbody", "tfoot", "tr",
                          "td", "th", "colgroup", "col"}


def _as_phrasing(container: ET.Element, result: Sanitized) -> None:
    """Blocks of raw HTML in a text-only place set as text: a <div> inside a note's first paragraph, an
    inline note, a caption or a box title made the EPUB invalid (RSC-005) at exit 0."""
    found = sorted({element.tag for element in container.iter() if element.tag in _NOT_PHRASING})
    if not found:
        return
    result.findings.append(Diagnostic.warning(
        f"<{found[0]}> in raw HTML where only text may stand (a note's first paragraph, a caption, a title or "
        "a term): it is set as text; write the block as a paragraph of its own", code="html-block-in-text"))
    for parent in list(container.iter()):
        for index in range(len(parent) - 1, -1, -1):
            child = parent[index]
            if child.tag == "hr":
                _remove_keeping_tail(parent, index)
            elif child.tag in _NOT_PHRASING:
                child.tag = "span"
                for name in [n for n in child.attrib if n not in GLOBAL_ATTRIBUTES]:
                    del child.attrib[name]


def _depth(element: ET.Element) -> int:
    deepest, stack = 0, [(element, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limits.MAX_HTML_DEPTH:
            break
        stack.extend((child, depth + 1) for child in node)
    return deepest


def _clean(parent: ET.Element, result: Sanitized, resolve_image: ImageResolver, claim_id: IdClaimer | None) -> None:
    index = 0
    while index < len(parent):
        child = parent[index]
        tag = child.tag if isinstance(child.tag, str) else None
        if tag is None or tag.lower() in DROPPED or ":" in tag or "}" in tag:
            if tag is not None:
                name = tag.rsplit("}", 1)[-1]
                result.findings.append(Diagnostic.warning(f"<{name}> removed from raw HTML: {_why(name)}", code="html-element-removed"))
            _remove_keeping_tail(parent, index)
            continue
        tag = tag.lower()
        child.tag = tag
        if tag not in KEPT:
            result.findings.append(Diagnostic.warning(f"<{tag}> is not an HTML element bookmaker keeps; its text is kept", code="html-element-unknown"))
            _unwrap(parent, index)
            continue
        if not _attributes(child, tag, result, resolve_image, claim_id):
            _remove_keeping_tail(parent, index)
            continue
        had_elements = len(child) > 0
        _clean(child, result, resolve_image, claim_id)
        if tag == "p" and had_elements and not len(child) and not (child.text or "").strip():
            # Its only content was removed: an empty paragraph would be a blank gap in the book.
            _remove_keeping_tail(parent, index)
            continue
        if tag == "figure":
            _repair_figure(child)
        if tag in LIST_ITEMS:
            _keep_only_items(child, LIST_ITEMS[tag])
        index += 1


def _repair_figure(figure: ET.Element) -> None:
    """A figure's caption is its first or its last child, and it has one (XHTML's content model:
    EPUBCheck RSC-005). Books put `<br>`s after the caption for spacing: those go, and a caption
    still in the middle moves to the end; a second caption becomes a division."""
    captions = [c for c in figure if c.tag == "figcaption"]
    for extra in captions[1:]:
        extra.tag = "div"
    if not captions:
        return
    caption = captions[0]
    index = list(figure).index(caption)
    if index == 0:
        return
    while len(figure) > index + 1 and figure[-1].tag == "br" and not (figure[-1].tail or "").strip():
        _remove_keeping_tail(figure, len(figure) - 1)
    if figure[-1] is not caption:
        _remove_keeping_tail(figure, index)
        caption.tail = None
        figure.append(caption)


def _unwrap_inline_around_blocks(parent: ET.Element) -> None:
    """`<b>` left open before a new paragraph or table is opened again around it by the HTML5 parser
    (`<b><p>...</p></b>`, `<i>text<table>...</table></i>`), which XHTML, and so the EPUB, forbids:
    the inline element keeps the text before the first block, and the blocks move out after it.
    One the parser opened again around white space alone (after a list, say) is unwrapped."""
    index = 0
    while index < len(parent):
        child = parent[index]
        _unwrap_inline_around_blocks(child)
        if child.tag in PHRASING_ONLY:
            first = next((k for k, grandchild in enumerate(child) if grandchild.tag in BLOCKS), None)
            if first is not None:
                moved = list(child)[first:]
                for offset, element in enumerate(moved):
                    child.remove(element)
                    parent.insert(index + 1 + offset, element)
                moved[-1].tail = (moved[-1].tail or "") + (child.tail or "")
                child.tail = None
                if not len(child) and not (child.text or "").strip():
                    _unwrap(parent, index)
                    continue
        if (child.tag in _REOPENED and not len(child) and not (child.text or "").strip()
                and child.get("id") is None):
            _unwrap(parent, index)
            continue
        index += 1


def _keep_only_items(container: ET.Element, items: set[str]) -> None:
    """A list holds only its items. Repairing `<li><i>unclosed` the way a browser does opens the `<i>`
    again between the items, where XHTML (and so the EPUB) does not allow it: such an element is
    unwrapped when it holds items, dropped when it holds only white space, else made an item itself."""
    import xml.etree.ElementTree as ET

    item = "li" if "li" in items else "dd"
    index = 0
    while index < len(container):
        child = container[index]
        if child.tag in items:
            index += 1
        elif any(grandchild.tag in items for grandchild in child):
            _unwrap(container, index)
        elif not "".join(child.itertext()).strip():
            _remove_keeping_tail(container, index)
        else:
            wrapper = ET.Element(item)
            wrapper.tail, child.tail = child.tail, None
            container[index] = wrapper
            wrapper.append(child)
            index += 1


def _attributes(element: ET.Element, tag: str, result: Sanitized, resolve_image: ImageResolver,
                claim_id: IdClaimer | None) -> bool:
    """Filter the attributes of a kept element; False when the element itself must go."""
    allowed = GLOBAL_ATTRIBUTES | ELEMENT_ATTRIBUTES.get(tag, set())
    for name, value in list(element.attrib.items()):
        del element.attrib[name]
        lowered = name.lower()
        if lowered.startswith("on"):
            result.findings.append(Diagnostic.warning(f"event attribute '{name}' removed from <{tag}>: books run no scripts", code="html-event-removed"))
            continue
        if _SCRIPT_URL.match(_URL_NOISE.sub("", value)):
            result.findings.append(Diagnostic.warning(f"'{value[:40]}' URL removed from <{tag} {name}>: books run no scripts", code="html-script-url-removed"))
            continue
        if lowered == "style":
            if css_nesting_beyond(value, limits.MAX_CSS_NESTING) is not None:
                result.findings.append(Diagnostic.warning(
                    f"style attribute removed from <{tag}>: its brackets are nested more than "
                    f"{limits.MAX_CSS_NESTING} deep", code="html-style-removed"))
            elif _UNSAFE_STYLE.search(value):
                result.findings.append(Diagnostic.warning(
                    f"style attribute removed from <{tag}>: it loads or hides something "
                    "(url(), @import, escapes); put such rules in the book's stylesheets", code="html-style-removed"))
            else:
                element.set("style", value)
            continue
        if lowered.startswith(("aria-", "data-")) and _ATTRIBUTE_NAME.match(lowered):
            element.set(lowered, value)
            continue
        if lowered not in allowed:
            result.findings.append(Diagnostic.warning(f"attribute '{name}' removed from <{tag}>: bookmaker does not keep it", code="html-attribute-removed"))
            continue
        problem = _value_problem(tag, lowered, value)
        if problem:
            result.findings.append(Diagnostic.warning(f"{lowered} '{value[:40]}' removed from <{tag}>: {problem}", code="html-style-removed"))
            continue
        if lowered in ("colspan", "rowspan", "span") and value.strip().isdigit() and int(value) > MAX_SPAN:
            result.findings.append(Diagnostic.warning(f"{lowered} '{value[:40]}' of <{tag}> is more than "
                                                      f"{MAX_SPAN}; it is {MAX_SPAN} in the book", code="html-attribute-too-long"))
            value = str(MAX_SPAN)
        element.set(lowered, value)
    if tag == "img" and not keep_image(element, result.findings, resolve_image):
        return False
    ident = element.get("id")
    if ident is not None:
        if not _ID.match(ident):
            result.findings.append(Diagnostic.warning(f"id '{ident}' removed: an id may not be empty or contain spaces", code="id-invalid"))
            del element.attrib["id"]
        elif claim_id is not None:
            unique = claim_id(ident)
            if unique != ident:
                result.findings.append(Diagnostic.warning(f"id '{ident}' is already used in the book; this one is now '{unique}'", code="id-taken"))
                element.set("id", unique)
    return True


def _value_problem(tag: str, name: str, value: str) -> str | None:
    """Why an allowed attribute's value cannot be kept (EPUB readers and EPUBCheck reject it), or None."""
    if name == "lang" and not is_language_tag(value):
        return "it is not a language tag; use one such as en, fr or pt-BR"
    if name == "dir" and value not in ("ltr", "rtl", "auto"):
        return "use ltr, rtl or auto"
    if name in ("colspan", "rowspan", "span") and not value.strip().isdigit():
        return "it must be a whole number"
    if name == "href" and tag == "a":
        try:
            scheme = urlsplit(value.strip()).scheme.lower()
        except ValueError:  # `http://[x`
            return "it is not a valid address"
        if scheme and scheme not in LINK_SCHEMES:
            return f"books link only to {', '.join(LINK_SCHEMES)} addresses and to ids in the book"
        if not scheme and not value.strip().startswith("#"):
            return "a link to a file is broken in the EPUB; use a Markdown link [text](chapter.md#id) between chapters"
    return None


def _why(tag: str) -> str:
    if tag in ("script", "noscript", "template"):
        return "books run no scripts"
    if tag in ("iframe", "object", "embed", "frame", "frameset", "applet", "portal", "param"):
        return "books do not embed other documents or plugins"
    if tag in ("style", "link", "meta", "base", "title", "head"):
        return "put styles in the book's styles/ folder and metadata in the front matter"
    if tag in ("svg", "math"):
        return "inline SVG and MathML are not supported; use an image file"
    if tag in ("audio", "video", "source", "track"):
        return "a book does not play sound or video; link to the recording instead"
    if tag == "picture":
        return "use a Markdown image, or one <img>, for a picture"
    if tag == "canvas":
        return "a canvas is drawn by scripts, which books do not run; use an image file"
    if tag in ("form", "input", "button", "select", "textarea"):
        return "a book has no forms or controls; write what the reader should see as text"
    return "bookmaker does not support it in the text"


def _remove_keeping_tail(parent: ET.Element, index: int) -> None:
    child = parent[index]
    _append_text(parent, index, child.tail)
    del parent[index]


def _unwrap(parent: ET.Element, index: int) -> None:
    child = parent[index]
    _append_text(parent, index, child.text)
    grandchildren = list(child)
    tail = child.tail
    del parent[index]
    for offset, grandchild in enumerate(grandchildren):
        parent.insert(index + offset, grandchild)
    _append_text(parent, index + len(grandchildren), tail)


def _append_text(parent: ET.Element, index: int, text: str | None) -> None:
    """Add `text` after the child before `index` (or to the parent's text when there is none)."""
    if not text:
        return
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text
