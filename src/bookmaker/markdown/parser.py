"""The Markdown dialect: markdown-it-py with the plugins and rules bookmaker adds.

Syntax beyond CommonMark: tables, strikethrough, typographic quotes and dashes,
`[^label]` and `^[inline]` notes, `::: kind Title` boxes (any kind: its template decides),
pandoc's citations and Quarto's cross-references (`[@key]`, `@fig-id`: rules/citations.py),
definition lists, `[text]{lang=xx}` spans, `[term]{.index}` index marks and `{#id .class lang=xx}` after a
heading, TeX math (`$...$`, `$$...$$ {#eq-id}`, rules/math.py). Text in a
other direction is isolated where it needs to be (rules/rtl.py). Each rule is a module of rules/.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from bookmaker.core import limits
from bookmaker.core.lang import direction_of, quotes_for
from bookmaker.markdown.rules.alerts import github_alerts
from bookmaker.markdown.rules.attributes import pandoc_bare_values
from bookmaker.markdown.rules.boxes import box_titles, is_box, is_placeholder
from bookmaker.markdown.rules.callouts import quarto_callouts
from bookmaker.markdown.rules.cells import image_cells
from bookmaker.markdown.rules.citations import citation_plugin
from bookmaker.markdown.rules.headings import heading_attributes, implicit_header_references
from bookmaker.markdown.rules.links import github_links
from bookmaker.markdown.rules.math import math_plugin
from bookmaker.markdown.rules.notes import note_definition_lines
from bookmaker.markdown.rules.rtl import bidi_rule
from bookmaker.markdown.rules.tables import table_captions
from bookmaker.markdown.rules.tasks import task_lists

# A span's index marks (index.py); the reader takes them off the span.
INDEX_ATTRIBUTES = ("index", "index-see", "index-seealso", "index-range")


@lru_cache(maxsize=8)
def parser_for(lang: str, direction: str | None = None) -> MarkdownIt:
    """The configured parser for a document language and direction ("ltr", "rtl"; None: the
    language's), cached: building one is not free."""
    md = MarkdownIt("commonmark", {
        "typographer": True, "quotes": quotes_for(lang), "linkify": True, "maxNesting": limits.PARSER_NESTING,
    })
    md.enable(["table", "strikethrough", "replacements", "smartquotes", "linkify"])
    md.linkify.set({"fuzzy_email": False})  # "name@host" in prose is text (and a citation's `@key`)
    github_links(md.linkify)
    md.use(footnote_plugin)
    md.use(deflist_plugin)
    pandoc_bare_values()  # `{width=50%}`: before the first attribute is read
    md.use(attrs_plugin, spans=True, allowed=("id", "class", "lang", "dir", "width", "height", *INDEX_ATTRIBUTES))
    md.use(math_plugin)
    md.use(container_plugin, name="box", validate=is_box)
    # `::: {#refs}`, `::: {#lof}`, `::: {#lot}`: where the bibliography and the lists of figures and tables go.
    md.use(container_plugin, name="placeholder", validate=is_placeholder)
    md.use(citation_plugin)
    # Definitions lose their line numbers when the footnote plugin gathers them
    # at the end of the document; remember them for diagnostics first.
    md.core.ruler.before("footnote_tail", "note_definition_lines", note_definition_lines)
    # Before the inline stage, so a box title is parsed with its chapter (notes, links, quotes).
    md.core.ruler.before("inline", "quarto_callouts", quarto_callouts)
    md.core.ruler.before("inline", "image_cells", image_cells)
    md.core.ruler.before("inline", "box_titles", box_titles)
    # Before smartquotes, which would curl the quotes of `key="value"`.
    md.core.ruler.after("inline", "heading_attributes", heading_attributes)
    md.core.ruler.after("heading_attributes", "table_captions", table_captions)
    md.core.ruler.push("bidi_isolation", bidi_rule(direction_of(lang, direction)))
    md.core.ruler.after("block", "github_alerts", github_alerts)
    md.core.ruler.after("github_alerts", "implicit_header_references", implicit_header_references)
    md.core.ruler.after("inline", "task_lists", task_lists)
    return md
