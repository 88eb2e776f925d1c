"""The Markdown dialect: markdown-it-py with the plugins and rules bookmaker adds.

Syntax beyond CommonMark: tables, strikethrough, typographic quotes and dashes,
`[^label]` and `^[inline]` notes, `::: kind Title` boxes (any kind: its template decides),
pandoc's citations and Quarto's cross-references (`[@key]`, `@fig-id`: citesyntax.py),
definition lists, `[text]{lang=xx}` spans, `[term]{.index}` index marks and `{#id .class lang=xx}` after a
heading, TeX math (`$...$`, `$$...$$ {#eq-id}`, mathtex.py). Text in a
right-to-left script is isolated in `dir="rtl"` spans.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from bookmaker.core import limits
from bookmaker.markdown.cite_syntax import citation_plugin
from bookmaker.core.ids import slugify
from bookmaker.render.mathtex import math_plugin

# A span's index marks (index.py); the reader takes them off the span.
INDEX_ATTRIBUTES = ("index", "index-see", "index-seealso", "index-range")
# A box is `::: kind Title` ... `:::`. Any word is a kind: the template boxes/<kind>.html, the
# theme's or the book's, decides how it looks, and a kind without one is a plain box (read/boxes.py).
BOX_KIND = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
RESERVED_BOX_KINDS = ("html",)  # the model's kind of prose blocks (model.HtmlBlock)

# Quotation marks by language: opening and closing primary, then secondary.
# markdown-it's option takes four items; lists, since a French mark is two
# characters (the guillemet and a narrow no-break space inside it).
# Languages that share their marks are one row.
_QUOTE_ROWS = (
    ("en nl", ["“", "”", "‘", "’"]),
    ("de cs", ["„", "“", "‚", "‘"]),
    ("de-ch", ["«", "»", "‹", "›"]),  # Switzerland uses guillemets, without spaces
    ("fr", ["«\u202f", "\u202f»", "‹\u202f", "\u202f›"]),
    ("es it pt fa ar", ["«", "»", "“", "”"]),
    ("ru", ["«", "»", "„", "“"]),
    ("pl", ["„", "”", "‚", "’"]),
    ("sv", ["”", "”", "’", "’"]),
    ("da", ["»", "«", "›", "‹"]),
)
QUOTES: dict[str, list[str]] = {lang: marks for langs, marks in _QUOTE_ROWS for lang in langs.split()}

# Strong right-to-left letters: Hebrew, Arabic (with Persian and Urdu
# additions), Syriac, Thaana, N'Ko and the presentation forms.
RTL_CHARS = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff"
_RTL_RUN = re.compile(
    rf"[{RTL_CHARS}](?:[{RTL_CHARS}\u0020\u200c\u200d\u060c\u061b\u061f\u064b-\u065f0-9\u06f0-\u06f9]*[{RTL_CHARS}])?"
)
RTL_LANGS = {"ar", "fa", "he", "ur", "ps", "sd", "yi", "dv", "ckb", "ug"}


def is_rtl_lang(lang: str) -> bool:
    return lang.split("-")[0].lower() in RTL_LANGS


def _quotes_for(lang: str) -> list[str]:
    lang = lang.lower()
    return QUOTES.get(lang) or QUOTES.get(lang.split("-")[0], QUOTES["en"])


def _link_only_as_github_does(linkify) -> None:
    """Autolink `http(s)://...` and `www....` only, as GitHub does: linkify-it would also link any
    word with a dot before a top-level domain, and `notes.md` or `setup.py` in prose would become
    links to Moldovan and Paraguayan hosts."""
    match = linkify.match

    def github_match(text):
        found = [m for m in match(text) or [] if m.schema or m.raw.lower().startswith("www.")]
        return found or None

    linkify.match = github_match
    pretest = linkify.pretest

    def github_pretest(text):
        # What is kept has a scheme, which linkify-it accepts only before `//` (http:, https:, ftp:,
        # //) or as `mailto:`, or starts with `www.`: text with none of these holds no such link, and
        # linkify-it's own pretest, a long case-blind regex, was the slowest step of reading prose.
        if "//" not in text:
            lowered = text.lower()
            if "mailto:" not in lowered and "www." not in lowered:
                return False
        return pretest(text)

    linkify.pretest = github_pretest


@lru_cache(maxsize=8)
def parser_for(lang: str) -> MarkdownIt:
    """The configured parser for a document language (cached: building one is not free)."""
    md = MarkdownIt("commonmark", {
        "typographer": True, "quotes": _quotes_for(lang), "linkify": True, "maxNesting": limits.PARSER_NESTING,
    })
    md.enable(["table", "strikethrough", "replacements", "smartquotes", "linkify"])
    md.linkify.set({"fuzzy_email": False})  # "name@host" in prose is text (and a citation's `@key`)
    _link_only_as_github_does(md.linkify)
    md.use(footnote_plugin)
    md.use(deflist_plugin)
    md.use(attrs_plugin, spans=True, allowed=("id", "class", "lang", "dir", *INDEX_ATTRIBUTES))
    md.use(math_plugin)
    md.use(container_plugin, name="box", validate=_is_box)
    # `::: {#refs}`, `::: {#lof}`, `::: {#lot}`: where the bibliography and the lists of figures and tables go.
    md.use(container_plugin, name="placeholder", validate=_placeholder)
    md.use(citation_plugin)
    # Definitions lose their line numbers when the footnote plugin gathers them
    # at the end of the document; remember them for diagnostics first.
    md.core.ruler.before("footnote_tail", "note_definition_lines", _note_definition_lines)
    # Before the inline stage, so a box title is parsed with its chapter (notes, links, quotes).
    md.core.ruler.before("inline", "box_titles", _box_titles)
    # Before smartquotes, which would curl the quotes of `key="value"`.
    md.core.ruler.after("inline", "heading_attributes", _heading_attributes)
    md.core.ruler.after("heading_attributes", "table_captions", _table_captions)
    md.core.ruler.push("rtl_isolation", _rtl_isolation)
    md.core.ruler.after("block", "github_alerts", _github_alerts)
    md.core.ruler.after("github_alerts", "implicit_header_references", _implicit_header_references)
    md.core.ruler.after("inline", "task_lists", _task_lists)
    return md


PLACEHOLDERS = ("refs", "lof", "lot")
_PLACEHOLDER = re.compile(r"^\{\s*#(%s)\s*\}$" % "|".join(PLACEHOLDERS))


def _placeholder(params: str, *args) -> bool:
    return bool(_PLACEHOLDER.match(params.strip()))


def placeholder_name(info: str) -> str:
    match = _PLACEHOLDER.match(info.strip())
    return match.group(1) if match else ""


def _is_box(params: str, markup: str) -> bool:
    if _PLACEHOLDER.match(params.strip()):
        return False  # `::: {#refs}` and the like mark where generated lists go
    if fenced_div_attributes(params) is not None:
        return True
    words = params.split(maxsplit=1)
    return bool(words) and BOX_KIND.fullmatch(words[0]) is not None and words[0] not in RESERVED_BOX_KINDS


# A fenced div of pandoc's with no class that names a kind: a plain division (read/boxes.py).
DIVISION = "div"


def fenced_div_attributes(params: str) -> dict | None:
    """The attributes of pandoc's fenced div `::: {#id .class}`; None when `params` is not one."""
    params = params.strip()
    if not params.startswith("{"):
        return None
    try:
        end, attrs = parse_attrs(params)
    except ParseError:
        return None
    return attrs if not params[end + 1 :].strip() else None  # `end` is the index of the closing brace


def box_kind(token: Token) -> str | None:
    """The kind of a box from its opening token (`::: kind Title`, or the first class of
    `::: {#id .kind}`); None for any other token."""
    if token.type != "container_box_open":
        return None
    attrs = fenced_div_attributes(token.info)
    if attrs is not None:
        classes = str(attrs.get("class", "")).split()
        first = classes[0] if classes else ""
        return first if BOX_KIND.fullmatch(first) and first not in RESERVED_BOX_KINDS else DIVISION
    return token.info.split(maxsplit=1)[0]


# GitHub's alerts (`> [!NOTE]` on the quotation's first line) are boxes of these kinds, titled
# as GitHub titles them; the theme has a template for each (templates/boxes/<kind>.html).
ALERT_KINDS = {"NOTE": "Note", "TIP": "Tip", "IMPORTANT": "Important", "WARNING": "Warning", "CAUTION": "Caution"}
_ALERT = re.compile(r"\[!([A-Za-z]+)\][ \t]*(?:\n|$)")


def _github_alerts(state: StateCore) -> None:
    """A quotation whose first line is `[!NOTE]` (or another kind) becomes a box (before inline parsing)."""
    tokens = state.tokens
    i = 0
    while i < len(tokens):
        token = tokens[i]
        # Only at the top level, as on GitHub (and boxes stand nowhere else).
        if (token.type == "blockquote_open" and token.level == 0 and i + 2 < len(tokens) and tokens[i + 1].type == "paragraph_open"
                and tokens[i + 2].type == "inline"):
            match = _ALERT.match(tokens[i + 2].content)
            kind = match and match.group(1).upper()
            if kind in ALERT_KINDS:
                closing = _matching_close(tokens, i)
                for t, kind_of in ((token, "container_box_open"), (tokens[closing], "container_box_close")):
                    t.type, t.tag = kind_of, "div"
                token.meta["alert"] = True  # closed by the quotation's end, not by a ':::' line (structure.py)
                token.info = f"{kind.lower()} {ALERT_KINDS[kind]}"
                rest = tokens[i + 2].content[match.end():]
                if rest.strip():
                    tokens[i + 2].content = rest
                else:  # the marker alone in its paragraph
                    del tokens[i + 1 : i + 4]
        i += 1


def _matching_close(tokens: list[Token], start: int) -> int:
    depth = 0
    for j in range(start, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


_TASK = re.compile(r"\[([ xX])\] ")
# The glyph is for the eye; the words are for screen readers. No <input>: reading systems disable forms.
_TASK_HTML = {
    True: '<span class="task-box" aria-hidden="true">\u2611</span><span class="visually-hidden">done: </span>',
    False: '<span class="task-box" aria-hidden="true">\u2610</span><span class="visually-hidden">not done: </span>',
}


def _task_lists(state: StateCore) -> None:
    """`- [x] done` and `- [ ] to do`, as in GitHub's Markdown: the box drawn as a glyph; and the class
    of links whose text is their URL."""
    tokens = state.tokens
    for inline in (t for t in tokens if t.type == "inline"):
        for child in inline.children or []:
            if child.type == "link_open" and child.markup in ("linkify", "autolink"):
                child.attrJoin("class", "url")  # a URL as text: print breaks it at '/' with no hyphen
    for i, token in enumerate(tokens):
        if token.type != "list_item_open" or i + 2 >= len(tokens) or tokens[i + 2].type != "inline":
            continue
        children = tokens[i + 2].children or []
        if not children or children[0].type != "text":
            continue
        match = _TASK.match(children[0].content)
        if not match:
            continue
        children[0].content = children[0].content[match.end():]
        mark = Token("html_inline", "", 0, content=_TASK_HTML[match.group(1) != " "])
        children.insert(0, mark)
        token.attrJoin("class", "task")


def _implicit_header_references(state: StateCore) -> None:
    """`[Heading text]` and `[text][Heading text]` link to the chapter's heading of that text, as
    pandoc's implicit_header_references: a link reference definition of the name wins. The href is
    the id the heading asks for (its `{#id}`, or the slug of its text); the reader's link resolver
    turns it into the id the heading gets."""
    references = state.env.setdefault("references", {})
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i + 1 >= len(tokens) or tokens[i + 1].type != "inline":
            continue
        text = tokens[i + 1].content
        wanted = None
        match = _TRAILING_ATTRS.search(text)
        if match:
            try:
                _, attrs = parse_attrs(match.group(1))
                wanted, text = attrs.get("id"), text[: match.start()]
            except ParseError:
                pass
        label = normalizeReference(text.strip())
        if label and label not in references:
            references[label] = {"title": "", "href": "#" + str(wanted or slugify(text)), "map": token.map}


def _box_titles(state: StateCore) -> None:
    """Put each box's title (`::: kind Title`) after its opening as an inline token of its own,
    marked `box_title`: the core rules then treat it as any text of the chapter."""
    tokens: list[Token] = []
    for token in state.tokens:
        tokens.append(token)
        kind = box_kind(token)
        # A fenced div (`::: {#id .kind}`) has attributes where a box has its title.
        fenced = kind is not None and fenced_div_attributes(token.info) is not None
        title = token.info.strip()[len(kind) :].strip() if kind and not fenced else ""
        if title:
            inline = Token("inline", "", 0, content=title, map=token.map, level=token.level + 1, block=True)
            inline.meta["box_title"] = True
            inline.children = []
            tokens.append(inline)
    state.tokens = tokens


def _note_definition_lines(state: StateCore) -> None:
    defs = state.env.setdefault("note_definitions", [])
    for token in state.tokens:
        if token.type == "footnote_reference_open" and token.map:
            defs.append((token.meta["label"], token.map[0]))


_TRAILING_ATTRS = re.compile(r"\s*(\{[^{}]*\})\s*$")


def _heading_attributes(state: StateCore) -> None:
    """`## Title {#id .class lang=xx}`, as in pandoc."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[i + 1]
        children = inline.children or []
        if not children or children[-1].type != "text":
            continue
        last = children[-1]
        match = _TRAILING_ATTRS.search(last.content)
        if not match:
            continue
        try:
            end, attrs = parse_attrs(match.group(1))
        except ParseError:
            continue
        if end != len(match.group(1)) - 1:  # parse() returns the index of the closing brace
            continue
        last.content = last.content[: match.start()]
        if not last.content:
            children.pop()
        inline.content = _TRAILING_ATTRS.sub("", inline.content)
        for key, value in attrs.items():
            if key not in ("id", "class", "lang", "dir"):
                continue
            token.attrSet(key, value)


_TABLE_CAPTION = re.compile(r"^:\s+")


def _table_captions(state: StateCore) -> None:
    """`: Caption {#tbl-id}` right after a table is its caption (pandoc's and Quarto's syntax).

    The caption's inline token goes to the table_open's meta["caption"]; its paragraph is marked
    meta["table_caption"] so the reader places it inside the table and not after it.
    """
    tokens = state.tokens
    for i, token in enumerate(tokens[:-3]):
        if token.type != "table_close" or tokens[i + 1].type != "paragraph_open":
            continue
        inline = tokens[i + 2]
        children = inline.children or []
        if not children or children[0].type != "text" or not _TABLE_CAPTION.match(children[0].content):
            continue
        children[0].content = _TABLE_CAPTION.sub("", children[0].content)
        opening = next(t for t in reversed(tokens[:i]) if t.type == "table_open" and t.level == token.level)
        last = children[-1]
        match = _TRAILING_ATTRS.search(last.content) if last.type == "text" else None
        if match:
            try:
                end, attrs = parse_attrs(match.group(1))
            except ParseError:
                attrs = {}
            if attrs.get("id"):
                opening.attrSet("id", attrs["id"])
                last.content = last.content[: match.start()]
        opening.meta["caption"] = inline
        tokens[i + 1].meta["table_caption"] = True


def _rtl_isolation(state: StateCore) -> None:
    """Wrap runs of right-to-left script that have no direction set in `<span dir="rtl">`.

    The span isolates the run (CSS `unicode-bidi: isolate`), so a Persian name
    inside an English sentence neither reorders nor is reordered by its neighbours.
    """
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        token.children = _isolate_children(token.children)


def _isolate_children(children: list[Token]) -> list[Token]:
    out: list[Token] = []
    depth_with_dir = 0
    for child in children:
        if child.type == "span_open":
            lang = str(child.attrGet("lang") or "")
            if child.attrGet("dir") is None and lang and is_rtl_lang(lang):
                child.attrSet("dir", "rtl")
            if child.attrGet("dir") is not None or depth_with_dir:
                depth_with_dir += 1
            out.append(child)
            continue
        if child.type == "span_close" and depth_with_dir:
            depth_with_dir -= 1
        if child.type != "text" or depth_with_dir or not _RTL_RUN.search(child.content):
            out.append(child)
            continue
        pos = 0
        for match in _RTL_RUN.finditer(child.content):
            if match.start() > pos:
                out.append(_text(child.content[pos : match.start()], child.level))
            opening = Token("span_open", "span", 1, level=child.level)
            opening.attrSet("dir", "rtl")
            out.extend([opening, _text(match.group(), child.level + 1), Token("span_close", "span", -1, level=child.level)])
            pos = match.end()
        if pos < len(child.content):
            out.append(_text(child.content[pos:], child.level))
    return out


def _text(content: str, level: int) -> Token:
    return Token("text", "", 0, content=content, level=level)
