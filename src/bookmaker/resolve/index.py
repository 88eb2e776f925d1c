"""The back-of-book index: terms marked in the text, sorted, grouped and given locators.

The reader turns each mark (`[ferries]{.index}`, `[x]{index="landings!north; ports"}`,
`index-see=`, `index-seealso=`, `index-range="start"|"end"`) into an
`IndexMark` with an anchor in the text; `build_index` makes the sorted tree
every writer shows. The PDF shows the printed page numbers of the anchors,
consecutive pages merged ("12–14"); the EPUB, having no pages, names the section each
locator leads to (section_locators). Every entry has an id, and "see" references link to it.

Sorting is independent of the machine's locale: letters compare without their
accents and case first (é with e, Ö with o), then with them, so that the same
book sorts the same everywhere. Language-specific alphabets (Swedish å after z,
Spanish ñ after n) are not followed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from bookmaker.core.ids import slugify
from bookmaker.model import IndexMark

# The separator of levels (makeindex's) and of entries within one mark.
LEVEL_SEPARATOR = "!"
ENTRY_SEPARATOR = ";"
MAX_LEVELS = 3  # entry, sub-entry, sub-sub-entry, as a printed index has
SYMBOLS_GROUP = "Symbols and numbers"


def parse_entries(value: str) -> list[tuple[str, ...]]:
    """`"landings!north; ferries"` -> [("landings", "north"), ("ferries",)]; empty parts are dropped."""
    entries = []
    for entry in value.split(ENTRY_SEPARATOR):
        levels = tuple(" ".join(level.split()) for level in entry.split(LEVEL_SEPARATOR))
        levels = tuple(level for level in levels if level)
        if levels:
            entries.append(levels)
    return entries


def sort_key(term: str) -> tuple:
    """A collation key: letters without accents or case first, then accents, then case.

    Leading punctuation (quotes, brackets) is ignored, so “Ferries” sorts with ferries.
    Numbers and symbols come before letters, as in most printed indexes.
    """
    stripped = term.lstrip("\"'“”‘’«»„‚([{¿¡-–—*_ ") or term
    decomposed = unicodedata.normalize("NFKD", stripped)
    base = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    base = "".join(c if c.isalnum() else " " for c in base)
    words = " ".join(base.split())
    first_is_letter = bool(words) and words[0].isalpha()
    # Then accents, then case: lower case first, as ICU does for most languages.
    return (1 if first_is_letter else 0, words, decomposed.casefold(), term.swapcase())


def group_label(term: str) -> str:
    """The letter heading an entry stands under ("É" under "E"), or one group for symbols and numbers."""
    key = sort_key(term)
    if not key[0]:
        return SYMBOLS_GROUP
    return key[1][0].upper()


def merge_pages(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Page spans (first, last) sorted and merged where they touch or overlap: 12, 13, 14 -> 12–14."""
    merged: list[list[int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return [(a, b) for a, b in merged]


def format_span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}\u2013{last}"


@dataclass
class Locator:
    start: str  # the anchor of the mark
    end: str | None = None  # the anchor ending a range
    section: str = ""  # the name of the section the mark stands in (IndexMark.section)
    end_section: str = ""


@dataclass
class IndexEntry:
    term: str
    locators: list[Locator] = field(default_factory=list)
    see: list[str] = field(default_factory=list)
    seealso: list[str] = field(default_factory=list)
    children: list[IndexEntry] = field(default_factory=list)
    id: str = ""
    # A "see" reference's text -> the id of the entry it names (the deepest level of it that exists),
    # and its levels, which the index shows joined by commas ("landings!north" -> "landings, north").
    xrefs: dict[str, str] = field(default_factory=dict)
    xref_levels: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class IndexGroup:
    label: str
    entries: list[IndexEntry]


@dataclass
class ShownLocator:
    """One locator as a writer shows it: a link to a mark and its text ("" when the stylesheet makes it)."""

    href: str
    text: str
    end_href: str | None = None
    end_text: str = ""  # a range's end, shown as a link of its own (the EPUB's index-locator-range)


def build_index(marks: list[IndexMark], ids: dict[str, str] | None = None) -> list[IndexGroup]:
    """The sorted index: letter groups of entries, each with its sub-entries, in book order within an entry.

    `ids`: each entry's id by its path ("landings!north"), as the reader claimed them with the
    book's ids (Book.index_ids); an entry without one gets "index-" and the slug of its path.
    """
    roots: dict[str, IndexEntry] = {}
    children: dict[int, dict[str, IndexEntry]] = {}
    by_path: dict[tuple[str, ...], IndexEntry] = {}

    def entry_for(path: tuple[str, ...]) -> IndexEntry:
        level = roots
        entry = None
        for depth, term in enumerate(path[:MAX_LEVELS], start=1):
            entry = level.get(term)
            if entry is None:
                entry = level[term] = IndexEntry(term, id=_entry_id(path[:depth], ids, by_path))
                by_path[path[:depth]] = entry
            level = children.setdefault(id(entry), {})
        assert entry is not None
        return entry

    for mark in marks:
        for path in mark.terms:
            entry = entry_for(path)
            if mark.see or mark.seealso:
                entry.see += [s for s in mark.see if s not in entry.see]
                entry.seealso += [s for s in mark.seealso if s not in entry.seealso]
            else:
                entry.locators.append(Locator(mark.id, mark.end_id, mark.section, mark.end_section))
    for entry in by_path.values():
        entry.xrefs = {target: found.id for target in entry.see + entry.seealso
                       if (found := _named_entry(target, by_path)) is not None}
        entry.xref_levels = {target: (parse_entries(target) or [(target,)])[0] for target in entry.see + entry.seealso}

    def finish(level: dict[str, IndexEntry]) -> list[IndexEntry]:
        entries = sorted(level.values(), key=lambda e: sort_key(e.term))
        for entry in entries:
            entry.children = finish(children.get(id(entry), {}))
        return entries

    groups: dict[str, list[IndexEntry]] = {}
    for entry in finish(roots):
        groups.setdefault(group_label(entry.term), []).append(entry)
    return [IndexGroup(label, entries) for label, entries in groups.items()]


def _entry_id(path: tuple[str, ...], ids: dict[str, str] | None,
              by_path: dict[tuple[str, ...], IndexEntry]) -> str:
    """The reader's id for the entry (claimed with the book's ids); without one, "index-" and the slug
    of its path, suffixed where two entries' slugs are one ("Landings" and "landings")."""
    if ids and LEVEL_SEPARATOR.join(path) in ids:
        return ids[LEVEL_SEPARATOR.join(path)]
    taken = {entry.id for entry in by_path.values()}
    wanted = "index-" + slugify(" ".join(path), "entry")
    found, n = wanted, 1
    while found in taken:
        found, n = f"{wanted}-{n}", n + 1
    return found


def _named_entry(target: str, by_path: dict[tuple[str, ...], IndexEntry]) -> IndexEntry | None:
    """The entry a "see" reference names: its deepest level that is an entry ("landings!east" with no
    such sub-entry leads to "landings"); None when not even its first level is (the reader warned)."""
    paths = parse_entries(target)
    path = paths[0][:MAX_LEVELS] if paths else ()
    for depth in range(len(path), 0, -1):
        if path[:depth] in by_path:
            return by_path[path[:depth]]
    return None


def section_locators(entry: IndexEntry, range_end: str) -> list[ShownLocator]:
    """The EPUB's locators: each names the section it leads to ("The harbour").

    Why sections and not numbers: "1, 2, 3" said nothing of where a link leads. The print page
    numbers of the EPUB's page list (issue 22) are there only when the EPUB is built with a
    current PDF, so the same book's index would change with the command that built it, and
    many reading systems show no print pages; a section's name is what the reader sees in the
    contents and at the heading, on every reading system. As print merges marks on one page,
    marks following each other in one section are one locator (linked to the first). A range
    shows its start and its end as two links; within one section its end is `range_end` ("end").
    """
    shown: list[ShownLocator] = []
    previous: Locator | None = None
    for loc in entry.locators:
        if loc.end:
            end_text = loc.end_section if loc.end_section and loc.end_section != loc.section else range_end
            shown.append(ShownLocator(f"#{loc.start}", loc.section, f"#{loc.end}", end_text))
        elif not (previous is not None and previous.end is None and previous.section == loc.section):
            shown.append(ShownLocator(f"#{loc.start}", loc.section))
        previous = loc
    return shown


def page_locators(entry: IndexEntry, pages: dict[str, int] | None) -> list[ShownLocator]:
    """The entry's printed page numbers, consecutive ones merged ("12–14"), each linked to its first mark.

    Without `pages` (no layout yet, or pages renumbered by the book's CSS) each mark is one
    empty link, its number made by the stylesheet's `target-counter()`. An empty map is the
    first layout, which only finds the marks' pages: a placeholder number each, as nothing
    after the index can move (and `target-counter()` would make WeasyPrint lay out pages again).
    """
    if pages is not None and not pages:
        return [ShownLocator(f"#{loc.start}", "00") for loc in entry.locators]
    if pages is None or any(loc.start not in pages or (loc.end and loc.end not in pages) for loc in entry.locators):
        return [ShownLocator(f"#{loc.start}", "", f"#{loc.end}" if loc.end else None) for loc in entry.locators]
    first_mark: dict[int, str] = {}
    spans = []
    for loc in entry.locators:
        first = pages[loc.start]
        last = max(first, pages[loc.end]) if loc.end else first
        spans.append((first, last))
        first_mark.setdefault(first, loc.start)
    shown = []
    for first, last in merge_pages(spans):
        # A merged span's link goes to the first mark on its first page.
        href = first_mark.get(first) or next(m for p, m in sorted(first_mark.items()) if p >= first)
        shown.append(ShownLocator(f"#{href}", format_span(first, last)))
    return shown


def anchor_ids(marks: list[IndexMark]) -> set[str]:
    """Every anchor the index links to."""
    return {i for mark in marks for i in (mark.id, mark.end_id) if i}
