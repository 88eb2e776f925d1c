"""The words and digits print.css writes itself, in the book's language.

print.css sets the notes' locators ("(p. 3)", "(pp. 3, 9)"), "Figure 3 on p. 41",
the contents' and index's page numbers and the page counters in English words and
Western digits. This stylesheet, after it and before the book's own, says the same
in the book's terms (core/terms.py) and digits (core/digits.py): "(S. 3)", "（第3页）",
"(ص. ۳)". Page counters take the digits as a CSS counter style (`persian`,
`arabic-indic`), which WeasyPrint knows; a number written in from the page map
(pagemap.py) is converted there.
"""

from __future__ import annotations

from bookmaker.core.terms import page_parts
from bookmaker.model import Book
from bookmaker.writers.font_stacks import page_margin_css


def language_css(book: Book, page_rules: str) -> list[str]:
    """What the PDF's stylesheet adds for the book's language after the theme's: its words and digits,
    its running heads' faces, and the @page rules (page_layout.py) with their counters in its digits."""
    return [terms_css(book.terms, book.digits), page_margin_css(book.metadata.lang),
            with_page_digits(page_rules, book.digits)]


def _string(text: str, together: bool = True) -> str:
    """A CSS string: quotes and backslashes escaped; `together`: spaces made no-break ("p. 41" never
    breaks, while a line may break after the comma between the pages of "pp. 3, 9, 14, 27")."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return '"' + (text.replace(" ", "\\a0 ") if together else text) + '"'


def terms_css(terms: dict[str, str], digits: str | None) -> str:
    """print.css's generated words and numbers, in the book's language."""
    style = f", {digits}" if digits else ""
    counter = f"target-counter(attr(href), page{style})"
    page_before, page_after = map(_string, page_parts(terms["page"]))
    pages_before, pages_after = map(_string, page_parts(terms["pages"]))
    on_before, on_after = map(_string, page_parts(terms["on-page"]))
    comma = _string(terms["comma"], together=False)  # between the pages of a note's references: "، " in Persian
    rules = []
    for number, attribute in ((counter, ""), ("attr(data-page)", "[data-page]")):
        backlink = f".note a.backlink{{}}{attribute}::after"
        rules += [
            f'{backlink.format("")} {{ content: {comma} {number}; }}',
            f'{backlink.format(".first")} {{ content: "(" {page_before} {number}; }}',
            f'{backlink.format(".first.several")} {{ content: "(" {pages_before} {number}; }}',
            f'{backlink.format(".last")} {{ content: {comma} {number} {pages_after} ")"; }}',
            f'{backlink.format(".first.last")} {{ content: "(" {page_before} {number} {page_after} ")"; }}',
            f"a.crossref.with-page{attribute}::after, a.eqref.with-page{attribute}::after "
            f'{{ content: "\\a0" {on_before} {number} {on_after}; }}',
        ]
    css = "@media print {\n" + "\n".join(rules) + "\n}\n"
    if digits:
        css += (f'.toc a::after {{ content: leader(". ") {counter}; }}\n'
                f'.toc a[data-page]::after {{ content: leader(". ") attr(data-page); }}\n'
                f".index-body a.pending::after {{ content: target-counter(attr(href url), page{style}); }}\n")
    return css


def with_page_digits(page_rules: str, digits: str | None) -> str:
    """The @page rules (page_layout.py) with their page counters in the book's digits."""
    return page_rules.replace("counter(page)", f"counter(page, {digits})") if digits else page_rules
