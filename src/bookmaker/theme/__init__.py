"""The default theme shipped in the package, and the book's own stylesheets on top of it.

Stylesheets cascade: the theme's `base.css`, `technical.css` (code, tables,
math) and `writing.css` (direction, CJK and Thai), then the output's layer
(`print.css` or `epub.css`), then the book's `styles/*.css` in name order. A
book stylesheet named `*print.css` applies to the PDF only, `*epub.css` to the
EPUB only; any other applies to both. A book stylesheet with the name of one of
the theme's (`base.css`, `print.css`, `epub.css`) replaces it instead of adding
to it.

Templates: a book's `templates/` folder overrides the theme's file by file
(same relative name). A book template can also extend the theme's own under
the `default/` prefix: `{% extends "default/document.html" %}`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import jinja2
from markupsafe import Markup

from bookmaker.core.digits import in_digits, local_date
from bookmaker.model import Book

if TYPE_CHECKING:
    from bookmaker.safety.policy import ResourcePolicy

THEME_DIR = Path(__file__).parent
Medium = Literal["print", "epub"]
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def environment(book_templates: Path | None = None, policy: ResourcePolicy | None = None) -> jinja2.Environment:
    """The one environment the book's and the theme's templates render in: a sandbox (templating.py).
    The book's templates load under `policy` (default: inside the folder above `book_templates`)."""
    from bookmaker.safety.policy import ResourcePolicy
    from bookmaker.safety.templating import BookLoader, BookSandbox, bound_filters

    theme = jinja2.FileSystemLoader(THEME_DIR / "templates")
    loaders: list[jinja2.BaseLoader] = []
    if book_templates:
        loaders.append(BookLoader(book_templates, policy or ResourcePolicy(book_templates.parent)))
    env = BookSandbox(
        loader=jinja2.ChoiceLoader([*loaders, jinja2.PrefixLoader({"default": theme}), theme]),
        autoescape=True,
        trim_blocks=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        book_templates=book_templates,
    )
    env.filters["backlink_letter"] = lambda n: _LETTERS[(n - 1) % 26] * ((n - 1) // 26 + 1)
    env.filters["with_backlinks"] = with_backlinks
    # Numbers in the book's digits (`{{ note.number|digits(digits) }}`) and dates in its language.
    env.filters["digits"] = in_digits
    env.filters["local_date"] = local_date
    bound_filters(env)
    return env


def has_box_template(kind: str, book_templates: Path | None = None) -> bool:
    """Whether boxes of `kind` have a template of their own (boxes/<kind>.html, the book's or the
    theme's); chapter.html sets the others with boxes/box.html. `kind` is a word (markdown.BOX_KIND)."""
    name = Path("boxes") / f"{kind}.html"
    return (THEME_DIR / "templates" / name).is_file() or bool(book_templates and (book_templates / name).is_file())


def with_backlinks(html: str, backlinks: str) -> Markup:
    """A note's later blocks with its backlinks at the end of the last paragraph, or after them
    in a paragraph of their own when the note ends with another block (a list, a quotation).
    A WORD JOINER ties them to the last word, so they never stand alone on a line (after the
    space: a no-break space there sets off a WeasyPrint 70 bug that breaks after the first word)."""
    body = html.rstrip()
    if body.endswith("</p>"):
        return Markup(f"{body[:-4]} \u2060{backlinks}</p>\n")
    return Markup(f'{body}\n<p class="note-backlinks">{backlinks}</p>\n')


THEME_STYLESHEETS = ("base.css", "technical.css", "writing.css", "print.css", "epub.css", "scripts.css")


def theme_stylesheets(medium: Medium, book: Book | None = None) -> list[Path]:
    """The theme's stylesheets for `medium`, each replaced by the book's file of the same name if it has one."""
    replacing = {p.name: p for p in book.styles} if book else {}
    # scripts.css (the faces of every script, writers/font_stacks.py) comes last: it extends the
    # medium's own stacks (print.css's code faces) with the faces of the other scripts.
    names = ("base.css", "technical.css", "writing.css", f"{medium}.css", "scripts.css")
    return [replacing.get(name, THEME_DIR / "styles" / name) for name in names]


def book_stylesheets(book: Book, medium: Medium) -> list[Path]:
    """The book's stylesheets that add to the theme's (those that replace one are in theme_stylesheets)."""
    other = "epub" if medium == "print" else "print"
    return [p for p in book.styles if not p.stem.endswith(other) and p.name not in THEME_STYLESHEETS]


def stylesheets(book: Book, medium: Medium) -> list[Path]:
    """Every stylesheet of `medium` in cascade order."""
    return theme_stylesheets(medium, book) + book_stylesheets(book, medium)


def stylesheet_texts(book: Book, medium: Medium) -> list[str]:
    """The cascade for `medium`, each file read under the book's resource rules (policy.py)."""
    from bookmaker.safety.policy import policy_for

    policy = policy_for(book)
    return [policy.read_local(p).decode("utf-8-sig") for p in stylesheets(book, medium)]
