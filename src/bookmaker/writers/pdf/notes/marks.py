"""The notes' same-page marks written into notes already rendered, from the numbers a chain was given.

A note referenced twice on one page says "(p. 9)", not "(pp. 9, 9)": the theme's notes template
(templates/notes.html) marks the second backlink `same-page` and gives the others `first`, `last`
and `several` by their place among those shown. Which references share a page is known only after
the chapters are laid out; a chain laid out beside them (parts/desk.py) gets their numbers piece by
piece, so it marks its notes itself, here, as the template would have. The parent checks the result
against the template's own render once every number is known (run.PartsBuild compares the bodies):
a book's own notes template that marks otherwise only has its notes laid out again.
"""

from __future__ import annotations

import html as html_escape
import re

_GROUP = re.compile(r'<span class="backlinks">((?:<a class="backlink[^"]*" href="#[^"]*"[^>]*>'
                    r'<span class="backlink-mark">[^<]*</span></a>)+)</span>')
_LINK = re.compile(r'<a class="(backlink[^"]*)" href="#([^"]*)"')


def with_marks(body: str, numbers: dict[str, int]) -> str:
    """`body` (notes as the theme's template renders them) with each note's backlinks classed for the pages
    `numbers` gives their references (a reference with no number is never on a page already named)."""
    return _GROUP.sub(lambda group: _marked(group, numbers), body)


def _marked(group: re.Match, numbers: dict[str, int]) -> str:
    links = list(_LINK.finditer(group.group(1)))
    hidden, seen = set(), set()
    for n, link in enumerate(links):
        page = numbers.get(html_escape.unescape(link.group(2)))
        if page is not None:
            if page in seen:
                hidden.add(n)
            seen.add(page)
    shown = [n for n in range(len(links)) if n not in hidden]
    classes = {}
    for n in range(len(links)):
        if n in hidden:
            classes[n] = "backlink same-page"
            continue
        position = shown.index(n)
        classes[n] = "backlink" + (" first" if position == 0 else "") + (
            " last" if position == len(shown) - 1 else "") + (" several" if len(shown) > 1 else "")
    text, out, at = group.group(1), [], 0
    for n, link in enumerate(links):
        out.append(text[at: link.start(1)] + classes[n])
        at = link.end(1)
    return '<span class="backlinks">' + "".join(out) + text[at:] + "</span>"
