"""What a book's own templates wrote, checked as a parsed tree before it reaches an output.

A template may write markup the manuscript's raw HTML could never hold (the sanitizer, sanitize.py,
removes it there): a script, a frame, an event attribute (`<svg/onload=...>`), a script URL however it
is spelled (`javascript&#58;`), or something a reader or browser loads from outside the book (a remote
`<img>`, `<link>`, `xlink:href`, `url()` in a style). The whole output is parsed as HTML5, as a
browser would parse it, so entities and odd spacing hide nothing; no pattern decides beforehand which
outputs are worth parsing. The outputs are XHTML (the EPUB's chapters are read as XML), so the output
must also be well-formed XML: `<br>` or `&nbsp;` in a template is an error at the template, not a crash
of the EPUB writer.
"""

from __future__ import annotations

import re
from pathlib import Path

from bookmaker.core.diagnostics import Diagnostic

# Markup that runs code or leaves the page.
ACTIVE_ELEMENTS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal", "noscript"}
# Attributes holding a URL a script may hide in; any attribute whose name ends in href or src is one too.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "cite", "ping", "srcset",
                  "manifest", "codebase", "icon", "longdesc", "usemap", "lowsrc", "dynsrc", "imagesrcset", "to",
                  "from", "values"}
# What a reader or browser loads by itself: (element or "*", attribute).
_LOADS = {("*", "src"), ("*", "srcset"), ("*", "poster"), ("*", "data"), ("*", "background"), ("*", "xlink:href"),
          ("*", "imagesrcset"), ("*", "lowsrc"), ("*", "dynsrc"), ("link", "href"), ("image", "href"),
          ("use", "href"), ("feimage", "href"), ("script", "href")}
SCRIPT_URL = re.compile(r"^(?:javascript|vbscript|livescript|data:text/html|data:image/svg|data:application)",
                        re.IGNORECASE)
REMOTE = re.compile(r"^(?!data:|bookmaker-resource:|#)(?:[a-z][a-z0-9+.-]*:|//|\\\\|/\\|\\/)", re.IGNORECASE)
_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def active_markup(text: str) -> tuple[str, str] | None:
    """(what to look for in the templates, what it is) for the first markup a template may not add, or None."""
    # Lexbor, an HTML5 parser that follows the standard as browsers do, 30 times as fast as
    # tinyhtml5 here (0.1 s for a megabyte): every output of a book with templates is parsed.
    from selectolax.lexbor import LexborHTMLParser

    for element in LexborHTMLParser(text).root.traverse(include_text=False):
        tag = (element.tag or "").lower()
        if tag.startswith("-"):
            continue  # a comment or the doctype
        if tag in ACTIVE_ELEMENTS or (tag == "meta" and any(a.lower() == "http-equiv" for a in element.attributes)):
            return f"<{tag}", f"a <{tag}> element"
        if tag == "style":
            remote = _remote_in_css(element.text(deep=True) or "")
            if remote is not None:
                return remote[:12], f"a resource from outside the book ('{remote}')"
        for name, value in element.attributes.items():
            found = _attribute_problem(tag, name.lower(), value or "")
            if found is not None:
                return found
    return None


def _attribute_problem(tag: str, name: str, value: str) -> tuple[str, str] | None:
    if name.startswith("on"):
        return name, f"an event attribute '{name}'"
    url = _NOISE.sub("", value)
    if (name in URL_ATTRIBUTES or name.endswith(("href", "src", "action"))) and SCRIPT_URL.match(url):
        return url[:10], f"a script URL in '{name}'"
    if name == "style":
        remote = _remote_in_css(value)
        if remote is not None:
            return remote[:12], f"a resource from outside the book ('{remote}')"
    key = name
    if (tag, key) in _LOADS or ("*", key) in _LOADS:
        urls = [c.split()[0] for c in value.split(",") if c.split()] if "srcset" in key else [value]
        remote = next((u.strip() for u in urls if REMOTE.match(u.strip())), None)
        if remote is not None:
            return remote[:12], f"a resource from outside the book ('{remote}')"
    return None


def _remote_in_css(css: str) -> str | None:
    """The first URL from outside the book a style loads (url(), @import, image-set() and the like), read
    with the CSS tokenizer, so that escapes (`u\\72l(...)`) and comments hide nothing."""
    import tinycss2

    try:
        tokens = tinycss2.parse_component_value_list(css)
    except RecursionError:
        return css[:40]  # nested beyond reading: refused as if it loaded something
    return _remote_in_tokens(tokens, in_function=False)


def _remote_in_tokens(tokens: list, in_function: bool) -> str | None:
    import tinycss2.ast as ast

    after_import = False
    for token in tokens:
        if isinstance(token, ast.URLToken) or (isinstance(token, ast.StringToken) and (in_function or after_import)):
            if REMOTE.match(_NOISE.sub("", token.value)):
                return token.value
        if isinstance(token, ast.AtKeywordToken):
            after_import = token.lower_value == "import"
        elif isinstance(token, ast.LiteralToken) and token.value == ";":
            after_import = False
        nested = getattr(token, "arguments", None)
        if nested is None and isinstance(token, (ast.ParenthesesBlock, ast.SquareBracketsBlock, ast.CurlyBracketsBlock)):
            nested = token.content
        if nested:
            found = _remote_in_tokens(nested, in_function or isinstance(token, ast.FunctionBlock))
            if found is not None:
                return found
    return None


def xml_problem(text: str) -> tuple[str, str] | None:
    """(what to look for in the templates, what is wrong) when `text` is not well-formed XML, else None."""
    from lxml import etree

    try:
        etree.fromstring(text.encode("utf-8", "surrogatepass"),
                         etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False))
    except etree.XMLSyntaxError as exc:
        message = str(exc.msg or exc).split(", line")[0]
        entity = re.search(r"Entity '(\w+)'", message)
        tag = re.search(r"tag mismatch: (\w+)", message)
        needle = f"&{entity.group(1)};" if entity else f"<{tag.group(1)}" if tag else ""
        return needle, message
    return None


def output_diagnostic(what: str, needle: str, book_templates: Path, first_line_with, code: str) -> Diagnostic:
    where, line = first_line_with(book_templates, needle) if needle else (book_templates, None)
    return Diagnostic.error(what, code=code).at(where, line)
