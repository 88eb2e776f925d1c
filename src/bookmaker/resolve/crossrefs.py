"""Cross-references, Quarto's way: labelled figures, tables, equations and sections, numbered once.

`![Caption](x.png){#fig-tower}`, `: Caption {#tbl-bridges}` under a table,
`{#sec-...}` on a heading, `$$ ... $$ {#eq-...}` on display math (mathtex.py); `@fig-tower` is
"Figure 1" linked to it, `[-@fig-tower]` the number alone, `[Fig. @fig-tower]`
the author's own word. Numbers run through the book or per chapter
("Figure 2.3"). The reader registers each target as it walks the chapters and
each reference as it meets it; resolve() runs once every chapter is read, so a
reference may point forward, and reports unknown labels with the nearest.
"""

from __future__ import annotations

import difflib
import html
from dataclasses import dataclass, field

from markdown_it.token import Token

from bookmaker.core.diagnostics import Diagnostics

KINDS = {"fig": ("Figure", "Figures"), "tbl": ("Table", "Tables"), "eq": ("Equation", "Equations"),
         "sec": ("Section", "Sections")}


@dataclass
class Target:
    kind: str  # fig, tbl, eq, sec
    id: str  # the id it has in the book
    number: str  # "3" or "2.3"; a section's is its title
    caption: str  # plain text, for the lists of figures and tables

    @property
    def label(self) -> str:
        """What a caption starts with: "Figure 3"."""
        return f"{KINDS[self.kind][0]} {self.number}"


@dataclass
class CrossRefs:
    diagnostics: Diagnostics
    per_chapter: bool = False
    with_pages: bool = False  # "Figure 3 on p. 41" in print (print.css adds the page to a.with-page)
    targets: dict[str, Target] = field(default_factory=dict)  # the label as written -> the target
    references: list[Token] = field(default_factory=list)
    _counts: dict[tuple[str, int], int] = field(default_factory=dict)

    def add(self, label: str, given_id: str, chapter: int, caption: str, where: tuple,
            number: str | None = None) -> Target | None:
        """Register a labelled target; `chapter` is the chapter's index (0-based); `number` one it already has."""
        kind = label.split("-", 1)[0]
        if label in self.targets:
            self.diagnostics.error(*where, f"the label '{label}' is used twice: give each its own #id", code="crossref-label-twice")
            return None
        if kind == "sec":
            number = caption
        elif number is None:
            scope = chapter if self.per_chapter else -1
            self._counts[(kind, scope)] = count = self._counts.get((kind, scope), 0) + 1
            number = f"{chapter + 1}.{count}" if self.per_chapter else str(count)
        self.targets[label] = target = Target(kind, given_id, number, caption)
        return target

    def reference(self, token: Token) -> None:
        self.references.append(token)

    def resolve(self) -> None:
        """Write each reference's XHTML into its token, or report it."""
        for token in self.references:
            path, line = token.meta.get("where", (None, None))
            parts = []
            for item in token.meta["items"]:
                target = self.targets.get(item.key)
                if target is None:
                    close = difflib.get_close_matches(item.key, list(self.targets), n=3)
                    kind = item.key.split("-", 1)[0]
                    how = "$$ ... $$ " if kind == "eq" else f"a {KINDS[kind][0].lower()} with "
                    hint = (f"did you mean {', '.join('@' + c for c in close)}?" if close
                            else f"label {'one with ' if kind == 'eq' else ''}{how}{{#{item.key}}}")
                    self.diagnostics.error(path, line, f"unknown cross-reference @{item.key}: {hint}", code="crossref-unknown")
                    continue
                parts.append(self._link(item, target))
            token.meta["html"] = ", ".join(parts) if parts else html.escape(token.content)

    def _link(self, item, target: Target) -> str:
        if target.kind == "eq":  # as the equation shows its number: "Equation (2)"
            word = html.escape(item.prefix) if item.prefix else "Equation"
            text = f"({target.number})" if item.suppress_author else f"{word} ({target.number})"
        elif target.kind == "sec":
            text = html.escape(target.number)
        elif item.suppress_author:
            text = target.number
        elif item.prefix:
            text = f"{html.escape(item.prefix)}\u00a0{target.number}"
        else:
            text = f"{KINDS[target.kind][0]}\u00a0{target.number}"
        suffix = f" {html.escape(item.suffix.lstrip(', '))}" if item.suffix.strip(", ") else ""
        if item.prefix and target.kind == "sec":
            text = f"{html.escape(item.prefix)} {text}"
        # the number alone ([-@fig-x]) stays alone
        paged = self.with_pages and target.kind != "sec" and not item.suppress_author
        classes = ("eqref" if target.kind == "eq" else "crossref") + (" with-page" if paged else "")
        # data-pageref: the PDF writes the page in from its page map (writers/pagemap.py), as a part laid
        # out on its own cannot count the pages of another part with target-counter().
        pageref = f' data-pageref="{html.escape(target.id)}"' if paged else ""
        return f'<a class="{classes}" href="#{html.escape(target.id)}"{pageref}>{text}</a>{suffix}'

    def list_html(self, kind: str, section_id: str) -> str:
        """The list of figures (`::: {#lof}`) or of tables (`::: {#lot}`)."""
        title = {"fig": "Figures", "tbl": "Tables"}[kind]
        items = "".join(
            f'<li><a href="#{html.escape(t.id)}"><span class="crossref-label">{t.label}.</span> '
            f"{html.escape(t.caption)}</a></li>\n"
            for t in self.targets.values() if t.kind == kind
        )
        if not items:
            return ""
        return (f'<section class="list-of-{title.lower()}" id="{section_id}" aria-labelledby="{section_id}-title">\n'
                f'<h2 id="{section_id}-title">{title}</h2>\n<ol>\n{items}</ol>\n</section>\n')
