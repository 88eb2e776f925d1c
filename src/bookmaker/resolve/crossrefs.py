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
from bookmaker.core.digits import in_digits
from bookmaker.core.tally import Seen, tally

KINDS = {"fig": ("Figure", "Figures"), "tbl": ("Table", "Tables"), "eq": ("Equation", "Equations"),
         "sec": ("Section", "Sections")}
# The term (core/terms.py) of each kind, in the book's language: "Figure", "Abbildung", "図".
TERMS = {"fig": "figure", "tbl": "table", "eq": "equation", "sec": "section"}


@dataclass
class Target:
    kind: str  # fig, tbl, eq, sec
    id: str  # the id it has in the book
    number: str  # "3" or "2.3"; a section's is its title
    caption: str  # plain text, for the lists of figures and tables
    word: str = ""  # "Figure" in the book's language

    @property
    def label(self) -> str:
        """What a caption starts with: "Figure 3"."""
        return f"{self.word or KINDS[self.kind][0]} {self.number}"


@dataclass
class CrossRefs:
    diagnostics: Diagnostics
    per_chapter: bool = False
    with_pages: bool = False  # "Figure 3 on p. 41" in print (print.css adds the page to a.with-page)
    targets: dict[str, Target] = field(default_factory=dict)  # the label as written -> the target
    references: list[Token] = field(default_factory=list)
    # Every `{#fig-x}`-like label written anywhere in the manuscript, read or not: a reference to one on
    # something bookmaker could not read (a pandoc multiline table) is a warning, that problem an error.
    written: set[str] = field(default_factory=set)
    seen: dict[str, Seen] = field(default_factory=dict)  # the book's tally (tally.py) of what it does not do
    _counts: dict[tuple[str, int], int] = field(default_factory=dict)
    terms: dict[str, str] = field(default_factory=dict)  # the book's words (core/terms.py)
    digits: str | None = None  # the counter style of the book's digits (core/digits.py)

    def word(self, kind: str, plural: bool = False) -> str:
        """"Figure" (or "Figures") in the book's language."""
        name = TERMS[kind] + ("s" if plural else "")
        return self.terms.get(name) or KINDS[kind][1 if plural else 0]

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
        if kind != "sec":
            number = in_digits(number, self.digits)  # "شکل ۳" in a Persian book
        self.targets[label] = target = Target(kind, given_id, number, caption, self.word(kind))
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
                if target is None and item.key.startswith("lst-"):
                    self.diagnostics.warning(path, line, f"'{token.content}': pandoc-crossref's code listings are "
                                                         "not numbered by bookmaker, so the reference is kept as "
                                                         "written: refer to the code in words",
                                             code="crossref-listing")
                    parts.append(html.escape(token.content))
                    continue
                if target is None:
                    close = difflib.get_close_matches(item.key, list(self.targets), n=3)
                    kind = item.key.split("-", 1)[0]
                    how = "$$ ... $$ " if kind == "eq" else f"a {KINDS[kind][0].lower()} with "
                    hint = (f"did you mean {', '.join('@' + c for c in close)}?" if close
                            else f"label {'one with ' if kind == 'eq' else ''}{how}{{#{item.key}}}")
                    if item.key in self.written:
                        tally(self.seen, "crossref-unread-target", path, line,
                              f"a cross-reference to a figure or table made by a cell that is not run, or written on "
                              f"something bookmaker does not read (@{item.key}), is kept as written: see the warning "
                              "about that cell or construct", "crossref-unread-target")
                        # as written, its @ too: "fig-x" alone read as a word of the text
                        written = token.content if len(token.meta["items"]) == 1 else "@" + item.key
                        parts.append(html.escape(written))
                        continue
                    self.diagnostics.error(path, line, f"unknown cross-reference @{item.key}: {hint}", code="crossref-unknown")
                    continue
                parts.append(self._link(item, target))
            token.meta["html"] = ", ".join(parts) if parts else html.escape(token.content)

    def _link(self, item, target: Target) -> str:
        if target.kind == "eq":  # as the equation shows its number: "Equation (2)"
            word = html.escape(item.prefix) if item.prefix else html.escape(self.word("eq"))
            text = f"({target.number})" if item.suppress_author else f"{word} ({target.number})"
        elif target.kind == "sec":
            text = html.escape(target.number)
        elif item.suppress_author:
            text = target.number
        elif item.prefix:
            text = f"{html.escape(item.prefix)}\u00a0{target.number}"
        else:
            text = f"{html.escape(target.word)}\u00a0{target.number}"
        suffix = f" {html.escape(item.suffix.lstrip(', '))}" if item.suffix.strip(", ") else ""
        if item.prefix and target.kind == "sec":
            text = f"{html.escape(item.prefix)} {text}"
        # the number alone ([-@fig-x]) stays alone
        paged = self.with_pages and target.kind != "sec" and not item.suppress_author
        classes = ("eqref" if target.kind == "eq" else "crossref") + (" with-page" if paged else "")
        # data-pageref: the PDF writes the page in from its page map (writers/pagemap.py), as a part laid
        # out on its own cannot count the pages of another part with target-counter().
        digits = f' data-digits="{self.digits}"' if self.digits else ""  # the book's digits (core/digits.py)
        pageref = f' data-pageref="{html.escape(target.id)}"{digits}' if paged else ""
        return f'<a class="{classes}" href="#{html.escape(target.id)}"{pageref}>{text}</a>{suffix}'

    def list_html(self, kind: str, section_id: str) -> str:
        """The list of figures (`::: {#lof}`) or of tables (`::: {#lot}`)."""
        name = {"fig": "Figures", "tbl": "Tables"}[kind]
        title = html.escape(self.terms.get({"fig": "list-of-figures", "tbl": "list-of-tables"}[kind]) or name)
        items = "".join(
            # data-pageref: the PDF writes the page in (print.css shows it after a leader), as in the contents.
            f'<li><a href="#{html.escape(t.id)}" data-pageref="{html.escape(t.id)}"><span class="crossref-label">'
            f'{html.escape(t.label)}.</span> '
            f"{html.escape(t.caption)}</a></li>\n"
            for t in self.targets.values() if t.kind == kind
        )
        if not items:
            return ""
        return (f'<section class="list-of-{name.lower()}" id="{section_id}" aria-labelledby="{section_id}-title">\n'
                f'<h2 id="{section_id}-title">{title}</h2>\n<ol>\n{items}</ol>\n</section>\n')
