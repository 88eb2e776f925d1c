"""Every place bookmaker changes WeasyPrint's internals, fenced in this one package (fence.py: the versions).

WeasyPrint's layout functions are not its API. What is patched here was written against the versions
in WRITTEN_FOR, and each patch is applied only on those (`supported()`); pyproject.toml pins WeasyPrint
to that range. With another version bookmaker stays exact without them: a part laid out from a guessed
start is laid out again (slower), and one word may stand alone on a line (the bug keep_words_together
works around). tests/fast/test_patches.py holds a fingerprint of each piece of WeasyPrint's source a
patch relies on, and fails when a new WeasyPrint changes it, naming the patch to check again.

| patch | WeasyPrint internals | why |
| --- | --- | --- |
| keep_words_together | layout.inline.split_first_line | a word left alone before an inline element |
| paginated | layout.make_all_pages, layout.make_margin_boxes | a part's start known only after its pagination |
| shift_page_numbers | context.page_maker's page counters | renumber a part before its margin boxes are made |
| deferred_fonts | pdf.fonts.Font.clean | each face subset once for all parts, at merge |
| keep_joiners | draw.text.draw_first_line, Pango's glyph strings | ZWNJ and ZWJ kept in the text layer |
| one_leader_box | layout.inline.handle_leader, layout.leader, pdf.stream.Stream.marked, pdf.tags._build_box_tree | a leader's dots shaped and drawn once, as an artifact |
| parse_styles_once | CSS.__init__, css.find_stylesheets, css.preprocess_stylesheet | a part's stylesheet parsed once per worker, not once per part |

What would remove them upstream: keep_words_together, a fix of WeasyPrint's line breaking between a text
box and the inline box after it (Kozea/WeasyPrint#1614, "Incorrect line breaking with boxes", the same
naive per-box `is_line_start`); the other three, an API WeasyPrint does not have (page numbers set after
pagination, subsetting left to the caller): no upstream issue asks for one yet; keep_joiners, WeasyPrint
mapping the default-ignorable characters Pango draws as empty glyphs (none asks for it either).
"""


from __future__ import annotations

from bookmaker.writers.pdf.patches.fence import (
    FINGERPRINTS,
    RENUMBERING_CHECKED,
    WRITTEN_FOR,
    renumbering_supported,
    supported,
)
from bookmaker.writers.pdf.patches.fonts import deferred_fonts
from bookmaker.writers.pdf.patches.leaders import one_leader_box
from bookmaker.writers.pdf.patches.pages import paginated, shift_page_numbers
from bookmaker.writers.pdf.patches.styles import parse_styles_once
from bookmaker.writers.pdf.patches.text import keep_joiners, keep_words_together

__all__ = ["FINGERPRINTS", "RENUMBERING_CHECKED", "WRITTEN_FOR", "apply_layout_patches", "deferred_fonts",
           "keep_joiners", "keep_words_together", "one_leader_box", "paginated", "parse_styles_once",
           "renumbering_supported", "shift_page_numbers", "supported"]


def apply_layout_patches() -> None:
    """The patches that change how WeasyPrint lays out and draws, applied once it is imported (each only on
    the versions of WRITTEN_FOR, and once per process); the others are applied around one part's layout."""
    keep_words_together()
    keep_joiners()
    one_leader_box()
    parse_styles_once()
